"""Serving Telegram: updates in (polling or webhook), replies out through the outbox.

python-telegram-bot's Bot provides the HTTP client, types, errors and its lifecycle (its
Application is not needed, and importing telegram.ext costs about 6 MB). Updates are fetched and confirmed here rather than by its Updater, because the
Updater confirms an update's offset to Telegram before the handler has finished with it: a
crash then would lose what the person sent. Here an update is confirmed (the next
getUpdates offset, or the webhook's 200) only after its transaction committed; a
redelivered update is dropped by its update_id.

Nothing a bad day brings stops it: an outage of the database or of the Bot API (409, 401,
an answer that is not JSON, the network) is logged once, waited out with backoff, and ends
by itself when its cause goes away. An update that fails for another reason (a bug, a
malformed update) is tried a few times at once, then its sender gets an apology and the
update is recorded as processed: it never holds up anyone else's.
"""

from __future__ import annotations

import asyncio
import hmac
import ssl
from collections import defaultdict
import json
import logging
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

import httpx
import tornado.web
from telegram import Bot, BotCommand, Update
from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from adapters import telegram as adapter
from bot.channels.protocol import ChannelError, ChannelHooks
from bot.inbound.service import Handled
from bot.runtime.election import HeldElsewhere, LeadershipLost
from bot.config import Settings
from bot.outbound.delivery import DeliveryWorker
from bot.outbound.ratelimit import TELEGRAM, Limits
from bot.runtime.health import keep_beating
from bot.runtime.outage import FIRST_WAIT, Outage, cause, is_database_outage
from conversations.i18n import T
from conversations.messages import Address, Inbound, Outbound

log = logging.getLogger(__name__)
MENU_COMMANDS = ("start", "help", "my", "role", "language", "cancel", "stop", "privacy", "mydata", "forget")
POLL_TIMEOUT = 30  # seconds getUpdates waits for news (long polling)
# httpcore scans its whole pool for every request it assigns, so a small pool that our own
# concurrency (4 people's updates + 8 deliveries at once) never overruns is the fast one.
CONNECTIONS = 12
CONCURRENT_UPDATES = 4
CONCURRENT_DELIVERIES = 8
MAX_FAILURES = 3  # tries for an update that fails for another reason than the database
TRACKED_WEBHOOK_FAILURES = 10_000  # update ids whose failed webhook tries are counted
POLLER = "telegram-poller"  # the lease a polling process holds
CONFLICT = (
    "another process is polling Telegram with this bot token, or a webhook is set; polling mode serves from one "
    "process: stop the other one, or set TELEGRAM_WEBHOOK_URL to run several replicas"
)


@cache
def _tls_context() -> ssl.SSLContext:
    """The trust store httpx would load for each client (its certifi bundle, or SSL_CERT_FILE
    and SSL_CERT_DIR), loaded once per process rather than twice per channel built: each
    loading takes about 25 ms, and one context is safe to share between clients."""
    return httpx.create_ssl_context()


