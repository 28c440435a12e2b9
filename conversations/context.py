"""What the engine may know besides the state and the event.

The engine reads the world only through `Lookup`, a read-only protocol (like goflow's
session assets): the service implements it over the open transaction, tests implement it
in memory. The engine never writes and never reads the clock; `now` is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Mapping, Protocol, Sequence

from conversations.i18n import Catalogs
from conversations.messages import Choice, Location


@dataclass(frozen=True)
class Person:
    consented: bool
    language: str
    role: str | None = None
    display_name: str | None = None
    # Chosen with /language or noticed once from their writing: no more detection.
    language_settled: bool = False


@dataclass(frozen=True)
class FlowSettings:
    categories: tuple[str, ...]
    followup_after: tuple[timedelta, ...]
    languages: tuple[str, ...]
    default_language: str
    page_size: int = 5
    # "post": shown at once, staff may hide; "pre": shown after staff approve (MODERATION).
    moderation: str = "post"
    # Per language, terms that hold a text for review (conversations/moderation.py).
    abusive_terms: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # The region phone numbers are read in (PHONE_REGION, or the default language's country).
    phone_region: str = "GB"
    # SUBMISSIONS_PER_DAY: problems, ideas and offers a person may send a day (0: no limit).
    submissions_per_day: int = 10
    retention_days: int = 90  # RETENTION_DAYS, which the privacy notice tells
    team_supporters: int = 10  # TEAM_SUPPORTERS: when an idea is ready to form a design team


@dataclass(frozen=True)
class Summary:
    """One submission as lists and summaries show it."""

    kind: str
    id: int
    ref: str
    title: str
    status: str
    supporters: int = 0
    category: str | None = None
    last_change: datetime | None = None  # when its status last moved (or it was created)
    next_follow_up: datetime | None = None  # when the submitter hears about it next


@dataclass(frozen=True)
class Report:
    """A problem as duplicate detection reads it: what was written, in which language, and
    where (typed place, shared location), each when given."""

    text: str
    language: str
    place: str | None = None
    location: Location | None = None


@dataclass(frozen=True)
class Candidate:
    """An open problem that a new report may repeat."""

    summary: Summary
    report: Report


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    from_status: str | None
    to_status: str
    note: str | None
    by: str


@dataclass(frozen=True)
class Submitter:
    """Who gave a submission: their identity on the channel, and the name their app showed
    when they agreed (None when it showed none)."""

    channel: str
    user_id: str
    name: str | None = None

    @property
    def identity(self) -> str:
        """`telegram:5001`; a person forgotten at their request has none left: `forgotten`."""
        return f"{self.channel}:{self.user_id}" if self.user_id else self.channel


@dataclass(frozen=True)
class OfferTerms:
    """What a design offer gives, as the codes the Designer flow chose (skills like
    "software", hours a week like "2-4"), and whether the city team may contact them."""

    skills: tuple[str, ...]
    hours: str
    contact_ok: bool


@dataclass(frozen=True)
class Facts:
    """What staff need about a submission besides its text; each only where its kind has it
    (a problem's place, location, affected, photo; what an idea or an offer is for; an
    offer's terms)."""

    submitter: Submitter | None = None
    place: str | None = None
    location: Location | None = None
    affected: str | None = None  # a code: me, street, neighbourhood, city
    photo: str | None = None  # the channel's kept reference (a Telegram file_id)
    for_item: tuple[str, int] | None = None  # (kind, id): an idea's problem, an offer's idea
    offer: OfferTerms | None = None
    # Whether other residents see it: "shown", "pending" (staff approve first) or "hidden";
    # `private` when the person kept contact details in it for the city team only.
    moderation: str = "shown"
    private: bool = False


@dataclass(frozen=True)
class Details:
    """One submission as staff open it: everything it says, and its history."""

    summary: Summary
    description: str  # empty for a design offer, which says what it gives in `facts.offer`
    language: str
    created_at: datetime
    history: tuple[HistoryEntry, ...]
    facts: Facts = Facts()


@dataclass(frozen=True)
class Following:
    """The topics a person follows for broadcasts and digests, and the area they gave (None:
    the whole city). No topics: they get no broadcasts."""

    topics: tuple[str, ...] = ()
    area: str | None = None


@dataclass(frozen=True)
class ReadyIdea:
    """An idea ready to form a design team (TEAM_SUPPORTERS supporters and two designers who
    may be contacted), not formed yet."""

    ref: str
    title: str
    supporters: int
    offers: int


@dataclass(frozen=True)
class MyReach:
    """What a diffuser's personal links brought: new people who started the bot through
    them, and what those people submitted."""

    started: int
    submitted: int


@dataclass(frozen=True)
class OpenQuestion:
    """A question the city team asked the person about one of their submissions, still
    waiting for the answer (the next free text they write)."""

    id: int
    ref: str


@dataclass(frozen=True)
class Estimate:
    """How long problems of one category took, from the status history (Kaplan-Meier, with
    the ones still open counted as open so far, bot/operations/survival.py): the 25th and
    75th percentiles in days, to the first response and to done. A percentile is None when
    the curve never reaches it (too few have got there yet)."""

    category: str
    finished: int  # problems done (the observed cases of "to done")
    still_open: int  # problems not done, declined or duplicate yet
    first_response: tuple[float | None, float | None]
    done: tuple[float | None, float | None]
    computed_at: datetime


@dataclass(frozen=True)
class PollView:
    """A poll sent to the person, in their language: its options (and whether "Other" is
    offered), until when answers are taken, and whether that time has passed."""

    id: int
    options: tuple[str, ...]
    other: bool
    closes_at: datetime
    closed: bool


@dataclass(frozen=True)
class Page:
    items: tuple[Summary, ...]
    has_more: bool


class Lookup(Protocol):
    def open_problems(self, *, offset: int, limit: int) -> Page:
        """Open problems, most supported first."""
        ...

    def problem_candidates(self, *, category: str) -> Sequence[Candidate]:
        """Open problems in a category with what they say and where, for duplicate detection."""
        ...

    def open_ideas(self, *, offset: int, limit: int) -> Page:
        """Ideas that are still going somewhere (not done, declined or duplicate)."""
        ...

    def my_submissions(self) -> Sequence[Summary]:
        """The person's own submissions, newest first."""
        ...

    def submission(self, *, kind: str, id: int) -> Summary | None:
        """One submission by kind and id, or None when there is no such submission."""
        ...

    def inbox(self, *, offset: int, limit: int) -> Page:
        """Submissions waiting for staff (new or under review), newest first."""
        ...

    def my_teams(self) -> tuple[str, ...]:
        """The teams the person is a member of, whose work alone their inbox shows (none: everything)."""
        ...

    def details(self, *, kind: str, id: int) -> Details | None:
        """One submission with its text, language and history, for staff."""
        ...

    def is_staff(self) -> bool:
        """Whether the person may use staff commands (asked only when they try one)."""
        ...

    def audience_size(self, *, topic: str | None, groups: bool = True) -> int:
        """How many people following this topic (any topic when None), and community groups
        (unless not `groups`: a poll goes to people only), a broadcast would reach."""
        ...

    def following(self) -> Following:
        """What the person follows (their subscriptions)."""
        ...

    def was_sent(self, *, broadcast_id: int) -> bool:
        """Whether this broadcast was sent to the person (it may not exist at all)."""
        ...

    def reach_reported(self, *, broadcast_id: int) -> int | None:
        """How many people the person said they passed this broadcast on to, if they said."""
        ...

    def ready_for_team(self) -> Sequence[ReadyIdea]:
        """Ideas ready to form a design team, for staff."""
        ...

    def my_reach(self) -> MyReach | None:
        """What the person's personal links in broadcasts brought; None when they had none."""
        ...

    def poll(self, *, poll_id: int, language: str) -> PollView | None:
        """This poll in this language, if it was sent to the person (it may not exist at all)."""
        ...

    def latest_notice_buttons(self) -> Sequence[Choice]:
        """The buttons of the latest message the bot started itself that reached the person."""
        ...

    def open_question(self) -> OpenQuestion | None:
        """The city team's question to this person still waiting for an answer, if any."""
        ...

    def submitted_since(self, *, since: datetime) -> int:
        """How many problems, ideas and design offers the person sent since then."""
        ...

    def estimate(self, *, category: str) -> Estimate | None:
        """How long problems of this category took, as last computed (None: never computed)."""
        ...


@dataclass(frozen=True)
class Context:
    now: datetime
    person: Person
    settings: FlowSettings
    catalogs: Catalogs
    lookup: Lookup
    # What the channel can carry besides text: "buttons", "photo", "location".
    capabilities: frozenset[str] = field(default_factory=frozenset)
    # The languages the event's text may be in, most likely first, with probabilities:
    # detected by the service (outside the engine and its transaction) while the person's
    # language is not settled; empty otherwise.
    language_candidates: tuple[tuple[str, float], ...] = ()
