"""The terminal adapter: which notice button a typed letter or label stands for, and how a
notice is set apart from replies."""

from __future__ import annotations

from adapters import console
from conversations.messages import Choice, Outbound

BUTTONS = (Choice("bc:7|shared", "I shared it"), Choice("bc:7|stop", "Stop these updates"))


def test_a_letter_or_label_of_the_latest_notice_is_its_button() -> None:
    assert console.notice_press("a", BUTTONS) == "bc:7|shared"
    assert console.notice_press(" B) ", BUTTONS) == "bc:7|stop"
    assert console.notice_press("i SHARED it", BUTTONS) == "bc:7|shared"


def test_anything_else_is_an_answer_to_the_question() -> None:
    assert console.notice_press("c", BUTTONS) is None  # only two buttons
    assert console.notice_press("1", BUTTONS) is None  # numbers answer the current question
    assert console.notice_press("a", ()) is None  # no notice shown yet
    assert console.notice_press("ab", BUTTONS) is None


def test_a_notice_is_framed_and_lettered_and_a_reply_is_numbered() -> None:
    notice = console.notice_to_channel(Outbound("Line 7 starts on Monday", BUTTONS, kind="broadcast"), heading="News")
    assert notice.splitlines() == [
        "── News " + "─" * 40, "Line 7 starts on Monday", "  a) I shared it", "  b) Stop these updates", "─" * 48,
    ]  # fmt: skip
    assert console.to_channel(Outbound("Shall I send it?", BUTTONS)) == (
        "Shall I send it?\n  1) I shared it\n  2) Stop these updates"
    )
