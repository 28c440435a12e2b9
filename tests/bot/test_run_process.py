"""`cocreate run` as a real process against the fake Telegram and Slack servers: credentials
the platforms refuse, and a kill -9 in the middle of a dialog or of a broadcast."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from bot.app import utc_now
from tests.bot.test_telegram_channel import press, text_update
from tests.conftest import UNSET, AppFactory, Cocreate
from tests.fakes.telegram_api import TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
ALICE = 111111


def environment(database_url: str, **variables: str) -> dict[str, str]:
    """This machine's environment without any of our settings, plus these."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    # The staff console is served beside the channels: on a free port, so runs never collide.
    web = {"WEB_PORT": str(free_port())}
    return {**env, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT), **web, **variables}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def telegram(fake: FakeTelegram, token: str = TOKEN) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": fake.base_url}


def start(tmp_path: Path, database_url: str, fake: FakeTelegram, token: str = TOKEN) -> subprocess.Popen[str]:
    env = environment(database_url, **telegram(fake, token))
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def test_a_rejected_token_is_named_in_one_line(tmp_path: Path, sqlite_url: str, fake: FakeTelegram) -> None:
    process = start(tmp_path, sqlite_url, fake, token="123:wrong")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert err.strip().splitlines()[-1].startswith("TELEGRAM_BOT_TOKEN: Telegram did not accept this token")
    assert "Traceback" not in err and "123:wrong" not in err


def reply(fake: FakeTelegram, update: dict, count: int) -> dict:
    fake.push(update)
    return fake.wait_for_messages(count, ALICE, timeout=60)[count - 1]


def test_kill_9_mid_dialog_loses_nothing_and_the_dialog_continues(
    tmp_path: Path, sqlite_url: str, fake: FakeTelegram
) -> None:
    first = start(tmp_path, sqlite_url, fake)
    try:
        consent = reply(fake, text_update("/start"), 1)
        roles = reply(fake, press(consent, "I agree"), 2)
        assert reply(fake, press(roles, "Explorer — report a problem you've noticed"), 3)["text"].startswith("What is")
        # Telegram hands the next message over; the process dies right then, before it
        # could confirm the update (and perhaps before it handled it).
        update_id = fake.push(text_update("The footbridge over the canal has a broken railing"))
        fake.wait_until(lambda f: update_id in f.served_updates, timeout=60)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        first.kill()

    second = start(tmp_path, sqlite_url, fake)
    try:
        categories = fake.wait_until(lambda f: any(m["text"].startswith("Which category") for m in f.sent(ALICE)), 60)
        categories = next(m for m in fake.sent(ALICE) if m["text"].startswith("Which category"))
        count = len(fake.sent(ALICE))
        where = reply(fake, press(categories, "Roads and pavements"), count + 1)
        assert where["text"].startswith("Where is it?")
    finally:
        second.send_signal(signal.SIGTERM)
        out, err = second.communicate(timeout=30)
    assert second.returncode == 0, err
    questions = [m["text"] for m in fake.sent(ALICE)]
    # The description was handled exactly once: one category question, then the next step.
    assert sum(q.startswith("Which category") for q in questions) == 1
    assert questions[-1].startswith("Where is it?")


def test_slack_credentials_slack_refuses_are_named_in_one_line(tmp_path: Path, sqlite_url: str) -> None:
    from tests.fakes.slack_api import FakeSlack

    fake_slack = FakeSlack().start()
    try:
        env = environment(
            sqlite_url, SLACK_BOT_TOKEN="xoxb-revoked", SLACK_SIGNING_SECRET="s", SLACK_API_BASE_URL=fake_slack.base_url
        )
        result = subprocess.run([sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    finally:
        fake_slack.stop()
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == "SLACK_BOT_TOKEN: Slack did not accept this token (invalid_auth)."
    assert "xoxb-revoked" not in result.stderr


def test_kill_9_mid_broadcast_everyone_gets_it_and_only_in_flight_ones_twice(
    tmp_path: Path, sqlite_url: str, fake: FakeTelegram, app_factory: AppFactory, cocreate: Cocreate
) -> None:
    from collections import Counter

    from tests.bot.test_broadcast_delivery import diffusers

    app = app_factory(clock=utc_now)
    # Telegram's limit (about 30 a second) paces the processes: 60 people, killed a third of
    # the way, is as much of a broadcast in the middle as 100 would be, in two seconds less.
    people = diffusers(app, 60)
    app.close()  # the processes below have the database to themselves
    queued = cocreate("broadcast", "The market moves to Station Square", "--yes", **telegram(fake))
    assert "Queued B-1 for 60 recipients." in queued.stdout, queued.stderr

    first = start(tmp_path, sqlite_url, fake)
    try:
        fake.wait_for_messages(20, timeout=60)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        first.kill()
    second = start(tmp_path, sqlite_url, fake)
    try:
        fake.wait_until(lambda f: {str(m["chat_id"]) for m in f.sent()} >= {str(p) for p in people}, timeout=60)
    finally:
        second.send_signal(signal.SIGTERM)
        second.communicate(timeout=30)
    copies = Counter(str(m["chat_id"]) for m in fake.sent())
    assert set(copies) == {str(p) for p in people}  # nobody missing
    twice = [chat for chat, n in copies.items() if n > 1]
    # Only messages on the wire at the kill can go twice: at most one per delivery slot.
    from bot.channels.telegram_channel import CONCURRENT_DELIVERIES

    assert len(twice) <= CONCURRENT_DELIVERIES and max(copies.values()) <= 2
    report = cocreate("broadcasts", COLUMNS="200", **telegram(fake))
    assert "│ 60         │ 60   │ 0       │ 0      │ 0       │" in report.stdout, report.stdout
