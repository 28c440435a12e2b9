"""What other residents may see of a submission, decided before it is saved. Pure, apart
from `load_abusive_terms`, which reads the word lists once at start-up (like the catalogs).

A submission is shown to other residents when it is not private (the person kept contact
details for the city team only) and its moderation is "shown". It starts "pending" (held
for staff to approve) when MODERATION=pre, or when its text has a word from the abusive
terms of any language (conversations/locales/<lang>/abusive_terms.txt): a text may be in
another language than its writer's.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Mapping

from conversations.i18n import LOCALES_DIR

SHOWN, PENDING, HIDDEN = "shown", "pending", "hidden"
MODERATIONS = (SHOWN, PENDING, HIDDEN)
MODES = ("post", "pre")
TERMS_FILE = "abusive_terms.txt"


def folded(text: str) -> str:
    """Lower case without accents, so "IDIOTA" and "idióta" read alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _words(text: str) -> list[str]:
    cleaned = "".join(ch if ch.isalnum() else " " for ch in folded(text))
    return cleaned.split()


def is_abusive(text: str, terms: Mapping[str, frozenset[str]]) -> bool:
    """Whether the text has a listed term (a whole word, or a listed phrase of words)."""
    words = _words(text)
    padded = f" {' '.join(words)} "
    for listed in terms.values():
        for term in listed:
            if (" " in term and f" {term} " in padded) or term in words:
                return True
    return False


def initial_moderation(texts: Iterable[str], *, mode: str, terms: Mapping[str, frozenset[str]]) -> str:
    """How a new submission starts: held for review in pre mode or when abusive."""
    if mode == "pre" or any(is_abusive(text, terms) for text in texts):
        return PENDING
    return SHOWN


def load_abusive_terms(directory: Path = LOCALES_DIR) -> Mapping[str, frozenset[str]]:
    """Each language's list, one term per line; `#` starts a comment."""
    found: dict[str, frozenset[str]] = {}
    for path in sorted(directory.glob(f"*/{TERMS_FILE}")):
        lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
        found[path.parent.name] = frozenset(" ".join(_words(line)) for line in lines if line)
    return MappingProxyType(found)
