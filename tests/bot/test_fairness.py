"""One person cannot hold everyone up: a chat's backlog, which the per-chat rate limit drains
at about a message a second, never delays another chat's reply by more than a moment.

The rate limits run on a clock the test moves (as in test_ratelimit.py), so the waits are
real waits of the worker, measured without sleeping."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from sqlmodel import Session

from adapters.base import Queued, SendResult, Sent
from bot.app import App
from bot.outbound.delivery import DeliveryWorker
from bot.outbound.ratelimit import TELEGRAM
from conversations.messages import Address, Outbound
from storage import outbox
from storage.citizens import citizen_for

pytestmark = pytest.mark.postgres
BACKLOG = Address("telegram", "100", "100")  # someone who sent hundreds of unanswerable messages
OTHER = Address("telegram", "200", "200")  # someone who just asked for /help


class FakeTime:
    """A monotonic clock that moves only when the worker sleeps (after letting others run)."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        start = self.now
        await asyncio.sleep(0)
        self.now = max(self.now, start + seconds)


@dataclass
class Recorder:
    time: FakeTime
    sent: list[tuple[str, str, float]] = field(default_factory=list)  # chat, text, when
    channel: str = "telegram"

    async def send(self, message: Queued) -> SendResult:
        self.sent.append((message.address.chat_id, message.outbound.text, self.time.now))
        return Sent()


def queue(app: App, address: Address, texts: list[str], kind: str = "reply") -> None:
    with Session(app.database) as session, session.begin():
        citizen = citizen_for(session, address=address)
        replies = [Outbound(text, kind=kind) for text in texts]
        outbox.enqueue(session, address=address, replies=replies, citizen_id=citizen.id, now=app.clock())


def deliver(app: App) -> Recorder:
    """Drain everything with Telegram's real limits on the fake clock."""
    time = FakeTime()
    recorder = Recorder(time)
    worker = DeliveryWorker(app.database, recorder, app.clock, limits=TELEGRAM, monotonic=time.clock, sleep=time.sleep)
    asyncio.run(worker.drain())
    return recorder


def test_a_backlog_in_one_chat_does_not_delay_another_chats_reply(app: App) -> None:
    backlog = [f"Sorry, I did not understand ({n})" for n in range(200)]
    queue(app, BACKLOG, backlog)  # queued first: oldest
    queue(app, OTHER, ["I help you take part"])
    sent = deliver(app).sent

    other = [(index, when) for index, (chat, _, when) in enumerate(sent) if chat == OTHER.chat_id]
    (position, when), = other
    assert position <= 1 and when < 1.0  # in the first round, not after 200 seconds
    # The backlog still goes, all of it, in order: a short burst, then at the per-chat rate
    # (about 1 a second): the n-th message no sooner than (n - burst) seconds' worth of tokens.
    backlog_sent = [(text, when) for chat, text, when in sent if chat == BACKLOG.chat_id]
    assert [text for text, _ in backlog_sent] == backlog
    burst = TELEGRAM.chat_burst
    assert all(when >= (n + 1 - burst) / TELEGRAM.per_chat - 1e-6 for n, (_, when) in enumerate(backlog_sent))
    assert backlog_sent[-1][1] >= (len(backlog) - burst) / TELEGRAM.per_chat - 1e-6  # ~190 s, not sooner


def test_replies_still_go_before_notifications_before_broadcasts(app: App) -> None:
    queue(app, Address("telegram", "300", "300"), ["news 0", "news 1", "news 2"], kind="broadcast")  # the daily cap is 3
    queue(app, OTHER, ["An update on P-1"], kind="notification")
    queue(app, BACKLOG, ["your answer"])
    sent = deliver(app).sent
    assert [text for _, text, _ in sent[:3]] == ["your answer", "An update on P-1", "news 0"]
    assert [text for _, text, _ in sent[3:]] == ["news 1", "news 2"]


def test_a_claim_takes_only_each_chats_first_rows(app: App) -> None:
    queue(app, BACKLOG, [f"backlog {n}" for n in range(10)])
    queue(app, OTHER, ["one", "two"])
    with Session(app.database, expire_on_commit=False) as session, session.begin():
        rows = outbox.claim(session, channel="telegram", now=app.clock(), limit=50, per_chat=1)
    assert [(row.chat_id, row.text) for row in rows] == [("100", "backlog 0"), ("200", "one")]
