"""Message catalogs (gettext .po files read with Babel) and the Text values flows speak in.

Flows never hold user-facing literals: they build `Text(key, params)` and the engine
renders it in the person's language at the last moment. Keys are symbolic
("explorer.ask_description"); the English catalog holds the English wording.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from functools import cache
from datetime import date, datetime, tzinfo
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"


@dataclass(frozen=True)
class Text:
    key: str
    params: Mapping[str, object] = field(default_factory=dict)


def T(key: str, **params: object) -> Text:  # noqa: N802 - reads like gettext's _()
    return Text(key, params)


def placeholders(message: str) -> frozenset[str]:
    """The {names} a catalog message expects, so catalogs can be checked against English."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(message) if name)


@dataclass(frozen=True)
class Catalogs:
    """Every language's messages, loaded once at start-up and then only read."""

    messages: Mapping[str, Mapping[str, str]]
    fallback: str = "en"

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self.messages)

    def has(self, key: str) -> bool:
        return key in self.messages[self.fallback]

    def render(self, language: str, text: Text) -> str:
        template = self.messages.get(language, {}).get(text.key)
        if not template:
            template = self.messages[self.fallback][text.key]
        params = {name: self._param(language, value) for name, value in text.params.items()}
        # Parameters are substituted once; user text inside them is never re-interpreted.
        return template.format(**params)

    def _param(self, language: str, value: object) -> object:
        """Nested Texts render in the same language; a tuple of Texts renders one per line;
        whole numbers (counts) are written the language's way."""
        if isinstance(value, int) and not isinstance(value, bool):
            return self.number(language, value)
        if isinstance(value, Text):
            return self.render(language, value)
        if isinstance(value, tuple) and all(isinstance(item, Text) for item in value):
            return "\n".join(self.render(language, item) for item in value)
        return value

    def number(self, language: str, value: int) -> str:
        """A count as people read it: 2,000 in English, 2.000 in German, 2 000 in French."""
        return format_decimal(value, locale=language if language in self.messages else self.fallback)

    def date(self, language: str, day: date | datetime, zone: tzinfo | None = None) -> str:
        """A day as people read it ("December 1, 2026", "1 de diciembre de 2026"); a moment
        is first put in `zone` (the city's time zone), so 23:30 UTC can be the next day."""
        if isinstance(day, datetime):
            day = day.astimezone(zone).date()
        return format_date(day, format="long", locale=language)


def catalog_languages(directory: Path = LOCALES_DIR) -> frozenset[str]:
    """The languages that have a catalog (what LANGUAGES may list)."""
    return frozenset(path.parent.parent.name for path in directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


@cache
def load_catalogs(directory: Path = LOCALES_DIR, fallback: str = "en") -> Catalogs:
    """Every catalog in the directory, read once per process: the files ship with the code,
    the result is immutable, and Babel takes about 30 ms to read them, which every app built
    (each `cocreate` command, each test) would otherwise pay again."""
    messages: dict[str, Mapping[str, str]] = {}
    for po_path in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        language = po_path.parent.parent.name
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=language)
        messages[language] = MappingProxyType(
            {str(m.id): str(m.string) for m in catalog if m.id and m.string}
        )
    if fallback not in messages:
        raise FileNotFoundError(f"no catalog for the fallback language {fallback!r} in {directory}")
    return Catalogs(messages=MappingProxyType(messages), fallback=fallback)
