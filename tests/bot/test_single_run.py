"""One `cocreate run` per SQLite database: a second one, which would take back the first
one's in-flight messages and send them again, refuses to start and names the first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.bot.test_run_process import ALICE, environment, start, telegram, text_update
from tests.fakes.telegram_api import FakeTelegram


def database_file(sqlite_url: str) -> Path:
    return Path(sqlite_url.removeprefix("sqlite:///"))


def test_a_second_run_on_the_same_sqlite_file_refuses_and_names_the_first(
    tmp_path: Path, sqlite_url: str, fake: FakeTelegram
) -> None:
    first = start(tmp_path, sqlite_url, fake)
    try:
        fake.wait_until(lambda f: "getUpdates" in f.call_names(), timeout=60)  # serving, lock held
        second = subprocess.run(
            [sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=environment(sqlite_url, **telegram(fake)),
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert second.returncode == 2, second.stderr
        assert second.stderr.strip() == (
            f"Another `cocreate run` (pid {first.pid}) is already serving {database_file(sqlite_url)}; stop it first "
            "(two would send the same messages twice). Use PostgreSQL to run several."
        )
        # The first one goes on serving, undisturbed.
        fake.push(text_update("/start", ALICE))
        assert fake.wait_for_messages(1, ALICE, timeout=60)[0]["text"]
        assert first.poll() is None
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    assert first.returncode == 0
    assert oct(database_file(sqlite_url).with_name("cocreate.db.lock").stat().st_mode & 0o777) == oct(0o600)


def test_after_the_first_run_stops_the_next_one_starts(tmp_path: Path, sqlite_url: str, fake: FakeTelegram) -> None:
    first = start(tmp_path, sqlite_url, fake)
    fake.wait_until(lambda f: "getUpdates" in f.call_names(), timeout=60)
    first.send_signal(signal.SIGKILL)  # however it ends, the operating system drops its lock
    first.wait(timeout=30)
    calls = len(fake.calls_of("getUpdates"))
    second = start(tmp_path, sqlite_url, fake)
    try:
        fake.wait_until(lambda f: len(f.calls_of("getUpdates")) > calls, timeout=60)
        assert second.poll() is None
        assert database_file(sqlite_url).with_name("cocreate.db.lock").read_text().strip() == str(second.pid)
    finally:
        second.send_signal(signal.SIGTERM)
        second.communicate(timeout=30)
    assert second.returncode == 0
    assert os.path.exists(database_file(sqlite_url))
