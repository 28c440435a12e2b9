"""Effects: what the engine wants done, as data. bot/ carries them out in the same transaction.

Effects that create or change something answer with a Receipt, which the service feeds back
to the engine so it can tell the person their reference (P-12) in the same turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


@dataclass(frozen=True)
class SaveDesignOffer:
    idea_id: int
    skills: tuple[str, ...]
    hours: str
    contact_ok: bool
    language: str


@dataclass(frozen=True)
class AddSupport:
    kind: str  # "problem" | "idea"
    target_id: int


@dataclass(frozen=True)
class Subscribe:
    topics: tuple[str, ...]
    area: str | None


@dataclass(frozen=True)
class RecordReach:
    """A diffuser says about how many people they passed a broadcast on to."""

    broadcast_id: int
    people: int


@dataclass(frozen=True)
class StopUpdates:
    """Unsubscribe from every topic (the "Stop these updates" button)."""


@dataclass(frozen=True)
class QueueBroadcast:
    """Staff send a broadcast to diffusers (of one topic, or all)."""

    text: str
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
class RecordCheck:
    """The reporter answers a follow-up's "Is it still a problem?" (still / solved / worse)."""

    kind: str
    target_id: int
    answer: str


@dataclass(frozen=True)
class AnswerQuestion:
    """The person's answer to the city team's question; it goes into the submission's history."""

    question_id: int
    text: str


@dataclass(frozen=True)
class SendSignInLink:
    """Staff asked for a link to the staff console (/web): it goes to their private chat."""


Effect = (
    GiveConsent | SetRole | SetLanguage | SaveProblem | SaveIdea | SaveDesignOffer
    | AddSupport | Subscribe | RecordReach | StopUpdates | QueueBroadcast
    | ScheduleFollowUp | ChangeStatus | RecordCheck
    | AnswerQuestion | SendSignInLink
)


@dataclass(frozen=True)
class Receipt:
    """The outcome of one effect that the person should hear about.

    `outcome` is "saved" for new submissions, and for supports one of "added",
    "already" (they supported it before) or "own" (it is their own submission). For a
    status change it is "changed" or why it could not be made.
    """

    kind: str
    id: int
    ref: str
    outcome: str = "saved"
    detail: str = ""  # e.g. how many people a status change reached, or why it failed


@dataclass(frozen=True)
class Receipts:
    """The event the service sends back to the engine after carrying out effects."""

    items: tuple[Receipt, ...]
