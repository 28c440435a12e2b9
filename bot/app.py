"""The composition root: builds the database, the engine, the service and the channels from
Settings, and runs them. Nothing else in the code base creates long-lived objects."""

from __future__ import annotations

import asyncio
import logging
import signal
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, TextIO

from sqlalchemy import Engine as Database

from adapters import console
from bot.blocking import Blocking
from bot.config import Settings
from bot.delivery import DeliveryWorker
from bot.language import LanguageDetector
from bot.notices import Notices
from bot.quiet import QuietHours
from bot.scheduler import Scheduler
from bot.service import ConversationService
from conversations.context import FlowSettings
from conversations.engine import Engine
from conversations.flows import all_steps
from conversations.i18n import Catalogs, T, load_catalogs
from conversations.messages import Address
from storage.db import create_db_engine, ensure_schema

log = logging.getLogger(__name__)

# What each channel can carry besides text; the engine adapts its questions to it.
CAPABILITIES = {
    "console": frozenset[str](),
    "telegram": frozenset({"buttons", "photo", "location"}),
    "slack": frozenset({"buttons"}),
}


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ChannelError(RuntimeError):
    """A channel cannot start; the message names the variable to fix."""


class NoChannelConfigured(ChannelError):
    pass


@dataclass(frozen=True)
class App:
    settings: Settings
    database: Database
    catalogs: Catalogs
    service: ConversationService
    clock: Callable[[], datetime]
    blocking: Blocking
    notices: Notices
    scheduler: Scheduler

    def close(self) -> None:
        self.blocking.shutdown()
        self.database.dispose()


def build_app(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> App:
    database = create_db_engine(settings.database_url)
    ensure_schema(database)
    catalogs = load_catalogs()
    blocking = Blocking.for_database(database)
    notices = Notices(catalogs, settings.default_language, QuietHours(settings.zone, settings.quiet_hours))
    scheduler = Scheduler(database, settings, notices, clock, blocking)
    flow_settings = FlowSettings(
        categories=settings.categories,
        followup_after=settings.followup_after,
        languages=settings.languages,
        default_language=settings.default_language,
    )
    service = ConversationService(
        database=database,
        flows=Engine(all_steps()),
        settings=flow_settings,
        catalogs=catalogs,
        clock=clock,
        zone=settings.zone,
        capabilities=CAPABILITIES,
        staff=settings.staff,
        notices=notices,
        on_follow_ups=scheduler.arm,
        detect=LanguageDetector(),
    )
    return App(settings, database, catalogs, service, clock, blocking, notices, scheduler)


def bye_text(app: App, address: Address) -> str:
    return app.catalogs.render(app.service.language_of(address), T("console.bye"))


async def chat(app: App, *, name: str, stdin: TextIO, stdout: TextIO) -> None:
    """Talk to the bot in the terminal until end of input. Replies go through the outbox."""

    def write(text: str) -> None:
        stdout.write(text)
        stdout.flush()

    address = console.address_for(name)
    worker = DeliveryWorker(app.database, console.ConsoleSender(write), app.clock, blocking=app.blocking)
    interactive = stdin.isatty()

    async def say(line: str) -> None:
        inbound = console.to_inbound(line, address=address, event_id=uuid.uuid4().hex)
        await app.blocking(app.service.handle, inbound)
        await worker.drain(chat_id=address.chat_id)

    # Replies committed but not printed before an earlier exit come first, then the
    # greeting: the welcome for someone new, or "welcome back" where they left off.
    await worker.drain(chat_id=address.chat_id)
    await say("/start")
    lines = await console.read_lines(stdin)
    while True:
        if interactive:
            write("> ")
        line = await lines.get()
        if line is None:
            break
        if not interactive:
            write(f"> {line.rstrip()}\n")  # piped input: show what was said, so the output reads as a transcript
        await say(line)
    write("\n" + bye_text(app, address) + "\n")


def configured_channels(settings: Settings) -> list[str]:
    channels = []
    if settings.telegram_bot_token:
        channels.append("telegram")
    if settings.slack_bot_token and (settings.slack_signing_secret or settings.slack_app_token):
        channels.append("slack")
    return channels


NO_CHANNEL = (
    "No channel is configured, so there is nothing to serve.\n"
    "  Telegram: set TELEGRAM_BOT_TOKEN (from @BotFather).\n"
    "  Slack:    set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP mode), plus SLACK_APP_TOKEN for Socket Mode.\n"
    "Set them in the environment or in a .env file (see .env.example).\n"
    "To talk to the bot in this terminal without any token, run: cocreate chat"
)


def run(settings: Settings) -> None:
    """Serve every configured channel until interrupted (Ctrl-C or SIGTERM)."""
    if not configured_channels(settings):
        raise NoChannelConfigured(NO_CHANNEL)
    app = build_app(settings)
    try:
        asyncio.run(serve(app))
    except KeyboardInterrupt:
        pass
    finally:
        app.close()


async def serve(app: App) -> None:
    """Run the configured channels until SIGTERM or SIGINT, then stop receiving, let the
    messages in flight be recorded, and close."""
    channels = _channels(app)
    for channel in channels:
        await channel.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    receiving = [asyncio.create_task(channel.receive()) for channel in channels]
    delivering = [asyncio.create_task(channel.worker.run()) for channel in channels]

    def wake_delivery() -> None:
        for channel in channels:
            channel.worker.wake.set()

    scheduling = asyncio.create_task(app.scheduler.run(wake_delivery=wake_delivery))
    stopped = asyncio.create_task(stop.wait())
    log.info("serving %s", ", ".join(type(channel).__name__ for channel in channels))
    try:
        done, _ = await asyncio.wait(
            {*receiving, *delivering, scheduling, stopped}, return_when=asyncio.FIRST_COMPLETED
        )
        for task in done - {stopped}:
            task.result()  # a channel that failed (say, a bad webhook secret) says why
    finally:
        for task in receiving:
            task.cancel()
        for channel in channels:
            channel.worker.stop()
        scheduling.cancel()
        await asyncio.gather(*receiving, *delivering, scheduling, return_exceptions=True)
        stopped.cancel()
        for channel in channels:
            await channel.stop()
        log.info("stopped")


def _channels(app: App) -> list[Any]:
    # Imported here: `cocreate chat` and the staff commands need no channel library.
    channels: list[Any] = []
    names = configured_channels(app.settings)
    if "telegram" in names:
        from bot.telegram_channel import TelegramChannel

        channels.append(TelegramChannel.build(app))
    if "slack" in names:
        from bot.slack_channel import SlackChannel

        channels.append(SlackChannel.build(app))
    return channels
