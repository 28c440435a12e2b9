"""Leader election: of all processes, one leads each job that must run once (a channel's
delivery, the scheduler, the Telegram poller).

On PostgreSQL by a lease in the database (storage/leases.py), on the database's clock: the
leader renews it every RENEW_EVERY seconds for LEASE_TTL; a standby tries every
STANDBY_RETRY seconds and takes it once it ran out, so a leader killed with -9 is replaced
within LEASE_TTL + STANDBY_RETRY. A leader that cannot renew (its connection is gone, the
database is down, someone else holds the lease) stops at once: the block under `elected`
is cancelled and `LeadershipLost` raised from it. It also stops by itself when its own
clock says the lease may have run out (a renewal that hangs), before the database would
give the lease away. Each term has an epoch; work a leader claims carries its `token`, so
a stale leader's late writes can be fenced off.

On SQLite one process serves (bot/runtime/single_process.py): it leads everything.

`record(role, leading)` hears when this process starts and stops leading a role (the
cocreate_leader gauge of /metrics, and which loops /healthz watches: bot/app.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, AsyncIterator, Awaitable, Callable

from sqlalchemy import Engine
from sqlmodel import Session

from storage import leases

log = logging.getLogger(__name__)
LEASE_TTL = 5.0  # seconds a lease lasts unless renewed
RENEW_EVERY = 1.5  # seconds between a leader's renewals
STANDBY_RETRY = 0.5  # seconds between a standby's tries
# A leader stops this share of the TTL before its lease would run out by its own clock, so
# it has stopped before the database gives the lease to someone else (clocks drift a little).
SAFETY_MARGIN = 0.2

Leadership = Callable[[str, bool], None]


def _unrecorded(_role: str, _leading: bool) -> None:
    pass


class LeadershipLost(Exception):
    """The lease could not be renewed: this process no longer leads the role."""


class HeldElsewhere(Exception):
    """Another live process holds the role (for roles that refuse a second process)."""

    def __init__(self, role: str, holder: str) -> None:
        super().__init__(f"{role} is held by {holder}")
        self.role = role
        self.holder = holder


def new_holder_id() -> str:
    """host:pid:random, new for every process (and every worker), never reused."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class Term:
    """One process's time as leader of a role. `token` names it in what it claims."""

    role: str
    holder: str
    epoch: int
    monotonic: Callable[[], float] = time.monotonic
    valid_until: float = 0.0  # on `monotonic`'s clock
    lost: bool = field(default=False)

    @property
    def token(self) -> str:
        return f"{self.holder}#{self.epoch}"

    def held(self) -> bool:
        """Whether this process may still act as leader (checked before each send)."""
        return not self.lost and self.monotonic() < self.valid_until


