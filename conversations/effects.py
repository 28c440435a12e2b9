"""Effects: what the engine wants done, as data. bot/ carries them out in the same transaction.

Effects that create or change something answer with a Receipt, which the service feeds back
to the engine so it can tell the person their reference (P-12) in the same turn.
"""

from __future__ import annotations

from dataclasses import dataclass

from conversations.messages import Location, Photo


@dataclass(frozen=True)
class GiveConsent:
    display_name: str | None


@dataclass(frozen=True)
class SetRole:
    role: str


@dataclass(frozen=True)
class SetLanguage:
    language: str


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


Effect = (
    GiveConsent | SetRole | SetLanguage | SaveProblem | SaveIdea | SaveDesignOffer
    | AddSupport | Subscribe | RecordReach | StopUpdates | QueueBroadcast
)


@dataclass(frozen=True)
class Receipt:
    """The outcome of one effect that the person should hear about.

    `outcome` is "saved" for new submissions, and for supports one of "added",
    "already" (they supported it before) or "own" (it is their own submission).
    """

    kind: str
    id: int
    ref: str
    outcome: str = "saved"


@dataclass(frozen=True)
class Receipts:
    """The event the service sends back to the engine after carrying out effects."""

    items: tuple[Receipt, ...]
