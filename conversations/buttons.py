"""What a button carries, and reading it back: the one place that makes or splits these strings.

A press comes back from the network as a string anyone can forge, so `decode` reads any
string and answers None for whatever this module did not make; it never raises.

The wire forms stay as they are, because buttons on messages sent before an upgrade must
keep working:

    "explorer.category|parks"   StepAnswer: the question's step id and the chosen option
    "bc:12|shared"              BroadcastAction under a broadcast ("shared" or "stop")
    "fu:P-12|still"             FollowUpAnswer under a follow-up ("still", "solved", "worse")
    "pl:12|3", "pl:12|other"    PollAnswer under a poll (broadcast 12): option 3 (from 0), or "Other"
    "_open_dm"                  OpenDirectMessage: Slack's "talk in private" under a mention

Option values that stand for a submission ("p:12", "i:7", "d:3") are Picked values; they
travel inside a StepAnswer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, TypeVar, get_args

from conversations.refs import PREFIXES

BroadcastActionName = Literal["shared", "stop"]
CheckAnswer = Literal["still", "solved", "worse"]
BROADCAST_ACTIONS: tuple[BroadcastActionName, ...] = get_args(BroadcastActionName)
CHECK_ANSWERS: tuple[CheckAnswer, ...] = get_args(CheckAnswer)

# Ids are database integers (INTEGER on PostgreSQL); anything larger cannot be one of ours.
MAX_ID = 2**31 - 1
# Bounds that keep every value within Telegram's 64 bytes of callback data, with room for
# the adapter's own prefix (tests/conversations/test_buttons.py checks the flows keep to them).
MAX_STEP_BYTES = 30
MAX_VALUE_BYTES = 30

_BROADCAST, _FOLLOW_UP, _POLL, _OPEN_DM = "bc:", "fu:", "pl:", "_open_dm"
# A poll offers at most this many options (buttons are one per option, plus "Other").
MAX_POLL_OPTIONS = 10
OTHER = "other"
_ID = r"([1-9][0-9]{0,9})"  # ASCII digits only: str.isdigit() also accepts "²", which int() refuses
_STEP_ID = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")
_BROADCAST_VALUE = re.compile(rf"bc:{_ID}\|([a-z]+)")
_FOLLOW_UP_VALUE = re.compile(rf"fu:([A-Z])-{_ID}\|([a-z]+)")
_POLL_VALUE = re.compile(rf"pl:{_ID}\|([0-9]|other)")
_PICK = re.compile(rf"([a-z]):{_ID}")
_KIND_OF_LETTER = {prefix.lower(): kind for kind, prefix in PREFIXES.items()}
_Word = TypeVar("_Word", bound=str)


@dataclass(frozen=True)
class StepAnswer:
    """An option of one question: a press on an older message can never answer the current one."""

    step: str
    value: str


@dataclass(frozen=True)
class BroadcastAction:
    """ "I shared it" or "Stop these updates" under a broadcast."""

    broadcast_id: int
    action: BroadcastActionName


@dataclass(frozen=True)
class FollowUpAnswer:
    """The submitter's answer to "Is it still a problem?" under a follow-up."""

    kind: str  # "problem" | "idea" | "design"
    id: int
    answer: CheckAnswer


@dataclass(frozen=True)
class PollAnswer:
    """One option of a poll (`option`, counted from 0) or its "Other" (OTHER), under the poll
    sent as broadcast `poll_id`."""

    poll_id: int
    option: int | Literal["other"]


@dataclass(frozen=True)
class OpenDirectMessage:
    """Slack's button under a channel mention that moves the talk to a direct message."""


ButtonValue = StepAnswer | BroadcastAction | FollowUpAnswer | PollAnswer | OpenDirectMessage


@dataclass(frozen=True)
class Picked:
    """An option value that stands for a submission."""

    kind: str  # "problem" | "idea" | "design"
    id: int


