"""Serving Slack with slack-bolt's async app: direct messages run the dialogs, a mention in a
channel gets a short answer in its thread, `/cocreate` opens a dialog in a DM.

Listeners run before the HTTP response (process_before_response): an event is answered 200
only once its transaction committed, so a failure makes Slack retry it, and a retried event
(same event_id) is dropped by the service. Every request's signature is checked by bolt.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters import slack as adapter
from bot.channels.protocol import ChannelError, ChannelHooks
from bot.config import Settings
from bot.outbound.delivery import DeliveryWorker
from bot.outbound.ratelimit import SLACK, Limits
from bot.runtime.health import keep_beating
from conversations import buttons
from conversations.i18n import T
from conversations.messages import Address, Choice, Inbound, Outbound

log = logging.getLogger(__name__)
PROFILE_TTL = 3600.0  # seconds a users.info answer is reused
# `/cocreate WORD` in Slack (which keeps other slash commands to itself) -> our chat command.
SLASH_TEXT = {"": "/start", "report": "/start report", "idea": "/start idea", "design": "/start design",
              "follow": "/start follow", "my": "/my", "help": "/help", "language": "/language",
              "inbox": "/inbox", "broadcast": "/broadcast", "poll": "/poll", "web": "/web",
              "privacy": "/privacy", "mydata": "/mydata", "forget": "/forget"}  # fmt: skip


@dataclass
class SlackChannel:
    settings: Settings
    hooks: ChannelHooks
    client: AsyncWebClient
    bolt: AsyncApp
    worker: DeliveryWorker
    bot_user_id: str = field(default="", init=False)
    _profiles: dict[str, tuple[float, str | None, str | None]] = field(default_factory=dict, init=False)

    @classmethod
    def build(cls, settings: Settings, hooks: ChannelHooks, *, limits: Limits = SLACK) -> SlackChannel:
        assert settings.slack_bot_token is not None
        client = AsyncWebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_base_url)
        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
        bolt = AsyncApp(
            client=client,
            signing_secret=secret,
            process_before_response=True,
            request_verification_enabled=secret is not None,
        )
        worker = hooks.delivery_worker(adapter.SlackSender(client), limits=limits)
        channel = cls(settings, hooks, client, bolt, worker)
        channel._listen()
        return channel

    async def start(self) -> None:
        try:
            identity = await self.client.auth_test()
        except SlackApiError as error:
            code = adapter.error_code(error)
            raise ChannelError(f"SLACK_BOT_TOKEN: Slack did not accept this token ({code}).") from None
        except OSError as error:
            raise ChannelError(f"SLACK_API_BASE_URL: cannot reach Slack's Web API ({error}).") from None
        self.bot_user_id = str(identity.get("user_id", ""))

    def _listen(self) -> None:
        self.bolt.event("message")(self._on_message)
        self.bolt.event("app_mention")(self._on_message)
        self.bolt.action(re.compile(rf"^{adapter.ACTION_PREFIX}\d+$"))(self._on_press)
        self.bolt.command("/cocreate")(self._on_command)

    async def _on_message(self, body: dict[str, Any]) -> None:
        translated = adapter.to_inbound(body, bot_user_id=self.bot_user_id)
        if isinstance(translated, adapter.Mention):
            await self._answer_mention(translated)
        elif translated is not None:
            await self._handle(await self._with_profile(translated))

    async def _on_press(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        press = adapter.pressed(body)
        inbound = press.inbound
        if isinstance(buttons.decode(inbound.choice), buttons.OpenDirectMessage):
            inbound = await self._in_direct_message(inbound.address.user_id, inbound.event_id, "/start")
        if not await self._handle(await self._with_profile(inbound)):
            return  # flooding (or blocked): the message is not updated, chat.update is rate-limited per workspace
        if press.message_ts:
            update = adapter.chosen(press.message_text, press.label)
            try:
                await self.client.chat_update(channel=press.channel_id, ts=press.message_ts, text=update.text, blocks=update.blocks)
            except SlackApiError as error:  # not worth failing the press for
                log.info("could not update the pressed message: %s", adapter.error_code(error))

    async def _on_command(self, ack: AsyncAck, command: dict[str, Any]) -> None:
        someone = Address(adapter.CHANNEL, "", command["user_id"])  # the language is looked up by user
        language = await self.hooks.language_of(someone)
        await ack(text=self.hooks.render(language, T("slack.see_dm")), response_type="ephemeral")
        word = (command.get("text") or "").strip().lower()
        text = SLASH_TEXT.get(word, "/help")
        inbound = await self._in_direct_message(command["user_id"], f"command:{command['trigger_id']}", text)
        await self._handle(await self._with_profile(inbound))

    async def _in_direct_message(self, user_id: str, event_id: str, text: str) -> Inbound:
        opened = await self.client.conversations_open(users=user_id)
        return Inbound(Address(adapter.CHANNEL, opened["channel"]["id"], user_id), event_id, text=text)

    async def _answer_mention(self, mention: adapter.Mention) -> None:
        language, render = self.hooks.default_language, self.hooks.render
        open_dm = Choice(buttons.encode(buttons.OpenDirectMessage()), render(language, T("slack.open_dm")))
        invite = Outbound(render(language, T("slack.mention")), (open_dm,))
        await self.hooks.say(mention.address, invite, mention.event_id)
        self.worker.wake.set()

    async def _handle(self, inbound: Inbound) -> bool:
        """Whether the event was taken (False: dropped by the flood gate or a block, nothing queued)."""
        if (await self.hooks.on_inbound(inbound)).dropped:
            return False
        self.worker.wake.set()
        return True

    async def _with_profile(self, inbound: Inbound) -> Inbound:
        """Display name and locale from users.info, cached; the dialog goes on without them."""
        user_id = inbound.address.user_id
        cached = self._profiles.get(user_id)
        if cached is None or cached[0] < time.monotonic():
            try:
                user = (await self.client.users_info(user=user_id, include_locale=True))["user"]
                name = (user.get("profile") or {}).get("display_name") or user.get("real_name") or user.get("name")
                cached = (time.monotonic() + PROFILE_TTL, name, user.get("locale"))
                self._profiles[user_id] = cached
            except SlackApiError as error:
                log.info("users.info failed for %s: %s", user_id, adapter.error_code(error))
                return inbound
        _, name, locale = cached
        return replace(inbound, display_name=name, locale_hint=locale)

    async def receive(self) -> None:
        """Take requests until cancelled: Socket Mode when SLACK_APP_TOKEN is set, else HTTP."""
        if self.settings.slack_app_token is not None:
            handler = await self.serve_socket_mode()
            close = handler.close_async
        else:
            runner = await self.serve_http()
            close = runner.cleanup
        try:
            await keep_beating(lambda: self.hooks.beat(adapter.CHANNEL))  # serve until cancelled
        finally:
            await close()

    async def stop(self) -> None:
        pass  # the Web API client holds no connection between calls

    async def serve_http(self) -> web.AppRunner:
        """Events, interactivity and the slash command on SLACK_HOST:SLACK_PORT/slack/events."""
        runner = web.AppRunner(self.bolt.web_app(path="/slack/events"))
        await runner.setup()
        await web.TCPSite(runner, self.settings.slack_host, self.settings.slack_port).start()
        return runner

    async def serve_socket_mode(self) -> Any:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        assert self.settings.slack_app_token is not None
        handler = AsyncSocketModeHandler(self.bolt, self.settings.slack_app_token.get_secret_value())
        await handler.connect_async()
        return handler
