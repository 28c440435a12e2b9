"""People's text as staff see it: bidirectional controls isolated, zero-width characters
visible, ordinary text untouched; and references bounded to ids that can exist."""

from __future__ import annotations

import pytest

from conversations.context import Summary
from conversations.refs import parse_ref
from conversations.visible import FSI, PDI, for_staff
from tests.engine_support import Conversation, MemoryLookup

RLO, PDF, LRI, RLI = "\u202e", "\u202c", "\u2066", "\u2067"


@pytest.mark.parametrize(
    "text", ["Broken swing in Elm Park", "Bache en la calle Mayor", "حفرة في الشارع", "שלט שבור", "emoji 🚧 ok", ""]
)
def test_ordinary_text_in_any_script_is_unchanged(text: str) -> None:
    assert for_staff(text) == text


@pytest.mark.parametrize("control", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u200e", "\u200f", "\u061c"])
def test_a_line_with_a_bidi_control_is_isolated(control: str) -> None:
    assert for_staff(f"invoice{control}fdp.exe") == f"{FSI}invoice{control}fdp.exe{PDI}"


@pytest.mark.parametrize("zero_width", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
def test_zero_width_characters_are_shown_by_code_point(zero_width: str) -> None:
    assert for_staff(f"pay{zero_width}pal") == f"pay<U+{ord(zero_width):04X}>pal"


def test_the_text_cannot_close_the_isolate_early_or_leave_its_own_open() -> None:
    # A stray PDI would end our isolate and let the override after it loose.
    assert for_staff(f"a{PDI}{RLO}b") == f"{FSI}a<U+2069>{RLO}b{PDI}"
    # An isolate the text opens is closed before ours, so ours really ends the line.
    assert for_staff(f"a{RLI}b") == f"{FSI}a{RLI}b{PDI}{PDI}"
    assert for_staff(f"a{LRI}b{PDI}c") == f"{FSI}a{LRI}b{PDI}c{PDI}"


def test_each_line_is_isolated_on_its_own() -> None:
    assert for_staff(f"one{RLO}\ntwo\nthree\u200b") == f"{FSI}one{RLO}{PDI}\ntwo\nthree<U+200B>"


def test_the_staff_inbox_shows_reversed_and_invisible_text_isolated() -> None:
    title = f"Broken bench {RLO}gnp.exe{PDF}"
    summary = Summary("problem", 1, "P-1", title, "new")
    description = f"In the park\u200b, {RLO}gnp.exe{PDF} near the pond"
    staff = Conversation(lookup=MemoryLookup(staff=True, problems=[(summary, description)]))
    staff.send("/start")
    staff.send("I agree")
    listed = staff.send("/inbox")
    shown = f"{FSI}Broken bench {RLO}gnp.exe{PDF}{PDI}"
    assert [c.label for c in listed.replies[-1].choices][0] == f"P-1 — {shown} (new)"
    opened = staff.send("1")
    text = staff.said(opened)
    assert text.startswith(f"P-1 — {shown}\n")
    assert f"{FSI}In the park<U+200B>, {RLO}gnp.exe{PDF} near the pond{PDI}" in text


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("P-2147483647", ("problem", 2**31 - 1)),  # the largest INTEGER id (PostgreSQL's are 32-bit)
        ("P-2147483648", None),
        ("P-9223372036854775808", None),
        ("i-99999999999999999999", None),
        ("D-3", ("design", 3)),
    ],
)
def test_references_are_bounded_to_ids_the_tables_can_hold(text: str, parsed: tuple[str, int] | None) -> None:
    assert parse_ref(text) == parsed
