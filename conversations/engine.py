"""The engine: step(state, event, context) -> Result(state, replies, effects). Pure: no I/O.

It interprets flows (conversations/flows/) step by step, reads answers of the wrong kind
with a short explanation and the same question again, and answers the commands that work
from any step (conversations/commands.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

from conversations.buttons import BroadcastAction, FollowUpAnswer, PollAnswer, StepAnswer, decode, encode
from conversations.choosing import match_typed, normalised
from conversations.commands import broadcast_button, follow_up_button, handle_command, parse_command
from conversations.context import Context
from conversations.effects import Effect, GiveConsent, Receipts, SetLanguage, SetRole
from conversations.flows.poll_answer import poll_button, typed_poll_answer
from conversations.i18n import T, Text
from conversations.language import Noticed, notice
from conversations.answers import answer_question
from conversations.messages import Choice, Inbound, Outbound, Request
from conversations.state import WELCOME, State
from conversations.steps import Ask, AwaitReceipts, Choose, Label, Move, Option, Step, Turn
from conversations.validation import MAX_INBOUND_TEXT, has_control_characters

RESUME = "resume"  # a Move target: go back to the state put aside by an interruption
# Option values the engine adds itself; flow option values never start with "_".
MORE, DONE, SKIP, SHARE_LOCATION = "_more", "_done", "_skip", "_location"
_NUMBERS = re.compile(r"^\s*\d+(\s*[,;\s]\s*\d+)*\s*$")
# Flows a person may be in before consenting: the welcome, and /language.
_BEFORE_CONSENT = {"welcome", "settings"}


@dataclass(frozen=True)
class OptionsAgain:
    """An answer that picked none of the options shown: one short line, then the options
    again (the question itself is still on the screen just above)."""

    say: Text


@dataclass(frozen=True)
class FlowError:
    """Something in the flows went wrong while the person still got an answer (as goflow
    fails a run with an error event): the service logs it with the event id."""

    step: str | None
    detail: str


@dataclass(frozen=True)
class Result:
    state: State
    replies: tuple[Outbound, ...]
    effects: tuple[Effect, ...]
    errors: tuple[FlowError, ...] = ()


@dataclass(frozen=True)
class FlowEngine:
    steps: Mapping[str, Step]

    def step(self, state: State, event: Inbound | Receipts, ctx: Context) -> Result:
        turn = Turn(state, ctx, event)
        if isinstance(event, Receipts):
            current = self.steps.get(state.step or "")
            if isinstance(current, AwaitReceipts):
                return self.go(turn, current.on_receipts(turn, event))
            refs = ", ".join(receipt.ref for receipt in event.items)
            return Result(state, (), (), (FlowError(state.step, f"receipts ({refs}) arrived but no step waits for them"),))
        if event.text is not None and len(event.text) > MAX_INBOUND_TEXT:
            return self.ask_again(turn, T("error.message_too_long", maximum=MAX_INBOUND_TEXT, length=len(event.text)))
        pressed = decode(event.choice)
        if isinstance(pressed, BroadcastAction) and ctx.person.consented:
            return broadcast_button(self, turn, pressed)
        if isinstance(pressed, FollowUpAnswer) and ctx.person.consented:
            return follow_up_button(self, turn, pressed)
        if isinstance(pressed, PollAnswer) and ctx.person.consented:
            return poll_button(self, turn, pressed)
        command = parse_command(event.text)
        if command is not None:
            return handle_command(self, turn, *command)
        question = ctx.lookup.open_question() if event.text is not None and ctx.person.consented else None
        if question is not None and event.text is not None:
            return answer_question(self, turn, question, event.text)
        noticed = notice(ctx, event.text)
        switched = noticed.ctx.person.language != ctx.person.language
        return _with_notice(self._answer_turn(Turn(state, noticed.ctx, event), switched=switched), noticed)

    def _answer_turn(self, turn: Turn, *, switched: bool = False) -> Result:
        """`switched`: the person's language just changed to the one they wrote in, so a
        question they did not answer is asked again whole, in that language."""
        state, ctx, event = turn.state, turn.ctx, turn.event
        assert isinstance(event, Inbound)
        if state.step is None or (not ctx.person.consented and state.flow not in _BEFORE_CONSENT):
            return self.go(turn, Move(WELCOME))
        current = self.steps.get(state.step)
        if current is None or isinstance(current, AwaitReceipts):
            # A step that no longer exists (flows changed under a saved state) or a turn
            # that broke off while waiting for receipts: start over at the role guide.
            why = "no longer exists" if current is None else "was waiting for receipts that never came"
            result = self.go(turn, Move("home.role", say=(T("resume.lost"),)))
            return replace(result, errors=(FlowError(state.step, f"the saved step {state.step!r} {why}"),))
        if current.staff_only and not ctx.lookup.is_staff():
            return self.go(turn, _no_longer_staff())
        outcome = self._answer(turn, current, event)
        typed = typed_poll_answer(turn, event.text) if not isinstance(outcome, Move) and event.text else None
        if typed is not None:  # no answer to the question, but the label of the latest poll's button
            return poll_button(self, turn, typed)
        if isinstance(outcome, OptionsAgain):
            return self.ask_again(turn) if switched else self._ask(turn, (outcome.say,), (), prompt=False)
        if isinstance(outcome, Text):
            return self.ask_again(turn, outcome)
        return self.go(turn, outcome)

    # -- moving ---------------------------------------------------------------------------

    def go(self, turn: Turn, move: Move) -> Result:
        """Carry out a Move: switch step (and flow), then ask the new step's question."""
        ctx = _apply_to_person(turn.ctx, move.effects)
        if move.to == RESUME and State.from_json(turn.state.suspended).step in self.steps:
            state = State.from_json(turn.state.suspended)
        elif move.to == RESUME:
            start = "home.role" if ctx.person.consented else WELCOME
            state = _moved_state(turn.state, Move(start), passing=False)
        else:
            state = _moved_state(turn.state, move, passing=self._passes(turn))
        new_turn = Turn(state, ctx, turn.event)
        if not move.ask:
            return Result(state, _replies(ctx, move.say, ()), move.effects)
        return self._ask(new_turn, move.say, move.effects)

    def ask_again(self, turn: Turn, *say: Text) -> Result:
        """Say something (an explanation, help, a list) and repeat the current question."""
        if turn.state.step is None or turn.state.step not in self.steps:
            return self.go(turn, Move(WELCOME if not turn.ctx.person.consented else "home.role", say=say))
        return self._ask(turn, say, ())

    def _passes(self, turn: Turn) -> bool:
        """Whether the current step is no question to go /back to: one that does not apply
        here, or a wait for receipts."""
        current = self.steps.get(turn.state.step or "")
        if isinstance(current, AwaitReceipts):
            return True
        return isinstance(current, Ask) and current.applies is not None and not current.applies(turn.ctx)

    def _ask(self, turn: Turn, say: Sequence[Text], effects: Sequence[Effect], *, prompt: bool = True) -> Result:
        """Ask the current step's question (`say` first); without `prompt`, only `say` and
        the options."""
        step = self.steps[turn.state.step or ""]
        if isinstance(step, AwaitReceipts):
            return Result(turn.state, _replies(turn.ctx, say, ()), tuple(effects))
        if step.staff_only and not turn.ctx.lookup.is_staff():
            return self._chain(turn, _no_longer_staff(), say, effects)
        if isinstance(step, Ask) and step.applies is not None and not step.applies(turn.ctx):
            return self._chain(turn, self._next(turn.state.with_answers(**{step.field: None}), turn, step), say, effects)
        options: tuple[Option, ...] = ()
        if isinstance(step, Choose):
            listed = step.options(turn)
            if not listed.items and step.when_empty is not None:
                return self._chain(turn, step.when_empty(turn), say, effects)
            options = _decorated(step, turn, listed.items, listed.has_more, mark_selected=True)
        else:
            options = _ask_options(step, turn.ctx)
        state = replace(turn.state, shown=tuple(o.value for o in options))
        texts = (*say, *(step.prompt(Turn(state, turn.ctx, turn.event)) if prompt else ()))
        buttons = tuple(replace(c, value=button_value(state, c.value)) for c in _choices(turn.ctx, options))
        return Result(state, _replies(turn.ctx, texts, buttons), tuple(effects))

    def _chain(self, turn: Turn, move: Move, say: Sequence[Text], effects: Sequence[Effect]) -> Result:
        """Go on to another Move, keeping what this turn already had to say and do."""
        return self.go(turn, replace(move, say=(*say, *move.say), effects=(*effects, *move.effects)))

    # -- answers --------------------------------------------------------------------------

    def _answer(self, turn: Turn, step: Ask | Choose, event: Inbound) -> Move | Text | OptionsAgain:
        if event.text is not None and has_control_characters(event.text):
            return T("error.control_characters")
        if isinstance(step, Choose):
            return self._answer_choice(turn, step, event)
        return self._answer_ask(turn, step, event)

    def _answer_ask(self, turn: Turn, step: Ask, event: Inbound) -> Move | Text:
        value: object
        if event.location is not None and step.accepts_location:
            value = {"latitude": event.location.latitude, "longitude": event.location.longitude}
        elif event.photo is not None and step.accepts_photo:
            value = {"file_id": event.photo.file_id, "size": event.photo.size}
        elif (picked := self._ask_option(turn, event)) == SKIP and step.skippable:
            value = None
        elif picked == SHARE_LOCATION:
            return T("error.use_location_button")
        elif (elsewhere := next((i for i in step.instead if i.value == picked), None)) is not None:
            return Move(elsewhere.to)
        elif event.choice is not None:
            return T("error.stale_choice")
        elif event.text is None:
            return T("error.photo_expected") if step.accepts_photo else T("error.not_text")
        elif step.accepts_photo and not step.accepts_location:
            return T("error.photo_expected")
        else:
            checked = step.validate(event.text)
            if isinstance(checked, Text):
                return checked
            value = checked
        return self._next(turn.state.with_answers(**{step.field: value}), turn, step)

    def _ask_option(self, turn: Turn, event: Inbound) -> str | None:
        """The engine's own option (Skip, share my location) a free answer's button press,
        number or text stands for. Only the whole label counts as text: anything else is
        the answer."""
        if event.choice is not None:
            pressed = decode(event.choice)
            in_step = isinstance(pressed, StepAnswer) and pressed.step == turn.state.step
            return pressed.value if in_step and pressed.value in turn.state.shown else None
        if event.text is None:
            return None
        shown, typed = turn.state.shown, event.text.strip()
        if typed.isdecimal() and typed.isascii() and 1 <= int(typed) <= len(shown):
            return shown[int(typed) - 1]
        return next((c.value for c in self._shown_choices(turn) if normalised(c.label) == normalised(typed)), None)

    def _answer_choice(self, turn: Turn, step: Choose, event: Inbound) -> Move | Text | OptionsAgain:
        picked = self._picked(turn, step, event)
        if not isinstance(picked, list):
            return picked
        if picked == [MORE]:
            page = int(turn.answers.get(f"_page:{step.id}", 0)) + 1
            return Move(turn.state.step or "", seed={f"_page:{step.id}": page})
        if not step.multi:
            return self._next(turn.state.with_answers(**{step.field: picked[0]}), turn, step)
        selected = list(turn.answers.get(step.field) or [])
        for value in picked:
            if value == DONE:
                if not selected:
                    return OptionsAgain(T("error.pick_at_least_one"))
                return self._next(turn.state.with_answers(**{step.field: selected}), turn, step)
            selected.remove(value) if value in selected else selected.append(value)
        return Move(turn.state.step or "", seed={step.field: selected})

    def _picked(self, turn: Turn, step: Choose, event: Inbound) -> list[str] | Text | OptionsAgain | Move:
        """The option values a button press, numbers or typed labels stand for."""
        shown = turn.state.shown
        if event.choice is not None:
            pressed = decode(event.choice)
            if isinstance(pressed, StepAnswer) and pressed.step == turn.state.step and pressed.value in shown:
                return [pressed.value]
            return T("error.stale_choice")
        if not shown:
            # The step was reached without asking (after "No, thanks"): nothing was offered,
            # so no number or label can pick anything yet. Ask the question itself.
            return Move(turn.state.step or "")
        if event.text is None:
            return OptionsAgain(_count_text("error.pick_option", len(shown)))
        text = event.text.strip()
        if not text:
            return OptionsAgain(T("error.empty"))
        if _NUMBERS.match(text):
            numbers = [int(n) for n in re.findall(r"\d+", text)]
            if any(not 1 <= n <= len(shown) for n in numbers):
                return OptionsAgain(_count_text("error.out_of_range", len(shown)))
            return [shown[n - 1] for n in numbers]
        found = match_typed(text, self._shown_choices(turn), several=step.multi)
        if found is None:
            return OptionsAgain(T("choice.no_match" if turn.ctx.person.consented else "choice.no_match.welcome"))
        return list(found)

    def _shown_choices(self, turn: Turn) -> tuple[Choice, ...]:
        step = self.steps[turn.state.step or ""]
        if isinstance(step, Choose):
            listed = step.options(turn)
            options = _decorated(step, turn, listed.items, listed.has_more, mark_selected=False)
        else:
            options = _ask_options(step, turn.ctx)
        return _choices(turn.ctx, [o for o in options if o.value in turn.state.shown])

    def _next(self, state: State, turn: Turn, step: Ask | Choose) -> Move:
        """The next step after an answer; an edit from a summary returns to the summary."""
        answered = Turn(state, turn.ctx, turn.event)
        back_to = state.answers.get("_return_to")
        if back_to and back_to != turn.state.step:
            return Move(back_to, seed={**state.answers, "_return_to": None})
        target = step.next if isinstance(step.next, str) else step.next(answered)
        move = Move(target) if isinstance(target, str) else target
        if move.to.split(".", 1)[0] != state.flow:
            return move  # a new flow starts fresh, with only what the move seeds
        return replace(move, seed={**state.answers, **move.seed})


