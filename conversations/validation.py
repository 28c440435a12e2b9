"""Checks on free text. A validator returns the cleaned text or the Text explaining the refusal.

Valid text is kept verbatim (only surrounding whitespace is trimmed): quotes, SQL-looking
text and markup are data, and storage and channels deal with them safely.
"""

from __future__ import annotations

import unicodedata
from typing import Callable

from conversations.i18n import T, Text

_ALLOWED_CONTROLS = {"\n", "\t"}
# The longest description a person may write; staff notes (read by the same people) too.
MAX_DESCRIPTION = 2000


def has_control_characters(text: str) -> bool:
    return any(
        unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS
        for ch in text.replace("\r\n", "\n")
    )


def has_words(text: str) -> bool:
    """True when the text has at least one letter or digit (emoji and punctuation alone do not count)."""
    return any(unicodedata.category(ch)[0] in {"L", "N"} for ch in text)


def text_between(minimum: int, maximum: int) -> Callable[[str], str | Text]:
    def validate(raw: str) -> str | Text:
        text = raw.replace("\r\n", "\n").strip()
        if not text:
            return T("error.empty")
        if not has_words(text):
            return T("error.need_words")
        if len(text) < minimum:
            return T("error.too_short", minimum=minimum, length=len(text))
        if len(text) > maximum:
            return T("error.too_long", maximum=f"{maximum:,}", length=f"{len(text):,}")
        return text

    return validate


description = text_between(10, MAX_DESCRIPTION)
short_text = text_between(2, 300)
