"""A bad day does not stop the bot: the Bot API answering 409, 401 or a page that is not
JSON, and a database that is locked, are each logged once, waited out with backoff, and
recovered from by themselves; nothing is lost.

The waits between tries go through an injected sleep that records them (and lets the other
tasks run), so the backoff is checked without waiting for it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
import sqlite3
from contextlib import asynccontextmanager, contextmanager
from typing import Any, AsyncIterator, Iterator

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.pool import Pool
from sqlmodel import Session, select

from adapters.base import Queued, Sent
from adapters.telegram import TelegramSender
from bot.app import App, build_app
from bot.scheduling import jobs
from bot.channels.telegram_channel import TelegramChannel
from bot.outbound.delivery import DeliveryWorker
from bot.outbound.ratelimit import UNLIMITED
from conversations.messages import Address, Outbound
from storage import outbox
from storage.citizens import citizen_for
from storage.models import OutboxMessage
from tests.bot.test_status_changes import ANA, report
from tests.bot.test_telegram_channel import ALICE, text_update
from tests.conftest import AppFactory, Clock
from tests.fakes.telegram_api import CONFLICT, UNAUTHORIZED, FakeTelegram, Page

pytestmark = pytest.mark.telegram


class RecordedWaits:
    """A sleep that returns at once (after letting other tasks run) and keeps what was asked."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0.01)  # hand the loop to the others; not a wait for a condition


@asynccontextmanager
async def serving(app: App, waits: RecordedWaits) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel.build(app.settings, app.channel_hooks(), limits=UNLIMITED)
    channel.poll_timeout = 1
    channel.sleep = waits
    channel.worker.poll_interval = 0.2
    channel.worker.sleep = waits
    await channel.start()
    polling = asyncio.create_task(channel.poll())
    delivering = asyncio.create_task(channel.worker.run())
    try:
        yield channel
        assert not polling.done() and not delivering.done()  # neither loop gave up
    finally:
        polling.cancel()
        channel.worker.stop()
        await asyncio.gather(polling, delivering, return_exceptions=True)
        await channel.stop()


def outage_lines(caplog: pytest.LogCaptureFixture, what: str) -> tuple[list[str], list[str]]:
    """The lines logged about an outage of `what`: (began, ended)."""
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith(what)]
    return [line for line in lines if " is failing " in line], [line for line in lines if " works again " in line]


@pytest.mark.parametrize(
    "answer, named",
    [(CONFLICT, "Conflict: terminated by other getUpdates request"), (UNAUTHORIZED, "InvalidToken"), (Page(), "Invalid server response")],
    ids=["409-another-poller", "401-mid-run", "200-not-json"],
)
def test_get_updates_failing_is_waited_out_and_logged_once(
    app: App, fake: FakeTelegram, caplog: pytest.LogCaptureFixture, answer: Any, named: str
) -> None:
    caplog.set_level(logging.INFO)
    waits = RecordedWaits()

    async def scenario() -> None:
        async with serving(app, waits):
            fake.fail_next("getUpdates", answer, times=5)
            fake.push(text_update("/start"))
            await asyncio.to_thread(fake.wait_for_messages, 1, ALICE)

    asyncio.run(scenario())
    assert fake.sent(ALICE)[0]["text"].startswith("Hello!")
    began, ended = outage_lines(caplog, "Telegram's getUpdates")
    assert len(began) == 1 and named in began[0]
    assert ended == ["Telegram's getUpdates works again after 5 failed tries"]
    # 1 s doubling, each drawn from the upper half of its ceiling (jitter).
    for number, wait in enumerate(waits.waits[:5]):
        assert 2**number / 2 <= wait <= 2**number
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert not any("TEST-token" in line for line in ours)  # the token is in the URL; never in our lines


def test_the_backoff_stops_growing_at_a_minute() -> None:
    from bot.runtime.outage import Outage

    waits = RecordedWaits()
    outage = Outage("something", logging.getLogger("test"), sleep=waits)

    async def fail(times: int) -> None:
        for _ in range(times):
            await outage.failed("OSError: down")

    asyncio.run(fail(12))
    assert max(waits.waits) <= 60 and min(waits.waits[7:]) >= 30


def test_a_send_answered_by_a_page_that_is_not_json_is_tried_again(app: App, fake: FakeTelegram, clock: Clock) -> None:
    address = Address("telegram", str(ALICE), str(ALICE))
    with Session(app.database) as session, session.begin():
        citizen = citizen_for(session, address=address)
        outbox.enqueue(session, address=address, replies=[Outbound("Hello!")], citizen_id=citizen.id, now=clock())
    fake.fail_next("sendMessage", Page())

    async def deliver() -> OutboxMessage:
        channel = TelegramChannel.build(app.settings, app.channel_hooks())
        async with channel.bot:  # python-telegram-bot's own Bot, against the fake
            worker = DeliveryWorker(app.database, TelegramSender(channel.bot), clock)
            await worker.drain()
            after_the_page = _row(app.database)
            clock.now = after_the_page.next_attempt_at  # the backoff has passed
            await worker.drain()
            return after_the_page

    after_the_page = asyncio.run(deliver())
    assert (after_the_page.status, after_the_page.attempts) == ("pending", 1)  # not failed, not lost
    assert after_the_page.last_error == "Invalid server response"
    assert _row(app.database).status == "sent" and [m["text"] for m in fake.sent(ALICE)] == ["Hello!"]


def _row(database: Engine) -> OutboxMessage:
    with Session(database, expire_on_commit=False) as session:
        return session.exec(select(OutboxMessage)).one()


