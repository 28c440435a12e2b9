"""Questions staff ask a submitter about a submission, and the answers. Keyword-only functions
over a caller-owned Session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from storage.console_models import StaffQuestion


@dataclass(frozen=True)
class Question:
    id: int
    kind: str
    target_id: int
    question: str
    asked_by: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None


def _as_question(row: StaffQuestion) -> Question:
    assert row.id is not None
    return Question(row.id, row.kind, row.target_id, row.question, row.asked_by, row.asked_at, row.answer, row.answered_at)


def ask(session: Session, *, kind: str, target_id: int, citizen_id: int, question: str, by: str, now: datetime) -> int:
    row = StaffQuestion(kind=kind, target_id=target_id, citizen_id=citizen_id, question=question, asked_by=by, asked_at=now)
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


# Built once: the engine asks at every free-text turn.
_OPEN_QUESTION = (
    select(StaffQuestion)
    .where(StaffQuestion.citizen_id == bindparam("citizen_id"), col(StaffQuestion.answered_at).is_(None))
    .order_by(col(StaffQuestion.id).desc())
    .limit(1)
)


def open_question(session: Session, *, citizen_id: int) -> Question | None:
    """The latest question this person has not answered yet (their next free text answers it)."""
    row = session.exec(_OPEN_QUESTION, params={"citizen_id": citizen_id}).first()
    return _as_question(row) if row is not None else None


def answer(session: Session, *, question_id: int, citizen_id: int, text: str, now: datetime) -> Question | None:
    """Record the answer once; None when the question is not this person's or was answered."""
    row = session.get(StaffQuestion, question_id, with_for_update=True)
    if row is None or row.citizen_id != citizen_id or row.answered_at is not None:
        return None
    row.answer = text
    row.answered_at = now
    session.add(row)
    return _as_question(row)


def questions_about(session: Session, *, kind: str, target_id: int) -> list[Question]:
    """Every question asked about a submission, oldest first."""
    statement = select(StaffQuestion).where(StaffQuestion.kind == kind, StaffQuestion.target_id == target_id)
    return [_as_question(row) for row in session.exec(statement.order_by(col(StaffQuestion.id)))]
