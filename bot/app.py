"""The composition root: builds the database, the engine, the service and the channels from
Settings, and runs them. Nothing else in the code base creates long-lived objects."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import Engine
from sqlmodel import Session

from adapters.base import Sender
from bot.channels.protocol import Channel, ChannelHooks, NoChannelConfigured
from bot.config import Settings
from bot.inbound.detection import LanguageDetector
from bot.inbound.flood import FloodGate, Verdict
from bot.inbound.ordering import InOrder
from bot.inbound.service import ConversationService, Handled
from bot.operations.reach import JoinLinks
from bot.outbound.delivery import DEFAULT_CONCURRENCY, DeliveryWorker
from bot.outbound.notices import Notices
from bot.outbound.quiet import QuietHours
from bot.outbound.ratelimit import Limits
from bot.outbound.webhook_sender import WEBHOOK_ATTEMPTS, WEBHOOK_BACKOFF, WEBHOOK_LIMITS, Target, WebhookSender
from bot.operations.team_routing import Routing
from bot.runtime.blocking import Blocking
from bot.runtime.election import LEASE_TTL, STANDBY_RETRY, Election, Leadership
from bot.runtime.health import Liveness
from bot.runtime.logs import handling_event
from bot.runtime.metrics import Metrics
from bot.runtime.schema_wait import wait_for_schema
from bot.runtime.single_process import sole_runner
from bot.scheduling.scheduler import Scheduler
from conversations.context import FlowSettings
from conversations.engine import FlowEngine
from conversations.flows import all_steps
from conversations.i18n import Catalogs, load_catalogs
from conversations.moderation import load_abusive_terms
from conversations.messages import Address, Inbound, Outbound
from storage import leases, webhooks
from storage.db import create_db_engine, ensure_schema

log = logging.getLogger(__name__)

# What each channel can carry besides text; the engine adapts its questions to it.
CAPABILITIES = {
    "console": frozenset[str](),
    "telegram": frozenset({"buttons", "photo", "location"}),
    "slack": frozenset({"buttons"}),
}


# A second poller waits this long before refusing: a killed poller's lease runs out by then.
REFUSE_AFTER = LEASE_TTL + STANDBY_RETRY


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class App:
    settings: Settings
    database: Engine
    catalogs: Catalogs
    service: ConversationService
    clock: Callable[[], datetime]
    blocking: Blocking
    notices: Notices
    scheduler: Scheduler
    metrics: Metrics  # /metrics (bot/runtime/metrics.py)
    liveness: Liveness  # the long-running loops' signs of life, for /healthz (bot/runtime/health.py)
    routing: Routing
    election: Election  # the leases this process holds or waits for (bot/runtime/election.py)

    def leaders(self) -> list[leases.Leader]:
        """Who leads each role now (blocking: run it on the database thread). Empty on SQLite."""
        return self.election.leaders()

    def channel_hooks(self) -> ChannelHooks:
        """What a channel may ask of the bot (bot/channels/protocol.py)."""
        service, blocking = self.service, self.blocking

        in_order = InOrder(service, self.database, blocking, self.clock)

        async def admitted(inbound: Inbound, verdict: Verdict) -> Handled:
            if verdict is Verdict.DROP:  # a flood: dropped here, without a turn on the database thread
                dropped = Handled(duplicate=False, dropped=True)
                service.count(inbound, dropped)
                return dropped
            with handling_event(inbound.event_id):  # the channel's own log lines about it too
                return await blocking(service.handle, inbound, verdict)

        async def on_inbound(inbound: Inbound) -> Handled:
            return await admitted(inbound, service.admit(inbound))

        async def on_inbound_in_order(inbound: Inbound, sequence: int) -> Handled:
            verdict = service.admit(inbound)
            if verdict is Verdict.DROP or self.database.dialect.name != "postgresql":
                return await admitted(inbound, verdict)  # SQLite: one process, handling in arrival order
            return await in_order.handle(inbound, sequence, verdict)

        async def say(address: Address, outbound: Outbound, event_id: str) -> bool:
            return await blocking(service.say, address, outbound, event_id=event_id)

        async def mark_unreachable(address: Address) -> None:
            await blocking(service.mark_unreachable, address)

        async def language_of(address: Address) -> str:
            return await blocking(service.language_of, address)

        def delivery_worker(sender: Sender, *, limits: Limits, concurrency: int = DEFAULT_CONCURRENCY) -> DeliveryWorker:
            return DeliveryWorker(
                self.database, sender, self.clock, blocking=blocking, limits=limits, concurrency=concurrency,
                metrics=self.metrics,
                beat=self.liveness.beater(f"delivery:{sender.channel}"),
                election=self.election,
            )  # fmt: skip

        return ChannelHooks(
            on_inbound=on_inbound,
            on_inbound_in_order=on_inbound_in_order,
            say=say,
            mark_unreachable=mark_unreachable,
            language_of=language_of,
            render=self.catalogs.render,
            default_language=self.settings.default_language,
            delivery_worker=delivery_worker,
            beat=self.liveness.beat,
            alone=lambda role: self.election.elected(
                role, stopping=asyncio.Event(), refuse_after=REFUSE_AFTER, recorded=False
            ),
        )

    def webhook_delivery(self) -> tuple[DeliveryWorker, WebhookSender]:
        """The delivery worker of partners' webhooks (outbox channel "webhook") and its sender,
        whose HTTP session the caller closes."""

        def target(hook_id: int) -> Target | None:
            with Session(self.database) as session:
                hook = webhooks.hook(session, hook_id=hook_id)
                return Target(hook.url, hook.secret) if hook else None

        async def find(hook_id: int) -> Target | None:
            return await self.blocking(target, hook_id)

        sender = WebhookSender(find, self.clock)
        worker = DeliveryWorker(
            self.database, sender, self.clock, blocking=self.blocking, limits=WEBHOOK_LIMITS,
            max_attempts=WEBHOOK_ATTEMPTS, base_backoff=WEBHOOK_BACKOFF, concurrency=8,
            metrics=self.metrics, beat=self.liveness.beater("delivery:webhook"), election=self.election,
        )  # fmt: skip
        return worker, sender

    def close(self) -> None:
        self.blocking.shutdown()
        self.database.dispose()


def leadership(metrics: Metrics, liveness: Liveness) -> Leadership:
    """What the election tells when this process starts or stops leading a role: the
    cocreate_leader gauge, and whether /healthz watches the role's loop."""

    def record(role: str, leading: bool) -> None:
        metrics.record_lead(role, leading)
        (liveness.watch if leading else liveness.rest)(role)

    return record


