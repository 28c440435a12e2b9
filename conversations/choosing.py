"""Reading a typed answer as one of the options shown (numbers are read by the engine).

People type what they see, more or less: "ideator" for "Ideator — suggest a solution...",
"yes" for "Yes, contact me", "espanol" for "Español", "P-1" for "P-1 · Broken bench · 3
supporting". Case and accents never matter. In order, the first rule that fits decides:

1. the whole label;
2. a reference ("P-1", "p1", "p 1") shown in an option;
3. whole words of a label ("lighting", "yes contact");
4. the start of such words ("light", "fran"), each typed word at least 3 letters long.

A rule that fits more than one option decides too: the answer is unclear, and none is
picked (a wrong pick would be worse than asking again). Typed words need 2 letters or more
in all, so "a" or "I" never pick anything by accident.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable, Sequence

from conversations.messages import Choice
from conversations.refs import make_ref, parse_ref

MIN_LETTERS = 2  # typed words shorter than this altogether pick nothing
MIN_PREFIX = 3  # a typed word this long may stand for a longer word it starts
_WORD = re.compile(r"[^\W_]+")
_SHOWN_REF = re.compile(r"(?<![^\W_])([PID])-([0-9]+)(?![0-9])")
_SEPARATORS = re.compile(r"[,;]")


def normalised(text: str) -> str:
    """Without accents (NFKD, combining marks dropped), casefolded, whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(normalised(text)))


def match_typed(text: str, choices: Sequence[Choice], *, several: bool = False) -> tuple[str, ...] | None:
    """The option values a typed answer stands for, or None when it matches no option or
    more than one. With `several` (a multi-choice step), comma- or semicolon-separated
    parts are read one by one, and every part must match."""
    whole = match_one(text, choices)
    if whole is not None:
        return (whole,)
    parts = [part for part in _SEPARATORS.split(text) if part.strip()]
    if not several or len(parts) < 2:
        return None
    values = [match_one(part, choices) for part in parts]
    if any(value is None for value in values):
        return None
    return tuple(dict.fromkeys(value for value in values if value is not None))


def match_one(text: str, choices: Sequence[Choice]) -> str | None:
    """The one option a typed answer stands for, or None (no option, or several)."""
    for fits in _rules(text):
        found = list(dict.fromkeys(choice.value for choice in choices if fits(choice.label)))
        if found:
            return found[0] if len(found) == 1 else None
    return None


def _rules(text: str) -> list[Callable[[str], bool]]:
    typed, typed_words = normalised(text), words(text)
    rules: list[Callable[[str], bool]] = [lambda label: normalised(label) == typed]
    ref = parse_ref(text)
    if ref is not None:
        wanted = make_ref(*ref)
        return [*rules, lambda label: wanted in _refs_shown(label)]
    if sum(len(word) for word in typed_words) < MIN_LETTERS:
        return rules
    return [
        *rules,
        lambda label: _has_run(words(label), typed_words, prefixes=False),
        lambda label: _has_run(words(label), typed_words, prefixes=True),
    ]


def _refs_shown(label: str) -> set[str]:
    return {f"{letter}-{int(number)}" for letter, number in _SHOWN_REF.findall(label)}


def _has_run(label_words: tuple[str, ...], typed: tuple[str, ...], *, prefixes: bool) -> bool:
    """Whether the typed words appear in a row among the label's words (or, with
    `prefixes`, as the starts of words in a row)."""

    def fits(word: str, typed_word: str) -> bool:
        return word == typed_word or (prefixes and len(typed_word) >= MIN_PREFIX and word.startswith(typed_word))

    width = len(typed)
    return any(
        all(fits(word, typed_word) for word, typed_word in zip(label_words[start : start + width], typed))
        for start in range(len(label_words) - width + 1)
    )
