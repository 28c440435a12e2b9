"""/forget: what will be deleted and what stays, and the confirmation (buttons carry this
step's id like every other question's, so a stale press cannot confirm anything)."""

from __future__ import annotations

from conversations.effects import ForgetMe
from conversations.i18n import T, Text
from conversations.steps import Choose, Move, Option, Options, Step, Turn, flow

# "all" is offered only to someone with submissions nobody else supports.
KEEP, ALL, CANCEL = "keep", "all", "cancel"


def _unsupported(turn: Turn) -> int:
    return sum(1 for item in turn.ctx.lookup.my_submissions() if item.supporters == 0)


def _prompt(turn: Turn) -> tuple[Text, ...]:
    kept = len(turn.ctx.lookup.my_submissions())
    return (T("forget.explain", submissions=kept), T("forget.ask"))


def _options(turn: Turn) -> Options:
    items = [Option(KEEP, T("forget.option.keep"))]
    if _unsupported(turn):
        items.append(Option(ALL, T("forget.option.all", count=_unsupported(turn))))
    items.append(Option(CANCEL, T("forget.option.cancel")))
    return Options(tuple(items))


def _answer(turn: Turn) -> Move:
    choice = turn.answers["forget"]
    if choice == CANCEL:
        return Move("resume", say=(T("forget.cancelled"),))
    effect = ForgetMe(delete_submissions=choice == ALL)
    # Nowhere to go afterwards: the conversation itself is deleted with the person.
    return Move("welcome.consent", say=(T("forget.done"),), effects=(effect,), ask=False)


def steps() -> dict[str, Step]:
    return flow("privacy", Choose("forget", _prompt, _options, field="forget", next=_answer))
