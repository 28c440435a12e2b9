"""Fixtures the channel and command-line tests share."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Iterator, Protocol

import pytest
from typer.testing import CliRunner, Result

from bot.cli.main import app as cli
from bot.config import Settings
from tests.fakes.telegram_api import FakeTelegram

# Every variable Settings reads, and make's MAKELEVEL (under make the chat's goodbye says
# `make chat`), unset: a command sees only what its test gives it.
UNSET: dict[str, str | None] = {**{name.upper(): None for name in Settings.model_fields}, "MAKELEVEL": None}


class Cocreate(Protocol):
    def __call__(self, *args: str, stdin: str = "", **env: str) -> Result: ...


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """A fake Telegram Bot API on 127.0.0.1 (the Slack tests define their own `fake`)."""
    server = FakeTelegram().start()
    yield server
    server.stop()


@pytest.fixture
def unused_port() -> int:
    """A free port for a server the bot opens itself (Slack's HTTP mode, Telegram's webhook):
    no test uses a fixed port, so parallel workers do not collide (the kernel picks free ports
    at random; the fakes bind port 0 themselves)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def cocreate(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cocreate:
    """Runs a `cocreate` command in this process on the test's SQLite database (the one `app`
    uses), with these environment variables and `stdin` as its input. The tests that are
    about the process itself (signals, kill -9, serving) start a real one instead."""
    monkeypatch.chdir(tmp_path)  # no developer's .env is read

    def run(*args: str, stdin: str = "", **env: str) -> Result:
        environment = {**UNSET, "DATABASE_URL": sqlite_url, **env}
        # Not caught: a traceback fails the test rather than hiding in the output.
        return CliRunner().invoke(
            cli, list(args), input=stdin, env=environment, catch_exceptions=False, prog_name="cocreate"
        )

    return run
