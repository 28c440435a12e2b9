"""The delivery worker: the one way messages leave the bot.

It claims due outbox rows for one channel in rounds (best priority first, and only a
chat's first message or so per round, so that one chat's backlog never holds up another's
reply), hands each to the channel's sender, and records the outcome: sent, retried later
(429 retry-after, network errors with exponential backoff and jitter), failed with its
error, or blocked (the person blocked the bot; they get nothing more until they write again).
While serving, an outage of the database is waited out: logged once, tried again with
backoff, and nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from sqlalchemy import Engine
from sqlmodel import Session

from adapters.base import Blocked, Queued, RetryAfter, Sender, SendResult, Sent, TemporaryError
from conversations.messages import Address, Choice, Document, Outbound
from bot.runtime.election import Election, LeadershipLost, Term
from bot.runtime.metrics import Metrics
from bot.runtime.outage import Outage, is_database_outage
from bot.outbound.ratelimit import UNLIMITED, Limits, RateLimiter
from storage import broadcasts, outbox
from storage.models import OutboxMessage

log = logging.getLogger(__name__)
DAY = timedelta(days=1)


def _queued(row: OutboxMessage) -> Queued:
    assert row.id is not None
    address = Address(row.channel, row.chat_id, row.user_id, row.thread_id)
    choices = tuple(Choice.from_json(c) for c in row.choices)
    document = Document(row.document_name, row.document) if row.document_name and row.document is not None else None
    outbound = Outbound(row.text, choices, row.kind, document)
    return Queued(row.id, address, outbound, row.attempts, row.citizen_id, queued_at=row.created_at)

DEFAULT_CONCURRENCY = 16  # sends in flight at once


@dataclass
class DeliveryWorker:
    database: Engine
    sender: Sender
    clock: Callable[[], datetime]
    batch_size: int = 200  # at most; the channel's limits may make it smaller (Limits.batch)
    max_attempts: int = 6
    base_backoff: float = 1.0
    poll_interval: float = 1.0
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    concurrency: int = DEFAULT_CONCURRENCY
    # How database work is run off the event loop (bot/blocking.py); tests may keep the default.
    blocking: Callable[..., Awaitable[Any]] = asyncio.to_thread
    limits: Limits = UNLIMITED
    daily_broadcast_cap: int = 3  # broadcasts a person gets in 24 hours; more wait their turn
    # The rate limits' clock and sleep, and the sleep between tries in an outage (tests move time by hand).
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    # What /metrics and /healthz see of it (bot/runtime/): sends by outcome, leading, signs of life.
    metrics: Metrics = field(default_factory=Metrics.create)
    beat: Callable[[], None] = lambda: None
    # Who leads this channel's delivery across processes (bot/app.py shares one per process).
    election: Election | None = None

    def __post_init__(self) -> None:
        if self.election is None:
            self.election = Election(self.database)
        # The term this worker delivers in: its token is on every row it claims. Before it
        # is elected (drain() called directly, the terminal chat) a term of its own.
        self._term = Term(f"delivery:{self.sender.channel}", self.election.holder, 0, valid_until=float("inf"))
        self._slots = asyncio.Semaphore(self.concurrency)
        self._limiter = RateLimiter(self.limits, clock=self.monotonic, sleep=self.sleep)
        if self.limits.overall:
            self.batch_size = min(self.batch_size, self.limits.batch())
        # Set while run() serves: database work then waits out an outage. drain() called
        # directly (the terminal chat) fails at once instead, so the person sees why.
        self._outage: Outage | None = None
        # Outcomes not yet written, the future their transaction resolves, and the task
        # writing them (see _recorded).
        # Each outcome with the token of the term that claimed its row.
        self._outcomes: list[tuple[Queued, SendResult, str]] = []
        self._written: asyncio.Future[None] | None = None
        self._recording: asyncio.Future[None] | None = None

    async def drain(self, *, chat_id: str | None = None) -> int:
        """Send everything due now (for one chat, or the whole channel); returns how many were handled.

        Chats are served side by side (up to `concurrency` sends at once); within a chat,
        messages go strictly one after another, in the order they were queued. Each round
        takes only as many of a chat's messages as its rate limit lets go at once, and at
        most about four seconds of sending (Limits.batch); a new reply interrupts a round of
        broadcasts and notifications, so it waits for no more than the replies ahead of it."""
        handled = 0
        while not self.stopping.is_set():
            self.beat()  # a round takes seconds, a backlog of broadcasts many rounds
            self.wake.clear()  # set again when a reply is committed: it then interrupts broadcasts
            if not self._term.held():  # a leader whose lease ran out claims nothing more
                raise LeadershipLost(f"the lease on delivery:{self.sender.channel} ran out")
            batch = await self._in_database(self._claim, chat_id)
            if not batch:
                return handled
            held = await self._in_database(self._hold_over_cap, batch)
            handled += len(held)
            by_chat: dict[str, list[Queued]] = defaultdict(list)
            for message in batch:
                if message.id not in held:
                    by_chat[message.address.chat_id].append(message)
            outcomes = await asyncio.gather(*(self._send_in_order(messages) for messages in by_chat.values()))
            if not self._term.held():  # the next leader takes this round's unsent rows back
                raise LeadershipLost(f"the lease on delivery:{self.sender.channel} ran out")
            # What was not sent goes back to pending in one statement: an interrupted round
            # may leave a hundred rows, whose releases one by one would queue on the database
            # thread ahead of the reply that interrupted it.
            await self._in_database(self._release, [message for _, unsent in outcomes for message in unsent])
            handled += sum(count for count, _ in outcomes)
        return handled

    async def _send_in_order(self, messages: list[Queued]) -> tuple[int, list[Queued]]:
        """Send one chat's messages of this round in order: how many were handled, and those
        to give back unsent (the round releases them together)."""
        for position, message in enumerate(messages):
            async with self._slots:
                # Checked once a slot is free, before taking rate tokens: a reply committed
                # while this broadcast waited goes first (the next claim takes it), and
                # shutting down stops here. Unsent rows go back to pending.
                if self.stopping.is_set() or (message.outbound.kind in ("broadcast", "notification") and self.wake.is_set()):
                    return position, messages[position:]
                # In a private chat the chat is the person; anything else is a group.
                group = message.address.chat_id != message.address.user_id
                async with self._limiter.sending(message.address.chat_id, group=group):
                    if not self._term.held():  # the lease may have run out while this waited
                        return position, messages[position:]
                    result = await self._send(message)
                # The slot is held until the outcome is written: sends in flight or not yet
                # recorded (what a kill -9 could send twice) are never more than `concurrency`.
                await self._recorded(message, result)
            if isinstance(result, Blocked):
                return position + 1, []  # the rest were blocked along with the person: never send them
            if isinstance(result, (RetryAfter, TemporaryError)):
                # The rest of this chat waits behind the one to retry, so they arrive in order
                # (the parts of a long message too): back to pending, sent after it.
                return position + 1, messages[position + 1 :]
        return len(messages), []

    async def run(self) -> None:
        """Drain, then sleep until woken (a new reply was committed) or the poll interval
        passes; after stop(), return once the message in flight is recorded.

        One worker delivers per channel (on PostgreSQL a lease elects it, bot/runtime/
        election.py; others wait as standbys), so the channel's rate limits hold globally,
        and rows an earlier leader left claimed are taken back at once. A leader that loses
        its lease (its database connection is gone) stops sending at once and stands by.

        An outage of the database (locked, full, restarting) does not end it: it waits with
        backoff and goes on where it was, or, when the election itself failed, elects anew."""
        self._outage = outage = Outage(f"the database (delivery on {self.sender.channel})", log, sleep=self._pause)
        try:
            while not self.stopping.is_set():
                try:
                    await self._lead()
                except LeadershipLost:
                    continue  # logged by the election; stand by and try again
                except Exception as error:
                    if not is_database_outage(error) or self.stopping.is_set():
                        raise
                    await outage.failed(error)
        finally:
            self._outage = None

    async def _lead(self) -> None:
        assert self.election is not None
        async with self.election.elected(f"delivery:{self.sender.channel}", stopping=self.stopping) as term:
            if self.stopping.is_set():
                return
            self._term = term
            taken_back = await self._in_database(self._reclaim)
            if taken_back:
                log.warning("took back %s %s messages left in flight by an earlier leader", taken_back, self.sender.channel)
            await self._serve()

    async def _serve(self) -> None:
        while not self.stopping.is_set():
            await self.drain()
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=self.poll_interval)
            except TimeoutError:
                pass

    async def _in_database(self, work: Callable[..., Any], *args: Any) -> Any:
        """Run database work off the event loop; while serving, wait out an outage of the
        database (logged once by the outage) and try again, so no outcome is lost."""
        while True:
            try:
                result = await self.blocking(work, *args)
            except Exception as error:
                if self._outage is None or self.stopping.is_set() or not is_database_outage(error):
                    raise
                await self._outage.failed(error)
                continue
            if self._outage is not None:
                self._outage.succeeded()
            return result

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake at once when stopping."""
        self.beat()  # waiting out an outage is alive (/healthz names the database itself); a standby's beat is ignored
        pausing = asyncio.ensure_future(self.sleep(seconds))
        stopping = asyncio.ensure_future(self.stopping.wait())
        await asyncio.wait({pausing, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for waiting in (pausing, stopping):
            waiting.cancel()

    def _reclaim(self) -> int:
        with Session(self.database) as session, session.begin():
            return outbox.reclaim(session, channel=self.sender.channel, by=self._term.token)

    def _hold_over_cap(self, batch: list[Queued]) -> set[int]:
        """Hold the round's broadcasts to people who already got the day's share until it
        frees up; the ids held. One query for the round: checked one by one, a long round's
        checks would queue on the database thread ahead of people's own messages."""
        capped = [m for m in batch if m.outbound.kind == "broadcast" and m.citizen_id is not None]
        if not capped:
            return set()
        now = self.clock()
        held: set[int] = set()
        with Session(self.database) as session, session.begin():
            citizen_ids = sorted({m.citizen_id for m in capped if m.citizen_id is not None})
            recent = broadcasts.broadcasts_sent_since(session, citizen_ids=citizen_ids, since=now - DAY)
            for message in capped:
                sent = recent.get(message.citizen_id or 0, [])
                if len(sent) < self.daily_broadcast_cap:
                    continue
                at = sent[-self.daily_broadcast_cap] + DAY
                outbox.retry_later(
                    session, message_id=message.id, at=at, error="daily broadcast cap", attempt=False, by=self._term.token
                )
                held.add(message.id)
        return held

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def _release(self, messages: list[Queued]) -> None:
        if messages:
            with Session(self.database) as session, session.begin():
                outbox.release(session, message_ids=[message.id for message in messages], by=self._term.token)

    async def _send(self, message: Queued) -> SendResult:
        try:
            return await self.sender.send(message)
        except Exception as error:  # noqa: BLE001 - a sender bug must not kill delivery
            log.exception("sender %s crashed on outbox message %s", self.sender.channel, message.id)
            return TemporaryError(f"{type(error).__name__}: {error}")

    def _claim(self, chat_id: str | None) -> list[Queued]:
        with Session(self.database, expire_on_commit=False) as session, session.begin():
            rows = outbox.claim(
                session, channel=self.sender.channel, now=self.clock(), limit=self.batch_size, chat_id=chat_id,
                per_chat=self.limits.per_round(), by=self._term.token,
            )  # fmt: skip
            return [_queued(row) for row in rows]

    async def _recorded(self, message: Queued, result: SendResult) -> None:
        """Write an outcome; returns once it is. Outcomes that arrive while a transaction
        writes others gather for the next one (a group commit): under load a round of sends
        costs one transaction instead of one each, and alone a message is written at once."""
        if self._written is None:
            self._written = asyncio.get_running_loop().create_future()
        written = self._written
        self._outcomes.append((message, result, self._term.token))
        if self._recording is None or self._recording.done():
            self._recording = asyncio.ensure_future(self._record_gathered())
        await asyncio.shield(written)  # a cancelled sender does not cancel the others' write

    async def _record_gathered(self) -> None:
        while self._outcomes:
            outcomes, written = self._outcomes, self._written
            self._outcomes, self._written = [], None
            assert written is not None
            try:
                await self._in_database(self._record_all, outcomes)
            except BaseException as error:  # noqa: BLE001 - every sender waiting on it hears it
                written.set_exception(error)
                if isinstance(error, asyncio.CancelledError):
                    raise
            else:
                written.set_result(None)
                self._count(outcomes)

    def _count(self, outcomes: list[tuple[Queued, SendResult, str]]) -> None:
        """Counted once written (a write retried through an outage is not counted twice)."""
        now = self.clock()
        for message, result, _term in outcomes:
            latency = (now - message.queued_at).total_seconds() if message.queued_at is not None else None
            self.metrics.record_send(self.sender.channel, message.outbound.kind, result, latency=latency)

    def _record_all(self, outcomes: list[tuple[Queued, SendResult, str]]) -> None:
        by_term: dict[str, list[tuple[Queued, SendResult]]] = defaultdict(list)
        for message, result, token in outcomes:
            by_term[token].append((message, result))
        for token, own in by_term.items():
            self._record(own, token)

    def _record(self, outcomes: list[tuple[Queued, SendResult]], by: str) -> None:
        """Write outcomes of rows claimed `by` a term: rows a later leader took back since
        are left alone (fencing)."""
        now = self.clock()
        with Session(self.database) as session, session.begin():
            sent = [(m.id, m.outbound.kind) for m, result in outcomes if isinstance(result, Sent)]
            outbox.mark_sent(session, messages=sent, now=now, by=by)
            for message, result in outcomes:
                if isinstance(result, RetryAfter):
                    at = now + timedelta(seconds=result.seconds)
                    outbox.retry_later(session, message_id=message.id, at=at, error=result.error, throttled=True, by=by)
                elif isinstance(result, TemporaryError) and message.attempts < self.max_attempts:
                    at = now + self._backoff(message)
                    outbox.retry_later(session, message_id=message.id, at=at, error=result.error, by=by)
                elif isinstance(result, Blocked):
                    outbox.mark_blocked(session, message_id=message.id, error=result.error, by=by)
                elif not isinstance(result, Sent):
                    kind = message.outbound.kind
                    outbox.mark_failed(session, message_id=message.id, kind=kind, error=result.error, by=by)
        for message, result in outcomes:
            if not isinstance(result, Sent):
                log.warning("outbox message %s on %s: %s", message.id, message.address.channel, result)

    def _backoff(self, message: Queued) -> timedelta:
        # Exponential with full jitter, so many failed rows do not all come back at once.
        ceiling = self.base_backoff * 2 ** (message.attempts - 1)
        return timedelta(seconds=random.uniform(ceiling / 2, ceiling))