def _no_longer_staff() -> Move:
    """Someone removed from the staff while in a staff dialog is taken out of it, politely."""
    return Move("home.role", say=(T("staff.no_longer"),))


def _with_notice(result: Result, noticed: Noticed) -> Result:
    """Put what was noticed about the person's language in front of the turn's answer."""
    if not noticed.say and not noticed.effects:
        return result
    effects = (*noticed.effects, *result.effects)
    if not noticed.say:
        return replace(result, effects=effects)
    said = "\n\n".join(render(noticed.ctx, text) for text in noticed.say)
    if not result.replies:
        return replace(result, replies=(Outbound(said),), effects=effects)
    first, *rest = result.replies
    return replace(result, replies=(replace(first, text=f"{said}\n\n{first.text}"), *rest), effects=effects)


def button_value(state: State, value: str) -> str:
    """What a button carries: the question it belongs to and the option, so a press on an
    older message can never be read as an answer to the current question."""
    return encode(StepAnswer(state.step or "", value))


def _ask_options(step: Ask, ctx: Context) -> tuple[Option, ...]:
    options = []
    if step.accepts_location and "location" in ctx.capabilities:
        options.append(Option(SHARE_LOCATION, T("option.share_location")))
    if step.skippable:
        options.append(Option(SKIP, T("option.skip")))
    options.extend(Option(elsewhere.value, elsewhere.label) for elsewhere in step.instead)
    return tuple(options)


