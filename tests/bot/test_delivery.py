"""The delivery worker records every outcome a channel can give, so nothing is lost silently."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from adapters.base import Blocked, Failed, Queued, RetryAfter, SendResult, Sent, TemporaryError
from bot.app import App
from bot.outbound.delivery import DeliveryWorker
from conversations.messages import Address, Outbound
from storage import outbox
from storage.models import Citizen, OutboxMessage
from storage.citizens import citizen_for
from tests.conftest import Clock

pytestmark = pytest.mark.postgres
ADDRESS = Address("telegram", "900", "900")


@dataclass
class ScriptedChannel:
    """Answers each send with the next scripted result (then Sent), recording what it got."""

    script: list[SendResult | Exception] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    channel: str = "telegram"

    async def send(self, message: Queued) -> SendResult:
        self.received.append(message.outbound.text)
        result = self.script.pop(0) if self.script else Sent()
        if isinstance(result, Exception):
            raise result
        return result


def queue(app: App, *texts: str, kind: str = "reply") -> None:
    with Session(app.database) as session, session.begin():
        citizen = citizen_for(session, address=ADDRESS)
        replies = [Outbound(text, kind=kind) for text in texts]
        outbox.enqueue(session, address=ADDRESS, replies=replies, citizen_id=citizen.id, now=app.clock())


def rows(app: App) -> list[OutboxMessage]:
    with Session(app.database) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def drain(app: App, channel: ScriptedChannel) -> int:
    worker = DeliveryWorker(app.database, channel, app.clock, max_attempts=3)
    return asyncio.run(worker.drain())


def test_replies_are_sent_before_broadcasts_and_marked_sent(app: App) -> None:
    queue(app, "news for everyone", kind="broadcast")
    queue(app, "your answer")
    channel = ScriptedChannel()
    assert drain(app, channel) == 2
    assert channel.received == ["your answer", "news for everyone"]
    assert [r.status for r in rows(app)] == ["sent", "sent"]


def test_a_rate_limit_waits_exactly_as_long_as_asked(app: App, clock: Clock) -> None:
    queue(app, "hello")
    channel = ScriptedChannel([RetryAfter(7)])
    drain(app, channel)
    (row,) = rows(app)
    assert (row.status, row.next_attempt_at) == ("pending", clock.now + timedelta(seconds=7))
    clock.now += timedelta(seconds=6)
    assert drain(app, channel) == 0
    clock.now += timedelta(seconds=1)
    assert drain(app, channel) == 1
    assert rows(app)[0].status == "sent" and channel.received == ["hello", "hello"]


def test_network_errors_back_off_then_fail_visibly(app: App, clock: Clock) -> None:
    queue(app, "hello")
    channel = ScriptedChannel([TemporaryError("timed out"), ConnectionResetError("reset"), TemporaryError("502")])
    for _ in range(3):
        drain(app, channel)
        clock.now += timedelta(minutes=5)
    (row,) = rows(app)
    assert (row.status, row.attempts, row.last_error) == ("failed", 3, "502")


def test_a_refused_message_is_failed_with_its_error_and_the_rest_still_go(app: App) -> None:
    queue(app, "bad", "good")
    channel = ScriptedChannel([Failed("Bad Request: can't parse entities")])
    drain(app, channel)
    assert [(r.status, r.last_error) for r in rows(app)] == [
        ("failed", "Bad Request: can't parse entities"),
        ("sent", None),
    ]


def test_a_blocked_bot_stops_messaging_that_person(app: App) -> None:
    queue(app, "one", "two")
    channel = ScriptedChannel([Blocked("Forbidden: bot was blocked by the user")])
    drain(app, channel)
    assert channel.received == ["one"]
    assert [r.status for r in rows(app)] == ["blocked", "blocked"]
    with Session(app.database) as session:
        assert session.exec(select(Citizen)).one().unreachable


def test_a_fourth_broadcast_in_a_day_waits_until_the_oldest_is_a_day_old(app: App, clock: Clock) -> None:
    channel = ScriptedChannel()
    for n in range(3):
        queue(app, f"news {n}", kind="broadcast")
        drain(app, channel)
        clock.now += timedelta(hours=1)
    queue(app, "news 3", kind="broadcast")
    drain(app, channel)
    assert channel.received == ["news 0", "news 1", "news 2"]
    held = rows(app)[-1]
    first_sent = rows(app)[0].sent_at
    assert (held.status, held.attempts, held.next_attempt_at) == ("pending", 0, first_sent + timedelta(days=1))
    clock.now = first_sent + timedelta(days=1)
    drain(app, channel)
    assert channel.received[-1] == "news 3"
    # Replies are never held back by the cap.
    queue(app, "your answer")
    drain(app, channel)
    assert channel.received[-1] == "your answer"


def test_a_restarted_worker_takes_back_what_a_killed_one_left_in_flight(app: App) -> None:
    queue(app, "one", "two")
    with Session(app.database) as session, session.begin():
        outbox.claim(session, channel="telegram", now=app.clock(), limit=10)  # then the process died
    channel = ScriptedChannel()
    worker = DeliveryWorker(app.database, channel, app.clock)

    async def run_once() -> None:
        task = asyncio.create_task(worker.run())
        while len(channel.received) < 2:
            await asyncio.sleep(0)  # let the worker run; it sends without waiting on a clock
        worker.stop()
        await task

    asyncio.run(run_once())
    assert channel.received == ["one", "two"]
    assert [r.status for r in rows(app)] == ["sent", "sent"]


def test_stopping_mid_batch_puts_the_unsent_rows_back_and_returns(app: App) -> None:
    queue(app, *(f"news {n}" for n in range(5)), kind="broadcast")
    channel = ScriptedChannel()
    worker = DeliveryWorker(app.database, channel, app.clock, concurrency=1)

    class StopAfterFirst(ScriptedChannel):
        async def send(self, message):  # type: ignore[override]
            worker.stop()  # a SIGTERM arrives while the first message is on the wire
            return await channel.send(message)

    worker.sender = StopAfterFirst()
    assert asyncio.run(worker.drain()) == 1
    assert [r.status for r in rows(app)] == ["sent", "pending", "pending", "pending", "pending"]
    assert all(r.attempts == 0 for r in rows(app)[1:])  # held back, not tried


@dataclass
class ForgetWhileOnTheWire(ScriptedChannel):
    """While the first message is on the wire, the person is forgotten: their rows go, and
    the farewell is queued (on SQLite it may take the deleted row's id)."""

    app: App | None = None

    async def send(self, message: Queued) -> SendResult:
        if not self.received:
            assert self.app is not None
            with Session(self.app.database) as session, session.begin():
                session.delete(session.get(OutboxMessage, message.id))
                session.flush()
                outbox.enqueue(session, address=ADDRESS, replies=[Outbound("Done: I have forgotten you.", kind="farewell")],
                               citizen_id=None, now=self.app.clock())  # fmt: skip
        return await super().send(message)


def test_a_message_deleted_while_on_the_wire_does_not_mark_the_one_that_took_its_place(app: App) -> None:
    queue(app, "Shall I forget you?")
    channel = ForgetWhileOnTheWire(app=app)
    drain(app, channel)
    assert channel.received == ["Shall I forget you?", "Done: I have forgotten you."]
    assert rows(app) == []  # the farewell went, address and all, once delivered
