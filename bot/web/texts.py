"""The console's own texts: a gettext catalog per language in bot/web/locales (domain "web"),
read with Babel like the bot's. Every catalog is complete (tests/web/test_web_texts.py
checks every key the console uses, in every language, with English's placeholders); a key
missing all the same falls back to English rather than failing a page."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "web"
FALLBACK = "en"


@dataclass(frozen=True)
class WebTexts:
    messages: Mapping[str, Mapping[str, str]]
    language: str = FALLBACK

    def __call__(self, key: str, **params: object) -> str:
        """The text for `key` in the console's language (English when not translated)."""
        template = self.messages.get(self.language, {}).get(key) or self.messages[FALLBACK][key]
        return template.format(**params) if params else template

    def has(self, key: str) -> bool:
        return key in self.messages[FALLBACK]

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the console speaks, English first."""
        return (FALLBACK, *sorted(set(self.messages) - {FALLBACK}))

    def name_of(self, language: str) -> str:
        """A language's name in that language (its own catalog says it)."""
        return self.messages.get(language, {}).get("web.language.name") or language

    def speaking(self, *preferences: str | None) -> WebTexts:
        """These texts in the first of these languages the console speaks (else English)."""
        for language in preferences:
            if language and language in self.messages:
                return replace(self, language=language)
        return replace(self, language=FALLBACK)


def web_languages(directory: Path = LOCALES_DIR) -> frozenset[str]:
    return frozenset(path.parent.parent.name for path in directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def load_web_texts(language: str = FALLBACK, directory: Path = LOCALES_DIR) -> WebTexts:
    messages = _read_catalogs(directory)
    return WebTexts(messages, language if language in messages else FALLBACK)


@cache
def _read_catalogs(directory: Path) -> Mapping[str, Mapping[str, str]]:
    """Read once per process, as the bot's catalogs are (conversations/i18n.py): the files
    ship with the code and the result is immutable."""
    messages: dict[str, Mapping[str, str]] = {}
    for po_path in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        messages[po_path.parent.parent.name] = MappingProxyType({str(m.id): str(m.string) for m in catalog if m.id and m.string})
    if FALLBACK not in messages:
        raise FileNotFoundError(f"no {DOMAIN} catalog for {FALLBACK!r} in {directory}")
    return MappingProxyType(messages)
