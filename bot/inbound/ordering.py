"""One person's updates in order across replicas (Telegram's webhook may hand a person's
two updates to two replicas at once; update_ids grow with every update of a bot).

Each webhook update is recorded as it arrives (storage/update_order.py), and the replica
waits ARRIVAL_WINDOW for an older update of the same person that reached another replica
at the same moment to be recorded too. Then it handles the update in the service's
transaction, after `take_turn`: while an older update of that person is recorded and not
yet handled, the transaction is rolled back and tried again a moment later (the older one
is being handled by its replica, and its record goes in the transaction that handles it).
A record a killed replica left holds nobody up for more than PATIENCE.

Guaranteed: updates of one person that arrive within ARRIVAL_WINDOW of each other, or
while an older one is still being handled, are handled in update_id order. An update that
arrives later than that after a newer one was handled is still handled (nothing is lost),
after it. Only on PostgreSQL: on SQLite one process handles each update in arrival order.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from sqlalchemy import Engine
from sqlmodel import Session

from bot.inbound.flood import Verdict
from bot.runtime.outage import is_database_outage
from conversations.messages import Inbound
from storage import update_order

if TYPE_CHECKING:  # the service calls take_turn, so it cannot be imported here at run time
    from bot.inbound.service import ConversationService, Handled

ARRIVAL_WINDOW = 0.25  # seconds an update waits for an older one arriving elsewhere at once
PATIENCE = 5.0  # seconds an update waits for an older one to be handled, at most
RETRY_EVERY = 0.02  # seconds between looks at whether the older one was handled
STALE = timedelta(seconds=30)  # records older than this were left by a replica that died


class OlderUpdateWaiting(Exception):
    """An older update of this person arrived and is not handled yet: try again shortly."""


def take_turn(session: Session, inbound: Inbound, sequence: int, now: datetime, *, patient: bool) -> None:
    """In the handling transaction: raise OlderUpdateWaiting while an older update of this
    person waits (unless no longer `patient`), else mark this one handled."""
    channel, sender = inbound.address.channel, inbound.address.user_id
    if patient and update_order.older_waiting(session, channel=channel, sender=sender, sequence=sequence, since=now - STALE):
        raise OlderUpdateWaiting(inbound.event_id)
    update_order.handled(session, channel=channel, sequence=sequence)


@dataclass(frozen=True)
class InOrder:
    """Handles a webhook's updates in each person's order (made in bot/app.py)."""

    service: ConversationService
    database: Engine
    blocking: Callable[..., Awaitable[Any]]
    clock: Callable[[], datetime]
    arrival_window: float = ARRIVAL_WINDOW
    patience: float = PATIENCE
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def handle(self, inbound: Inbound, sequence: int, verdict: Verdict) -> Handled:
        if verdict is not Verdict.HANDLE:  # a "slow down" or a drop: nothing to keep in order
            return await self.blocking(self.service.handle, inbound, verdict)
        # On a thread of its own, not behind the database work queued on `blocking` (a busy
        # leader's deliveries): the sooner it is recorded, the sooner a newer one sees it.
        await asyncio.to_thread(self._arrived, inbound, sequence)
        await self.sleep(self.arrival_window)
        give_up_at = time.monotonic() + self.patience
        while True:
            patient = time.monotonic() < give_up_at
            try:
                return await self.blocking(self.service.handle, inbound, verdict, sequence=sequence, patient=patient)
            except OlderUpdateWaiting:
                await self.sleep(RETRY_EVERY)
            except Exception as error:
                if not is_database_outage(error):
                    # A bug or a malformed update gives up its turn: the person's next
                    # updates do not wait for its redeliveries (it may never succeed).
                    await asyncio.to_thread(self._handled, inbound, sequence)
                raise

    def _arrived(self, inbound: Inbound, sequence: int) -> None:
        address = inbound.address
        with Session(self.database) as session, session.begin():
            update_order.arrived(session, channel=address.channel, sender=address.user_id, sequence=sequence, now=self.clock())

    def _handled(self, inbound: Inbound, sequence: int) -> None:
        with Session(self.database) as session, session.begin():
            update_order.handled(session, channel=inbound.address.channel, sequence=sequence)
