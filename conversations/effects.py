"""Effects: what the engine wants done, as data. bot/ carries them out in the same transaction.

Effects that create or change something answer with a Receipt, which the service feeds back
to the engine so it can tell the person their reference (P-12) in the same turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from conversations.buttons import CheckAnswer
from conversations.messages import Location, Photo


@dataclass(frozen=True)
class GiveConsent:
    display_name: str | None


@dataclass(frozen=True)
class SetRole:
    role: str


@dataclass(frozen=True)
class SetLanguage:
    """Use this language. `source` says how it was settled: "chosen" with /language (it
    wins over detection), or "detected" from what the person wrote."""

    language: str
    source: str = "chosen"


@dataclass(frozen=True)
class NewProblem:
    description: str
    title: str
    category: str
    language: str
    place: str | None = None
    location: Location | None = None
    photo: Photo | None = None
    affected: str | None = None
    # Kept for the city team only (the person kept contact details in it).
    private: bool = False
    # Held until staff approve it (MODERATION=pre, or abusive words): see conversations/moderation.py.
    held: bool = False


@dataclass(frozen=True)
class SaveProblem:
    problem: NewProblem


@dataclass(frozen=True)
class SaveIdea:
    """An idea for an existing problem (`problem_id`) or for one described just now."""

    description: str
    title: str
    benefit: str
    language: str
    problem_id: int | None = None
    new_problem: NewProblem | None = None
    private: bool = False  # as NewProblem's
    held: bool = False


@dataclass(frozen=True)
class SaveDesignOffer:
    idea_id: int
    skills: tuple[str, ...]
    hours: str
    contact_ok: bool
    language: str


@dataclass(frozen=True)
class Additions:
    """What a person had given about a problem before supporting the existing report of it
    instead of saving theirs: kept in that problem's history."""

    description: str
    place: str | None = None
    location: Location | None = None
    photo: Photo | None = None


@dataclass(frozen=True)
class AddSupport:
    kind: str  # "problem" | "idea"
    target_id: int
    additions: Additions | None = None


@dataclass(frozen=True)
class Subscribe:
    topics: tuple[str, ...]
    area: str | None


@dataclass(frozen=True)
class RecordReach:
    """A diffuser says about how many people they passed a broadcast on to. Counted once per
    person and broadcast, only for one sent to them: the receipt says how it went."""

    broadcast_id: int
    people: int


@dataclass(frozen=True)
class AnswerPoll:
    """A person answers a poll sent to them: an option (from 0), or "Other" (`option` None)
    with a short text. A later answer replaces theirs until the poll closes; the service
    checks again that it was sent to them and is open, and confirms with the poll's buttons."""

    poll_id: int
    option: int | None
    other_text: str | None = None


@dataclass(frozen=True)
class StopUpdates:
    """Unsubscribe from every topic ("Stop these updates", /stop): no more broadcasts."""


@dataclass(frozen=True)
class QueueBroadcast:
    """Staff send a broadcast to diffusers (of one topic, or all)."""

    text: str
    topic: str | None


@dataclass(frozen=True)
class QueuePoll:
    """Staff send a poll (a question with options) to diffusers (of one topic, or all), open
    for `open_for`; `outcome` is what the city will do with the result (None: given later)."""

    question: str
    options: tuple[str, ...]
    other: bool
    open_for: timedelta
    outcome: str | None
    topic: str | None


@dataclass(frozen=True)
class ScheduleFollowUp:
    """Tell the submitter what happened to their submission at these moments."""

    kind: str
    target_id: int
    due: tuple[datetime, ...]


@dataclass(frozen=True)
class ChangeStatus:
    """Staff move a submission on (from a chat); the people concerned are told."""

    kind: str
    target_id: int
    status: str
    note: str | None = None
    duplicate_of: str | None = None  # the original's reference, for "duplicate"


@dataclass(frozen=True)
class Moderate:
    """Staff hide a submission from other residents, or approve it to be shown (from a chat)."""

    kind: str
    target_id: int
    action: str  # "hide" | "approve"
    note: str | None = None


@dataclass(frozen=True)
class RecordCheck:
    """The reporter answers a follow-up's "Is it still a problem?" (still / solved / worse)."""

    kind: str
    target_id: int
    answer: CheckAnswer


@dataclass(frozen=True)
class AnswerQuestion:
    """The person's answer to the city team's question; it goes into the submission's history."""

    question_id: int
    text: str


@dataclass(frozen=True)
class SendSignInLink:
    """Staff asked for a link to the staff console (/web): it goes to their private chat."""


@dataclass(frozen=True)
class SendMyData:
    """/mydata: everything kept about the person, as a short summary and a JSON file."""


@dataclass(frozen=True)
class ForgetMe:
    """/forget, confirmed: delete the person; their submissions stay, anonymous, unless
    `delete_submissions` (then those nobody else supports go too)."""

    delete_submissions: bool = False


Effect = (
    GiveConsent | SetRole | SetLanguage | SaveProblem | SaveIdea | SaveDesignOffer
    | AddSupport | Subscribe | RecordReach | AnswerPoll | StopUpdates | QueueBroadcast | QueuePoll
    | ScheduleFollowUp | ChangeStatus | Moderate | RecordCheck
    | AnswerQuestion | SendSignInLink | SendMyData | ForgetMe
)


class Outcome(StrEnum):
    """How an effect turned out, as the flows tell the person."""

    SAVED = "saved"  # a new submission
    ADDED = "added"  # a support counted, or a diffuser's reach
    ALREADY = "already"  # they supported it before, or told their reach for this broadcast before
    OWN = "own"  # it is their own submission
    CHANGED = "changed"  # a status change, told to the people concerned
    NOTED = "noted"  # a staff note without a status change
    FAILED = "failed"  # the status change could not be made (`reason` says why)
    QUEUED = "queued"  # a broadcast, waiting for delivery


@dataclass(frozen=True)
class Receipt:
    """The outcome of one effect that the person should hear about. Numbers stay numbers:
    the flows format them in the person's language."""

    kind: str
    id: int
    ref: str
    outcome: Outcome = Outcome.SAVED
    people: int = 0  # how many people it reaches: a broadcast's recipients, those a status change told
    reason: str = ""  # why it failed


@dataclass(frozen=True)
class Receipts:
    """The event the service sends back to the engine after carrying out effects."""

    items: tuple[Receipt, ...]
