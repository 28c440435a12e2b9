"""The `cocreate` command line. Errors a person can fix print one line, never a traceback."""

from __future__ import annotations

import asyncio
import csv
import getpass
import json
import logging
import sys
from dataclasses import asdict
from enum import Enum
from typing import Any, Optional

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
    as_: Optional[str] = typer.Option(None, "--as", help="Who you are in this chat (default: your login name)."),
) -> None:
    """Talk to the bot in this terminal (same engine, same database as the channels)."""
    with friendly_errors():
        built = application.build_app(settings())
    name = as_ or getpass.getuser()
    hooks = built.channel_hooks()
    try:
        asyncio.run(terminal_chat.chat(hooks, name=name, stdin=sys.stdin, stdout=sys.stdout))
    except KeyboardInterrupt:
        print("\n" + asyncio.run(terminal_chat.goodbye(hooks, console.address_for(name))))
    finally:
        built.close()


@app.command()
def run() -> None:
    """Serve every channel whose credentials are set, with delivery of replies."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL, and Bot API URLs contain the token: keep it quiet.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with friendly_errors():
        application.run(settings())


@app.command()
def web() -> None:
    """Serve the staff console alone (`cocreate run` serves it beside the channels)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot.web.server import run_console  # the web stack is imported only where it is served

    with friendly_errors():
        run_console(settings())


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
        writer.writerows(records)
    else:
        _print_table(records)


_FIELDS = ("ref", "kind", "title", "description", "category", "status", "language", "channel", "supporters", "created_at")


def _record(row: submissions.SubmissionRow) -> dict[str, Any]:
    record = asdict(row)
    record["created_at"] = row.created_at.isoformat()
    return {name: record[name] for name in _FIELDS}


def _print_table(records: list[dict[str, Any]]) -> None:
    console = Console()
    if not records:
        console.print("No submissions yet.")
        return
    table = Table("ref", "title", "category", "status", "supporters", "language", "channel", "created")
    for r in records:
        cells = (r["ref"], r["title"], r["category"] or "", r["status"], str(r["supporters"]),
                 r["language"], r["channel"], r["created_at"][:16].replace("T", " "))  # fmt: skip
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
