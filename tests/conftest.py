"""Shared fixtures.

Every test gets its own database: a SQLite file in its tmp_path. A test (or module) marked
`postgres` runs a second time on a fresh PostgreSQL database created for it and dropped
after, when TEST_DATABASE_URL is set (skipped otherwise). Both start with the schema at the
newest migration, copied from one migrated once per test process (a SQLite file, a PostgreSQL
template database): running the migrations for every test was most of the suite's time. A test
about migrating itself is marked `empty_database` and gets a database with no tables.

`app` is the bot built on that database, closed after the test. A module says what else its
tests need by overriding `settings_overrides` (say, the fake Telegram's URL) and, when it
serves a channel in real time, `app_clock`; a test that needs other settings, or two apps
in turn, calls `app_factory(**overrides)`.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner, Result

from bot.app import App, build_app
from bot.cli.main import app as cli
from bot.config import Settings
from bot.runtime.logs import QUIETER
from storage.db import OWNER_ONLY, create_db_engine, ensure_schema
from tests.postgres import DatabasePool, scratch_database

FIXED_NOW = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")

# Every variable Settings reads, and what `make test` exports (under make the chat's goodbye
# says `make chat`), unset: a command sees only what its test gives it, as a person runs it.
MAKE_VARIABLES = ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")
UNSET: dict[str, str | None] = {name: None for name in (*(f.upper() for f in Settings.model_fields), *MAKE_VARIABLES)}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class AppFactory(Protocol):
    def __call__(self, *, clock: Callable[[], datetime] | None = None, **settings: Any) -> App: ...


class Cocreate(Protocol):
    """`cocreate ARGS` in this process (the `cocreate` fixture), with this input and these variables."""

    def __call__(self, *args: str, stdin: str = "", **env: str) -> Result: ...


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than the machine has cores. A few tests mostly wait on
    real time (the replicas' broadcast goes at Telegram's pace for over a minute, processes
    under test start and stop); an extra worker keeps the cores busy meanwhile."""
    return (os.cpu_count() or 1) + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `long` first: started at once, they run beside the rest instead of
    after it (xdist hands each worker its share in this order)."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked `postgres` that use the database run on SQLite and on PostgreSQL."""
    if "database_url" in metafunc.fixturenames and metafunc.definition.get_closest_marker("postgres"):
        metafunc.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(autouse=True)
def logging_as_it_was() -> Iterator[None]:
    """`cocreate run` and `cocreate web` configure the process's logging, as they should; run
    in-process by a test, that would outlive it (a handler on the test's closed stream, INFO
    lines in later tests' output). Put it back after every test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quieted = {name: logging.getLogger(name).level for name in QUIETER}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, was in quieted.items():
        logging.getLogger(name).setLevel(was)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _migrated(url: str) -> None:
    engine = create_db_engine(url)
    try:
        ensure_schema(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database at the newest migration, for tests to copy."""
    path = tmp_path_factory.mktemp("migrated") / "cocreate.db"
    _migrated(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgresql_databases() -> Iterator[DatabasePool]:
    """PostgreSQL databases at the newest migration, copied from a template this test
    process migrates once (CREATE DATABASE ... TEMPLATE needs nobody connected to the
    template, hence one per process: xdist's workers never share it)."""
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    try:
        with scratch_database(POSTGRES_URL, prefix="cocreate_template") as template_url:
            _migrated(template_url)
            pool = DatabasePool(POSTGRES_URL, template=template_url.rsplit("/", 1)[1])
            yield pool
            pool.close()
    except OperationalError as error:
        pytest.skip(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {error.orig}")


def _wants_empty(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("empty_database") is not None


@pytest.fixture
def sqlite_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    path = tmp_path / "cocreate.db"
    if not _wants_empty(request):
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"), path)
        path.chmod(OWNER_ONLY)  # as the app creates its file
    return f"sqlite:///{path}"


@pytest.fixture
def postgresql_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    if _wants_empty(request):
        try:
            with scratch_database(POSTGRES_URL) as url:
                yield url
        except OperationalError as error:
            pytest.skip(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {error.orig}")
        return
    pool: DatabasePool = request.getfixturevalue("postgresql_databases")
    with pool.database() as url:
        yield url


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    """This test's database: SQLite, or PostgreSQL in the second run of a `postgres` test."""
    return request.getfixturevalue(f"{getattr(request, 'param', 'sqlite')}_url")


@pytest.fixture
def database(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Settings this module's apps get besides their database (a module overrides this)."""
    return {}


@pytest.fixture
def app_clock(clock: Clock) -> Callable[[], datetime]:
    """The app's clock: `clock`, moved by hand. Modules that serve a channel, with its
    retries and timers, override it with the real time (bot.app.utc_now)."""
    return clock


@pytest.fixture
def app_factory(
    database_url: str, settings_overrides: dict[str, Any], app_clock: Callable[[], datetime]
) -> Iterator[AppFactory]:
    """Builds an app on this test's database with the module's settings and these; each
    one built is closed after the test (closing one earlier, as a restart does, is fine)."""
    built: list[App] = []

    def build(*, clock: Callable[[], datetime] | None = None, **settings: Any) -> App:
        configured = Settings(_env_file=None, database_url=database_url, **{**settings_overrides, **settings})
        built.append(build_app(configured, clock=clock or app_clock))
        return built[-1]

    yield build
    for app in built:
        app.close()


@pytest.fixture
def app(app_factory: AppFactory) -> App:
    return app_factory()


@pytest.fixture
def unused_port() -> int:
    """A free port for a server the bot opens itself (Slack's HTTP mode, Telegram's webhook):
    no test uses a fixed port, so parallel workers do not collide (the kernel picks free ports
    at random; the fakes bind port 0 themselves)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def cocreate(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cocreate:
    """Runs a `cocreate` command in this process on the test's database (the one `app` uses),
    with these environment variables and `stdin` as its input. The tests that are about the
    process itself (signals, kill -9, serving, how stdin decodes) start a real one instead."""
    monkeypatch.chdir(tmp_path)  # no developer's .env is read

    def run(*args: str, stdin: str = "", **env: str) -> Result:
        environment = {**UNSET, "DATABASE_URL": database_url, **env}
        # Not caught: a traceback fails the test rather than hiding in the output.
        return CliRunner().invoke(
            cli, list(args), input=stdin, env=environment, catch_exceptions=False, prog_name="cocreate"
        )

    return run


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