# -- the database -----------------------------------------------------------------------


@contextmanager
def impatient(engine: Engine) -> Iterator[None]:
    """New connections give up on a lock after 0.1 s instead of 30 (the outage then shows at
    once); every engine made meanwhile too, such as the scheduler's job store."""

    def short_busy_timeout(dbapi_connection: Any, *_: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):  # not the PostgreSQL test pool's
            dbapi_connection.execute("PRAGMA busy_timeout=100")

    # At every checkout: after the engine's own connect listener has set its 30 s.
    event.listen(Pool, "checkout", short_busy_timeout)
    engine.dispose()
    try:
        yield
    finally:
        event.remove(Pool, "checkout", short_busy_timeout)


@contextmanager
def locked(sqlite_url: str) -> Iterator[sqlite3.Connection]:
    """Another process holds the database's write lock until the block ends (BEGIN EXCLUSIVE)."""
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield holder
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.02)  # polling for a condition, bounded by the test's timeout


def test_a_locked_database_holds_updates_and_delivery_until_it_is_free(
    app: App, fake: FakeTelegram, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    waits = RecordedWaits()

    async def scenario() -> None:
        with impatient(app.database):
            async with serving(app, waits):
                with locked(sqlite_url):
                    fake.push(text_update("/start"))
                    await asyncio.wait_for(until(lambda: len(waits.waits) >= 6), 30)
                    assert fake.sent(ALICE) == []
                await asyncio.wait_for(asyncio.to_thread(fake.wait_for_messages, 1, ALICE), 30)

    asyncio.run(scenario())
    assert len(fake.sent(ALICE)) == 1 and fake.sent(ALICE)[0]["text"].startswith("Hello!")
    for what in ("the database (Telegram updates)", "the database (delivery on telegram)"):
        began, ended = outage_lines(caplog, what)
        assert len(began) <= 1 and len(ended) == len(began), (what, began, ended)
        assert all("database is locked" in line for line in began)
    assert outage_lines(caplog, "the database (Telegram updates)")[0]  # the update did meet the outage


def test_the_follow_up_claim_waits_out_a_locked_database_and_then_sends(
    app_factory: AppFactory, sqlite_url: str, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    app = app_factory(clock=clock)
    report(app, ANA, "Broken swing in Elm Park playground")
    clock.now += timedelta(days=3)  # the first follow-up is due
    context = app.scheduler.job_context()
    with impatient(app.database):
        with locked(sqlite_url):
            tries = [asyncio.run(jobs.follow_ups(context)) for _ in range(3)]  # the job's runs meanwhile
        assert tries == [0, 0, 0]
        assert asyncio.run(jobs.follow_ups(context)) == 1  # the database is free: it goes out, once
        assert asyncio.run(jobs.follow_ups(context)) == 0
    began, ended = outage_lines(caplog, "the database (scheduler)")
    assert len(began) == 1 and "database is locked" in began[0]
    assert len(ended) == 1


def test_delivery_waits_out_postgresql_refusing_connections(postgresql_url: str, clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    """The database restarting: connections are cut and new ones refused for a while."""
    from sqlalchemy import text

    from bot.config import Settings
    from storage.db import create_db_engine

    caplog.set_level(logging.INFO)
    app = build_app(Settings(_env_file=None, database_url=postgresql_url), clock=clock)
    address = Address("telegram", str(ALICE), str(ALICE))
    with Session(app.database) as session, session.begin():
        citizen = citizen_for(session, address=address)
        outbox.enqueue(session, address=address, replies=[Outbound("one"), Outbound("two")], citizen_id=citizen.id, now=clock())
    name = app.database.url.database
    admin = create_db_engine(app.database.url.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    waits = RecordedWaits()
    sent: list[str] = []

    class Recorder:
        channel = "telegram"

        async def send(self, message: Queued) -> Sent:
            sent.append(message.outbound.text)
            return Sent()

    def restarting(allow: bool) -> None:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}'))
            if not allow:
                connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name})

    async def scenario() -> None:
        worker = DeliveryWorker(app.database, Recorder(), clock, sleep=waits, blocking=app.blocking)
        restarting(False)
        task = asyncio.create_task(worker.run())
        await asyncio.wait_for(until(lambda: len(waits.waits) >= 3), 30)
        assert not task.done() and sent == []
        restarting(True)
        await asyncio.wait_for(until(lambda: len(sent) >= 2), 30)
        worker.stop()
        await task

    try:
        asyncio.run(scenario())
    finally:
        restarting(True)
        admin.dispose()
        app.close()
    assert sent == ["one", "two"]
    began, ended = outage_lines(caplog, "the database (delivery on telegram)")
    assert len(began) == 1 and len(ended) == 1


def test_cocreate_run_lives_through_pages_that_are_not_json_and_says_so_once(
    tmp_path: Any, sqlite_url: str, fake: FakeTelegram
) -> None:
    import signal

    from tests.bot.test_run_process import start

    fake.fail_next("getUpdates", Page(), times=2)  # the process really waits its backoff: 1-3 s
    process = start(tmp_path, sqlite_url, fake)
    try:
        fake.push(text_update("/start"))
        fake.wait_for_messages(1, ALICE, timeout=60)
        assert process.poll() is None  # still serving
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert err.count("is failing") == 1 and "Invalid server response" in err
    assert err.count("works again after 2 failed tries") == 1
    assert "Traceback" not in err and "<html>" not in err