def encode(button: ButtonValue) -> str:
    """The string a button carries. Raises ValueError for a value this module could not read
    back (a step id or option over its bound, an id that is no database id): a mistake in
    the code or the configuration, never in what people send."""
    if isinstance(button, StepAnswer):
        if len(button.step) > MAX_STEP_BYTES or not _STEP_ID.fullmatch(button.step):
            raise ValueError(f"not a step id: {button.step!r}")
        if not _fits(button.value):
            raise ValueError(f"option value empty, not UTF-8 or over {MAX_VALUE_BYTES} bytes: {button.value!r}")
        return f"{button.step}|{button.value}"
    if isinstance(button, BroadcastAction):
        if button.action not in BROADCAST_ACTIONS:
            raise ValueError(f"not a broadcast action: {button.action!r}")
        return f"{_BROADCAST}{_checked_id(button.broadcast_id)}|{button.action}"
    if isinstance(button, FollowUpAnswer):
        if button.kind not in PREFIXES or button.answer not in CHECK_ANSWERS:
            raise ValueError(f"not a follow-up answer: {button!r}")
        return f"{_FOLLOW_UP}{PREFIXES[button.kind]}-{_checked_id(button.id)}|{button.answer}"
    if isinstance(button, PollAnswer):
        if button.option != OTHER and not (
            isinstance(button.option, int) and not isinstance(button.option, bool) and 0 <= button.option < MAX_POLL_OPTIONS
        ):
            raise ValueError(f"not a poll option: {button.option!r}")
        return f"{_POLL}{_checked_id(button.poll_id)}|{button.option}"
    return _OPEN_DM


def decode(raw: str | None) -> ButtonValue | None:
    """What a pressed button meant; None for anything malformed, forged or not ours."""
    if not isinstance(raw, str):
        return None
    if raw == _OPEN_DM:
        return OpenDirectMessage()
    if raw.startswith(_BROADCAST):
        return _broadcast_action(raw)
    if raw.startswith(_FOLLOW_UP):
        return _follow_up_answer(raw)
    if raw.startswith(_POLL):
        return _poll_answer(raw)
    step, separator, value = raw.partition("|")
    if not separator or len(step) > MAX_STEP_BYTES or not _STEP_ID.fullmatch(step):
        return None
    return StepAnswer(step, value) if _fits(value) else None


def encode_pick(picked: Picked) -> str:
    if picked.kind not in PREFIXES:
        raise ValueError(f"not a submission kind: {picked.kind!r}")
    return f"{PREFIXES[picked.kind].lower()}:{_checked_id(picked.id)}"


def decode_pick(value: str) -> Picked | None:
    """The submission an option value stands for; None when it stands for none ("not_listed")."""
    match = _PICK.fullmatch(value)
    if match is None or match.group(1) not in _KIND_OF_LETTER or int(match.group(2)) > MAX_ID:
        return None
    return Picked(_KIND_OF_LETTER[match.group(1)], int(match.group(2)))


def _broadcast_action(raw: str) -> BroadcastAction | None:
    match = _BROADCAST_VALUE.fullmatch(raw)
    if match is None or int(match.group(1)) > MAX_ID:
        return None
    action = _one_of(match.group(2), BROADCAST_ACTIONS)
    return BroadcastAction(int(match.group(1)), action) if action else None


def _follow_up_answer(raw: str) -> FollowUpAnswer | None:
    match = _FOLLOW_UP_VALUE.fullmatch(raw)
    kind = _KIND_OF_LETTER.get(match.group(1).lower()) if match else None
    if match is None or kind is None or int(match.group(2)) > MAX_ID:
        return None
    answer = _one_of(match.group(3), CHECK_ANSWERS)
    return FollowUpAnswer(kind, int(match.group(2)), answer) if answer else None


def _poll_answer(raw: str) -> PollAnswer | None:
    match = _POLL_VALUE.fullmatch(raw)
    if match is None or int(match.group(1)) > MAX_ID:
        return None
    option = match.group(2)
    return PollAnswer(int(match.group(1)), OTHER if option == OTHER else int(option))


def _one_of(word: str, known: tuple[_Word, ...]) -> _Word | None:
    return next((k for k in known if k == word), None)


def _fits(value: str) -> bool:
    """An option value is non-empty UTF-8 within its bound (a lone surrogate is not UTF-8)."""
    try:
        return 0 < len(value.encode()) <= MAX_VALUE_BYTES
    except UnicodeEncodeError:
        return False


def _checked_id(id_: int) -> int:
    if isinstance(id_, bool) or not isinstance(id_, int) or not 1 <= id_ <= MAX_ID:
        raise ValueError(f"not a database id: {id_!r}")
    return id_
