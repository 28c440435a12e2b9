"""Follow-ups: the rows behind "you will hear from us on <date>". Written with the submission,
claimed once when due (like outbox rows), cancelled when the submission is closed.

Rows move pending -> sent in the transaction that queues their message, or pending ->
cancelled; a row is never sent twice and never lost to a crash (it stays pending)."""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from storage.models import FollowUp

# Core, built once: every saved submission writes its follow-ups.
_SCHEDULE = insert(FollowUp.__table__)  # type: ignore[attr-defined]


def schedule(session: Session, *, kind: str, target_id: int, due: Sequence[datetime]) -> None:
    rows = [
        {"kind": kind, "target_id": target_id, "number": number, "due_at": at, "status": "pending"}
        for number, at in enumerate(due, start=1)
    ]
    if rows:
        session.connection().execute(_SCHEDULE, rows)


def claim_due(session: Session, *, now: datetime, limit: int) -> list[FollowUp]:
    """Lock the pending follow-ups due by `now`, oldest first, until the transaction ends.

    On PostgreSQL, FOR UPDATE SKIP LOCKED lets two claimers run at once without taking the
    same row; SQLite's BEGIN IMMEDIATE already makes the claim exclusive. The caller marks
    each row sent (`mark_sent`) in this same transaction, with its message."""
    statement = (
        select(FollowUp)
        .where(FollowUp.status == "pending", FollowUp.due_at <= now)
        .order_by(col(FollowUp.due_at), col(FollowUp.id))
        .limit(limit)
    )
    return list(session.exec(statement.with_for_update(skip_locked=True)))


def mark_sent(session: Session, *, follow_up: FollowUp, now: datetime) -> None:
    follow_up.status = "sent"
    follow_up.sent_at = now
    session.add(follow_up)
    session.flush()


def cancel_remaining(session: Session, *, kind: str, target_id: int) -> list[int]:
    """Cancel the follow-ups still to come; returns their ids."""
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
