"""The console as the real program serves it: `cocreate web` alone, and `cocreate run` beside
Telegram (the fake Bot API on 127.0.0.1), where a staff member's /web brings a link that signs
them in to that same process."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.bot.test_run_process import environment, free_port
from tests.bot.test_telegram_channel import press, text_update
from tests.conftest import Cocreate
from tests.fakes.telegram_api import TOKEN, FakeTelegram

CID = 403


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram().start()
    yield server
    server.stop()


def started(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """A real `cocreate ...` process: serving is what these tests are about."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args], cwd=tmp_path, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def stopped(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    finally:
        process.kill()


def test_cocreate_web_serves_the_console_alone_and_a_printed_link_signs_in(
    tmp_path: Path, sqlite_url: str, cocreate: Cocreate
) -> None:
    port = free_port()
    server = started(tmp_path, environment(sqlite_url, STAFF="console:boss", WEB_PORT=str(port)), "web")
    try:
        assert server.stdout is not None
        ready = server.stdout.readline()  # printed once the console listens
        assert ready.startswith(f"Staff console: http://127.0.0.1:{port}")
        link = cocreate("staff", "link", "console:boss", STAFF="console:boss", WEB_PORT=str(port)).stdout.strip()
        assert link.startswith(f"http://127.0.0.1:{port}/signin/")
        with httpx.Client() as browser:
            assert browser.get(f"http://127.0.0.1:{port}/", follow_redirects=False).headers["location"] == "/signin"
            assert browser.post(link).status_code == 303
            inbox = browser.get(f"http://127.0.0.1:{port}/")
        assert inbox.status_code == 200 and "Signed in as console:boss" in inbox.text
    finally:
        code = stopped(server)
    assert code == 0


def test_a_port_in_use_is_one_line_naming_web_port(tmp_path: Path, sqlite_url: str) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = subprocess.run([sys.executable, "-m", "bot.cli", "web"], cwd=tmp_path, capture_output=True, text=True,
                                env=environment(sqlite_url, WEB_PORT=str(port)), timeout=60)  # fmt: skip
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last == f"WEB_PORT: the staff console cannot listen on 127.0.0.1:{port} (Address already in use)."
    assert "Traceback" not in result.stderr


def test_cocreate_run_serves_the_console_beside_telegram_and_web_brings_a_link(
    tmp_path: Path, sqlite_url: str, fake: FakeTelegram
) -> None:
    """And /healthz watches every loop of the process, and its logs are JSON (LOG_FORMAT)."""
    port = free_port()
    env = environment(sqlite_url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.base_url, LOG_FORMAT="json",
                      STAFF=f"telegram:{CID}", WEB_PORT=str(port), WEB_BASE_URL=f"http://127.0.0.1:{port}")  # fmt: skip
    bot = started(tmp_path, env, "run")
    try:
        pushed = [fake.push(text_update("/start", CID))]
        consent = fake.wait_for_messages(1, CID, timeout=60)[0]
        pushed.append(fake.push(press(consent, "I agree", CID)))
        fake.wait_for_messages(2, CID, timeout=60)
        pushed.append(fake.push(text_update("/web", CID)))
        sent = fake.wait_for_messages(3, CID, timeout=60)[2]
        (link,) = re.findall(r"http://127\.0\.0\.1:\d+/signin/\S+", sent["text"])
        with httpx.Client() as browser:
            assert browser.post(link).status_code == 303
            inbox = browser.get(f"http://127.0.0.1:{port}/")
            health = browser.get(f"http://127.0.0.1:{port}/healthz")
        assert inbox.status_code == 200 and f"Signed in as telegram:{CID}" in inbox.text
        assert health.status_code == 200
        assert health.json()["checked"] == ["database", "delivery:telegram", "delivery:webhook", "scheduler", "telegram"]
    finally:
        code = stopped(bot)
    assert code == 0
    assert bot.stderr is not None
    logged = [json.loads(line) for line in bot.stderr.read().splitlines()]
    assert [line["event_id"] for line in logged if line["logger"] == "bot.inbound.service"] == [str(id_) for id_ in pushed]
