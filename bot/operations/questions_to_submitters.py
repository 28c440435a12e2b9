"""Staff ask a submitter a question about their submission (from the console): it goes to
the person's chat in their language, and their next free text comes back as the answer,
both kept in the submission's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.operations.status_changes import StaffActionError, change_status
from bot.outbound.notices import Notices
from conversations.answers import MAX_ANSWER
from conversations.i18n import T
from conversations.refs import make_ref, parse_ref
from storage import staff_questions, submissions

MAX_QUESTION = 1800
QUESTION_NOTE = "Question to the submitter: {text}"
ANSWER_NOTE = "Answer from the submitter: {text}"


@dataclass(frozen=True)
class Asked:
    ref: str
    question_id: int


def ask_submitter(
    session: Session, *, ref: str, question: str, by: str, now: datetime, notices: Notices, via: str = "console"
) -> Asked:
    """Send the question to the submitter and note it in the history (as staff notes are)."""
    parsed = parse_ref(ref)
    if parsed is None:
        raise StaffActionError(f"{ref!r} is not a reference like P-12, I-7 or D-3")
    kind, id_ = parsed
    text = question.replace("\r\n", "\n").strip()
    if not text:
        raise StaffActionError("The question is empty")
    if len(text) > MAX_QUESTION:
        raise StaffActionError(f"The question is too long ({len(text):,} characters; at most {MAX_QUESTION:,})")
    summary = submissions.summary_of(session, kind=kind, id=id_)
    if summary is None:
        raise StaffActionError(f"{make_ref(kind, id_)} does not exist")
    person = submissions.submitter(session, kind=kind, id_=id_)
    if person is None:
        raise StaffActionError(f"{summary.ref}'s submitter can no longer be reached (they left or blocked the bot)")
    question_id = staff_questions.ask(
        session, kind=kind, target_id=id_, citizen_id=person.citizen_id, question=text, by=by, now=now
    )
    change_status(
        session, ref=summary.ref, status=summary.status, note=QUESTION_NOTE.format(text=text), by=by,
        duplicate_of=None, now=now, notices=notices, via=via,
    )  # fmt: skip
    notices.send(session, to=person, text=T("question.asked", ref=summary.ref, title=summary.title, question=text), now=now)
    return Asked(summary.ref, question_id)


def record_answer(session: Session, *, question_id: int, citizen_id: int, text: str, now: datetime) -> bool:
    """Keep the person's answer with the question and in the submission's history; False
    when there is nothing to answer (answered already, or not their question)."""
    answered = staff_questions.answer(session, question_id=question_id, citizen_id=citizen_id, text=text[:MAX_ANSWER], now=now)
    if answered is None:
        return False
    note = ANSWER_NOTE.format(text=answered.answer)
    return submissions.record_check(
        session, kind=answered.kind, id_=answered.target_id, citizen_id=citizen_id, note=note, now=now
    )
