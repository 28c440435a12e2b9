"""Staff ask a question from the chat (/poll, offered by /broadcast): the question, the
options, whether "Other" is offered, how long it stays open, what the city will do with the
result, the audience, then a preview to confirm. Nothing is queued before Send."""

from __future__ import annotations

import re
from datetime import timedelta

from conversations import validation
from conversations.buttons import MAX_POLL_OPTIONS
from conversations.effects import QueuePoll
from conversations.flows.broadcast_dialog import announce_queued, audience_options, chosen_topic
from conversations.flows.common import category_label
from conversations.i18n import T, Text
from conversations.steps import Ask, AwaitReceipts, Choose, Move, Option, Step, Turn, fixed, says, staff_flow

MAX_OPTION_LABEL = 60  # a label is a button: about what a phone shows of one
MAX_OUTCOME = 500  # the line on what the city will do with the result
_CLOSES = {1: T("staffpoll.closes_1"), 3: T("staffpoll.closes_3"), 7: T("staffpoll.closes_7"), 14: T("staffpoll.closes_14")}
_OPTIONS_ERROR = T("error.poll_options", maximum=MAX_POLL_OPTIONS, length=MAX_OPTION_LABEL)


def option_lines(raw: str) -> str | Text:
    """The options, one per line or separated by ";" (a terminal's piped input is one line):
    2 to MAX_POLL_OPTIONS different labels, each short."""
    labels = [label.strip() for label in re.split(r"[\n;]", raw.replace("\r\n", "\n")) if label.strip()]
    distinct = {label.casefold() for label in labels}
    fits = all(len(label) <= MAX_OPTION_LABEL and validation.has_words(label) for label in labels)
    if not 2 <= len(labels) <= MAX_POLL_OPTIONS or len(distinct) != len(labels) or not fits:
        return _OPTIONS_ERROR
    return "\n".join(labels)


def _options(turn: Turn) -> tuple[str, ...]:
    return tuple(str(turn.answers["options"]).split("\n"))


def _preview(turn: Turn) -> tuple[Text, ...]:
    topic = chosen_topic(turn)
    size = turn.ctx.lookup.audience_size(topic=topic, groups=False)
    audience = T("staff.all_diffusers") if topic is None else category_label(turn, topic)
    closes = turn.ctx.now + timedelta(days=int(turn.answers["days"]))
    listed = "\n".join(f"• {label}" for label in _options(turn))
    if turn.answers.get("other") == "yes":
        listed += "\n• " + turn.ctx.catalogs.render(turn.language, T("poll.other"))
    then = turn.answers.get("then") or T("staffpoll.no_then")
    return (T("staffpoll.preview", audience=audience, size=size, question=turn.answers["question"], options=listed,
              date=turn.ctx.catalogs.date(turn.language, closes, turn.ctx.now.tzinfo), then=then),)  # fmt: skip


def _confirmed(turn: Turn) -> Move:
    if turn.answers["send"] != "send":
        return Move("home.role", say=(T("staff.not_sent"),))
    effect = QueuePoll(
        question=str(turn.answers["question"]), options=_options(turn), other=turn.answers["other"] == "yes",
        open_for=timedelta(days=int(turn.answers["days"])), outcome=turn.answers.get("then"), topic=chosen_topic(turn),
    )  # fmt: skip
    return Move("staffpoll.queued", effects=(effect,))


def steps() -> dict[str, Step]:
    return staff_flow(
        "staffpoll",
        Ask("question", says(T("staffpoll.ask_question")), field="question", next="staffpoll.options",
            validate=validation.broadcast_text),  # fmt: skip
        Ask("options", says(T("staffpoll.ask_options", maximum=MAX_POLL_OPTIONS, length=MAX_OPTION_LABEL)),
            field="options", next="staffpoll.other", validate=option_lines),  # fmt: skip
        Choose("other", says(T("staffpoll.ask_other")),
               fixed(Option("yes", T("staffpoll.other_yes")), Option("no", T("staffpoll.other_no"))),
               field="other", next="staffpoll.days"),  # fmt: skip
        Choose("days", says(T("staffpoll.ask_closes")),
               fixed(*(Option(str(days), label) for days, label in _CLOSES.items())), field="days", next="staffpoll.then"),  # fmt: skip
        Ask("then", says(T("staffpoll.ask_then")), field="then", next="staffpoll.audience",
            validate=validation.text_between(5, MAX_OUTCOME), skippable=True),  # fmt: skip
        Choose("audience", says(T("staff.ask_audience")), audience_options, field="audience", next="staffpoll.confirm"),
        Choose("confirm", _preview, fixed(Option("send", T("staff.send")), Option("cancel", T("summary.cancel"))),
               field="send", next=_confirmed),  # fmt: skip
        AwaitReceipts("queued", announce_queued("poll", "staffpoll.queued")),
    )
