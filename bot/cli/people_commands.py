"""People's data requests that reach staff another way (`cocreate people export|forget`),
and the audit log of staff actions (`cocreate audit`)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer
from sqlmodel import Session

from bot.channels.terminal_chat import write_document
from bot.cli.common import cli_user, fail, opened_app
from bot.cli.staff_commands import IDENTITY, _confirmed
from bot.operations import data_rights
from conversations.messages import Document
from storage import audit, personal_data

people_app = typer.Typer(help="People: export their data or forget them at their request; block and unblock.", no_args_is_help=True,
                         rich_markup_mode=None)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(people_app, name="people")
    app.command("audit")(audit_log)


def _person(session: Session, identity: str) -> int:
    if not IDENTITY.match(identity):
        fail(f"{identity!r} is not CHANNEL:ID (for example telegram:12345 or slack:U0123)")
    channel, user_id = identity.split(":", 1)
    found = personal_data.find_person(session, channel=channel, user_id=user_id)
    if found is None:
        fail(f"Nobody is known as {identity}.")
    return found


@people_app.command("export")
def export(
    identity: str = typer.Argument(..., help="CHANNEL:ID, e.g. telegram:12345"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the JSON to this file (readable by you only) instead of printing it."),
) -> None:
    """Everything kept about a person, as the JSON their /mydata gives them."""
    with opened_app() as built, Session(built.database) as session, session.begin():
        citizen_id = _person(session, identity)
        data = personal_data.export(session, citizen_id=citizen_id)
        audit.record(session, actor=cli_user(), via="cli", action="export", target=identity, now=built.clock())
        document = data_rights.document(data, now=built.clock())
    if output is None:
        typer.echo(document.content, nl=False)
        return
    path = write_document(output.parent, Document(output.name, document.content))
    typer.echo(f"Wrote {path}")


@people_app.command("forget")
def forget(
    identity: str = typer.Argument(..., help="CHANNEL:ID, e.g. telegram:12345"),
    delete_submissions: bool = typer.Option(False, "--delete-submissions", help="Also delete their submissions nobody else supports (by default they stay, anonymous)."),
    yes: bool = typer.Option(False, "--yes", help="Forget without asking to confirm."),
) -> None:
    """Forget a person: identities, name, state, subscriptions, messages, follow-ups. Their
    submissions stay as "a resident"'s unless --delete-submissions."""
    with opened_app() as built:
        with Session(built.database) as session:
            citizen_id = _person(session, identity)
            count = len(personal_data.deletable(session, citizen_id=citizen_id)) if delete_submissions else 0
        what = f" and {count} of their submissions" if delete_submissions else "; their submissions stay, anonymous"
        if not yes and not _confirmed(f"Forget {identity}{what}? This cannot be undone."):
            fail("Nothing was deleted.")
        with Session(built.database) as session, session.begin():
            forgotten = personal_data.forget(session, citizen_id=citizen_id, delete_submissions=delete_submissions)
            # The audit row stays; it names the person by no identity.
            detail = f"kept {len(forgotten.kept)} submissions, deleted {len(forgotten.deleted)}"
            audit.record(session, actor=cli_user(), via="cli", action="forget", target="", detail=detail, now=built.clock())
    typer.echo(f"{identity} is forgotten: {detail}.")


def audit_log(
    since: Optional[datetime] = typer.Option(None, "--since", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"], help="Only from this day (YYYY-MM-DD, UTC) on."),
    who: Optional[str] = typer.Option(None, "--who", help="Only what this one did: a staff identity (telegram:12345) or a login name."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """Staff actions, newest first: when, who, from where, what, on what."""
    start = since.replace(tzinfo=timezone.utc) if since is not None else None
    with opened_app() as built, Session(built.database) as session:
        found = audit.entries(session, since=start, who=who)
    for entry in found:
        if as_json:
            typer.echo(json.dumps({"at": entry.at.isoformat(), "actor": entry.actor, "via": entry.via,
                                   "action": entry.action, "target": entry.target, "detail": entry.detail}))  # fmt: skip
        else:
            line = f"{entry.at:%Y-%m-%d %H:%M:%S}  {entry.via:<7} {entry.actor:<24} {entry.action:<13} {entry.target}"
            typer.echo(f"{line}  {entry.detail}".rstrip())
    if not found and not as_json:  # JSON lines: none is nothing
        typer.echo("Nothing in the audit log" + (" for this selection." if since or who else " yet."))