@dataclass
class TelegramChannel:
    settings: Settings
    hooks: ChannelHooks
    bot: Bot
    worker: DeliveryWorker
    poll_timeout: int = POLL_TIMEOUT
    retry_delay: float = FIRST_WAIT  # seconds before the first retry in an outage; doubles up to a minute
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # between tries in an outage (tests move time)
    username: str = field(default="", init=False)
    _webhook_failures: dict[int, int] = field(default_factory=dict, init=False)  # update_id -> failed tries

    def __post_init__(self) -> None:
        self._database = Outage("the database (Telegram updates)", log, sleep=self._pause, first_wait=self.retry_delay)
        self._bot_api = Outage("Telegram's getUpdates", log, sleep=self._pause, first_wait=self.retry_delay)

    async def _pause(self, seconds: float) -> None:
        await self.sleep(seconds)  # looked up at each wait, so a test may set `sleep` after build()

    @classmethod
    def build(cls, settings: Settings, hooks: ChannelHooks, *, limits: Limits = TELEGRAM) -> TelegramChannel:
        assert settings.telegram_bot_token is not None
        tls = {"verify": _tls_context()}  # the builder would make one per client (getUpdates', the others')
        bot = Bot(
            settings.telegram_bot_token.get_secret_value(),
            base_url=settings.telegram_api_base_url,
            request=HTTPXRequest(connection_pool_size=CONNECTIONS, pool_timeout=30, httpx_kwargs=tls),
            get_updates_request=HTTPXRequest(connection_pool_size=1, httpx_kwargs=tls),
        )
        sender = adapter.TelegramSender(bot)
        worker = hooks.delivery_worker(sender, limits=limits, concurrency=CONCURRENT_DELIVERIES)
        return cls(settings, hooks, bot, worker)

    async def start(self) -> None:
        """Check the token (getMe) and publish the command menu."""
        try:
            await self.bot.initialize()
        except InvalidToken:
            # The library's message repeats the token; never print it.
            raise ChannelError("TELEGRAM_BOT_TOKEN: Telegram did not accept this token (check it with @BotFather).") from None
        except NetworkError as error:
            url = self.settings.telegram_api_base_url
            raise ChannelError(f"TELEGRAM_API_BASE_URL: cannot reach the Bot API at {url} ({error}).") from None
        self.username = self.bot.username
        configured = self.settings.telegram_bot_username
        if (configured or "").lower() != self.username.lower():
            # Diffusers' deep links are made where no Bot API is at hand (`cocreate broadcast`).
            log.warning("TELEGRAM_BOT_USERNAME is %s but the bot is @%s: set TELEGRAM_BOT_USERNAME=%s so diffusers' "
                        "copies carry its deep link", configured or "unset", self.username, self.username)  # fmt: skip
        language = self.hooks.default_language
        commands = [BotCommand(name, self.hooks.render(language, T(f"command.{name}"))) for name in MENU_COMMANDS]
        await self.bot.set_my_commands(commands)

    async def stop(self) -> None:
        await self.bot.shutdown()

    async def receive(self) -> None:
        """Take updates until cancelled: by webhook when TELEGRAM_WEBHOOK_URL is set, else polling."""
        await (self.serve_webhook() if self.settings.telegram_webhook_url else self.poll())

    async def handle(self, payload: dict[str, Any], *, in_order: bool = False) -> None:
        """Handle one update completely; raises if it could not be (so it is not confirmed).
        `in_order`: after the sender's older updates that other replicas got (webhook mode)."""
        translated = adapter.to_inbound(payload, bot_username=self.username)

        async def on_inbound(inbound: Inbound) -> Handled:
            if in_order:
                return await self.hooks.on_inbound_in_order(inbound, int(payload["update_id"]))
            return await self.hooks.on_inbound(inbound)

        if isinstance(translated, adapter.Pressed):
            if (await on_inbound(translated.inbound)).dropped:
                return  # flooding (or blocked): not even acknowledged, which costs two Bot API calls
            await self._acknowledge(translated)
        elif isinstance(translated, adapter.GroupCall):
            await self._invite_to_private_chat(translated.address, payload["update_id"])
        elif isinstance(translated, adapter.BotBlocked):
            await self.hooks.mark_unreachable(translated.address)
        elif translated is not None and (await on_inbound(translated)).dropped:
            return  # flooding: nothing was queued, so the delivery worker has nothing new
        self.worker.wake.set()

    async def _acknowledge(self, press: adapter.Pressed) -> None:
        """Answer the callback query and replace the keyboard by the choice, so it cannot be
        pressed twice. Neither is worth failing the update for."""
        bot = self.bot
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
        """Poll as the only poller of this database (a lease, on PostgreSQL; SQLite's lock
        file already keeps to one process): a second `cocreate run` in polling mode refuses
        to start, naming the first. A poller that loses its lease (the database went away)
        stops polling until it holds it again."""
        while True:
            try:
                async with self.hooks.alone(POLLER):
                    await self._poll()
            except LeadershipLost:
                continue
            except HeldElsewhere as held:
                raise ChannelError(
                    f"Another `cocreate run` ({held.holder}) is already polling Telegram for this database: polling "
                    "mode serves from one process. Stop it, or set TELEGRAM_WEBHOOK_URL to run several replicas."
                ) from None
            except Exception as error:
                if not is_database_outage(error):
                    raise
                await self._database.failed(error)

    async def _poll(self) -> None:
        """Long-poll getUpdates; confirm each update only after it was handled. Whatever
        Telegram answers (409: another poller or a webhook; 401; a 5xx; a page that is not
        JSON) is waited out with backoff, logged once per outage."""
        bot = self.bot
        while not await self._bot_api_call(bot.delete_webhook):
            pass
        offset: int | None = None
        while True:
            updates = await self._bot_api_call(
                bot.get_updates, offset=offset, timeout=self.poll_timeout, allowed_updates=list(adapter.ALLOWED_UPDATES)
            )
            if updates:
                await self._handle_batch([update.to_dict() for update in updates])
                offset = updates[-1].update_id + 1

    async def _bot_api_call(self, method: Callable[..., Awaitable[Any]], **arguments: Any) -> Any:
        """The method's answer, or None after a failure (already waited for). Each try is
        the poll loop's sign of life (/healthz), however long Telegram fails."""
        self.hooks.beat(adapter.CHANNEL)
        try:
            answer = await method(**arguments)
        except RetryAfter as error:
            await self.sleep(adapter._seconds(error.retry_after))
            return None
        except InvalidToken:
            # The library's message may repeat the token; never print it.
            await self._bot_api.failed("InvalidToken: Telegram refused TELEGRAM_BOT_TOKEN (401)")
            return None
        except Conflict as error:
            await self._bot_api.failed(f"{cause(error)} ({CONFLICT})")
            return None
        except TelegramError as error:
            await self._bot_api.failed(error)
            return None
        self._bot_api.succeeded()
        return answer

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
        """Handle an update, waiting while the database is unusable (nothing is lost). One
        that fails for any other reason (a bug, a malformed update) is tried again at once,
        MAX_FAILURES times in all: waiting would not mend it, and would hold up the batch.
        Each try rolled back, so the person's dialog is still at its last question; then
        they get an apology and the update is recorded as processed."""
        failures = 0
        while True:
            try:
                await self.handle(payload)
                self._database.succeeded()
                return
            except Exception as error:  # noqa: BLE001 - a bug or a malformed update must not stop the others
                if is_database_outage(error):
                    await self._database.failed(error)
                    continue
                failures += 1
                if failures >= MAX_FAILURES:
                    log.exception("update %s failed %s times; its sender is told", payload.get("update_id"), failures)
                    await self._give_up(payload)
                    return
                log.warning("update %s failed (%s); trying again", payload.get("update_id"), cause(error))

    async def _give_up(self, payload: dict[str, Any]) -> None:
        """Apologise to the sender of an update that cannot be handled, and record it as
        processed, waiting out a database outage for that."""
        while True:
            try:
                await self._apologise(payload)
                return
            except Exception as error:  # noqa: BLE001 - nothing more can be done for this update
                if not is_database_outage(error):
                    log.exception("could not tell the sender of update %s", payload.get("update_id"))
                    return
                await self._database.failed(error)

    async def _apologise(self, payload: dict[str, Any]) -> None:
        address = _sender_address(payload, self.username)
        if address is None:
            return  # nobody to tell (a malformed update, or someone who blocked the bot)
        text = self.hooks.render(await self.hooks.language_of(address), T("error.update_failed"))
        await self.hooks.say(address, Outbound(text), str(payload["update_id"]))
        self.worker.wake.set()

    async def handle_posted(self, payload: dict[str, Any]) -> bool:
        """Handle an update Telegram posted to the webhook; False asks for it again (a 500)."""
        update_id = int(payload["update_id"])
        try:
            await self.handle(payload, in_order=True)
        except Exception as error:  # noqa: BLE001 - a 500 makes Telegram deliver the update again
            return await self._posted_update_failed(payload, update_id, error)
        self._database.succeeded()
        self._webhook_failures.pop(update_id, None)
        return True

    async def _posted_update_failed(self, payload: dict[str, Any], update_id: int, error: Exception) -> bool:
        """As in polling, an update that failed MAX_FAILURES times for another reason than
        the database is given up: its sender is told, and Telegram gets its 200 (True).
        Telegram's redeliveries are the tries, counted here by update_id."""
        if is_database_outage(error):
            self._database.note(error)
            return False
        failures = self._webhook_failures.pop(update_id, 0) + 1
        if failures < MAX_FAILURES:
            self._count_webhook_failure(update_id, failures)
            log.warning("webhook update %s failed (%s); Telegram will send it again", update_id, cause(error))
            return False
        log.exception("webhook update %s failed %s times; its sender is told", update_id, failures)
        try:
            await self._apologise(payload)
        except Exception as apology_error:  # noqa: BLE001 - nothing more can be done for this update
            if is_database_outage(apology_error):
                self._count_webhook_failure(update_id, failures)  # told when Telegram sends it again
                return False
            log.exception("could not tell the sender of update %s", update_id)
        return True

    def _count_webhook_failure(self, update_id: int, failures: int) -> None:
        self._webhook_failures[update_id] = failures
        while len(self._webhook_failures) > TRACKED_WEBHOOK_FAILURES:  # the oldest go first
            del self._webhook_failures[next(iter(self._webhook_failures))]

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
            await self.bot.set_webhook(
                settings.telegram_webhook_url, secret_token=secret, allowed_updates=list(adapter.ALLOWED_UPDATES)
            )
            await keep_beating(lambda: self.hooks.beat(adapter.CHANNEL))  # serve until cancelled
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
            Update.de_json(payload, self.channel.bot)  # rejects what is not an update
        except (ValueError, TypeError, KeyError):
            self.set_status(400)
            return
        self.set_status(200 if await self.channel.handle_posted(payload) else 500)


def _sender_address(payload: dict[str, Any], bot_username: str) -> Address | None:
    """Where to answer the sender of an update, when it can be told."""
    try:
        translated = adapter.to_inbound(payload, bot_username=bot_username)
    except Exception:  # noqa: BLE001 - a malformed update has no address to answer
        return None
    if isinstance(translated, adapter.Pressed):
        return translated.inbound.address
    if isinstance(translated, (Inbound, adapter.GroupCall)):
        return translated.address
    return None
