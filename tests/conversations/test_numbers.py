"""A diffuser's "about how many people" answer is read as one whole number in any of the
five languages, and anything else is asked again."""

from __future__ import annotations

import pytest

from conversations.flows.broadcast_dialog import MAX_REACH, reach_number
from conversations.i18n import Text
from conversations.validation import whole_number


@pytest.mark.parametrize(
    ("typed", "people"),
    [
        ("40", 40), ("about 40", 40), ("Around 40", 40), ("~40", 40), ("40+", 40),
        ("unos 40", 40), ("cerca de 40", 40), ("environ 40", 40), ("à peu près 40", 40),
        ("etwa 40", 40), ("ungefähr 40", 40), ("ca. 40", 40), ("por volta de 40", 40), ("quase 40", 40),
        ("1,200", 1200), ("1.200", 1200), ("1 200", 1200), ("1\u202f200", 1200), ("1'200", 1200),
    ],
)  # fmt: skip
def test_a_whole_number_is_read_however_it_is_written(typed: str, people: int) -> None:
    assert whole_number(typed) == people
    assert reach_number(typed) == str(people)


@pytest.mark.parametrize("typed", ["40-50", "40 to 50", "1.5", "1,2000", "forty", "lots", "", "40 people maybe 50", "12ab"])
def test_anything_but_one_whole_number_is_asked_again(typed: str) -> None:
    assert whole_number(typed) is None
    assert isinstance(reach_number(typed), Text)


def test_an_implausible_reach_is_refused() -> None:
    assert reach_number(str(MAX_REACH)) == str(MAX_REACH)
    assert isinstance(reach_number("1,000,000"), Text)
    assert isinstance(reach_number("0"), Text)
