"""Serving Telegram: updates in (polling or webhook), replies out through the outbox.

python-telegram-bot's Application provides the Bot (HTTP client, types, errors) and its
lifecycle. Updates are fetched and confirmed here rather than by its Updater, because the
Updater confirms an update's offset to Telegram before the handler has finished with it: a
crash then would lose what the person sent. Here an update is confirmed (the next
getUpdates offset, or the webhook's 200) only after its transaction committed; a
redelivered update is dropped by its update_id.
"""

from __future__ import annotations

import asyncio
import hmac
from collections import defaultdict
import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import tornado.web
from sqlalchemy.exc import OperationalError
from telegram import BotCommand, Update
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application

from adapters import telegram as adapter
from bot.channels.protocol import ChannelError, ChannelHooks
from bot.config import Settings
from bot.outbound.delivery import DeliveryWorker
from bot.outbound.ratelimit import TELEGRAM, Limits
from conversations.i18n import T
from conversations.messages import Address, Outbound

log = logging.getLogger(__name__)
MENU_COMMANDS = ("start", "help", "my", "role", "language", "cancel", "stop")
POLL_TIMEOUT = 30  # seconds getUpdates waits for news (long polling)
# httpcore scans its whole pool for every request it assigns, so a small pool that our own
# concurrency (4 people's updates + 8 deliveries at once) never overruns is the fast one.
CONNECTIONS = 12
CONCURRENT_UPDATES = 4
CONCURRENT_DELIVERIES = 8
RETRY_DELAY = 2.0  # seconds before handling an update again after a failure (e.g. database down)
MAX_FAILURES = 3  # tries for an update that fails for another reason than the database


