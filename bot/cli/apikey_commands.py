"""`cocreate apikeys add|list|revoke`: partners' keys for the Open311 API's POST
(bot/web/open311.py). A key is printed once, when it is made; adding and revoking are in the
audit log."""

from __future__ import annotations

import typer
from sqlmodel import Session

from bot.cli.common import cli_user, fail, opened_app
from bot.operations import partner_keys
from storage import api_keys

apikeys_app = typer.Typer(
    help="API keys of partners (a call centre, another app) that post problems through the Open311 API.",
    no_args_is_help=True, rich_markup_mode=None,
)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(apikeys_app, name="apikeys")


@apikeys_app.command("add")
def add(
    name: str = typer.Argument(..., metavar="NAME", help="Who the key is for, e.g. city-call-centre (staff see it as the submitter)."),
) -> None:
    """Make a key and print it, once: only its hash is kept. The key alone goes to standard
    output (KEY=$(cocreate apikeys add NAME) keeps it), the note about it to standard error."""
    with opened_app() as built, Session(built.database) as session, session.begin():
        try:
            key = partner_keys.add_key(session, name=name, actor=cli_user(), via="cli", now=built.clock())
        except partner_keys.ApiKeyError as error:
            fail(str(error))
    typer.echo(key)
    typer.echo(
        f"That is the key for {name.strip()!r}, shown this once: give it to the partner safely. It posts with "
        "POST /open311/v2/requests.json (api_key=...); `cocreate apikeys revoke` stops it.",
        err=True,
    )


@apikeys_app.command("list")
def listing() -> None:
    """Every key: its name, when and by whom it was made, whether it is revoked, and how many
    problems it sent (never the key itself: it is not kept)."""
    with opened_app() as built, Session(built.database) as session:
        keys = api_keys.listing(session)
    zone = built.settings.zone
    if not keys:
        typer.echo("No API keys yet: make one with `cocreate apikeys add NAME`.")
    for key in keys:
        made = key.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        state = f"revoked {key.revoked_at.astimezone(zone):%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        typer.echo(f"{key.name}  {state}  made {made} by {key.created_by}  {key.requests} requests")


@apikeys_app.command("revoke")
def revoke(name: str = typer.Argument(..., metavar="NAME", help="The key's name (`cocreate apikeys list`).")) -> None:
    """Refuse the key from its next request on. The problems it sent stay."""
    with opened_app() as built, Session(built.database) as session, session.begin():
        try:
            revoked = partner_keys.revoke_key(session, name=name, actor=cli_user(), via="cli", now=built.clock())
        except partner_keys.ApiKeyError as error:
            fail(str(error))
    typer.echo(f"The key {name.strip()!r} is revoked: its next request is refused." if revoked else f"The key {name.strip()!r} was revoked already.")
