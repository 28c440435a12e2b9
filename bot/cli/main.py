"""The `cocreate` command line. Errors a person can fix print one line, never a traceback."""

from __future__ import annotations

import asyncio
import csv
import gc
import getpass
import io
import json
import os
import shlex
import sys
from contextlib import contextmanager
from dataclasses import fields
from enum import Enum
from typing import Any, Iterator, Mapping, Optional

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from adapters import console
from adapters import text as incoming
from bot import app as application
from bot.channels import terminal_chat
from bot.cli import apikey_commands, idea_commands, partner_commands, people_commands, poll_commands, safety_commands, staff_commands
from bot.cli.common import fail, friendly_errors, opened_app, settings
from bot.runtime import outage
from bot.runtime.logs import configure_logging
from conversations.context import Submitter
from conversations.refs import make_ref
from conversations.visible import for_staff
from storage import db, submissions, teams
from storage.models import STATUSES

# Plain help: Rich markup would eat "[en]" in help texts and label every flag "<bool>".
HELP_SETTINGS = {"max_content_width": 120}
app = typer.Typer(
    help="cocreate: a chat bot for co-creating public services with citizens.",
    no_args_is_help=True, rich_markup_mode=None, context_settings=HELP_SETTINGS,
)  # fmt: skip
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(db_app, name="db")
staff_commands.register(app)
poll_commands.register(app)
people_commands.register(app)
safety_commands.register(app)
partner_commands.register(app)
idea_commands.register(app)
apikey_commands.register(app)


class Kind(str, Enum):
    problem = "problem"
    idea = "idea"
    design = "design"


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


@app.command()
def chat(
    ctx: typer.Context,
    as_: Optional[str] = typer.Option(None, "--as", help="Who you are in this chat (default: your login name)."),
    start: Optional[str] = typer.Option(None, "--start", metavar="CODE", help="Begin as through a diffuser's personal link with this code (its /join/<code> or ?start=<code>)."),
) -> None:
    """Talk to the bot in this terminal (same engine, same database as the channels)."""
    name = as_ or getpass.getuser()
    if incoming.typed(name) != name:
        fail("--as: the name is not valid UTF-8; use letters the terminal can show")
    if start is not None and incoming.start_parameter(f"/start {start}") is None:
        fail(f"--start {start!r} is not a link's code (letters, digits, - and _, at most 64)")
    # Bytes that are not UTF-8 reach the adapter as lone surrogates, which it refuses
    # politely; with the default strict decoding they would end the chat instead.
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="surrogateescape")
    with friendly_errors(), unusable_database():
        built = application.build_app(settings())
    hooks = built.channel_hooks()
    command = chat_command(ctx.command_path, as_=as_, environ=os.environ)
    try:
        with unusable_database():
            asyncio.run(terminal_chat.chat(
                hooks, name=name, stdin=sys.stdin, stdout=sys.stdout, command=command, export_dir=built.settings.exports,
                greeting=f"/start {start}" if start else "/start",
            ))
    except KeyboardInterrupt:  # Ctrl-C while the bot was answering (at the prompt it ends the chat itself)
        print("\n" + asyncio.run(terminal_chat.goodbye(hooks, console.address_for(name), command)))
    finally:
        built.close()


def chat_command(command_path: str, *, as_: str | None, environ: Mapping[str, str]) -> str:
    """What to run to come back: `make chat` under make (which exports MAKELEVEL to what it
    runs), else the program the person ran (click's name for it: `cocreate`, or whatever
    argv[0] was) with `chat`, and the --as they gave."""
    if "MAKELEVEL" in environ:
        return "make chat"
    return f"{command_path} --as {shlex.quote(as_)}" if as_ else command_path


@contextmanager
def unusable_database() -> Iterator[None]:
    """A database that cannot be used (locked past the busy timeout, full, not a database
    at all) ends the chat with one line: what was said before is kept."""
    try:
        yield
    except DBAPIError as error:
        fail(f"Cannot use the database (DATABASE_URL): {outage.cause(error)}")


@app.command()
def run() -> None:
    """Serve every channel whose credentials are set, with delivery of replies."""
    with friendly_errors():
        configured = settings()
        configure_logging(configured.log_format)
        application.run(configured)


@app.command()
def web() -> None:
    """Serve the staff console alone (`cocreate run` serves it beside the channels)."""
    from bot.web.server import run_console  # the web stack is imported only where it is served

    with friendly_errors():
        configured = settings()
        configure_logging(configured.log_format)
        run_console(configured)


