"""The delivery worker: the one way messages leave the bot.

It claims due outbox rows for one channel (best priority first), hands each to the
channel's sender, and records the outcome: sent, retried later (429 retry-after, network
errors with exponential backoff and jitter), failed with its error, or blocked (the person
blocked the bot; they get nothing more until they write again).
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import Engine as Database
from sqlmodel import Session

from adapters.base import Blocked, Queued, RetryAfter, Sender, SendResult, Sent, TemporaryError
from conversations.messages import Address, Choice, Outbound
from storage import outbox
from storage.models import OutboxMessage

log = logging.getLogger(__name__)


def _queued(row: OutboxMessage) -> Queued:
    assert row.id is not None
    address = Address(row.channel, row.chat_id, row.user_id, row.thread_id)
    choices = tuple(Choice(c["value"], c["label"]) for c in row.choices)
    return Queued(row.id, address, Outbound(row.text, choices, row.kind), row.attempts)


@dataclass
class DeliveryWorker:
    database: Database
    sender: Sender
    clock: Callable[[], datetime]
    batch_size: int = 50
    max_attempts: int = 6
    base_backoff: float = 1.0
    poll_interval: float = 1.0
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    async def drain(self, *, chat_id: str | None = None) -> int:
        """Send everything due now (for one chat, or the whole channel); returns how many were handled."""
        handled = 0
        while True:
            batch = await asyncio.to_thread(self._claim, chat_id)
            if not batch:
                return handled
            blocked: set[str] = set()
            for message in batch:
                if message.address.chat_id in blocked:
                    continue  # already marked blocked along with the person: never send it
                result = await self._send(message)
                await asyncio.to_thread(self._record, message, result)
                if isinstance(result, Blocked):
                    blocked.add(message.address.chat_id)
                handled += 1

    async def run(self) -> None:
        """Drain, then sleep until woken (a new reply was committed) or the poll interval passes."""
        while True:
            await self.drain()
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=self.poll_interval)
            except TimeoutError:
                pass

    async def _send(self, message: Queued) -> SendResult:
        try:
            return await self.sender.send(message)
        except Exception as error:  # noqa: BLE001 - a sender bug must not kill delivery
            log.exception("sender %s crashed on outbox message %s", self.sender.channel, message.id)
            return TemporaryError(f"{type(error).__name__}: {error}")

    def _claim(self, chat_id: str | None) -> list[Queued]:
        with Session(self.database, expire_on_commit=False) as session, session.begin():
            rows = outbox.claim(
                session, channel=self.sender.channel, now=self.clock(), limit=self.batch_size, chat_id=chat_id
            )
            return [_queued(row) for row in rows]

    def _record(self, message: Queued, result: SendResult) -> None:
        now = self.clock()
        with Session(self.database) as session, session.begin():
            if isinstance(result, Sent):
                outbox.mark_sent(session, message_id=message.id, now=now)
            elif isinstance(result, RetryAfter):
                at = now + timedelta(seconds=result.seconds)
                outbox.retry_later(session, message_id=message.id, at=at, error=result.error)
            elif isinstance(result, TemporaryError) and message.attempts < self.max_attempts:
                outbox.retry_later(session, message_id=message.id, at=now + self._backoff(message), error=result.error)
            elif isinstance(result, Blocked):
                outbox.mark_blocked(session, message_id=message.id, error=result.error)
            else:
                outbox.mark_failed(session, message_id=message.id, error=result.error)
        if not isinstance(result, Sent):
            log.warning("outbox message %s on %s: %s", message.id, message.address.channel, result)

    def _backoff(self, message: Queued) -> timedelta:
        # Exponential with full jitter, so many failed rows do not all come back at once.
        ceiling = self.base_backoff * 2 ** (message.attempts - 1)
        return timedelta(seconds=random.uniform(ceiling / 2, ceiling))