def build_app(
    settings: Settings, *, clock: Callable[[], datetime] = utc_now, schema: Callable[[Engine], None] = ensure_schema
) -> App:
    """The app over a ready database: `schema` readies it (creates it in an empty database,
    refuses an old one; serving waits for the upgrade instead: bot/runtime/schema_wait.py)."""
    database = create_db_engine(settings.database_url)
    try:
        schema(database)
    except BaseException:
        database.dispose()
        raise
    catalogs = load_catalogs()
    blocking = Blocking.for_database(database)
    metrics, liveness = Metrics.create(), Liveness()
    metrics.watch(database, clock)
    notices = Notices(catalogs, settings.default_language, QuietHours(settings.zone, settings.quiet_hours))
    routing = Routing(catalogs, settings.default_language, notices.quiet, settings.web_base_url)
    election = Election(database, record=leadership(metrics, liveness))
    scheduler = Scheduler(
        database, settings, notices, clock, blocking, routing,
        metrics=metrics, beat=liveness.beater("scheduler"), election=election,
    )  # fmt: skip
    flow_settings = FlowSettings(
        categories=settings.categories,
        followup_after=settings.followup_after,
        languages=settings.languages,
        default_language=settings.default_language,
        moderation=settings.moderation,
        abusive_terms=load_abusive_terms(),
        phone_region=settings.region,
        submissions_per_day=settings.submissions_per_day,
        retention_days=settings.retention_days,
        team_supporters=settings.team_supporters,
    )
    service = ConversationService(
        database=database,
        flows=FlowEngine(all_steps()),
        settings=flow_settings,
        catalogs=catalogs,
        clock=clock,
        zone=settings.zone,
        capabilities=CAPABILITIES,
        staff=settings.staff,
        notices=notices,
        routing=routing,
        detect=LanguageDetector(settings.detected_languages()),
        web_url=settings.web_url,
        flood=FloodGate(settings.flood_limit) if settings.flood_limit else None,
        metrics=metrics,
        join_links=JoinLinks(settings.web_url, settings.telegram_bot_username),
    )
    return App(settings, database, catalogs, service, clock, blocking, notices, scheduler, metrics, liveness, routing, election)


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
    with sole_runner(settings.database_url):
        app = build_app(settings, schema=wait_for_schema)
        try:
            asyncio.run(serve(app))
        except KeyboardInterrupt:
            pass
        finally:
            app.close()


async def serve(app: App) -> None:
    """Run the configured channels until SIGTERM or SIGINT, then stop receiving, let the
    messages in flight be recorded, and close."""
    from bot.web.server import listening_socket, start_console  # the staff console beside the channels (bot/web/)

    channels = _channels(app)
    web_socket = listening_socket(app.settings.web_host, app.settings.web_port)  # a port in use fails before anything starts
    try:
        for channel in channels:
            await channel.start()
    except BaseException:
        web_socket.close()
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    for name in configured_channels(app.settings):
        app.liveness.watch(name)  # each channel's receiving loop, from now on (/healthz)
    receiving = [asyncio.create_task(channel.receive()) for channel in channels]
    # Partners' webhooks are delivered beside the chat channels, by a worker of their own.
    webhook_worker, webhook_sender = app.webhook_delivery()
    workers = [*(channel.worker for channel in channels), webhook_worker]
    delivering = [asyncio.create_task(worker.run()) for worker in workers]

    def wake_delivery() -> None:
        for worker in workers:
            worker.wake.set()

    scheduling = asyncio.create_task(app.scheduler.run(wake_delivery=wake_delivery))
    stopped = asyncio.create_task(stop.wait())
    console = await start_console(app, sock=web_socket)
    log.info("serving %s", ", ".join(type(channel).__name__ for channel in channels))
    try:
        done, _ = await asyncio.wait(
            {*receiving, *delivering, scheduling, stopped, console.task}, return_when=asyncio.FIRST_COMPLETED
        )
        for task in done - {stopped}:
            task.result()  # a channel that failed (say, a bad webhook secret) says why
    finally:
        for task in receiving:
            task.cancel()
        for worker in workers:
            worker.stop()
        scheduling.cancel()
        await console.stop()
        await asyncio.gather(*receiving, *delivering, scheduling, return_exceptions=True)
        await webhook_sender.close()
        stopped.cancel()
        for channel in channels:
            await channel.stop()
        log.info("stopped")


def _channels(app: App) -> list[Channel]:
    # Imported here: `cocreate chat` and the staff commands need no channel library.
    channels: list[Channel] = []
    names = configured_channels(app.settings)
    hooks = app.channel_hooks()
    if "telegram" in names:
        from bot.channels.telegram_channel import TelegramChannel

        channels.append(TelegramChannel.build(app.settings, hooks))
    if "slack" in names:
        from bot.channels.slack_channel import SlackChannel

        channels.append(SlackChannel.build(app.settings, hooks))
    return channels
