"""Saving what people send (problems, ideas, design offers, supports) for the conversation
service, in its transaction: the engine's effects become rows through storage/. Each new
submission is handed to `Routing.submission_created` in the same transaction (its team, the
team's card, partners' webhooks), so none of that can be lost or sent for a rolled-back row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.operations.team_routing import Routing
from conversations.effects import AddSupport, NewProblem, Outcome, Receipt, SaveDesignOffer, SaveIdea
from conversations.moderation import PENDING, SHOWN
from conversations.refs import make_ref
from storage import additions, submissions
from storage.models import DesignOfferCreate, IdeaCreate, ProblemCreate


@dataclass(frozen=True)
class Saver:
    """Who saves, and when."""

    session: Session
    citizen_id: int
    now: datetime

def create_problem(session: Session, citizen_id: int, problem: NewProblem, now: datetime, routing: Routing) -> int:
    problem_in = ProblemCreate(
        description=problem.description,
        title=problem.title,
        category=problem.category,
        language=problem.language,
        place=problem.place,
        latitude=problem.location.latitude if problem.location else None,
        longitude=problem.location.longitude if problem.location else None,
        photo_file_id=problem.photo.file_id if problem.photo else None,
        photo_size=problem.photo.size if problem.photo else None,
        affected=problem.affected,
    )
    created = submissions.create_problem(
        session, citizen_id=citizen_id, problem_in=problem_in, now=now,
        moderation=PENDING if problem.held else SHOWN, private=problem.private,
    )  # fmt: skip
    assert created.id is not None
    routing.submission_created(session, kind="problem", id_=created.id, now=now)
    return created.id


def add_support(work: Saver, effect: AddSupport) -> Receipt:
    """Support a submission; what the person had already written about it goes into its
    history (also when they supported it before, or it is their own)."""
    citizen_id = work.citizen_id
    outcome = submissions.add_support(work.session, citizen_id=citizen_id, kind=effect.kind, target_id=effect.target_id)
    added = effect.additions
    if added is not None:
        note = additions.supporter_note(
            own=outcome == "own",
            description=added.description,
            place=added.place,
            latitude=added.location.latitude if added.location else None,
            longitude=added.location.longitude if added.location else None,
            photo_file_id=added.photo.file_id if added.photo else None,
        )
        additions.record_additions(
            work.session, kind=effect.kind, id_=effect.target_id, citizen_id=citizen_id, note=note, now=work.now
        )
    return Receipt(effect.kind, effect.target_id, make_ref(effect.kind, effect.target_id), Outcome(outcome))


def create_design_offer(session: Session, citizen_id: int, effect: SaveDesignOffer, now: datetime, routing: Routing) -> Receipt:
    offer_in = DesignOfferCreate(
        idea_id=effect.idea_id,
        skills=list(effect.skills),
        hours=effect.hours,
        contact_ok=effect.contact_ok,
        language=effect.language,
    )
    offer = submissions.create_design_offer(session, citizen_id=citizen_id, offer_in=offer_in, now=now)
    assert offer.id is not None
    routing.submission_created(session, kind="design", id_=offer.id, now=now)
    return Receipt("design", offer.id, make_ref("design", offer.id))


def create_idea(session: Session, citizen_id: int, effect: SaveIdea, now: datetime, routing: Routing) -> Receipt:
    problem_id = effect.problem_id
    if effect.new_problem is not None:
        problem_id = create_problem(session, citizen_id, effect.new_problem, now, routing)
    idea_in = IdeaCreate(
        description=effect.description,
        title=effect.title,
        benefit=effect.benefit,
        language=effect.language,
        problem_id=problem_id,
    )
    idea = submissions.create_idea(
        session, citizen_id=citizen_id, idea_in=idea_in, now=now,
        moderation=PENDING if effect.held else SHOWN, private=effect.private,
    )  # fmt: skip
    assert idea.id is not None
    routing.submission_created(session, kind="idea", id_=idea.id, now=now)
    return Receipt("idea", idea.id, make_ref("idea", idea.id))
