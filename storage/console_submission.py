"""One submission as the staff console opens it: everything it says, who gave and supports
it, what it is linked to, its whole history, the questions asked about it and the follow-ups
still to come. Keyword-only functions over a caller-owned Session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from conversations.refs import make_ref
from storage import citizens, staff_questions
from storage.models import A_RESIDENT, FORGOTTEN_CHANNEL, Citizen, DesignOffer, FollowUp, Idea, Problem, Support
from storage.staff_questions import Question
from storage.submissions import TABLES, history

MAX_SUPPORTERS_LISTED = 50


@dataclass(frozen=True)
class PersonView:
    citizen_id: int
    display_name: str | None
    channel: str
    user_id: str
    language: str | None
    reachable: bool


@dataclass(frozen=True)
class Linked:
    kind: str
    id: int
    ref: str
    title: str
    status: str


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    from_status: str | None
    to_status: str
    note: str | None
    by: str  # as staff read it: "Ana, telegram", "telegram:401", "cli:alice" (storage.citizens.who_changed)


@dataclass(frozen=True)
class SubmissionView:
    kind: str
    id: int
    ref: str
    title: str
    text: str  # the description, in the language it was written in
    status: str
    language: str
    created_at: datetime
    category: str | None
    place: str | None
    latitude: float | None
    longitude: float | None
    photo_file_id: str | None
    affected: str | None
    benefit: str | None
    skills: tuple[str, ...]
    hours: str | None
    contact_ok: bool | None
    submitter: PersonView | None
    supporters: int
    supporters_listed: tuple[PersonView, ...]
    problem: Linked | None  # an idea's problem, or a design offer's idea's problem
    idea: Linked | None  # a design offer's idea
    ideas: tuple[Linked, ...]  # ideas proposed for a problem
    offers: tuple[Linked, ...]  # design offers for an idea
    history: tuple[HistoryLine, ...]
    questions: tuple[Question, ...]
    follow_ups: tuple[datetime, ...]  # the ones still to come
    # Whether other residents see it: shown, pending or hidden (None: a design offer, no text);
    # `private`: its author kept contact details in it for the city team only.
    moderation: str | None = None
    private: bool = False


def _person(citizen: Citizen | None) -> PersonView | None:
    if citizen is None or citizen.id is None:
        return None
    reachable = not citizen.unreachable and citizen.consented_at is not None
    if citizen.channel == FORGOTTEN_CHANNEL:  # forgotten at their request: no identity to show
        return PersonView(citizen.id, A_RESIDENT, citizen.channel, "", None, False)
    return PersonView(citizen.id, citizen.display_name, citizen.channel, citizen.channel_user_id, citizen.language, reachable)


def _linked(kind: str, item: Any, title: str | None = None) -> Linked:
    return Linked(kind, item.id, make_ref(kind, item.id), title if title is not None else item.title, item.status)


def submission_view(session: Session, *, kind: str, id_: int) -> SubmissionView | None:
    item = session.get(TABLES[kind], id_)
    if item is None:
        return None
    problem, idea = _context_of(session, kind, item)
    supporting = (Support.kind == kind) & (Support.target_id == id_)
    changes = history(session, kind=kind, target_id=id_)
    # Who made each change, looked up once per author however many lines they wrote.
    names = {by: citizens.who_changed(session, changed_by=by) for by in {c.changed_by for c in changes}}
    supporters = session.exec(
        select(Citizen)
        .join(Support, col(Support.citizen_id) == Citizen.id)
        .where(supporting)
        .order_by(col(Support.id))
        .limit(MAX_SUPPORTERS_LISTED)
    ).all()
    return SubmissionView(
        kind=kind, id=id_, ref=make_ref(kind, id_),
        title=idea.title if kind == "design" and idea else item.title,
        text=getattr(item, "description", ""), status=item.status, language=item.language, created_at=item.created_at,
        category=problem.category if problem else None, place=problem.place if problem else None,
        latitude=getattr(item, "latitude", None), longitude=getattr(item, "longitude", None),
        photo_file_id=getattr(item, "photo_file_id", None), affected=getattr(item, "affected", None),
        benefit=getattr(item, "benefit", None), skills=tuple(getattr(item, "skills", ()) or ()),
        hours=getattr(item, "hours", None), contact_ok=getattr(item, "contact_ok", None),
        submitter=_person(session.get(Citizen, item.citizen_id)),
        supporters=session.exec(select(func.count()).select_from(Support).where(supporting)).one(),
        supporters_listed=tuple(p for p in map(_person, supporters) if p is not None),
        problem=_linked("problem", problem) if problem is not None and kind != "problem" else None,
        idea=_linked("idea", idea) if idea is not None and kind == "design" else None,
        ideas=_ideas_for(session, id_) if kind == "problem" else (),
        offers=_offers_for(session, id_, item.title) if kind == "idea" else (),
        moderation=getattr(item, "moderation", None), private=bool(getattr(item, "private", False)),
        history=tuple(
            HistoryLine(c.created_at, c.from_status, c.to_status, c.note, names[c.changed_by])
            for c in changes
        ),
        questions=tuple(staff_questions.questions_about(session, kind=kind, target_id=id_)),
        follow_ups=_follow_ups(session, kind, id_),
    )  # fmt: skip


def _context_of(session: Session, kind: str, item: Any) -> tuple[Problem | None, Idea | None]:
    """The problem a submission is about (itself for a problem) and, for a design offer, its idea."""
    if kind == "problem":
        return item, None
    idea = item if kind == "idea" else session.get(Idea, item.idea_id)
    problem = session.get(Problem, idea.problem_id) if idea is not None and idea.problem_id else None
    return problem, idea


def _ideas_for(session: Session, problem_id: int) -> tuple[Linked, ...]:
    ideas = session.exec(select(Idea).where(Idea.problem_id == problem_id).order_by(col(Idea.id))).all()
    return tuple(_linked("idea", idea) for idea in ideas)


def _offers_for(session: Session, idea_id: int, idea_title: str) -> tuple[Linked, ...]:
    offers = session.exec(select(DesignOffer).where(DesignOffer.idea_id == idea_id).order_by(col(DesignOffer.id))).all()
    return tuple(_linked("design", offer, idea_title) for offer in offers)


def _follow_ups(session: Session, kind: str, id_: int) -> tuple[datetime, ...]:
    statement = select(FollowUp.due_at).where(FollowUp.kind == kind, FollowUp.target_id == id_, FollowUp.status == "pending")
    return tuple(session.exec(statement.order_by(col(FollowUp.due_at))))


def photo_reference(session: Session, *, kind: str, id_: int) -> tuple[str, str] | None:
    """(channel, file id) of a problem's photo, for fetching it from its channel."""
    if kind != "problem":
        return None
    row = session.exec(
        select(Citizen.channel, Problem.photo_file_id)
        .join(Citizen, col(Citizen.id) == Problem.citizen_id)
        .where(Problem.id == id_, col(Problem.photo_file_id).is_not(None))
    ).first()
    return (row[0], row[1]) if row is not None and row[1] else None
