"""The conversation service: each inbound event in one transaction.

Drop a repeated event id, lock the person's conversation (one message at a time per
person), load the state, run the engine, carry out its effects, save the state and write
the replies to the outbox. Nothing is sent here: the delivery worker sends after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from datetime import datetime, tzinfo
from typing import Callable, Mapping, Sequence, assert_never

from sqlalchemy import Engine
from sqlmodel import Session

from conversations.context import Context, FlowSettings, Person
from conversations.effects import (
    AddSupport,
    AnswerPoll,
    AnswerQuestion,
    ChangeStatus,
    Effect,
    ForgetMe,
    GiveConsent,
    Moderate,
    QueueBroadcast,
    QueuePoll,
    Receipt,
    Receipts,
    RecordCheck,
    RecordReach,
    SaveDesignOffer,
    SaveIdea,
    SaveProblem,
    ScheduleFollowUp,
    SendMyData,
    SendSignInLink,
    SetLanguage,
    SetRole,
    StopUpdates,
    Subscribe,
)
from conversations.engine import FlowEngine
from conversations.i18n import Catalogs, T, Text
from conversations.language import worth_detecting
from conversations.messages import Address, Inbound, Outbound
from conversations.refs import make_ref
from conversations.state import State
from bot.operations import broadcasting, polling
from bot.operations import follow_up_messages
from bot.inbound import ordering, saving
from bot.inbound.flood import FloodGate, Verdict
from bot.inbound.lookup import SessionLookup
from bot.inbound.staff_effects import StaffDesk, Work
from bot.operations import data_rights, questions_to_submitters, reach
from bot.operations.reach import JoinLinks
from bot.operations.team_routing import Routing
from bot.outbound.notices import Notices
from bot.runtime.logs import handling_citizen, handling_event
from bot.runtime.metrics import Metrics
from storage import broadcasts, citizens, outbox, safety, submissions
from storage import followups, personal_data
from storage.models import Citizen

log = logging.getLogger(__name__)
# The terminal (`cocreate chat`) is the operator's own: piped answers may come fast.
TERMINAL = "console"
# Receipts lead to at most one more engine step; a bound keeps a faulty flow from looping.
MAX_STEPS_PER_EVENT = 4


@dataclass(frozen=True)
class CarriedOut:
    """An effect the engine asked for, carried out, and its receipt when it has one."""

    effect: Effect
    receipt: Receipt | None = None


@dataclass(frozen=True)
class Handled:
    """What handling one inbound event did: `duplicate` when its event id was seen before,
    the replies it queued (already in the outbox) and the effects it carried out, in order
    (both returned for callers that want to look, such as the benchmark and the golden
    transcripts)."""

    duplicate: bool
    replies: tuple[Outbound, ...] = ()
    effects: tuple[CarriedOut, ...] = ()
    # Not handled and nothing queued: over the flood limit (past the one "slow down"), or
    # from a blocked person already told (nothing of it was stored).
    dropped: bool = False


@dataclass(frozen=True)
class ConversationService:
    database: Engine
    flows: FlowEngine
    settings: FlowSettings
    catalogs: Catalogs
    clock: Callable[[], datetime]
    zone: tzinfo
    # What each channel can carry besides text ("buttons", "photo", "location").
    capabilities: Mapping[str, frozenset[str]]
    notices: Notices
    routing: Routing  # a new submission's team, its card and partners' webhooks (bot/operations/team_routing.py)
    staff: tuple[str, ...] = ()  # CHANNEL:ID from STAFF; `cocreate staff add` keeps more in the database
    # Which languages a text may be in (bot/language.py); None turns detection off.
    detect: Callable[[str], Sequence[tuple[str, float]]] | None = None
    # The staff console's public URL, for the sign-in links /web sends (WEB_BASE_URL).
    web_url: str = "http://127.0.0.1:8080"
    # Per-person flood control (FLOOD_LIMIT); None: none.
    flood: FloodGate | None = None
    metrics: Metrics = field(default_factory=Metrics.create)  # inbound events by channel (/metrics)
    # Where diffusers' personal links point (measured reach); None: broadcasts carry none.
    join_links: JoinLinks | None = None

    def admit(self, inbound: Inbound) -> Verdict:
        """Whether this event is within its sender's FLOOD_LIMIT. In memory, no database:
        channels ask before handing the event to the database thread, so a dropped event
        costs the others nothing."""
        address = inbound.address
        if self.flood is None or address.channel == TERMINAL:
            return Verdict.HANDLE
        return self.flood.admit(f"{address.channel}:{address.user_id}", self.clock())

    def handle(
        self, inbound: Inbound, verdict: Verdict | None = None, *, sequence: int | None = None, patient: bool = True
    ) -> Handled:
        """Handle one event; `verdict` when `admit` was already asked about it. With a
        `sequence` (a webhook's update_id) it goes after the person's older updates
        (bot/inbound/ordering.py: OlderUpdateWaiting, and nothing done, while one waits).
        What is logged meanwhile carries its event id and the person's internal id."""
        with handling_event(inbound.event_id):
            handled = self._handle(inbound, verdict, sequence, patient)
            self.count(inbound, handled)
            if not handled.duplicate and not handled.dropped:
                effects = ", ".join(type(done.effect).__name__ for done in handled.effects) or "none"
                log.info("%s event handled: %s replies, effects: %s", inbound.address.channel, len(handled.replies), effects)
        return handled

    def count(self, inbound: Inbound, handled: Handled) -> None:
        """Count an event for /metrics by its channel and what became of it."""
        outcome = "duplicate" if handled.duplicate else "dropped" if handled.dropped else "handled"
        self.metrics.inbound.labels(channel=inbound.address.channel, outcome=outcome).inc()

    def _handle(self, inbound: Inbound, verdict: Verdict | None, sequence: int | None, patient: bool) -> Handled:
        now = self.clock()
        verdict = self.admit(inbound) if verdict is None else verdict
        if verdict is Verdict.SLOW_DOWN:  # not handled; only the "slow down" is queued
            told = self._tell(inbound.address, T("flood.slow_down", limit=self.flood.limit if self.flood else 0), now)
            return Handled(duplicate=False, dropped=not told)
        if verdict is Verdict.DROP:
            return Handled(duplicate=False, dropped=True)  # no transaction, no row: counted only
        # Detection takes milliseconds: done before the transaction, so no lock waits on it.
        candidates = self._language_candidates(inbound)
        with Session(self.database, expire_on_commit=False) as session, session.begin():
            if sequence is not None:
                ordering.take_turn(session, inbound, sequence, now, patient=patient)
            refused = self._refused_as_blocked(session, inbound.address, now)
            if refused is not None:  # dropped, unless the one notice was queued just now
                return Handled(duplicate=False, dropped=not refused)
            citizen, conversation = citizens.person_for(session, address=inbound.address)
            assert citizen.id is not None
            handling_citizen(citizen.id)
            if not citizens.first_time_seen(session, channel=inbound.address.channel, event_id=inbound.event_id):
                return Handled(duplicate=True)
            reach.attribute_newcomer(
                session, code=inbound.referral, citizen_id=citizen.id, new=conversation.version == 0, now=now
            )
            state = State.from_json(conversation.state)
            event: Inbound | Receipts = inbound
            replies: list[Outbound] = []
            done: list[CarriedOut] = []
            context = self._context(session, citizen, inbound, now, candidates)
            work = Work(session, citizen, inbound.address, now, context.person.language)
            for _ in range(MAX_STEPS_PER_EVENT):
                result = self.flows.step(state, event, context)
                for error in result.errors:
                    log.error("event %s: flow error at step %s: %s", inbound.event_id, error.step, error.detail)
                state = result.state
                replies.extend(result.replies)
                carried_out = [CarriedOut(effect, self._carry_out(work, effect)) for effect in result.effects]
                done.extend(carried_out)
                receipts = tuple(c.receipt for c in carried_out if c.receipt is not None)
                if not receipts:
                    break
                event = Receipts(receipts)
                context = self._context(session, citizen, inbound, now, candidates)
            else:
                log.error(
                    "event %s: still had receipts after %s engine steps at step %s; a flow loops",
                    inbound.event_id, MAX_STEPS_PER_EVENT, state.step,
                )  # fmt: skip
            if work.forgotten:  # a last word, deleted with its address once delivered
                farewell = [dataclass_replace(reply, kind="farewell") for reply in replies]
                outbox.enqueue(session, address=inbound.address, replies=farewell, citizen_id=None, now=now)
            else:
                citizens.save_state(session, conversation=conversation, state=state.to_json(), now=now)
                outbox.enqueue(session, address=inbound.address, replies=replies, citizen_id=citizen.id, now=now)
        return Handled(duplicate=False, replies=tuple(replies), effects=tuple(done))

    def say(self, address: Address, outbound: Outbound, *, event_id: str) -> bool:
        """Queue a message the bot sends on its own in answer to a channel event (once per
        event id), outside any dialog: e.g. the short invitation in a group chat."""
        with Session(self.database) as session, session.begin():
            if not citizens.first_time_seen(session, channel=address.channel, event_id=event_id):
                return False
            outbox.enqueue(session, address=address, replies=[outbound], citizen_id=None, now=self.clock())
        return True

    def _tell(self, address: Address, text: Text, now: datetime) -> bool:
        """A short reply outside any dialog, in the person's language (e.g. "slow down");
        False, and nothing queued, for a blocked person (they get their one notice only)."""
        with Session(self.database) as session, session.begin():
            if safety.blocked_person(session, address=address) is not None:
                return False
            language = citizens.language_of(session, address=address) or self.settings.default_language
            reply = Outbound(self.catalogs.render(language, text))
            outbox.enqueue(session, address=address, replies=[reply], citizen_id=None, now=now)
        return True

    def _refused_as_blocked(self, session: Session, address: Address, now: datetime) -> bool | None:
        """None when the person is not blocked; otherwise whether their one notice was queued
        now. Checked as each event arrives; nothing a blocked person sends is handled or
        kept (not even the event id)."""
        blocked = safety.blocked_person(session, address=address)
        if blocked is None:
            return None
        if blocked.block_notified:
            return False
        reply = Outbound(self.catalogs.render(blocked.language or self.settings.default_language, T("blocked.notice")))
        outbox.enqueue(session, address=address, replies=[reply], citizen_id=blocked.id, now=now)
        safety.mark_block_notified(session, citizen=blocked)
        return True

    def language_of(self, address: Address) -> str:
        """The language the person at this address is spoken to in."""
        with Session(self.database) as session:
            language = citizens.language_of(session, address=address)
        return language or self.settings.default_language

    def mark_unreachable(self, address: Address) -> None:
        """The person blocked the bot: send them nothing until they write again."""
        with Session(self.database) as session, session.begin():
            citizens.mark_unreachable(session, address=address)

    def _language_candidates(self, inbound: Inbound) -> tuple[tuple[str, float], ...]:
        if self.detect is None or not worth_detecting(inbound.text):
            return ()
        with Session(self.database) as session:
            if not citizens.language_open(session, address=inbound.address):
                return ()
        return tuple(self.detect(inbound.text or ""))

    def _context(
        self, session: Session, citizen: Citizen, inbound: Inbound, now: datetime, candidates: tuple[tuple[str, float], ...]
    ) -> Context:
        assert citizen.id is not None
        person = Person(
            consented=citizen.consented_at is not None,
            language=citizen.language or self._offered(inbound.locale_hint) or self.settings.default_language,
            role=citizen.role,
            display_name=citizen.display_name,
            language_settled=citizen.language_source is not None,
        )
        return Context(
            now=now.astimezone(self.zone),
            person=person,
            settings=self.settings,
            catalogs=self.catalogs,
            lookup=SessionLookup(session, citizen.id, self.settings, inbound.address, self.staff, now),
            capabilities=self.capabilities.get(inbound.address.channel, frozenset()),
            language_candidates=candidates,
        )

    def _offered(self, locale_hint: str | None) -> str | None:
        """The channel's language ("es-ES", "pt_BR" -> es, pt) when the bot offers it."""
        language = (locale_hint or "").replace("_", "-").split("-")[0].lower()
        return language if language in self.settings.languages else None

    def _carry_out(self, work: Work, effect: Effect) -> Receipt | None:
        session, citizen, now = work.session, work.citizen, work.now
        assert citizen.id is not None
        if isinstance(effect, GiveConsent):
            citizens.give_consent(session, citizen=citizen, display_name=effect.display_name, language=work.language, now=now)
        elif isinstance(effect, SetRole):
            citizens.set_role(session, citizen=citizen, role=effect.role)
        elif isinstance(effect, SetLanguage):
            citizens.set_language(session, citizen=citizen, language=effect.language, source=effect.source)
            work.language = citizen.language or work.language
        elif isinstance(effect, Subscribe):
            citizens.subscribe(session, citizen_id=citizen.id, topics=effect.topics, area=effect.area)
        elif isinstance(effect, SaveProblem):
            problem_id = saving.create_problem(session, citizen.id, effect.problem, now, self.routing)
            return Receipt("problem", problem_id, make_ref("problem", problem_id))
        elif isinstance(effect, SaveIdea):
            return self._create_idea(work, effect)
        elif isinstance(effect, SaveDesignOffer):
            return saving.create_design_offer(session, citizen.id, effect, now, self.routing)
        elif isinstance(effect, ScheduleFollowUp):
            # The scheduler's claim job sends them when due (bot/scheduling/scheduler.py).
            followups.schedule(session, kind=effect.kind, target_id=effect.target_id, due=effect.due)
        elif isinstance(effect, RecordCheck):
            note = follow_up_messages.CHECK_NOTES[effect.answer]
            submissions.record_check(
                session, kind=effect.kind, id_=effect.target_id, citizen_id=citizen.id, note=note, now=now
            )
        elif isinstance(effect, ChangeStatus):
            return self._desk().change_status(work, effect)
        elif isinstance(effect, Moderate):
            return self._desk().moderate(work, effect)
        elif isinstance(effect, RecordReach):
            return broadcasting.record_reach(
                session, broadcast_id=effect.broadcast_id, citizen_id=citizen.id, people=effect.people, now=now
            )
        elif isinstance(effect, AnswerPoll):
            polling.record_answer(
                session, answer=effect, citizen=citizen, address=work.address, language=work.language, now=now,
                catalogs=self.catalogs, default=self.settings.default_language, zone=self.zone,
            )  # fmt: skip
        elif isinstance(effect, StopUpdates):
            broadcasts.unsubscribe_all(session, citizen_id=citizen.id)
        elif isinstance(effect, QueueBroadcast):
            return self._desk().queue_broadcast(work, effect)
        elif isinstance(effect, QueuePoll):
            return self._desk().queue_poll(work, effect)
        elif isinstance(effect, AnswerQuestion):
            questions_to_submitters.record_answer(
                work.session, question_id=effect.question_id, citizen_id=citizen.id, text=effect.text, now=now
            )
        elif isinstance(effect, SendSignInLink):
            self._desk().send_sign_in_link(work)
        elif isinstance(effect, AddSupport):
            return saving.add_support(saving.Saver(session, citizen.id, now), effect)
        elif isinstance(effect, SendMyData):
            mine = data_rights.my_data_messages(
                session, citizen_id=citizen.id, catalogs=self.catalogs, language=work.language, now=now, zone=self.zone
            )
            outbox.enqueue(session, address=work.address, replies=mine, citizen_id=citizen.id, now=now)
        elif isinstance(effect, ForgetMe):
            personal_data.forget(session, citizen_id=citizen.id, delete_submissions=effect.delete_submissions)
            work.forgotten = True
        else:
            assert_never(effect)  # an effect nobody carries out would be lost: fail loudly (and in mypy)
        return None

    def _desk(self) -> StaffDesk:
        return StaffDesk(
            staff=self.staff, notices=self.notices, catalogs=self.catalogs, settings=self.settings, zone=self.zone,
            web_url=self.web_url, join_links=self.join_links,
        )  # fmt: skip

    def _create_idea(self, work: Work, effect: SaveIdea) -> Receipt:
        assert work.citizen.id is not None
        receipt = saving.create_idea(work.session, work.citizen.id, effect, work.now, self.routing)
        if effect.problem_id is not None:
            follow_up_messages.tell_reporter_about_idea(
                work.session, idea_id=receipt.id, by_citizen=work.citizen.id, now=work.now, notices=self.notices
            )
        return receipt
