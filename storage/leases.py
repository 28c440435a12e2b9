"""Leases: one holder per role across processes, on PostgreSQL's clock.

A lease is taken with one INSERT ... ON CONFLICT DO UPDATE ... WHERE expires_at < now():
it goes in when nobody holds the role or the holder's time ran out, and then only. The
holder renews it while it is still its own and unexpired; a holder that dies stops
renewing, and the lease is free once `ttl` has passed. Every time is the database's
`now()`, never a replica's clock, so replicas whose clocks differ still agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, literal, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import Interval
from sqlmodel import Session, col

from storage.replica_models import Lease

_leases = Lease.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Leader:
    """Who holds a role: `live` while their lease has not run out (by the database's clock)."""

    role: str
    holder: str
    epoch: int
    heartbeat_at: datetime
    expires_at: datetime
    live: bool


def _until(ttl: timedelta):  # type: ignore[no-untyped-def]
    return func.now() + literal(ttl, Interval())


def acquire(session: Session, *, role: str, holder: str, ttl: timedelta) -> int | None:
    """Take the role for `ttl` if it is free (never held, or its lease ran out); the new
    epoch, or None when someone else holds it."""
    statement = postgresql.insert(_leases).values(
        role=role, holder=holder, epoch=1, acquired_at=func.now(), heartbeat_at=func.now(), expires_at=_until(ttl)
    )
    statement = statement.on_conflict_do_update(
        index_elements=[_leases.c.role],
        set_={
            "holder": statement.excluded.holder,
            "epoch": _leases.c.epoch + 1,
            "acquired_at": func.now(),
            "heartbeat_at": func.now(),
            "expires_at": statement.excluded.expires_at,
        },
        where=_leases.c.expires_at < func.now(),
    ).returning(_leases.c.epoch)
    return session.connection().execute(statement).scalar()


def renew(session: Session, *, role: str, holder: str, epoch: int, ttl: timedelta) -> bool:
    """Extend the lease for `ttl` from now; False when it is no longer this holder's (its
    time ran out, or someone took it)."""
    statement = (
        update(_leases)
        .where(
            _leases.c.role == role,
            _leases.c.holder == holder,
            _leases.c.epoch == epoch,
            _leases.c.expires_at >= func.now(),
        )
        .values(heartbeat_at=func.now(), expires_at=_until(ttl))
    )
    return (session.connection().execute(statement).rowcount or 0) == 1


def release(session: Session, *, role: str, holder: str, epoch: int) -> None:
    """Give the role up now (a clean stop): a standby takes it at its next try."""
    session.connection().execute(
        update(_leases)
        .where(_leases.c.role == role, _leases.c.holder == holder, _leases.c.epoch == epoch)
        .values(expires_at=func.now() - literal(timedelta(seconds=1), Interval()))
    )


def leaders(session: Session) -> list[Leader]:
    """Every role's lease, live or run out, by role name (for /healthz and the metrics)."""
    live = col(Lease.expires_at) >= func.now()
    rows = session.execute(
        select(Lease.role, Lease.holder, Lease.epoch, Lease.heartbeat_at, Lease.expires_at, live).order_by(Lease.role)
    )
    return [Leader(*row) for row in rows]
