"""Every text the code asks for exists in the catalogs, with the placeholders English has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.channels.telegram_channel import MENU_COMMANDS
from bot.config import DEFAULT_CATEGORIES
from bot.operations.data_rights import SOURCES
from conversations.flows.designer import HOURS, SKILLS
from conversations.flows.explorer import AFFECTED
from conversations.flows.home import LEANINGS, ROLES
from conversations.flows.inbox import APPROVE, HIDE
from conversations.moderation import MODERATIONS
from conversations.buttons import BROADCAST_ACTIONS, CHECK_ANSWERS
from conversations.effects import Outcome
from conversations.i18n import load_catalogs, placeholders
from storage.models import STATUSES

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = load_catalogs()
ENGLISH = CATALOGS.messages["en"]
LITERAL_KEY = re.compile(r"""\bT\(\s*"([^"]+)"\s*[,)]""")
COMPUTED_KEY = re.compile(r"""\bT\(\s*f"([^"]+)"\s*[,)]""")


def _sources() -> list[str]:
    return [source.read_text() for package in ("conversations", "bot", "adapters") for source in (ROOT / package).rglob("*.py")]


def literal_keys() -> set[str]:
    return {key for source in _sources() for key in LITERAL_KEY.findall(source)}


def computed_key_patterns() -> set[str]:
    """The f-string keys in the code (`f"broadcast.{label}"`), each as a regular expression."""
    patterns = {key for source in _sources() for key in COMPUTED_KEY.findall(source)}
    return {"^" + re.sub(r"\\\{[^}]*\\\}", "[^ ]+", re.escape(pattern)) + "$" for pattern in patterns}


def computed_keys() -> set[str]:
    """Keys the flows build from data (f"role.{role}.option"), for every value the data has."""
    keys = {f"status.{s}" for s in STATUSES} | {f"category.{c}" for c in DEFAULT_CATEGORIES}
    keys |= {f"notify.next.{s}" for s in STATUSES}
    for role in ROLES:
        keys |= {f"role.{role}.option", f"role.{role}.name", f"role.{role}.explain", f"after.again.{role}"}
    keys |= {f"unsure.{leaning}" for leaning in LEANINGS} | {"role.not_sure.option"}
    keys |= {f"explorer.affected.{a}" for a in AFFECTED} | {f"designer.skill.{s}" for s in SKILLS}
    keys |= {f"designer.hours.{h}" for h in HOURS} | {"designer.contact.yes", "designer.contact.no"}
    for name in ("description", "category", "place", "photo", "affected"):
        keys |= {f"explorer.field.{name}", f"explorer.label.{name}"}
    keys |= {f"followup.{kind}.{answer}" for kind in ("thanks", "answer") for answer in CHECK_ANSWERS}
    keys |= {f"digest.{section}" for section in ("problems", "ideas", "changes")}
    for outcome in (Outcome.ADDED, Outcome.ALREADY, Outcome.OWN):
        keys.add(f"support.{outcome}")
    for saved in ("explorer.saved", "ideator.saved", "designer.saved"):
        keys |= {saved, f"{saved}.no_followup"}
    for count_key in ("error.pick_option", "error.out_of_range"):
        keys |= {count_key, f"{count_key}.one"}
    keys |= {f"command.{name}" for name in MENU_COMMANDS}
    keys |= {f"broadcast.{action}" for action in BROADCAST_ACTIONS}
    keys |= {f"inbox.visibility.{seen}" for seen in (*MODERATIONS, "private")}
    keys |= {f"inbox.moderated.{action}" for action in (HIDE, APPROVE)}
    keys |= {f"mydata.language.{source}" for source in (*SOURCES, "app")}
    return keys


def test_the_scan_finds_the_texts_the_code_uses() -> None:
    assert {"consent.ask", "explorer.ask_description", "console.bye"} <= literal_keys()


@pytest.mark.parametrize("pattern", sorted(computed_key_patterns()))
def test_every_key_built_at_run_time_has_its_values_listed_here(pattern: str) -> None:
    """A new f-string key family must be listed in computed_keys(), or its catalog entries
    would go unchecked (a missing `command.report` would only show in production)."""
    assert any(re.match(pattern, key) for key in computed_keys()), f"list the keys of {pattern} in computed_keys()"


@pytest.mark.parametrize("key", sorted(literal_keys() | computed_keys()))
def test_every_key_the_code_uses_is_in_the_english_catalog(key: str) -> None:
    assert ENGLISH.get(key), f"{key} is missing from conversations/locales/en/LC_MESSAGES/messages.po"


@pytest.mark.parametrize("language", sorted(CATALOGS.languages))
def test_every_language_has_every_key_with_the_same_placeholders(language: str) -> None:
    messages = CATALOGS.messages[language]
    missing = sorted(set(ENGLISH) - set(messages))
    assert not missing, f"{language} lacks {missing}"
    different = sorted(key for key in ENGLISH if placeholders(messages[key]) != placeholders(ENGLISH[key]))
    assert not different, f"{language} placeholders differ from English in {different}"
