"""Follow-ups: the rows behind "you will hear from us on <date>". Written with the submission,
fired once by the scheduler, cancelled when the submission is closed."""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from dataclasses import dataclass

from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from storage.models import FollowUp


@dataclass(frozen=True)
class Due:
    """A pending follow-up as its timer needs it."""

    id: int
    due_at: datetime


_TABLE = FollowUp.__table__  # type: ignore[attr-defined]
# Core, built once: every saved submission writes its follow-ups.
_SCHEDULE = insert(_TABLE).returning(_TABLE.c.id, _TABLE.c.due_at, sort_by_parameter_order=True)


def schedule(session: Session, *, kind: str, target_id: int, due: Sequence[datetime]) -> list[Due]:
    rows = [
        {"kind": kind, "target_id": target_id, "number": number, "due_at": at, "status": "pending", "armed": False}
        for number, at in enumerate(due, start=1)
    ]
    return [Due(id_, at) for id_, at in session.connection().execute(_SCHEDULE, rows)] if rows else []


def unarmed(session: Session, *, limit: int = 1000) -> list[Due]:
    """Pending follow-ups no scheduler job was added for yet (written by another process,
    or by one that stopped before arming them)."""
    statement = select(FollowUp.id, FollowUp.due_at).where(FollowUp.status == "pending", col(FollowUp.armed).is_(False))
    return [Due(id_, at) for id_, at in session.exec(statement.order_by(col(FollowUp.id)).limit(limit))]


def pending(session: Session) -> list[Due]:
    statement = select(FollowUp.id, FollowUp.due_at).where(FollowUp.status == "pending").order_by(col(FollowUp.id))
    return [Due(id_, at) for id_, at in session.exec(statement)]


def mark_armed(session: Session, *, ids: Sequence[int]) -> None:
    if ids:
        session.execute(update(FollowUp).where(col(FollowUp.id).in_(ids)).values(armed=True))


def take(session: Session, *, follow_up_id: int, now: datetime) -> FollowUp | None:
    """Lock a pending follow-up and mark it sent, or None when it was sent or cancelled
    already: this is what makes a follow-up fire once even if its job ran twice."""
    row = session.get(FollowUp, follow_up_id, with_for_update=True)
    if row is None or row.status != "pending":
        return None
    row.status = "sent"
    row.sent_at = now
    session.add(row)
    return row


def cancel_remaining(session: Session, *, kind: str, target_id: int) -> list[int]:
    """Cancel the follow-ups still to come; returns their ids (their jobs can go too)."""
    ids = list(
        session.exec(
            select(FollowUp.id).where(FollowUp.kind == kind, FollowUp.target_id == target_id, FollowUp.status == "pending")
        )
    )
    if ids:
        session.execute(update(FollowUp).where(col(FollowUp.id).in_(ids)).values(status="cancelled"))
    return [i for i in ids if i is not None]


def next_due(session: Session, *, kind: str, target_id: int) -> datetime | None:
    statement = select(func.min(FollowUp.due_at)).where(
        FollowUp.kind == kind, FollowUp.target_id == target_id, FollowUp.status == "pending"
    )
    return session.exec(statement).one()


def previous_sent(session: Session, *, kind: str, target_id: int, before: int) -> datetime | None:
    """When the follow-up before number `before` went out (None for the first)."""
    statement = select(func.max(FollowUp.sent_at)).where(
        FollowUp.kind == kind, FollowUp.target_id == target_id, FollowUp.number < before, FollowUp.status == "sent"
    )
    return session.exec(statement).one()

