"""Leases on PostgreSQL (bot/runtime/election.py): one leader per role, a standby that takes
over when the leader's lease runs out, a leader that stops at once when it cannot renew
(cut off from the database by a link the test cuts), its late outcomes fenced off, a clean
stop that hands over at once, a second poller refused, and a newer update waiting for an
older one. Short leases, so the tests take a second or two; a three-process kill -9 is in
test_replicas.py."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timezone
from typing import Callable, Iterator

import pytest
from sqlalchemy import Engine, make_url, text
from sqlmodel import Session, col, select

from bot.app import App
from bot.channels.protocol import ChannelError
from bot.channels.telegram_channel import TelegramChannel
from adapters.base import Queued, Sent
from bot.inbound.flood import Verdict
from bot.outbound.delivery import DEFAULT_CONCURRENCY, DeliveryWorker
from bot.inbound.ordering import InOrder
from bot.runtime.election import Election, HeldElsewhere, LeadershipLost, Term
from conversations.messages import Address, Inbound, Outbound
from storage import outbox, update_order
from storage.db import create_db_engine
from storage.models import OutboxMessage
from tests.bot.test_replicas import pipe
from tests.conftest import AppFactory
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.postgres
ROLE = "delivery:telegram"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def postgres(database_url: str) -> Iterator[Engine]:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one serving process: no leases")
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


def quick(database: Engine) -> Election:
    return Election(database, ttl=1.0, renew_every=0.2, standby_retry=0.05)


async def lead_until_cancelled(election: Election, role: str, led: asyncio.Queue[Term]) -> None:
    async with election.elected(role, stopping=asyncio.Event()) as term:
        await led.put(term)
        await asyncio.Event().wait()


def test_a_standby_takes_over_and_the_old_leader_stops_at_its_next_renewal(postgres: Engine) -> None:
    database = postgres
    first, second = quick(database), quick(database)

    async def scenario() -> None:
        led: asyncio.Queue[Term] = asyncio.Queue()
        leading = asyncio.create_task(lead_until_cancelled(first, ROLE, led))
        old = await led.get()
        standby = asyncio.create_task(lead_until_cancelled(second, ROLE, led))
        # The leader stalls (its lease runs out without a renewal): the standby takes it.
        with Session(database) as session, session.begin():
            session.execute(text("UPDATE lease SET expires_at = now() - interval '1 second'"))
        new = await asyncio.wait_for(led.get(), timeout=5)
        assert (new.holder, new.epoch) == (second.holder, old.epoch + 1)
        with pytest.raises(LeadershipLost):
            await asyncio.wait_for(leading, timeout=5)  # its renewal failed: the block was cancelled
        assert not old.held() and new.held()
        assert [(leader.role, leader.holder, leader.live) for leader in second.leaders()] == [(ROLE, second.holder, True)]
        standby.cancel()

    asyncio.run(scenario())


def test_a_clean_stop_hands_over_at_once_and_a_second_poller_is_refused(postgres: Engine) -> None:
    first, second = quick(postgres), quick(postgres)

    async def scenario() -> None:
        async with first.elected("telegram-poller", stopping=asyncio.Event()):
            with pytest.raises(HeldElsewhere) as refused:
                async with second.elected("telegram-poller", stopping=asyncio.Event(), refuse_after=0.2):
                    pass
            assert refused.value.holder == first.holder
        async with second.elected("telegram-poller", stopping=asyncio.Event(), refuse_after=0.2) as term:
            assert term.holder == second.holder  # the first gave it up as it stopped

    asyncio.run(scenario())


def test_an_outcome_from_an_earlier_leader_does_not_change_a_row_a_new_leader_took_back(database: Engine) -> None:
    address = Address("telegram", "5", "5")
    with Session(database, expire_on_commit=False) as session, session.begin():
        outbox.enqueue(session, address=address, replies=[Outbound("Your report P-1 is saved")], citizen_id=None, now=NOW)
        (row,) = outbox.claim(session, channel="telegram", now=NOW, limit=10, by="old#1")
    with Session(database) as session, session.begin():
        assert outbox.reclaim(session, channel="telegram", by="new#2") == 1
        outbox.claim(session, channel="telegram", now=NOW, limit=10, by="new#2")
    with Session(database) as session, session.begin():
        outbox.mark_sent(session, messages=[(row.id, "reply")], now=NOW, by="old#1")  # the stale leader, late
        assert outbox.reclaim(session, channel="telegram", by="new#2") == 0  # its own rows stay claimed
    with Session(database) as session:
        assert session.get(OutboxMessage, row.id).status == "sending"  # still the new leader's to send


def test_a_newer_update_waits_for_an_older_one_another_replica_is_handling(app: App) -> None:
    if app.database.dialect.name != "postgresql":
        pytest.skip("SQLite has one serving process, handling updates in arrival order")
    in_order = InOrder(app.service, app.database, app.blocking, app.clock, arrival_window=0)
    person = Address("telegram", "41", "41")
    older, newer = Inbound(person, "1001", text="/start"), Inbound(person, "1002", text="/help")

    async def scenario() -> None:
        # Another replica got update 1001 a moment earlier and is still handling it.
        with Session(app.database) as session, session.begin():
            update_order.arrived(session, channel="telegram", sender="41", sequence=1001, now=app.clock())
        waiting = asyncio.create_task(in_order.handle(newer, 1002, Verdict.HANDLE))
        await in_order.handle(older, 1001, Verdict.HANDLE)
        await waiting

    asyncio.run(scenario())
    with Session(app.database) as session:
        texts = list(session.exec(select(OutboxMessage.text).order_by(col(OutboxMessage.id))))
    assert texts[0].startswith("Hello!") and texts[-1].startswith("I help you"), texts


def test_a_second_telegram_poller_on_the_database_refuses_to_start_naming_the_first(
    app_factory: AppFactory, fake: FakeTelegram
) -> None:
    first, second = app_factory(**fake.settings()), app_factory(**fake.settings())
    if first.database.dialect.name != "postgresql":
        pytest.skip("SQLite's lock file keeps a second `cocreate run` from starting at all")

    async def scenario() -> str:
        polling = TelegramChannel.build(first.settings, first.channel_hooks())
        late = TelegramChannel.build(second.settings, second.channel_hooks())
        await polling.start()
        await late.start()
        serving = asyncio.create_task(polling.poll())
        await asyncio.to_thread(fake.wait_until, lambda f: bool(f.calls_of("getUpdates")))
        try:
            with pytest.raises(ChannelError) as refused:
                await late.poll()  # waits out the time a killed poller's lease would take to run out
            return str(refused.value)
        finally:
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
            await polling.stop()
            await late.stop()

    message = asyncio.run(scenario())
    assert message.startswith(f"Another `cocreate run` ({first.election.holder}) is already polling Telegram")
    assert "TELEGRAM_WEBHOOK_URL" in message


class Link:
    """A TCP link to PostgreSQL that the test can cut and mend (the leader's network)."""

    def __init__(self, port: int) -> None:
        self.target, self.port, self.open = port, 0, True
        self._writers: list[asyncio.StreamWriter] = []
        self._ready = threading.Event()

    def start(self) -> Link:
        threading.Thread(target=lambda: asyncio.run(self._serve()), name="link", daemon=True).start()
        self._ready.wait()
        return self

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        server = await asyncio.start_server(self._connect, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await server.serve_forever()

    async def _connect(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        if not self.open:
            client_out.close()
            return
        upstream_in, upstream_out = await asyncio.open_connection("127.0.0.1", self.target)
        self._writers += [client_out, upstream_out]
        await asyncio.gather(pipe(client_in, upstream_out), pipe(upstream_in, client_out))

    def cut(self) -> None:
        def close_all() -> None:
            self.open = False
            for writer in self._writers:
                writer.close()
            self._writers.clear()

        self._loop.call_soon_threadsafe(close_all)

    def mend(self) -> None:
        self.open = True


class Recorder:
    """A sender that takes a few milliseconds per message, as a network would."""

    channel = "telegram"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, message: Queued) -> Sent:
        await asyncio.sleep(0.005)
        self.sent.append(message.address.chat_id)
        return Sent()


def test_a_leader_cut_off_from_the_database_stops_and_its_late_outcomes_change_nothing(
    postgres: Engine, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    people = [str(9000 + n) for n in range(300)]
    with Session(postgres) as session, session.begin():
        for chat in people:
            outbox.enqueue(session, address=Address("telegram", chat, chat), replies=[Outbound("News")], citizen_id=None, now=NOW)
    link = Link(make_url(database_url).port or 5432).start()
    through_link = make_url(database_url).set(host="127.0.0.1", port=link.port).render_as_string(hide_password=False)
    cut_off = create_db_engine(through_link)
    first, second = Recorder(), Recorder()

    def worker(database: Engine, sender: Recorder) -> DeliveryWorker:
        # Tries again after an outage within 50 ms (its backoff would wait seconds).
        quickly = lambda seconds: asyncio.sleep(min(seconds, 0.05))  # noqa: E731
        # A 3 s lease, not quick()'s 1 s: in a loaded parallel run a renewal 0.8 s late ended
        # the new leader's term, and the test is about the cut-off leader.
        election = Election(database, ttl=3.0, renew_every=0.3, standby_retry=0.05)
        return DeliveryWorker(database, sender, lambda: NOW, poll_interval=0.05, election=election, sleep=quickly)

    def outage() -> list[str]:  # only the cut-off leader's database fails
        return [r.getMessage() for r in caplog.records if r.getMessage().startswith("the database (delivery")]

    async def until(condition: Callable[[], bool]) -> None:
        while not condition():
            await asyncio.sleep(0.01)

    async def scenario() -> int:
        leader, standby = worker(cut_off, first), worker(postgres, second)
        leading = asyncio.create_task(leader.run())
        await asyncio.wait_for(until(lambda: len(first.sent) >= 30), 30)
        waiting = asyncio.create_task(standby.run())
        link.cut()
        at_cut = len(first.sent)
        await asyncio.wait_for(until(lambda: len(set(first.sent) | set(second.sent)) == len(people)), 60)
        link.mend()  # the old leader's outcomes can be written now: they must change nothing
        after_mend = len(first.sent)
        # The outcomes it could not write are written once the database is back.
        await asyncio.wait_for(until(lambda: not outage() or "works again" in outage()[-1]), 30)
        for running, task in ((leader, leading), (standby, waiting)):
            running.stop()
            await asyncio.wait_for(task, 30)
        assert len(first.sent) == after_mend  # a standby again: it sent nothing more
        return len(first.sent) - at_cut

    after_cut = asyncio.run(scenario())
    cut_off.dispose()
    twice = set(first.sent) & set(second.sent)
    assert after_cut <= DEFAULT_CONCURRENCY and len(twice) <= after_cut + DEFAULT_CONCURRENCY, (after_cut, len(twice))
    with Session(postgres) as session:
        statuses = set(session.exec(select(OutboxMessage.status)))
    assert statuses == {"sent"}
