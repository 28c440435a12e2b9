"""The console's own texts: a gettext catalog per language in bot/web/locales (domain "web"),
read with Babel like the bot's. English is complete (a test checks every key the console
uses); another language falls back to English key by key."""

from __future__ import annotations

from dataclasses import dataclass
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


def web_languages(directory: Path = LOCALES_DIR) -> frozenset[str]:
    return frozenset(path.parent.parent.name for path in directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def load_web_texts(language: str = FALLBACK, directory: Path = LOCALES_DIR) -> WebTexts:
    messages: dict[str, Mapping[str, str]] = {}
    for po_path in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        messages[po_path.parent.parent.name] = MappingProxyType({str(m.id): str(m.string) for m in catalog if m.id and m.string})
    if FALLBACK not in messages:
        raise FileNotFoundError(f"no {DOMAIN} catalog for {FALLBACK!r} in {directory}")
    return WebTexts(MappingProxyType(messages), language if language in messages else FALLBACK)
