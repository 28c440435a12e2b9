"""The conversation service: each inbound event in one transaction.

Drop a repeated event id, lock the person's conversation (one message at a time per
person), load the state, run the engine, carry out its effects, save the state and write
the replies to the outbox. Nothing is sent here: the delivery worker sends after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Callable, Mapping, Sequence

from sqlalchemy import Engine as Database
from sqlmodel import Session

from conversations.context import Context, FlowSettings, Page, Person, Summary
from conversations.effects import (
    AddSupport,
    Effect,
    GiveConsent,
    NewProblem,
    QueueBroadcast,
    Receipt,
    Receipts,
    RecordReach,
    SaveDesignOffer,
    SaveIdea,
    SaveProblem,
    SetLanguage,
    SetRole,
    StopUpdates,
    Subscribe,
)
from conversations.engine import Engine
from conversations.i18n import Catalogs
from conversations.messages import Address, Inbound, Outbound
from conversations.refs import make_ref
from conversations.state import State
from bot import broadcasting
from storage import broadcasts, citizens, outbox, submissions
from storage.broadcasts import Audience
from storage.models import Citizen, DesignOfferCreate, IdeaCreate, ProblemCreate

# Receipts lead to at most one more engine step; a bound keeps a faulty flow from looping.
MAX_STEPS_PER_EVENT = 4


@dataclass(frozen=True)
class Handled:
    """What handling one inbound event did: `duplicate` when its event id was seen before,
    and the replies it queued (already in the outbox; returned for callers that want to
    look, such as the benchmark)."""

    duplicate: bool
    replies: tuple[Outbound, ...] = ()


@dataclass(frozen=True)
class SessionLookup:
    """The engine's read-only view of the world, over the event's own transaction."""

    session: Session
    citizen_id: int
    settings: FlowSettings
    address: Address
    staff: tuple[str, ...]

    def open_problems(self, *, offset: int, limit: int) -> Page:
        return submissions.open_problems(self.session, offset=offset, limit=limit)

    def problem_candidates(self, *, category: str) -> Sequence[tuple[Summary, str]]:
        return submissions.problem_candidates(self.session, category=category)

    def open_ideas(self, *, offset: int, limit: int) -> Page:
        return submissions.open_ideas(self.session, offset=offset, limit=limit)

    def my_submissions(self) -> Sequence[Summary]:
        return submissions.submissions_of(self.session, citizen_id=self.citizen_id)

    def submission(self, *, kind: str, id: int) -> Summary | None:
        return submissions.summary_of(self.session, kind=kind, id=id)

    def is_staff(self) -> bool:
        return broadcasts.is_staff(self.session, address=self.address, configured=self.staff)

    def audience_size(self, *, topic: str | None) -> int:
        return broadcasting.audience_total(self.session, audience=Audience(topic=topic), settings=self.settings)


@dataclass(frozen=True)
class ConversationService:
    database: Database
    flows: Engine
    settings: FlowSettings
    catalogs: Catalogs
    clock: Callable[[], datetime]
    zone: tzinfo
    # What each channel can carry besides text ("buttons", "photo", "location").
    capabilities: Mapping[str, frozenset[str]]
    staff: tuple[str, ...] = ()  # CHANNEL:ID from STAFF; `cocreate staff add` keeps more in the database

    def handle(self, inbound: Inbound) -> Handled:
        now = self.clock()
        with Session(self.database, expire_on_commit=False) as session, session.begin():
            citizen, conversation = citizens.person_for(session, address=inbound.address)
            assert citizen.id is not None
            if not citizens.first_time_seen(session, channel=inbound.address.channel, event_id=inbound.event_id):
                return Handled(duplicate=True)
            state = State.from_json(conversation.state)
            event: Inbound | Receipts = inbound
            replies = []
            for _ in range(MAX_STEPS_PER_EVENT):
                result = self.flows.step(state, event, self._context(session, citizen, inbound, now))
                state = result.state
                replies.extend(result.replies)
                receipts = self._apply(session, citizen, result.effects, now)
                if not receipts:
                    break
                event = Receipts(receipts)
            citizens.save_state(session, conversation=conversation, state=state.to_json(), now=now)
            outbox.enqueue(session, address=inbound.address, replies=replies, citizen_id=citizen.id, now=now)
        return Handled(duplicate=False, replies=tuple(replies))

    def say(self, address: Address, outbound: Outbound, *, event_id: str) -> bool:
        """Queue a message the bot sends on its own in answer to a channel event (once per
        event id), outside any dialog: e.g. the short invitation in a group chat."""
        with Session(self.database) as session, session.begin():
            if not citizens.first_time_seen(session, channel=address.channel, event_id=event_id):
                return False
            outbox.enqueue(session, address=address, replies=[outbound], citizen_id=None, now=self.clock())
        return True

    def mark_unreachable(self, address: Address) -> None:
        """The person blocked the bot: send them nothing until they write again."""
        with Session(self.database) as session, session.begin():
            citizens.mark_unreachable(session, address=address)

    def _context(self, session: Session, citizen: Citizen, inbound: Inbound, now: datetime) -> Context:
        assert citizen.id is not None
        person = Person(
            consented=citizen.consented_at is not None,
            language=citizen.language or self.settings.default_language,
            role=citizen.role,
            display_name=citizen.display_name,
        )
        return Context(
            now=now.astimezone(self.zone),
            person=person,
            settings=self.settings,
            catalogs=self.catalogs,
            lookup=SessionLookup(session, citizen.id, self.settings, inbound.address, self.staff),
            capabilities=self.capabilities.get(inbound.address.channel, frozenset()),
        )

    def _apply(self, session: Session, citizen: Citizen, effects: Sequence[Effect], now: datetime) -> tuple[Receipt, ...]:
        receipts: list[Receipt] = []
        for effect in effects:
            receipt = self._apply_one(session, citizen, effect, now)
            if receipt is not None:
                receipts.append(receipt)
        return tuple(receipts)

    def _apply_one(self, session: Session, citizen: Citizen, effect: Effect, now: datetime) -> Receipt | None:
        assert citizen.id is not None
        if isinstance(effect, GiveConsent):
            language = citizen.language or self.settings.default_language
            citizens.give_consent(session, citizen=citizen, display_name=effect.display_name, language=language, now=now)
        elif isinstance(effect, SetRole):
            citizens.set_role(session, citizen=citizen, role=effect.role)
        elif isinstance(effect, SetLanguage):
            citizens.set_language(session, citizen=citizen, language=effect.language)
        elif isinstance(effect, Subscribe):
            citizens.subscribe(session, citizen_id=citizen.id, topics=effect.topics, area=effect.area)
        elif isinstance(effect, SaveProblem):
            problem_id = _create_problem(session, citizen.id, effect.problem)
            return Receipt("problem", problem_id, make_ref("problem", problem_id))
        elif isinstance(effect, SaveIdea):
            return _create_idea(session, citizen.id, effect)
        elif isinstance(effect, SaveDesignOffer):
            offer_in = DesignOfferCreate(
                idea_id=effect.idea_id,
                skills=list(effect.skills),
                hours=effect.hours,
                contact_ok=effect.contact_ok,
                language=effect.language,
            )
            offer = submissions.create_design_offer(session, citizen_id=citizen.id, offer_in=offer_in)
            assert offer.id is not None
            return Receipt("design", offer.id, make_ref("design", offer.id))
        elif isinstance(effect, RecordReach):
            broadcasts.record_reach(session, broadcast_id=effect.broadcast_id, citizen_id=citizen.id, people=effect.people)
        elif isinstance(effect, StopUpdates):
            broadcasts.unsubscribe_all(session, citizen_id=citizen.id)
        elif isinstance(effect, QueueBroadcast):
            return self._queue_broadcast(session, citizen, effect, now)
        elif isinstance(effect, AddSupport):
            outcome = submissions.add_support(session, citizen_id=citizen.id, kind=effect.kind, target_id=effect.target_id)
            return Receipt(effect.kind, effect.target_id, make_ref(effect.kind, effect.target_id), outcome)
        return None


    def _queue_broadcast(self, session: Session, citizen: Citizen, effect: QueueBroadcast, now: datetime) -> Receipt:
        broadcast = broadcasting.queue(
            session,
            text=effect.text,
            audience=Audience(topic=effect.topic),
            created_by=f"{citizen.channel}:{citizen.channel_user_id}",
            now=now,
            catalogs=self.catalogs,
            settings=self.settings,
        )
        assert broadcast.id is not None
        return Receipt("broadcast", broadcast.id, f"B-{broadcast.id}", outcome=f"{broadcast.recipients:,}")


def _create_problem(session: Session, citizen_id: int, problem: NewProblem) -> int:
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
    created = submissions.create_problem(session, citizen_id=citizen_id, problem_in=problem_in)
    assert created.id is not None
    return created.id


def _create_idea(session: Session, citizen_id: int, effect: SaveIdea) -> Receipt:
    problem_id = effect.problem_id
    if effect.new_problem is not None:
        problem_id = _create_problem(session, citizen_id, effect.new_problem)
    idea_in = IdeaCreate(
        description=effect.description,
        title=effect.title,
        benefit=effect.benefit,
        language=effect.language,
        problem_id=problem_id,
    )
    idea = submissions.create_idea(session, citizen_id=citizen_id, idea_in=idea_in)
    assert idea.id is not None
    return Receipt("idea", idea.id, make_ref("idea", idea.id))
