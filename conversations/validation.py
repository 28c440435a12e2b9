"""Checks on free text. A validator returns the cleaned text or the Text explaining the refusal.

Valid text is kept verbatim (only surrounding whitespace is trimmed): quotes, SQL-looking
text and markup are data, and storage and channels deal with them safely.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable

from conversations.i18n import T, Text

_ALLOWED_CONTROLS = {"\n", "\t"}
# The longest description a person may write; staff notes (read by the same people) too.
MAX_DESCRIPTION = 2000
# The longest message the bot reads at all, on every channel: Telegram's own limit (Slack
# and the terminal would take far more). Anything longer is refused before any step sees
# it, with the limit stated, so no answer, command or state ever holds more.
MAX_INBOUND_TEXT = 4096


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
            return T("error.too_long", maximum=maximum, length=len(text))
        return text

    return validate


description = text_between(10, MAX_DESCRIPTION)
short_text = text_between(2, 300)
# A broadcast carries its text twice (the news, then the ready-to-forward copy): at most this
# much keeps the whole message within one Telegram message (4,096 characters).
MAX_BROADCAST_TEXT = 1_900
broadcast_text = text_between(10, MAX_BROADCAST_TEXT)


# Words that make a count approximate ("about 40"), in the languages of the catalogs. They
# are dropped before reading the number; anything else with letters is not a number.
_APPROXIMATELY = (
    "about", "around", "approximately", "roughly", "nearly", "almost", "some", "over", "maybe",
    "unos", "unas", "aproximadamente", "cerca de", "alrededor de", "más de", "casi", "como",
    "environ", "à peu près", "presque", "plus de", "quelque", "à peu prés", "vers",
    "etwa", "ungefähr", "ca.", "circa", "rund", "fast", "über", "knapp", "gut",
    "uns", "umas", "mais de", "quase", "por volta de", "aproximadamente",
)  # fmt: skip
_APPROXIMATELY_PATTERN = re.compile(
    r"^(?:" + "|".join(re.escape(w) for w in sorted(set(_APPROXIMATELY), key=len, reverse=True)) + r")\s*",
    re.IGNORECASE,
)
# A whole number, optionally grouped by thousands with "," "." "'" or (narrow) spaces:
# "1200", "1,200", "1.200", "1 200". "1.5" and "40-50" are not one whole number.
_WHOLE = re.compile(r"^\d{1,3}(?:([,.'\u00a0\u202f ])\d{3}(?:\1\d{3})*)?$|^\d+$")


def whole_number(raw: str) -> int | None:
    """One whole number as people write it in any of the five languages ("about 40",
    "environ 40", "etwa 1.200", "~40", "40+"), or None for anything else."""
    text = raw.strip().lower().lstrip("~≈±").strip()
    text = _APPROXIMATELY_PATTERN.sub("", text).lstrip("~≈").strip().rstrip("+").strip()
    if not _WHOLE.match(text):
        return None
    return int(re.sub(r"\D", "", text))
