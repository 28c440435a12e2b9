"""Configuration mistakes are refused before anything starts, in one line naming the variable,
and a database password is never printed, whatever it contains."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from bot.cli.main import app
from bot.config import Settings, describe_error
from storage.db import head_revision
from tests.postgres import scratch_database

IN_MEMORY = "an in-memory SQLite database would lose everything at exit"
SUPPORTED = (
    "use a SQLite file (sqlite:///cocreate.db) or PostgreSQL (postgresql+psycopg://user:password@host:5432/dbname)"
)


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No developer's .env or channel credentials: the test says what is set."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "SLACK_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)


def problem(**env: str) -> str:
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None, **env)
    return describe_error(error.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nonsense", f"DATABASE_URL: not a database URL; {SUPPORTED}"),
        ("mysql://cocreate:hunter2@db.example/cocreate", f"DATABASE_URL: mysql is not supported; {SUPPORTED}"),
        ("sqlite:///:memory:", f"DATABASE_URL: {IN_MEMORY}; {SUPPORTED}"),
        ("sqlite://", f"DATABASE_URL: {IN_MEMORY}; {SUPPORTED}"),
    ],
)
def test_an_unsupported_database_url_is_refused_in_one_line(url: str, message: str) -> None:
    assert problem(database_url=url) == message
    result = CliRunner().invoke(app, ["submissions"], env={"DATABASE_URL": url})
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == message  # the password (hunter2) is not repeated


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///cocreate.db",
        "sqlite:////var/lib/cocreate/cocreate.db",
        "postgresql+psycopg://user:password@127.0.0.1:5432/cocreate",
        "postgresql://user@db/cocreate",  # read as psycopg 3, the driver we install
        "postgres://user@db/cocreate",
    ],
)
def test_sqlite_files_and_postgresql_are_accepted(url: str) -> None:
    assert Settings(_env_file=None, database_url=url).database_url == url


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("400d", "FOLLOWUP_AFTER: '400d' is more than 365 days"),
        ("9000h", "FOLLOWUP_AFTER: '9000h' is more than 365 days"),
        ("99999999999999999999d", "FOLLOWUP_AFTER: '99999999999999999999d' is more than 365 days"),
        (",".join(f"{n}d" for n in range(1, 12)), "FOLLOWUP_AFTER: 11 offsets; at most 10"),
    ],
)
def test_follow_up_offsets_are_bounded(value: str, message: str) -> None:
    assert problem(followup_after=value) == message


def test_a_year_and_ten_offsets_are_still_fine() -> None:
    settings = Settings(_env_file=None, followup_after="365d,1d,2d,3d,4d,5d,6d,7d,8d,9d")
    assert len(settings.followup_after) == 10 and max(settings.followup_after).days == 365


def test_a_telegram_token_of_the_wrong_shape_is_refused_without_asking_telegram() -> None:
    message = (
        "TELEGRAM_BOT_TOKEN: not a bot token; @BotFather gives one like 123456789:AAH...xyz (digits, a colon, the secret)"
    )
    assert problem(telegram_bot_token="my-secret-value") == message
    # Nothing listens on port 9: were the token sent anywhere, the error would blame the URL.
    env = {"TELEGRAM_BOT_TOKEN": "my-secret-value", "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot"}
    result = CliRunner().invoke(app, ["run"], env=env)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == message
    assert "my-secret-value" not in result.output


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"},
         "SLACK_SIGNING_SECRET is missing: SLACK_BOT_TOKEN needs it (HTTP mode), or SLACK_APP_TOKEN (Socket Mode)"),
        ({"SLACK_SIGNING_SECRET": "s"},
         "SLACK_BOT_TOKEN is missing: SLACK_SIGNING_SECRET is set, and Slack needs the bot token (xoxb-...) too"),
        ({"SLACK_APP_TOKEN": "xapp-1"},
         "SLACK_BOT_TOKEN is missing: SLACK_APP_TOKEN is set, and Slack needs the bot token (xoxb-...) too"),
    ],
)  # fmt: skip
def test_half_a_slack_configuration_names_what_is_missing(env: dict[str, str], message: str) -> None:
    result = CliRunner().invoke(app, ["run"], env=env)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == message


def test_a_complete_slack_configuration_passes() -> None:
    for receiving in ({"slack_signing_secret": "s"}, {"slack_app_token": "xapp-1"}):
        assert Settings(_env_file=None, slack_bot_token="xoxb-1", **receiving).slack_bot_token is not None


def test_a_percent_sign_in_the_database_path_reaches_the_migrations(tmp_path: Path) -> None:
    # Alembic's configuration reads "%" as interpolation; the URL must not go through it.
    folder = tmp_path / "100% civic"
    folder.mkdir()
    result = CliRunner().invoke(app, ["db", "upgrade"], env={"DATABASE_URL": f"sqlite:///{folder / 'cocreate.db'}"})
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Database is at revision {head_revision()}."


def test_a_postgresql_password_with_a_percent_sign_works_and_is_never_printed() -> None:
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    password = "s3cr%t-Pa55"  # written %25 in the URL; the local server's trust auth ignores it
    with scratch_database(server) as url:
        with_password = url.replace("://postgres@", f"://postgres:{password.replace('%', '%25')}@", 1)
        assert with_password != url, "TEST_DATABASE_URL should name the user postgres without a password"
        created = CliRunner().invoke(app, ["db", "upgrade"], env={"DATABASE_URL": with_password})
        listed = CliRunner().invoke(app, ["submissions", "--format", "json"], env={"DATABASE_URL": with_password})
        no_such_database = with_password.rsplit("/", 1)[0] + "/no_such_db"
        missing = CliRunner().invoke(app, ["submissions"], env={"DATABASE_URL": no_such_database})
    assert created.exit_code == 0, created.output
    assert created.stdout.strip() == f"Database is at revision {head_revision()}."
    assert listed.exit_code == 0 and listed.stdout.strip() == "[]"
    assert missing.exit_code == 2 and missing.stderr.startswith("Cannot use the database (DATABASE_URL):")
    assert len(missing.stderr.strip().splitlines()) == 1
    for result in (created, listed, missing):
        assert "s3cr" not in result.output and "Pa55" not in result.output
