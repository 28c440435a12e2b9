"""An in-memory world for engine tests: no database, no clock."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Sequence

from conversations.context import (
    Candidate, Context, Details, Estimate, FlowSettings, Following, HistoryEntry, MyReach, OpenQuestion, Page, Person,
    PollView, ReadyIdea, Report, Summary,
)  # fmt: skip
from conversations.engine import FlowEngine, Result
from conversations.flows import all_steps
from conversations.i18n import load_catalogs
from conversations.messages import Address, Choice, Inbound
from conversations.state import State

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)
SETTINGS = FlowSettings(
    categories=("roads", "lighting", "waste", "parks", "transport", "safety", "other"),
    followup_after=(timedelta(days=3), timedelta(days=14)),
    languages=("en", "es", "fr", "de", "pt"),
    default_language="en",
)
CATALOGS = load_catalogs()
ADDRESS = Address("console", "ana", "ana")


@dataclass
class MemoryLookup:
    problems: list[tuple[Summary, str]] = field(default_factory=list)
    ideas: list[Summary] = field(default_factory=list)
    mine: list[Summary] = field(default_factory=list)

    def open_problems(self, *, offset: int, limit: int) -> Page:
        ranked = sorted((s for s, _ in self.problems), key=lambda s: -s.supporters)
        return Page(tuple(ranked[offset : offset + limit]), len(ranked) > offset + limit)

    def problem_candidates(self, *, category: str) -> Sequence[Candidate]:
        return [Candidate(s, Report(text, "en")) for s, text in self.problems if s.category == category]

    def open_ideas(self, *, offset: int, limit: int) -> Page:
        ranked = sorted(self.ideas, key=lambda s: -s.supporters)
        return Page(tuple(ranked[offset : offset + limit]), len(ranked) > offset + limit)

    def my_submissions(self) -> Sequence[Summary]:
        return self.mine

    staff: bool = False
    audience: int = 0

    def is_staff(self) -> bool:
        return self.staff

    def audience_size(self, *, topic: str | None, groups: bool = True) -> int:
        return self.audience

    # Broadcasts sent to the person, the reach they told per broadcast, what they follow.
    sent: frozenset[int] = frozenset()
    reported: dict[int, int] = field(default_factory=dict)
    followed: Following = field(default_factory=Following)

    def following(self) -> Following:
        return self.followed

    def was_sent(self, *, broadcast_id: int) -> bool:
        return broadcast_id in self.sent

    def reach_reported(self, *, broadcast_id: int) -> int | None:
        return self.reported.get(broadcast_id)

    measured: MyReach | None = None  # what the person's personal links brought
    ready: list[ReadyIdea] = field(default_factory=list)  # ideas ready to form a design team

    def ready_for_team(self) -> Sequence[ReadyIdea]:
        return self.ready

    def my_reach(self) -> MyReach | None:
        return self.measured
    question: OpenQuestion | None = None  # the city team's question waiting for an answer

    def open_question(self) -> OpenQuestion | None:
        return self.question

    polls: dict[int, PollView] = field(default_factory=dict)  # polls sent to the person

    def poll(self, *, poll_id: int, language: str) -> PollView | None:
        return self.polls.get(poll_id)

    notice_buttons: tuple[Choice, ...] = ()  # of the latest message the bot started itself

    def latest_notice_buttons(self) -> Sequence[Choice]:
        return self.notice_buttons

    submitted_today: int = 0  # what the person sent in the last day
    teams: tuple[str, ...] = ()  # the teams the person is a member of

    def my_teams(self) -> tuple[str, ...]:
        return self.teams

    def submitted_since(self, *, since: datetime) -> int:
        return self.submitted_today

    estimates: dict[str, Estimate] = field(default_factory=dict)  # per category, as last computed

    def estimate(self, *, category: str) -> Estimate | None:
        return self.estimates.get(category)

    def submission(self, *, kind: str, id: int) -> Summary | None:
        everything = [s for s, _ in self.problems] + self.ideas + self.mine
        return next((s for s in everything if s.kind == kind and s.id == id), None)

    def inbox(self, *, offset: int, limit: int) -> Page:
        waiting = [s for s, _ in reversed(self.problems) if s.status in ("new", "under_review")]
        return Page(tuple(waiting[offset : offset + limit]), len(waiting) > offset + limit)

    def details(self, *, kind: str, id: int) -> Details | None:
        for summary, description in self.problems:
            if summary.kind == kind and summary.id == id:
                history = (HistoryEntry(NOW, None, "new", None, "citizen:1"),)
                return Details(summary, description, "en", NOW, history)
        return None


@dataclass
class Conversation:
    """Drives the engine like the service would, applying person effects to the context."""

    lookup: MemoryLookup = field(default_factory=MemoryLookup)
    capabilities: frozenset[str] = frozenset()
    person: Person = field(default_factory=lambda: Person(consented=False, language="en"))
    state: State = field(default_factory=State)
    engine: FlowEngine = field(default_factory=lambda: FlowEngine(all_steps()))
    effects: list = field(default_factory=list)
    counter: int = 0
    # What the service's language detection says about the next text (none by default).
    language_candidates: tuple[tuple[str, float], ...] = ()

    def context(self) -> Context:
        return Context(NOW, self.person, SETTINGS, CATALOGS, self.lookup, self.capabilities, self.language_candidates)

    def send(self, text: str | None = None, **fields: object) -> Result:
        self.counter += 1
        event = Inbound(ADDRESS, str(self.counter), text=text, **fields)  # type: ignore[arg-type]
        return self.apply(self.engine.step(self.state, event, self.context()))

    def apply(self, result: Result) -> Result:
        from conversations.effects import GiveConsent, SetLanguage, SetRole

        self.state = result.state
        self.effects.extend(result.effects)
        for effect in result.effects:
            if isinstance(effect, GiveConsent):
                self.person = replace(self.person, consented=True)
            elif isinstance(effect, SetRole):
                self.person = replace(self.person, role=effect.role)
            elif isinstance(effect, SetLanguage):
                self.person = replace(self.person, language=effect.language, language_settled=True)
        return result

    def said(self, result: Result) -> str:
        return "\n".join(r.text for r in result.replies)
