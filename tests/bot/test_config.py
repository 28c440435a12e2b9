"""Settings as people write them in the environment or .env."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from pydantic import ValidationError

from bot.config import Settings, describe_error
from bot.inbound.detection import LanguageDetector


def settings(**env: str) -> Settings:
    return Settings(_env_file=None, **env)


def test_defaults_need_no_configuration() -> None:
    defaults = settings()
    assert defaults.database_url == "sqlite:///cocreate.db"
    assert defaults.followup_after == (timedelta(days=3), timedelta(days=14))
    assert defaults.followup_check_every == timedelta(seconds=5)
    assert defaults.quiet_hours is None and defaults.telegram_bot_token is None


def test_lists_durations_and_windows_are_read_from_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOLLOWUP_AFTER", "14d, 30s,2h")
    monkeypatch.setenv("FOLLOWUP_CHECK_EVERY", "1m")
    monkeypatch.setenv("CATEGORIES", "roads, noise ,  parks")
    monkeypatch.setenv("QUIET_HOURS", "21:00-08:00")
    monkeypatch.setenv("STAFF", "telegram:12345,slack:U0123")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    read = Settings(_env_file=None)
    assert read.followup_after == (timedelta(seconds=30), timedelta(hours=2), timedelta(days=14))
    assert read.followup_check_every == timedelta(minutes=1)
    assert read.categories == ("roads", "noise", "parks")
    assert read.quiet_hours == (time(21, 0), time(8, 0))
    assert read.staff == ("telegram:12345", "slack:U0123")
    assert read.telegram_bot_token is None


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FOLLOWUP_AFTER", "3 days", "FOLLOWUP_AFTER: '3 days' is not a duration like 3d, 12h, 30m or 45s"),
        ("FOLLOWUP_CHECK_EVERY", "often", "FOLLOWUP_CHECK_EVERY: 'often' is not a duration like 3d, 12h, 30m or 45s"),
        ("FOLLOWUP_CHECK_EVERY", "0s", "FOLLOWUP_CHECK_EVERY: must be longer than zero, like 5s"),
        ("QUIET_HOURS", "late", "QUIET_HOURS: 'late' is not a window like 21:00-08:00"),
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE: 'Mars/Olympus' is not a time zone name like Europe/Madrid or UTC"),
        ("STAFF", "12345", "STAFF: '12345' is not CHANNEL:ID (for example telegram:12345 or slack:U0123)"),
        ("DEFAULT_LANGUAGE", "it", "DEFAULT_LANGUAGE 'it' must be one of LANGUAGES (en, es, fr, de, pt)"),
        ("LANGUAGES", "en,it", "LANGUAGES: no catalog for it (available: de, en, es, fr, pt)"),
        ("DETECT_ALSO", "it,klingon", "DETECT_ALSO: langdetect has no profile for klingon (codes such as it, nl, zh-cn)"),
        ("DIGEST_DAY", "someday", "DIGEST_DAY: 'someday' is not a day of the week like mon or friday"),
        ("CATEGORIES", "roads,street_furniture_and_public_benches", "CATEGORIES: 'street_furniture_and_public_benches' is too long for a button (at most 30 bytes)"),
        ("CATEGORIES", "roads,_more", "CATEGORIES: '_more' may not start with _ (the bot's own options do)"),
    ],
)
def test_a_bad_value_is_explained_naming_its_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None)
    assert describe_error(error.value) == message


def test_detection_loads_the_offered_languages_and_the_likely_others_only() -> None:
    """langdetect's 55 profiles take about 60 MB: only these are loaded, and a text is still
    told apart among them (Italian, not offered, is recognised so the bot can say so)."""
    chosen = settings(LANGUAGES="en,es", DETECT_ALSO="it,ca").detected_languages()
    assert chosen == ("en", "es", "it", "ca")
    detect = LanguageDetector(chosen)
    assert detect("Hay un bache enorme en la calle Mayor, justo delante del colegio")[0][0] == "es"
    assert detect("C'è una buca enorme in via Roma, proprio davanti alla scuola")[0][0] == "it"
    assert {language for language, _ in detect("The street light on Elm Road has been out for weeks")} <= set(chosen)
