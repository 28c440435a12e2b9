"""Broadcasts: staff compose one (/broadcast), diffusers say how far they passed it on."""

from __future__ import annotations

from typing import Callable

from conversations import validation
from conversations.effects import Outcome, QueueBroadcast, Receipt, Receipts, RecordReach
from conversations.flows.common import category_label, category_options
from conversations.i18n import T, Text
from conversations.steps import (
    Ask, AwaitReceipts, Choose, Instead, Move, Option, Options, Step, Turn, fixed, flow, says, staff_flow,
)  # fmt: skip

# A diffuser passes a broadcast on to their groups and contacts; more than this is no
# plausible answer (and would swamp the reach staff see).
MAX_REACH = 10_000
IMPLAUSIBLE = "implausible"  # a receipt's reason: the service refused a number beyond MAX_REACH
ALL_TOPICS = "_all"


def reach_number(raw: str) -> str | Text:
    """About how many people: one whole number ("40", "about 40", "environ 40", "1.200")."""
    people = validation.whole_number(raw)
    if people is None or not 1 <= people <= MAX_REACH:
        return T("error.reach_number", maximum=MAX_REACH)
    return str(people)


def _reached(turn: Turn) -> Move:
    effect = RecordReach(int(turn.answers["broadcast_id"]), int(turn.answers["people"]))
    return Move("reach.recorded", effects=(effect,))


def _reach_said(receipt: Receipt) -> Text:
    if receipt.outcome == Outcome.ADDED:
        return T("broadcast.reach_thanks", people=receipt.people)
    if receipt.outcome == Outcome.ALREADY:
        return T("broadcast.reach_already", people=receipt.people)
    return T("broadcast.not_received")


def _recorded(_turn: Turn, receipts: Receipts) -> Move:
    """The service counted the answer, or said why not; then back to where they were."""
    reach = [r for r in receipts.items if r.kind == "reach"]
    if any(r.reason == IMPLAUSIBLE for r in reach):
        return Move("reach.people", say=(T("error.reach_number", maximum=MAX_REACH),))
    return Move("resume", say=tuple(_reach_said(r) for r in reach))


def audience_options(turn: Turn) -> Options:
    return Options((Option(ALL_TOPICS, T("staff.all_diffusers")), *category_options(turn).items))


def chosen_topic(turn: Turn) -> str | None:
    topic = turn.answers["audience"]
    return None if topic == ALL_TOPICS else topic


def _confirm_prompt(turn: Turn) -> tuple[Text, ...]:
    topic = chosen_topic(turn)
    size = turn.ctx.lookup.audience_size(topic=topic)
    audience = T("staff.all_diffusers") if topic is None else category_label(turn, topic)
    return (T("staff.preview", text=turn.answers["text"], audience=audience, size=size),)


def _confirmed(turn: Turn) -> Move:
    if turn.answers["send"] != "send":
        return Move("home.role", say=(T("staff.not_sent"),))
    return Move("staff.queued", effects=(QueueBroadcast(turn.answers["text"], chosen_topic(turn)),))


def announce_queued(kind: str, key: str) -> Callable[[Turn, Receipts], Move]:
    """After Send: the reference and how many it goes to (the `key` text), or, for someone no
    longer staff when it was queued, that nothing was sent; then back to the role guide."""

    def queued(_turn: Turn, receipts: Receipts) -> Move:
        said = tuple(
            T(key, ref=r.ref, count=r.people) if r.outcome == Outcome.QUEUED else T("staff.no_longer")
            for r in receipts.items
            if r.kind == kind
        )
        return Move("home.role", say=said)

    return queued


def steps() -> dict[str, Step]:
    return {
        **flow(
            "reach",
            Ask("people", says(T("broadcast.ask_reach")), field="people", next=_reached, validate=reach_number),
            AwaitReceipts("recorded", _recorded),
        ),
        **staff_flow(
            "staff",
            Ask("text", says(T("staff.ask_text")), field="text", next="staff.audience", validate=validation.broadcast_text,
                instead=(Instead("poll", T("staff.poll_instead"), "staffpoll.question"),)),  # fmt: skip
            Choose("audience", says(T("staff.ask_audience")), audience_options, field="audience", next="staff.confirm"),
            Choose(
                "confirm",
                _confirm_prompt,
                fixed(Option("send", T("staff.send")), Option("cancel", T("summary.cancel"))),
                field="send",
                next=_confirmed,
            ),
            AwaitReceipts("queued", announce_queued("broadcast", "staff.queued")),
        ),
    }
