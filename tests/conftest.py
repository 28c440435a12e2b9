"""Shared fixtures. Every test gets its own database: a SQLite file in its tmp_path, and,
for tests that ask for `any_database_url` while TEST_DATABASE_URL points at PostgreSQL,
a fresh PostgreSQL database created for it and dropped after."""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime, timezone
from typing import Any, Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from bot.app import App, build_app
from bot.config import Settings
from storage.db import create_db_engine
from tests.postgres import scratch_database

FIXED_NOW = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cocreate.db'}"


@pytest.fixture
def postgresql_url() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    try:
        with scratch_database(POSTGRES_URL) as url:
            yield url
    except OperationalError as error:
        pytest.skip(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {error.orig}")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database_url(request) -> str:
    """Runs the test once on SQLite and once on PostgreSQL (skipped without TEST_DATABASE_URL)."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def database(any_database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(any_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(any_database_url: str) -> Settings:
    return Settings(_env_file=None, database_url=any_database_url)


@pytest.fixture
def app(settings: Settings, clock: Clock) -> Iterator[App]:
    built = build_app(settings, clock=clock)
    yield built
    built.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Each skip reason once, with how many tests it skipped (instead of a line per test)."""
    reasons = Counter(_skip_reason(report) for report in terminalreporter.stats.get("skipped", []))
    if reasons:
        terminalreporter.write_sep("=", "skipped")
        for reason, count in reasons.most_common():
            terminalreporter.write_line(f"{count} skipped: {reason}")


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")
