"""`cocreate chat` as a person uses it: at a real terminal (a pseudo-terminal driving the real
process) answers are edited with the arrow keys, recalled with Up, and a multi-line paste is
one answer; broadcasts and follow-ups print apart from the question, and their lettered
buttons can be answered; the goodbye names the command that was run."""

from __future__ import annotations

from datetime import timedelta

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from bot.app import App
from bot.cli.main import app as cli
from bot.operations import broadcasting
from bot.operations.follow_up_messages import send_due_follow_ups
from storage import broadcasts, submissions
from storage.broadcasts import Audience
from tests.conftest import Clock
from tests.transcript import run_chat

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0  # seconds the bot may take to answer on a busy machine; the test moves on as soon as it has
PASTE_START, PASTE_END = b"\x1b[200~", b"\x1b[201~"
PROMPT_READY = b"\x1b[?2004h"  # the prompt turns bracketed paste on once it takes keys in raw mode
LEFT, UP, ENTER, CTRL_C, CTRL_D = b"\x1b[D", b"\x1b[A", b"\r", b"\x03", b"\x04"
ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z~]|\x1b[()][A-Z0-9]|[\r\x07\x08]")
PASSED_ON_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT")


class Terminal:
    """`cocreate chat --as ana` on a pseudo-terminal: keys go in as a person types them, and
    each wait reads the output until what is expected arrives (or the deadline passes)."""

    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.master, child_side = os.openpty()
        fcntl.ioctl(child_side, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        environment = {k: v for k, v in os.environ.items() if k in PASSED_ON_ENVIRONMENT}
        environment.update({
            "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color",
            # Nobody answers the cursor-position question a real terminal answers.
            "PROMPT_TOOLKIT_NO_CPR": "1",
        })  # fmt: skip
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "chat", "--as", "ana"], stdin=child_side, stdout=child_side,
            stderr=child_side, cwd=tmp_path, env=environment, start_new_session=True,
        )  # fmt: skip
        os.close(child_side)
        self.output = b""
        self.mark = 0  # where the output since the last keys starts

    def _read(self, deadline: float) -> bool:
        """Read what is there (waiting at most until the deadline); False at end of output."""
        ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the process closed the terminal
            return False
        self.output += chunk
        return bool(chunk)

    def wait_for(self, wanted: bytes, *, start: int | None = None) -> int:
        """Read until `wanted` appears in the output after `start` (default: since the last
        keys); returns where it ends."""
        start = self.mark if start is None else start
        deadline = time.monotonic() + WAIT
        while (found := self.output.find(wanted, start)) < 0:
            if time.monotonic() > deadline or not self._read(deadline):
                raise AssertionError(f"{wanted!r} never came; the terminal shows:\n{self.text()}")
        return found + len(wanted)

    def answer(self, after: str, keys: bytes) -> None:
        """Once the bot has said `after` and the prompt is ready for keys, type them."""
        self.wait_for(PROMPT_READY, start=self.wait_for(after.encode()))
        self.mark = len(self.output)
        os.write(self.master, keys)

    def finish(self) -> int:
        code = self.process.wait(timeout=WAIT)
        while self._read(time.monotonic() + WAIT):
            pass
        os.close(self.master)
        return code

    def text(self) -> str:
        """The output without terminal control sequences."""
        return ESCAPES.sub(b"", self.output).decode(errors="replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def terminal(tmp_path: Path, sqlite_url: str):
    opened = Terminal(tmp_path, sqlite_url)  # a database already migrated: the process need not build it
    yield opened
    opened.close()


ASK_DESCRIPTION = "Describe it in a few sentences"


def start_a_report(terminal: Terminal) -> None:
    terminal.answer("2) Tell me more", b"1" + ENTER)
    terminal.answer("5) Not sure", b"1" + ENTER)


def finish_the_report(terminal: Terminal) -> None:
    terminal.answer("7) Something else", b"1" + ENTER)
    terminal.answer("1) Skip", b"1" + ENTER)
    terminal.answer("4) The whole city", b"2" + ENTER)


def test_arrow_keys_edit_the_answer_and_up_recalls_the_last_one(terminal: Terminal) -> None:
    start_a_report(terminal)
    terminal.answer(ASK_DESCRIPTION, b"abd" + LEFT + b"c" + ENTER)
    terminal.answer("(you wrote 4)", UP + b" and more words" + ENTER)  # "abcd" came back, then more was typed
    finish_the_report(terminal)
    terminal.answer("Shall I send it?", CTRL_D)
    assert terminal.finish() == 0
    shown = terminal.text()
    assert "Problem: abcd and more words\nCategory: Roads and pavements" in shown
    assert "control characters" not in shown and "^[" not in shown
    assert shown.rstrip().endswith("Bye for now — your progress is saved. Run cocreate chat --as ana again to continue.")


def test_a_pasted_two_line_answer_is_one_answer(terminal: Terminal, tmp_path: Path, sqlite_url: str) -> None:
    start_a_report(terminal)
    terminal.answer(ASK_DESCRIPTION, PASTE_START + b"first line\nsecond line" + PASTE_END + ENTER)
    finish_the_report(terminal)
    terminal.answer("Shall I send it?", CTRL_C)
    assert terminal.finish() == 0
    shown = terminal.text()
    assert "Problem: first line\nsecond line\nCategory: Roads and pavements" in shown
    assert "Please type a number" not in shown  # the second line did not answer the next question
    assert shown.rstrip().endswith("Run cocreate chat --as ana again to continue.")

    again = Terminal(tmp_path, sqlite_url)  # Ctrl-C kept the progress: the report waits for confirmation
    try:
        again.answer("Welcome back", b"1" + ENTER)
        again.answer("Your report is P-1", CTRL_D)
        assert again.finish() == 0
    finally:
        again.close()


# -- notices: framed, lettered, answered --------------------------------------------------

DIFFUSER = ["1", "4", "1", "8", "1", "1"]  # agree, Diffuser, roads, Done, no area (Skip), subscribe
REPORTER = ["1", "1", "The swing in Elm Park is broken", "4", "1", "2", "1"]  # agree, Explorer, ..., Confirm


def test_a_diffuser_answers_a_broadcast_by_its_letter_and_the_reach_is_recorded(app: App) -> None:
    run_chat(app, "eve", DIFFUSER)
    with Session(app.database) as session, session.begin():
        broadcasting.queue(
            session, text="Line 7 starts on Monday", audience=Audience(), created_by="cli", now=app.clock(),
            catalogs=app.catalogs, settings=app.service.settings, via="cli",
        )  # fmt: skip

    shown = run_chat(app, "eve", ["a", "about 40"])

    notice, _, after = shown.partition("\nHello again!")
    assert notice.startswith("── News ─")
    assert "Line 7 starts on Monday" in notice
    assert notice.endswith("  a) I shared it\n  b) Stop these updates\n" + "─" * 48)
    assert "> a\nThank you for passing it on!" in after
    assert "> about 40\nThanks — that's about 40 more people who know." in after
    with Session(app.database) as session:
        (report,) = broadcasts.reports(session)
    assert report.reach == 40


def test_a_reporter_answers_a_follow_up_by_its_letter_and_numbers_still_answer_the_question(app: App, clock: Clock) -> None:
    run_chat(app, "ana", REPORTER)
    clock.now += timedelta(days=3)  # FOLLOWUP_AFTER's first offset
    with Session(app.database) as session, session.begin():
        assert send_due_follow_ups(session, now=app.clock(), notices=app.notices, zone=app.settings.zone) == 1

    shown = run_chat(app, "ana", ["a", "3"])

    assert shown.startswith("── Update ─")
    assert "Is it still a problem?\n  a) Still a problem\n  b) Solved\n  c) Worse\n" in shown
    assert "> a\nThank you — noted that P-1 is still a problem." in shown
    # A number answers the question being asked (3 is Designer), not the notice (c would be Worse).
    assert "> 3\nNo ideas need hands right now." in shown
    with Session(app.database) as session:
        details = submissions.details(session, kind="problem", id_=1)
    assert details is not None
    assert [entry.note for entry in details.history][-1] == "Reporter says it is still a problem"


def test_replies_print_as_before_and_a_letter_without_a_notice_is_an_answer(app: App) -> None:
    shown = run_chat(app, "bob", ["a"])
    assert "─" not in shown  # no notice, no frame
    assert "> a\nI couldn't tell which option you mean — please choose one below, or send /help.\n  1) I agree" in shown


# -- the goodbye ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("makelevel", "command"), [("1", "make chat"), (None, "cocreate chat --as ana")], ids=["make", "cocreate"]
)
def test_the_goodbye_names_the_command_that_was_run(
    makelevel: str | None, command: str, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no developer's .env
    environment = {"DATABASE_URL": sqlite_url, "MAKELEVEL": makelevel}  # make exports MAKELEVEL to what it runs
    result = CliRunner().invoke(cli, ["chat", "--as", "ana"], input="", env=environment, prog_name="cocreate")
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith(f"Bye for now — your progress is saved. Run {command} again to continue.")
