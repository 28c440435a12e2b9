"""Conversation state: where a person is in which dialog, as JSON-serialisable data."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

WELCOME = "welcome.consent"


@dataclass(frozen=True)
class State:
    """`step` is a qualified step id ("explorer.category"); its flow is the part before the dot.

    `answers` holds what the person said in the current flow, `history` the steps behind
    them (for /back), `shown` the option values of the last question (so "2" and button
    presses are read against what the person actually saw), and `suspended` a state put
    aside by an interruption such as /language, restored when it is done.
    """

    step: str | None = None
    answers: Mapping[str, Any] = field(default_factory=dict)
    history: tuple[str, ...] = ()
    shown: tuple[str, ...] = ()
    suspended: Mapping[str, Any] | None = None

    @property
    def flow(self) -> str | None:
        return self.step.split(".", 1)[0] if self.step else None

    def with_answers(self, **updates: Any) -> State:
        return replace(self, answers={**self.answers, **updates})

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "answers": dict(self.answers),
            "history": list(self.history),
            "shown": list(self.shown),
            "suspended": dict(self.suspended) if self.suspended is not None else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> State:
        if not data:
            return cls()
        return cls(
            step=data.get("step"),
            answers=dict(data.get("answers") or {}),
            history=tuple(data.get("history") or ()),
            shown=tuple(data.get("shown") or ()),
            suspended=data.get("suspended"),
        )