def _count_text(key: str, count: int) -> Text:
    return T(f"{key}.one") if count == 1 else T(key, count=count)


def _moved_state(state: State, move: Move, *, passing: bool) -> State:
    target_flow = move.to.split(".", 1)[0]
    if target_flow != state.flow:
        return State(step=move.to, answers=dict(move.seed), suspended=state.suspended)
    history = state.history
    if move.to != state.step and state.step is not None and not passing:
        history = (*history, state.step)
    return State(step=move.to, answers={**state.answers, **move.seed}, history=history, suspended=state.suspended)


def _apply_to_person(ctx: Context, effects: Sequence[Effect]) -> Context:
    """Effects on the person already count for the rest of this turn's replies."""
    person = ctx.person
    for effect in effects:
        if isinstance(effect, GiveConsent):
            person = replace(person, consented=True)
        elif isinstance(effect, SetRole):
            person = replace(person, role=effect.role)
        elif isinstance(effect, SetLanguage):
            person = replace(person, language=effect.language, language_settled=True)
    return replace(ctx, person=person) if person is not ctx.person else ctx


def _decorated(
    step: Choose, turn: Turn, items: Sequence[Option], has_more: bool, *, mark_selected: bool
) -> tuple[Option, ...]:
    """The listed options plus More and Done; `mark_selected` ticks what a multi-choice has."""
    options = list(items)
    if step.multi and mark_selected:
        selected = set(turn.answers.get(step.field) or [])
        options = [Option(o.value, T("option.selected", label=o.label)) if o.value in selected else o for o in options]
    if step.paged and has_more:
        options.append(Option(MORE, T("option.more")))
    if step.multi:
        options.append(Option(DONE, T("option.done")))
    return tuple(options)


def render(ctx: Context, label: Label) -> str:
    return ctx.catalogs.render(ctx.person.language, label) if isinstance(label, Text) else label


def _choices(ctx: Context, options: Sequence[Option]) -> tuple[Choice, ...]:
    return tuple(Choice(o.value, render(ctx, o.label), _request(o.value)) for o in options)


def _request(value: str) -> Request | None:
    """The engine's own "share my location" option asks the channel for the location."""
    return "location" if value == SHARE_LOCATION else None


def _replies(ctx: Context, texts: Sequence[Text], choices: tuple[Choice, ...]) -> tuple[Outbound, ...]:
    if not texts and not choices:
        return ()
    return (Outbound("\n\n".join(render(ctx, t) for t in texts), choices),)
