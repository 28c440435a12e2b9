"""Every text the console shows comes from its catalog (bot/web/locales, domain "web"):
English has every key the templates and the code use, and so does every other language,
with the placeholders English has (like tests/conversations/test_catalog.py for the bot)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.web.texts import load_web_texts
from conversations.i18n import placeholders
from conversations.moderation import MODERATIONS
from conversations.refs import STATUSES
from storage.submissions import TABLES

WEB = Path(__file__).resolve().parents[2] / "bot" / "web"
TEXTS = load_web_texts()
ENGLISH = TEXTS.messages["en"]
LITERAL = re.compile(r"""["'](web\.[a-z_]+(?:\.[a-z_]+)+)["']""")
BUILT = re.compile(r"""["'](web\.[a-z_]+\.)["']\s*[+~]""")


def used_keys() -> set[str]:
    sources = [*WEB.glob("*.py"), *(WEB / "templates").glob("*.html")]
    return {key for source in sources for key in LITERAL.findall(source.read_text())}


def built_keys() -> set[str]:
    """Keys the templates build from data ("web.kind." + kind), for every value there is."""
    from bot.app import CAPABILITIES

    values = {"web.kind.": TABLES, "web.channel.": CAPABILITIES, "web.moderation.": MODERATIONS}
    prefixes = {prefix for source in (WEB / "templates").glob("*.html") for prefix in BUILT.findall(source.read_text())}
    assert prefixes <= set(values), f"list the values of {prefixes - set(values)} here"
    return {prefix + value for prefix in prefixes for value in values[prefix]}


def test_the_scan_finds_the_texts_the_console_uses() -> None:
    assert {"web.inbox.title", "web.signin.title", "web.error.csrf"} <= used_keys()
    assert "web.kind.problem" in built_keys() and "web.channel.telegram" in built_keys()


@pytest.mark.parametrize("key", sorted(used_keys() | built_keys()))
def test_every_key_the_console_uses_is_in_english(key: str) -> None:
    assert ENGLISH.get(key), f"{key} is missing from bot/web/locales/en/LC_MESSAGES/web.po"


def test_the_console_speaks_the_five_languages_of_the_bot() -> None:
    assert set(TEXTS.messages) == {"en", "es", "fr", "de", "pt"}


@pytest.mark.parametrize("language", sorted(TEXTS.messages))
def test_every_catalog_has_every_key_with_the_english_placeholders(language: str) -> None:
    messages = TEXTS.messages[language]
    assert sorted(set(ENGLISH) - set(messages)) == [], f"missing from bot/web/locales/{language}/LC_MESSAGES/web.po"
    assert sorted(set(messages) - set(ENGLISH)) == [], f"{language} has keys English does not"
    assert [key for key in messages if placeholders(messages[key]) != placeholders(ENGLISH[key])] == []


@pytest.mark.parametrize("language", sorted(set(TEXTS.messages) - {"en"}))
def test_every_catalog_names_its_own_language_and_is_translated(language: str) -> None:
    messages = TEXTS.messages[language]
    assert messages["web.language.name"] != ENGLISH["web.language.name"]
    # Most texts differ from English (names such as "Telegram" and "{count} min" may not).
    assert sum(messages[key] != ENGLISH[key] for key in ENGLISH) > 0.9 * len(ENGLISH)


def test_status_names_come_from_the_bot_catalogs_in_every_language() -> None:
    from conversations.i18n import load_catalogs

    catalogs = load_catalogs()
    assert all(catalogs.has(f"status.{status}") for status in STATUSES)
