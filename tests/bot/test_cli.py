"""The `cocreate` command as people and scripts use it, on a real database: run in this
process (the `cocreate` fixture), except Ctrl-C, which needs a real process to interrupt."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from storage.db import head_revision
from tests.conftest import UNSET, Cocreate

ROOT = Path(__file__).resolve().parents[2]


def test_every_command_has_help(cocreate: Cocreate) -> None:
    for command in ([], ["chat"], ["run"], ["submissions"], ["db"], ["db", "upgrade"]):
        result = cocreate(*command, "--help")
        assert result.exit_code == 0, result.stderr
        assert "Usage" in result.stdout


def test_run_without_channels_says_what_to_set(cocreate: Cocreate) -> None:
    result = cocreate("run")
    assert result.exit_code == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "SLACK_BOT_TOKEN" in result.stderr
    assert "cocreate chat" in result.stderr


def test_a_bad_setting_is_named_in_one_line(cocreate: Cocreate) -> None:
    result = cocreate("chat", FOLLOWUP_AFTER="3x")
    assert result.exit_code == 2
    assert result.stderr.strip() == "FOLLOWUP_AFTER: '3x' is not a duration like 3d, 12h, 30m or 45s"


def test_an_unreachable_database_is_reported_in_one_line(cocreate: Cocreate) -> None:
    result = cocreate("submissions", DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.exit_code == 2
    assert result.stderr.startswith("Cannot use the database (DATABASE_URL)")


def test_leaving_mid_dialog_and_coming_back_resumes_at_the_same_step(cocreate: Cocreate) -> None:
    first = cocreate("chat", "--as", "ana", stdin="1\n1\nThe bus shelter on Park Road has no roof\n")
    assert first.exit_code == 0, first.stderr
    assert first.stdout.rstrip().endswith("Bye for now — your progress is saved. Run cocreate chat --as ana again to continue.")
    second = cocreate("chat", "--as", "ana", stdin="5\n")
    assert second.stdout.startswith("Welcome back — we were here:\n\nWhich category fits best?")
    assert "> 5\nWhere is it?" in second.stdout
    other = cocreate("chat", "--as", "bob", stdin="")
    assert other.stdout.startswith("Hello! I'm cocreate")  # a different person in the same database


def test_ctrl_c_leaves_cleanly_and_keeps_the_progress(cocreate: Cocreate, sqlite_url: str, tmp_path: Path) -> None:
    # A real process on a real pipe: SIGINT arrives while it waits for the next line.
    environment = {k: v for k, v in os.environ.items() if k not in UNSET}
    environment.update({"DATABASE_URL": sqlite_url, "PYTHONPATH": str(ROOT)})
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "chat", "--as", "ana"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=environment,
    )  # fmt: skip
    assert process.stdin and process.stdout
    process.stdin.write("1\n")
    process.stdin.flush()
    for line in process.stdout:  # wait until the bot has answered, however long that takes
        if line.startswith("  5) Not sure"):
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Bye for now" in out and "Traceback" not in err
    again = cocreate("chat", "--as", "ana", stdin="")
    assert again.stdout.startswith("Hello again!\n\nWhat would you like to do?")


def report(cocreate: Cocreate, name: str, description: str) -> None:
    result = cocreate("chat", "--as", name, stdin=f"1\n1\n{description}\n1\n1\n2\n1\n")
    assert "Your report is P-" in result.stdout, result.stdout


def test_submissions_export_as_json_csv_and_table(cocreate: Cocreate) -> None:
    report(cocreate, "ana", 'Pothole "the size of a bathtub" on Main St, near [bold]no 4[/bold]')
    as_json = json.loads(cocreate("submissions", "--format", "json").stdout)
    assert len(as_json) == 1
    record = as_json[0]
    assert {"ref", "kind", "title", "description", "category", "status", "language", "channel", "supporters", "created_at"} <= set(record)
    assert (record["ref"], record["kind"], record["category"], record["status"]) == ("P-1", "problem", "roads", "new")
    assert (record["language"], record["channel"], record["supporters"]) == ("en", "console", 0)
    assert record["description"] == 'Pothole "the size of a bathtub" on Main St, near [bold]no 4[/bold]'

    rows = list(csv.DictReader(io.StringIO(cocreate("submissions", "--format", "csv").stdout)))
    assert [row["ref"] for row in rows] == ["P-1"] and rows[0]["description"] == record["description"]

    table = cocreate("submissions", "--kind", "problem", COLUMNS="200").stdout
    assert "[bold]no 4[/bold]" in table  # shown as typed, not read as markup
    assert json.loads(cocreate("submissions", "--kind", "idea", "--format", "json").stdout) == []
    assert json.loads(cocreate("submissions", "--status", "done", "--format", "json").stdout) == []
    bad = cocreate("submissions", "--status", "finished")
    assert bad.exit_code == 2 and "new, under_review" in bad.stderr


@pytest.mark.empty_database
def test_db_upgrade_creates_the_schema(cocreate: Cocreate) -> None:
    result = cocreate("db", "upgrade")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"Database is at revision {head_revision()}."


def test_status_changes_are_confirmed_and_mistakes_explained(cocreate: Cocreate) -> None:
    report(cocreate, "ana", "Streetlight on Elm Road is out")
    moved = cocreate("status", "P-1", "in_progress", "--note", "Crew booked for Tuesday")
    assert moved.exit_code == 0, moved.stderr
    assert moved.stdout.strip() == "P-1: new -> in_progress; 1 person will be told."
    refused = cocreate("status", "P-1", "declined")
    assert refused.exit_code == 2 and "Declining needs a reason" in refused.stderr
    news = cocreate("chat", "--as", "ana")
    assert "News about P-1 — Streetlight on Elm Road is out: it is now in progress." in news.stdout


def test_stats_count_people_submissions_and_messages(cocreate: Cocreate) -> None:
    assert cocreate("stats").stdout.splitlines()[0] == "People: none"
    report(cocreate, "ana", "Streetlight on Elm Road is out")
    lines = cocreate("stats").stdout.splitlines()
    assert lines[:4] == ["People: explorer 1", "Problems: new 1", "Ideas: none", "Designs: none"]
    assert lines[4].startswith("Messages: sent ")