@dataclass
class TelegramChannel:
    settings: Settings
    hooks: ChannelHooks
    application: Application  # type: ignore[type-arg]
    worker: DeliveryWorker
    poll_timeout: int = POLL_TIMEOUT
    retry_delay: float = RETRY_DELAY
    username: str = field(default="", init=False)

    @classmethod
    def build(cls, settings: Settings, hooks: ChannelHooks, *, limits: Limits = TELEGRAM) -> TelegramChannel:
        assert settings.telegram_bot_token is not None
        application = (
            Application.builder()
            .token(settings.telegram_bot_token.get_secret_value())
            .base_url(settings.telegram_api_base_url)
            .connection_pool_size(CONNECTIONS)
            .pool_timeout(30)
            .updater(None)
            .build()
        )
        sender = adapter.TelegramSender(application.bot)
        worker = hooks.delivery_worker(sender, limits=limits, concurrency=CONCURRENT_DELIVERIES)
        return cls(settings, hooks, application, worker)

    async def start(self) -> None:
        """Check the token (getMe) and publish the command menu."""
        try:
            await self.application.initialize()
        except InvalidToken:
            # The library's message repeats the token; never print it.
            raise ChannelError("TELEGRAM_BOT_TOKEN: Telegram did not accept this token (check it with @BotFather).") from None
        except NetworkError as error:
            url = self.settings.telegram_api_base_url
            raise ChannelError(f"TELEGRAM_API_BASE_URL: cannot reach the Bot API at {url} ({error}).") from None
        self.username = self.application.bot.username
        language = self.hooks.default_language
        commands = [BotCommand(name, self.hooks.render(language, T(f"command.{name}"))) for name in MENU_COMMANDS]
        await self.application.bot.set_my_commands(commands)

    async def stop(self) -> None:
        await self.application.shutdown()

    async def receive(self) -> None:
        """Take updates until cancelled: by webhook when TELEGRAM_WEBHOOK_URL is set, else polling."""
        await (self.serve_webhook() if self.settings.telegram_webhook_url else self.poll())

    async def handle(self, payload: dict[str, Any]) -> None:
        """Handle one update completely; raises if it could not be (so it is not confirmed)."""
        translated = adapter.to_inbound(payload, bot_username=self.username)
        if isinstance(translated, adapter.Pressed):
            await self._acknowledge(translated)
            await self.hooks.on_inbound(translated.inbound)
        elif isinstance(translated, adapter.GroupCall):
            await self._invite_to_private_chat(translated.address, payload["update_id"])
        elif isinstance(translated, adapter.BotBlocked):
            await self.hooks.mark_unreachable(translated.address)
        elif translated is not None:
            await self.hooks.on_inbound(translated)
        self.worker.wake.set()

    async def _acknowledge(self, press: adapter.Pressed) -> None:
        """Answer the callback query and replace the keyboard by the choice, so it cannot be
        pressed twice. Neither is worth failing the update for."""
        bot = self.application.bot
        try:
            await bot.answer_callback_query(press.callback_query_id)
            edited = adapter.pressed_text(press.message_text, press.label)
            if edited is not None and press.chat_id is not None and press.message_id is not None:
                await bot.edit_message_text(edited, chat_id=press.chat_id, message_id=press.message_id, parse_mode="HTML")
        except (BadRequest, RetryAfter) as error:  # "query is too old", "message is not modified"
            log.info("could not acknowledge a button press: %s", error)

    async def _invite_to_private_chat(self, address: Address, update_id: int) -> None:
        link = f"https://t.me/{self.username}?start=join"
        text = self.hooks.render(self.hooks.default_language, T("group.invite", link=link))
        await self.hooks.say(address, Outbound(text), str(update_id))

    async def poll(self) -> None:
        """Long-poll getUpdates; confirm each update only after it was handled."""
        bot = self.application.bot
        await bot.delete_webhook()
        offset: int | None = None
        while True:
            try:
                updates = await bot.get_updates(
                    offset=offset, timeout=self.poll_timeout, allowed_updates=list(adapter.ALLOWED_UPDATES)
                )
            except RetryAfter as error:
                await asyncio.sleep(adapter._seconds(error.retry_after))
                continue
            except NetworkError as error:
                log.warning("getUpdates failed, trying again: %s", error)
                await asyncio.sleep(self.retry_delay)
                continue
            if updates:
                await self._handle_batch([update.to_dict() for update in updates])
                offset = updates[-1].update_id + 1

    async def _handle_batch(self, payloads: list[dict[str, Any]]) -> None:
        """Different people's updates are handled side by side, each person's in order."""
        by_sender: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for payload in payloads:
            by_sender[adapter.sender_key(payload)].append(payload)

        slots = asyncio.Semaphore(CONCURRENT_UPDATES)  # see CONNECTIONS

        async def in_order(own: list[dict[str, Any]]) -> None:
            async with slots:
                for payload in own:
                    await self._handle_until_done(payload)

        await asyncio.gather(*(in_order(own) for own in by_sender.values()))

    async def _handle_until_done(self, payload: dict[str, Any]) -> None:
        """Handle an update, retrying while the database is unreachable (nothing is lost);
        an update that fails for any other reason is retried a few times, then logged and
        skipped, so that one malformed update cannot stop everyone else's."""
        failures = 0
        while True:
            try:
                await self.handle(payload)
                return
            except OperationalError:
                log.exception("update %s: database unavailable, trying again", payload.get("update_id"))
            except Exception:  # noqa: BLE001 - a bug or a malformed update
                failures += 1
                if failures >= MAX_FAILURES:
                    log.exception("update %s failed %s times; skipped", payload.get("update_id"), failures)
                    return
                log.exception("update %s failed, trying again", payload.get("update_id"))
            await asyncio.sleep(self.retry_delay)

    async def serve_webhook(self) -> None:
        """Receive updates on TELEGRAM_WEBHOOK_PORT; register the webhook with its secret."""
        settings = self.settings
        assert settings.telegram_webhook_url is not None
        if settings.telegram_webhook_secret is None:
            raise ChannelError("TELEGRAM_WEBHOOK_SECRET: set a secret for webhook mode (1-256 of A-Z a-z 0-9 _ -).")
        secret = settings.telegram_webhook_secret.get_secret_value()
        path = urlsplit(settings.telegram_webhook_url).path or "/"
        web = tornado.web.Application([(path, _WebhookHandler, {"channel": self, "secret": secret})])
        server = web.listen(settings.telegram_webhook_port)
        try:
            await self.application.bot.set_webhook(
                settings.telegram_webhook_url, secret_token=secret, allowed_updates=list(adapter.ALLOWED_UPDATES)
            )
            await asyncio.Event().wait()  # serve until cancelled
        finally:
            server.stop()


class _WebhookHandler(tornado.web.RequestHandler):
    def initialize(self, channel: TelegramChannel, secret: str) -> None:
        self.channel = channel
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.set_status(403)
            return
        try:
            payload = json.loads(self.request.body)
            Update.de_json(payload, self.channel.application.bot)  # rejects what is not an update
        except (ValueError, TypeError, KeyError):
            self.set_status(400)
            return
        try:
            await self.channel.handle(payload)
        except Exception:  # noqa: BLE001 - a 500 makes Telegram deliver the update again
            log.exception("webhook update %s failed", payload.get("update_id"))
            self.set_status(500)
            return
        self.set_status(200)
