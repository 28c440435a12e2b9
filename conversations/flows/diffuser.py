"""Diffuser: follow topics (categories) and optionally an area, to receive updates to pass on."""

from __future__ import annotations

from conversations import validation
from conversations.effects import Subscribe
from conversations.flows.common import category_label, category_options, summary_steps
from conversations.i18n import T, Text
from conversations.steps import Ask, Choose, Move, Step, Turn, flow, says


def _topics(turn: Turn) -> str:
    render = turn.ctx.catalogs.render
    labels = (category_label(turn, c) for c in turn.answers["topics"])
    return ", ".join(label if isinstance(label, str) else render(turn.language, label) for label in labels)


def _ask_topics(turn: Turn) -> tuple[Text, ...]:
    """Someone who follows topics already sees them ticked, and how to stop altogether."""
    return (T("diffuser.ask_topics_again") if turn.answers.get("already_following") else T("diffuser.ask_topics"),)


def _summary(turn: Turn) -> tuple[Text, ...]:
    return (T("diffuser.summary", topics=_topics(turn), area=turn.answers.get("area") or T("diffuser.everywhere")),)


def _editable(_turn: Turn) -> list[tuple[str, Text]]:
    return [("diffuser.topics", T("diffuser.field.topics")), ("diffuser.area", T("diffuser.field.area"))]


def _on_confirm(turn: Turn) -> Move:
    subscribe = Subscribe(topics=tuple(turn.answers["topics"]), area=turn.answers.get("area"))
    return Move(
        "home.after",
        say=(T("diffuser.subscribed", topics=_topics(turn)),),
        effects=(subscribe,),
        seed={"role": "diffuser"},
    )


def steps() -> dict[str, Step]:
    return flow(
        "diffuser",
        Choose(
            "topics",
            _ask_topics,
            category_options,
            field="topics",
            next="diffuser.area",
            multi=True,
        ),
        Ask(
            "area",
            says(T("diffuser.ask_area")),
            field="area",
            next="diffuser.confirm",
            validate=validation.short_text,
            skippable=True,
        ),
        *summary_steps(summary=_summary, editable=_editable, on_confirm=_on_confirm, flow_name="diffuser"),
    )
