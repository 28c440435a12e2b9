"""The `cocreate` command line. Errors a person can fix print one line, never a traceback."""

from __future__ import annotations

import asyncio
import csv
import getpass
import json
import logging
import os
import shlex
import sys
from dataclasses import fields
from enum import Enum
from typing import Any, Mapping, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlmodel import Session

from adapters import console
from bot import app as application
from bot.channels import terminal_chat
from bot.cli import staff_commands
from bot.cli.common import fail, friendly_errors, opened_app, settings
from conversations.context import Submitter
from conversations.refs import make_ref
from storage import db, submissions
from storage.models import STATUSES

app = typer.Typer(help="cocreate: a chat bot for co-creating public services with citizens.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
staff_commands.register(app)


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
) -> None:
    """Talk to the bot in this terminal (same engine, same database as the channels)."""
    with friendly_errors():
        built = application.build_app(settings())
    name = as_ or getpass.getuser()
    hooks = built.channel_hooks()
    command = chat_command(ctx.command_path, as_=as_, environ=os.environ)
    try:
        asyncio.run(terminal_chat.chat(hooks, name=name, stdin=sys.stdin, stdout=sys.stdout, command=command))
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


@app.command()
def run() -> None:
    """Serve every channel whose credentials are set, with delivery of replies."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL, and Bot API URLs contain the token: keep it quiet.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with friendly_errors():
        application.run(settings())


@app.command("submissions")
def list_submissions(
    kind: Optional[Kind] = typer.Option(None, help="Only this kind."),
    status: Optional[str] = typer.Option(None, help=f"Only this status: {', '.join(STATUSES)}."),
    format: Format = typer.Option(Format.table, "--format", help="table, json or csv."),
) -> None:
    """List problems, ideas and design offers."""
    if status is not None and status not in STATUSES:
        fail(f"--status must be one of: {', '.join(STATUSES)}")
    with opened_app() as built, Session(built.database) as session:
        rows = submissions.list_submissions(session, kind=kind.value if kind else None, status=status)
    records = [_record(row) for row in rows]
    if format is Format.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
    elif format is Format.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(_FIELDS))
        writer.writeheader()
        writer.writerows(_csv_row(record) for record in records)
    else:
        _print_table(records)


_FIELDS = (
    "ref", "kind", "title", "description", "category", "status", "language", "channel", "supporters", "created_at",
    "place", "latitude", "longitude", "affected", "photo", "submitter", "for_ref", "skills", "hours", "contact",
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


def _submitter(person: Submitter | None) -> str | None:
    """ "Ana (telegram:5001)", or just "telegram:5001" for someone whose app gave no name."""
    if person is None:
        return None
    return f"{person.name} ({person.identity})" if person.name else person.identity


def _csv_row(record: dict[str, Any]) -> dict[str, Any]:
    """A CSV cell holds one value: a list (a design offer's skills) is `;`-joined."""
    return {name: ";".join(value) if isinstance(value, list) else value for name, value in record.items()}


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
    columns = ("ref", "title", "for", "category", "status", "supporters", "where", "affected", "submitter", "created")
    table = Table(*columns)
    for r in records:
        cells = (r["ref"], r["title"], r["for_ref"] or "", r["category"] or "", r["status"], str(r["supporters"]),
                 _where(r), r["affected"] or "", r["submitter"] or "",
                 r["created_at"][:16].replace("T", " "))  # fmt: skip
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


if __name__ == "__main__":
    app()
