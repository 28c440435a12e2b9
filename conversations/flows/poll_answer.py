"""Answering a poll: one press of an option's button (whatever the person is doing), or
"Other", which asks for a short text and then goes back to what the dialog was asking.

A press counts only for a poll sent to the person and still open (anyone can forge one);
the service checks both again in the transaction that writes, and confirms the answer with
the poll's buttons, so a person can change it until the poll closes."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Sequence

from conversations import validation
from conversations.buttons import OTHER, PollAnswer, decode, encode
from conversations.choosing import normalised
from conversations.effects import AnswerPoll
from conversations.i18n import T
from conversations.messages import Choice
from conversations.steps import Ask, Move, Step, Turn, flow, says

if TYPE_CHECKING:
    from conversations.engine import FlowEngine, Result

MAX_LABEL_TYPED = 80  # longer than any option label (60): no need to look
OTHER_TEXT = validation.short_text  # "Other" is a short answer, checked like other free text


def poll_choices(poll_id: int, options: Sequence[str], *, other: str | None) -> tuple[Choice, ...]:
    """One button per option, then "Other" (its label given) when the poll offers it."""
    buttons = [Choice(encode(PollAnswer(poll_id, index)), label) for index, label in enumerate(options)]
    if other is not None:
        buttons.append(Choice(encode(PollAnswer(poll_id, OTHER)), other))
    return tuple(buttons)


def poll_button(engine: FlowEngine, turn: Turn, pressed: PollAnswer) -> Result:
    """An option counts at once (the service confirms it, so the dialog stays where it was,
    its question still on the screen); "Other" asks for the text first."""
    view = turn.ctx.lookup.poll(poll_id=pressed.poll_id, language=turn.language)
    if view is None:
        return engine.ask_again(turn, T("poll.not_received"))
    if view.closed:
        return engine.ask_again(turn, T("poll.closed"))
    if pressed.option == OTHER:
        if not view.other:
            return engine.ask_again(turn, T("error.stale_choice"))
        ask = Move("poll.other", seed={"poll_id": pressed.poll_id})
        if turn.state.flow == "poll":  # "Other" again while typing one: what they were doing stays put aside
            return engine.go(turn, ask)
        return engine.go(replace(turn, state=replace(turn.state, suspended=turn.state.to_json())), ask)
    if not 0 <= pressed.option < len(view.options):
        return engine.ask_again(turn, T("error.stale_choice"))
    result = engine.ask_again(turn)
    return replace(result, replies=(), effects=(*result.effects, AnswerPoll(pressed.poll_id, pressed.option)))


def typed_poll_answer(turn: Turn, text: str) -> PollAnswer | None:
    """The poll button whose label the person typed (case and accents aside), when the latest
    message the bot started itself was a poll still open, or its confirmation, and the text
    answers nothing the current question asks (the engine asks only then). Short texts only:
    a label is a button's."""
    if not turn.ctx.person.consented or len(text) > MAX_LABEL_TYPED or not text.strip():
        return None
    typed = normalised(text)
    for choice in turn.ctx.lookup.latest_notice_buttons():
        pressed = decode(choice.value)
        if isinstance(pressed, PollAnswer) and normalised(choice.label) == typed:
            view = turn.ctx.lookup.poll(poll_id=pressed.poll_id, language=turn.language)
            # A poll that closed no longer takes typed answers: the text goes to the dialog.
            return pressed if view is not None and not view.closed else None
    return None


def _other_given(turn: Turn) -> Move:
    """The text counts if the poll is still open now; either way, back to where they were."""
    poll_id = int(turn.answers["poll_id"])
    view = turn.ctx.lookup.poll(poll_id=poll_id, language=turn.language)
    if view is None or view.closed:
        return Move("resume", say=(T("poll.closed"),))
    return Move("resume", effects=(AnswerPoll(poll_id, None, str(turn.answers["other_text"])),))


def steps() -> dict[str, Step]:
    return flow(
        "poll",
        Ask("other", says(T("poll.ask_other")), field="other_text", next=_other_given, validate=OTHER_TEXT),
    )
