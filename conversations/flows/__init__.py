"""All dialogs as data: qualified step id ("explorer.category") -> step."""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from conversations.flows import broadcast_dialog, designer, diffuser, explorer, home, ideator, inbox, poll_answer, poll_dialog, privacy
from conversations.steps import Step


def all_steps() -> Mapping[str, Step]:
    steps: dict[str, Step] = {}
    for module in (home, explorer, ideator, designer, diffuser, broadcast_dialog, inbox, privacy, poll_answer, poll_dialog):
        steps.update(module.steps())
    return MappingProxyType(steps)
