"""Trust and safety commands: what other residents see (`moderate`) and blocked people
(`people block`, `people unblock`, `people blocked`, in the `people` group of
bot/cli/people_commands.py). Each change is in the audit log."""

from __future__ import annotations

from typing import Optional

import typer
from sqlmodel import Session

from bot.cli.common import cli_user, fail, opened_app
from bot.operations import moderation, status_changes
from bot.cli.people_commands import people_app
from bot.cli.staff_commands import IDENTITY
from storage import audit, safety

MAX_REASON = 500



def register(app: typer.Typer) -> None:
    """`moderate`; block, unblock and blocked join `people` (bot/cli/people_commands.py)."""
    app.command("moderate")(moderate)


def moderate(
    ref: str = typer.Argument(..., help="The problem or idea: P-12 or I-7."),
    action: str = typer.Argument(..., metavar="hide|approve", help="hide: no other resident sees it; approve: they may."),
    note: Optional[str] = typer.Option(None, "--note", help="Why (when hiding, its author reads it)."),
) -> None:
    """Hide a submission from other residents (its author is told politely why), or approve
    it to be shown (MODERATION=pre, or held for abusive words)."""
    with opened_app() as built, Session(built.database) as session, session.begin():
        try:
            done = moderation.moderate(
                session, ref=ref, action=action.strip().lower(), note=note, by=cli_user(), now=built.clock(),
                notices=built.notices, via="cli",
            )  # fmt: skip
        except status_changes.StaffActionError as error:
            fail(str(error))
    if done.moderation == "hidden":
        told = "its author will be told" if done.author_told else "its author cannot be reached"
        typer.echo(f"{done.ref} is hidden from other residents; {told}.")
    elif done.private:
        typer.echo(f"{done.ref} is approved, but stays private: its author kept contact details in it for the city team.")
    else:
        typer.echo(f"{done.ref} is approved: other residents see it.")


def _identity(value: str) -> tuple[str, str]:
    if not IDENTITY.match(value):
        fail(f"{value!r} is not CHANNEL:ID (for example telegram:12345 or slack:U0123)")
    channel, user_id = value.split(":", 1)
    return channel, user_id


@people_app.command("block")
def block(
    identity: str = typer.Argument(..., metavar="CHANNEL:ID", help="e.g. telegram:12345 or slack:U0123"),
    reason: str = typer.Option(..., "--reason", help="Why (kept for the city team; the person is not shown it)."),
) -> None:
    """Block a person: their next message gets one polite notice; after that everything they
    send is ignored and nothing of it is stored."""
    channel, user_id = _identity(identity)
    if not reason.strip():
        fail("--reason needs a text: say why, for the rest of the city team")
    if len(reason) > MAX_REASON:
        fail(f"The reason is {len(reason):,} characters long; at most {MAX_REASON:,}")
    with opened_app() as built, Session(built.database) as session, session.begin():
        newly = safety.block(session, channel=channel, user_id=user_id, reason=reason.strip(), now=built.clock())
        audit.record(session, actor=cli_user(), via="cli", action="block", target=identity, detail=reason.strip(), now=built.clock())
    typer.echo(f"{identity} is blocked." if newly else f"{identity} was already blocked; the reason is updated.")


@people_app.command("unblock")
def unblock(identity: str = typer.Argument(..., metavar="CHANNEL:ID")) -> None:
    """Let a blocked person use the bot again."""
    channel, user_id = _identity(identity)
    with opened_app() as built, Session(built.database) as session, session.begin():
        done = safety.unblock(session, channel=channel, user_id=user_id)
        if done:
            audit.record(session, actor=cli_user(), via="cli", action="unblock", target=identity, now=built.clock())
    typer.echo(f"{identity} is no longer blocked." if done else f"{identity} was not blocked.")


@people_app.command("blocked")
def blocked() -> None:
    """Blocked people, when and why."""
    with opened_app() as built, Session(built.database) as session:
        found = [(f"{c.channel}:{c.channel_user_id}", c.blocked_at, c.blocked_reason) for c in safety.blocked_people(session)]
    for identity, since, reason in found:
        typer.echo(f"{identity}  since {since:%Y-%m-%d %H:%M}  {reason}")
    if not found:
        typer.echo("Nobody is blocked.")
