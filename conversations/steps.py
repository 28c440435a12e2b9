"""The building blocks flows are made of: Ask, Choose and AwaitReceipts, and the Move between them.

A flow is plain data: a mapping of stable step ids to steps. Next-step rules are either a
step id or a function of the Turn that returns a step id or a Move (which can also carry
texts to say, effects to apply, and answers to seed the next flow with).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Sequence

from conversations.context import Context
from conversations.effects import Effect, Receipts
from conversations.i18n import Text
from conversations.messages import Inbound
from conversations.state import State

Label = Text | str


@dataclass(frozen=True)
class Turn:
    state: State
    ctx: Context
    event: Inbound | Receipts | None = None

    @property
    def answers(self) -> Mapping[str, Any]:
        return self.state.answers

    @property
    def language(self) -> str:
        return self.ctx.person.language


@dataclass(frozen=True)
class Move:
    """Where to go next. Entering another flow starts with fresh answers (plus `seed`)."""

    to: str
    say: tuple[Text, ...] = ()
    effects: tuple[Effect, ...] = ()
    seed: Mapping[str, Any] = field(default_factory=dict)
    ask: bool = True  # False: go there quietly and wait for the person to speak


@dataclass(frozen=True)
class Option:
    value: str
    label: Label


@dataclass(frozen=True)
class Options:
    items: tuple[Option, ...]
    has_more: bool = False


Prompt = Callable[[Turn], Sequence[Text]]
Next = str | Callable[[Turn], "str | Move"]
Validator = Callable[[str], "str | Text"]  # the cleaned value, or why it is not accepted


@dataclass(frozen=True)
class Instead:
    """A button under a free question that goes to another step instead of answering it
    ("Ask a question instead" under the broadcast's text)."""

    value: str
    label: Label
    to: str


@dataclass(frozen=True)
class Ask:
    """A free answer: text, and where allowed a location or a photo; optionally skippable."""

    id: str
    prompt: Prompt
    field: str
    next: Next
    validate: Validator
    skippable: bool = False
    accepts_location: bool = False
    accepts_photo: bool = False
    # Passed over (answer None) where it cannot apply, e.g. a photo in the terminal.
    applies: Callable[[Context], bool] | None = None
    staff_only: bool = False  # see staff_flow
    instead: tuple[Instead, ...] = ()


@dataclass(frozen=True)
class Choose:
    """Pick one option (or several, with `multi`, ending with Done); `paged` adds More."""

    id: str
    prompt: Prompt
    options: Callable[[Turn], Options]
    field: str
    next: Next
    multi: bool = False
    paged: bool = False
    when_empty: Callable[[Turn], Move] | None = None
    staff_only: bool = False  # see staff_flow


@dataclass(frozen=True)
class AwaitReceipts:
    """Waits for the outcome of effects (a new reference) within the same turn."""

    id: str
    on_receipts: Callable[[Turn, Receipts], Move]
    staff_only: bool = False  # see staff_flow


Step = Ask | Choose | AwaitReceipts


def says(*texts: Text) -> Prompt:
    """A prompt that always says the same catalog texts."""
    return lambda _turn: texts


def fixed(*options: Option) -> Callable[[Turn], Options]:
    return lambda _turn: Options(options)


def flow(name: str, *steps: Step) -> dict[str, Step]:
    """Qualify each step id with the flow name: flow("explorer", Ask("place", ...))."""
    return {f"{name}.{s.id}": s for s in steps}


def staff_flow(name: str, *steps: Step) -> dict[str, Step]:
    """A flow only staff may be in: the engine asks whether the person is staff each time it
    asks or reads an answer to one of its questions (not only when the dialog begins), and
    takes someone who no longer is out of it."""
    return {key: replace(step, staff_only=True) for key, step in flow(name, *steps).items()}
