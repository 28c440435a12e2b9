"""What /healthz and /metrics read from the database: a ping, and the outbox's and the
follow-ups' backlog at the moment of a scrape. Counts only: nothing about anyone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, literal, or_
from sqlmodel import Session, col, select

from storage.models import FollowUp, OutboxMessage

WAITING = ("pending", "sending")  # outbox rows not delivered yet


@dataclass(frozen=True)
class OutboxDepth:
    channel: str
    kind: str
    status: str
    rows: int


def ping(session: Session) -> bool:
    """The database answers a query."""
    return session.exec(select(literal(1))).one() == 1


def outbox_depth(session: Session) -> list[OutboxDepth]:
    """Undelivered outbox rows by channel, kind and status (pending, sending)."""
    statement = (
        select(OutboxMessage.channel, OutboxMessage.kind, OutboxMessage.status, func.count())
        .where(col(OutboxMessage.status).in_(WAITING))
        .group_by(OutboxMessage.channel, OutboxMessage.kind, OutboxMessage.status)
    )
    return [OutboxDepth(channel, kind, status, rows) for channel, kind, status, rows in session.exec(statement)]


def oldest_due(session: Session, *, now: datetime) -> dict[str, datetime]:
    """Per channel, when the oldest row that should be going out now was queued: due and
    pending, or being sent. Rows held for later (quiet hours, the daily broadcast cap, a
    retry's backoff) are not waiting on delivery yet, so they do not count until due."""
    due = or_(
        (col(OutboxMessage.status) == "pending") & (col(OutboxMessage.next_attempt_at) <= now),
        col(OutboxMessage.status) == "sending",
    )
    statement = (
        select(OutboxMessage.channel, func.min(OutboxMessage.created_at)).where(due).group_by(OutboxMessage.channel)
    )
    return {channel: queued_at for channel, queued_at in session.exec(statement) if queued_at is not None}


def follow_ups_due(session: Session, *, now: datetime) -> int:
    """Follow-ups whose time has come and that the scheduler has not sent yet."""
    statement = select(func.count()).where(col(FollowUp.status) == "pending", col(FollowUp.due_at) <= now)
    return session.exec(statement).one()