@app.command("submissions")
def list_submissions(
    kind: Optional[Kind] = typer.Option(None, help="Only this kind."),
    status: Optional[str] = typer.Option(None, help=f"Only this status: {', '.join(STATUSES)}."),
    format: Format = typer.Option(Format.table, "--format", help="table, json or csv."),
    team: Optional[str] = typer.Option(None, "--team", help="Only what is with this team (cocreate teams list)."),
) -> None:
    """List problems, ideas and design offers."""
    if status is not None and status not in STATUSES:
        fail(f"--status must be one of: {', '.join(STATUSES)}")
    with opened_app() as built, Session(built.database) as session:
        found = teams.team_named(session, name=team) if team is not None else None
        if team is not None and found is None:
            fail(f"--team: there is no team {team!r}; `cocreate teams list` shows them")
        rows = submissions.list_submissions(
            session, kind=kind.value if kind else None, status=status, team_id=found.id if found else None
        )
    records = [_record(row) for row in rows]
    if format is Format.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
    elif format is Format.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(_FIELDS))
        writer.writeheader()
        writer.writerows({name: _spreadsheet_safe(value) for name, value in _csv_row(record).items()} for record in records)
    else:
        _print_table(records)


_FIELDS = (
    "ref", "kind", "title", "description", "category", "status", "language", "channel", "supporters", "created_at",
    "place", "latitude", "longitude", "affected", "photo", "submitter", "for_ref", "skills", "hours", "contact", "team",
)  # fmt: skip


def _record(row: submissions.SubmissionRow) -> dict[str, Any]:
    """One submission with stable codes, not words: affected "street", skills ["software"],
    hours "2-4", contact "yes" or "no" (the Designer flow's answers); None where the kind
    has no such field."""
    facts, offer = row.facts, row.facts.offer
    record = {field.name: getattr(row, field.name) for field in fields(row) if field.name != "facts"}
    record.update(
        created_at=row.created_at.isoformat(),
        place=facts.place,
        latitude=facts.location.latitude if facts.location else None,
        longitude=facts.location.longitude if facts.location else None,
        affected=facts.affected,
        photo=facts.photo,
        submitter=_submitter(facts.submitter),
        for_ref=make_ref(*facts.for_item) if facts.for_item else None,
        skills=list(offer.skills) if offer else None,
        hours=offer.hours if offer else None,
        contact=("yes" if offer.contact_ok else "no") if offer else None,
    )
    return {name: record[name] for name in _FIELDS}


# A spreadsheet reads a cell starting with one of these as a formula (OWASP, CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(value: Any) -> Any:
    """A leading quote makes a spreadsheet show `=HYPERLINK(...)` as the text it is."""
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value


def _submitter(person: Submitter | None) -> str | None:
    """ "Ana (telegram:5001)", or just "telegram:5001" for someone whose app gave no name."""
    if person is None:
        return None
    return f"{person.name} ({person.identity})" if person.name else person.identity


def _csv_row(record: dict[str, Any]) -> dict[str, Any]:
    """A CSV cell holds one value: a list (a design offer's skills) is `;`-joined."""
    return {name: ";".join(value) if isinstance(value, list) else value for name, value in record.items()}


def _for(record: dict[str, Any]) -> str:
    return f"for {record['for_ref']}" if record["for_ref"] else ""


def _affected(record: dict[str, Any]) -> str:
    return f"affects: {record['affected']}" if record["affected"] else ""


def _where(record: dict[str, Any]) -> str:
    if record["place"]:
        return str(record["place"])
    return f"{record['latitude']}, {record['longitude']}" if record["latitude"] is not None else ""


def _print_table(records: list[dict[str, Any]]) -> None:
    """The columns staff scan first; language, the photo and an offer's terms are in json
    and csv, and in /inbox."""
    console = Console()
    if not records:
        console.print("No submissions yet.")
        return
    # No vertical rules, and what a submission is for, its category and who is affected on a
    # second line under its title: in 80 columns every cell keeps whole words. Cells wrap
    # between words; a word wider than its column folds rather than being cut with "…".
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for name in ("ref", "title", "status", "supporters", "where", "submitter", "created"):
        table.add_column(name, overflow="fold", no_wrap=name in ("ref", "status", "supporters"))
    for r in records:
        team = f"team {r['team']}" if r["team"] else ""
        about = " · ".join(part for part in (_for(r), r["category"], _affected(r), team) if part)
        title = for_staff(r["title"]) + (f"\n{about}" if about else "")
        cells = (r["ref"], title, r["status"], str(r["supporters"]), for_staff(_where(r)),
                 for_staff(r["submitter"] or ""), r["created_at"][:16].replace("T", " "))  # fmt: skip
        # Text() cells: a title like "[bold]x" is shown as typed, never read as Rich markup.
        table.add_row(*(Text(cell) for cell in cells))
    console.print(table)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to this version."""
    with friendly_errors():
        engine = db.create_db_engine(settings().database_url)
        db.upgrade(engine)
        print(f"Database is at revision {db.current_revision(engine)}.")


def main() -> None:
    """The `cocreate` command."""
    try:
        app(prog_name="cocreate")
    finally:
        # The process is ending: its objects go back to the system with it. Frozen, they
        # are skipped by the interpreter's last garbage collections, which otherwise walk
        # everything the libraries made and hold every command's exit up by about 0.4 s
        # (atexit handlers, flushing and finalizers outside reference cycles still run).
        gc.freeze()


if __name__ == "__main__":
    main()