@dataclass(frozen=True)
class Election:
    """How leases are kept; one per process, made in bot/app.py."""

    database: Engine
    holder: str = field(default_factory=new_holder_id)
    ttl: float = LEASE_TTL
    renew_every: float = RENEW_EVERY
    standby_retry: float = STANDBY_RETRY
    # Lease statements run on their own threads: a heartbeat must never queue behind the
    # delivery's or the service's database work (bot/runtime/blocking.py).
    blocking: Callable[..., Awaitable[Any]] = asyncio.to_thread
    monotonic: Callable[[], float] = time.monotonic
    record: Leadership = _unrecorded

    @property
    def uses_leases(self) -> bool:
        return self.database.dialect.name == "postgresql"

    @asynccontextmanager
    async def elected(
        self, role: str, *, stopping: asyncio.Event, refuse_after: float | None = None, recorded: bool = True
    ) -> AsyncIterator[Term]:
        """Wait until this process leads `role` (or is stopping), and lead until the block
        ends. The block is cancelled, and LeadershipLost raised, when the lease is lost.
        `refuse_after`: raise HeldElsewhere if another holder keeps the role that long
        (long enough for a dead holder's lease to run out). Not `recorded`: a hold that is no
        loop of its own (the Telegram poller's, whose loop /healthz watches as its channel)."""
        record = self.record if recorded else _unrecorded
        if not self.uses_leases:
            record(role, True)
            try:
                yield Term(role, self.holder, 0, valid_until=float("inf"))
            finally:
                record(role, False)
            return
        term = await self._acquire(role, stopping, refuse_after)
        if term is None:  # stopping before it led
            yield Term(role, self.holder, 0, lost=True)
            return
        task = asyncio.current_task()
        assert task is not None
        heartbeat = asyncio.create_task(self._keep(term, task), name=f"lease {role}")
        record(role, True)
        try:
            yield term
        except asyncio.CancelledError:
            if term.lost and task.uncancel() == 0:  # cancelled by the heartbeat, not from outside
                raise LeadershipLost(f"lost the lease on {role}") from None
            raise
        finally:
            record(role, False)
            heartbeat.cancel()
            if not term.lost:
                term.lost = True
                await self._release(term)

    async def _acquire(self, role: str, stopping: asyncio.Event, refuse_after: float | None) -> Term | None:
        started = self.monotonic()
        while not stopping.is_set():
            attempt = self.monotonic()
            epoch = await self.blocking(self._try_acquire, role)
            if epoch is not None:
                term = Term(role, self.holder, epoch, self.monotonic, attempt + self.ttl * (1 - SAFETY_MARGIN))
                log.info("leading %s (epoch %s)", role, epoch)
                return term
            if refuse_after is not None and self.monotonic() - started >= refuse_after:
                raise HeldElsewhere(role, await self.blocking(self._holder_of, role))
            try:
                await asyncio.wait_for(stopping.wait(), timeout=self.standby_retry)
            except TimeoutError:
                pass
        return None

    async def _keep(self, term: Term, leading: asyncio.Task[Any]) -> None:
        """Renew every `renew_every` seconds; on the first renewal that fails (or does not
        answer before the lease could run out) cancel the leading task."""
        try:
            while True:
                await asyncio.sleep(self.renew_every)
                attempt = self.monotonic()
                remaining = term.valid_until - attempt
                if remaining <= 0 or not await asyncio.wait_for(self.blocking(self._renew, term), timeout=remaining):
                    raise LeadershipLost("the lease is someone else's now")
                term.valid_until = attempt + self.ttl * (1 - SAFETY_MARGIN)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - whatever stops the renewal ends the term
            term.lost = True
            log.warning("stopped leading %s: could not renew its lease (%s)", term.role, type(error).__name__)
            leading.cancel()

    def _try_acquire(self, role: str) -> int | None:
        with Session(self.database) as session, session.begin():
            return leases.acquire(session, role=role, holder=self.holder, ttl=timedelta(seconds=self.ttl))

    def _renew(self, term: Term) -> bool:
        with Session(self.database) as session, session.begin():
            ttl = timedelta(seconds=self.ttl)
            return leases.renew(session, role=term.role, holder=term.holder, epoch=term.epoch, ttl=ttl)

    def _holder_of(self, role: str) -> str:
        with Session(self.database) as session:
            return next((leader.holder for leader in leases.leaders(session) if leader.role == role), "unknown")

    async def _release(self, term: Term) -> None:
        """A clean stop gives the lease up, so a standby takes over at its next try."""
        try:
            await asyncio.wait_for(self.blocking(self._give_up, term), timeout=self.renew_every)
        except Exception as error:  # noqa: BLE001 - it runs out by itself within LEASE_TTL
            log.info("could not give up the lease on %s (%s); it runs out by itself", term.role, type(error).__name__)

    def _give_up(self, term: Term) -> None:
        with Session(self.database) as session, session.begin():
            leases.release(session, role=term.role, holder=term.holder, epoch=term.epoch)

    def leaders(self) -> list[leases.Leader]:
        """Who leads each role now (blocking; for /healthz and the metrics). Empty on SQLite,
        where the one serving process leads everything."""
        if not self.uses_leases:
            return []
        with Session(self.database) as session:
            return leases.leaders(session)
