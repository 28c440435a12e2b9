"""Ideas and the design teams that form around them: `cocreate ideas [--ready]` and
`cocreate ideas form REF` (bot/operations/team_forming.py)."""

from __future__ import annotations

import re
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlmodel import Session

from bot.cli.common import cli_user, fail, opened_app
from bot.cli.staff_commands import IDENTITY
from conversations.visible import for_staff
from storage import design_teams

ideas_app = typer.Typer(help="Ideas with their supporters and designers, and forming design teams around ready ones.",
                        invoke_without_command=True, rich_markup_mode=None)  # fmt: skip
TELEGRAM_LINK = re.compile(r"^https://t\.me/(\+|joinchat/)[A-Za-z0-9_-]+$")
TELEGRAM_CHAT = re.compile(r"^-?\d+$|^@[A-Za-z][A-Za-z0-9_]{4,31}$")


def register(app: typer.Typer) -> None:
    app.add_typer(ideas_app, name="ideas")


@ideas_app.callback()
def list_ideas(
    context: typer.Context,
    ready: bool = typer.Option(
        False,
        "--ready",
        help="Only ideas ready to form a design team (TEAM_SUPPORTERS supporters and 2 designers who may be contacted).",
    ),
) -> None:
    """Open ideas with their supporters and the design offers whose designers agreed to be
    contacted; "ready" once there are TEAM_SUPPORTERS supporters and two such offers."""
    if context.invoked_subcommand is not None:
        return
    with opened_app() as built, Session(built.database) as session:
        minimum = built.settings.team_supporters
        found = design_teams.ideas_for_teams(session, min_supporters=minimum, ready_only=ready)
    if not found:
        Console().print("No idea is ready to form a design team yet." if ready else "No open ideas.")
        return
    table = Table()
    for name in ("ref", "title", "status", "supporters", "designers", "team"):
        table.add_column(name, overflow="fold")
    for idea in found:
        team = "formed" if idea.formed else ("ready to form a team" if idea.ready else "—")
        table.add_row(*(Text(str(cell)) for cell in (
            idea.ref, for_staff(idea.title), idea.status, idea.supporters, idea.offers, team)))  # fmt: skip
    Console().print(table)


@ideas_app.command("form")
def form(
    ref: str = typer.Argument(..., metavar="REF", help="The idea: I-7."),
    owner: str = typer.Option(
        ..., "--owner", help="The staff member designers may turn to, CHANNEL:ID (e.g. telegram:12345)."
    ),
    slack: bool = typer.Option(
        False, "--slack", help="Create a Slack channel for the team, invite its Slack designers, pin the idea."
    ),
    telegram_invite_link: Optional[str] = typer.Option(
        None, "--telegram-invite-link", help="An invite link to the team's Telegram group (https://t.me/+...)."
    ),
    telegram_chat: Optional[str] = typer.Option(
        None,
        "--telegram-chat",
        help="The team's Telegram group (-100...): the bot, an admin there, makes the invite link.",
    ),
) -> None:
    """Form the design team of a ready idea: its space in Slack and/or Telegram, then a
    message to each designer in their language (where to meet, who else joined, the staff
    owner). Run it again after a failure: what was done is not done twice."""
    # Imported here: the other commands need no Slack or Telegram library.
    from slack_sdk import WebClient
    from telegram import Bot

    from bot.operations import team_forming as teams
    from bot.operations.team_spaces import SlackSpace, SpaceError

    if not IDENTITY.match(owner):
        fail(f"--owner {owner!r} is not CHANNEL:ID (for example telegram:12345 or slack:U0123)")
    if telegram_invite_link and telegram_chat:
        fail("Give --telegram-invite-link or --telegram-chat, not both.")
    if telegram_invite_link and not TELEGRAM_LINK.match(telegram_invite_link):
        fail(
            f"--telegram-invite-link {telegram_invite_link!r} is not a Telegram invite link such as https://t.me/+AbC123"
        )
    if telegram_chat and not TELEGRAM_CHAT.match(telegram_chat):
        fail(f"--telegram-chat {telegram_chat!r} is not a group's chat id such as -1001234567890")
    with opened_app() as built:
        settings = built.settings
        if slack and settings.slack_bot_token is None:
            fail("--slack needs SLACK_BOT_TOKEN (the bot creates the channel).")
        if telegram_chat and settings.telegram_bot_token is None:
            fail("--telegram-chat needs TELEGRAM_BOT_TOKEN (the bot makes the invite link).")
        spaces = teams.Spaces(
            slack=SlackSpace(WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_base_url))
            if slack and settings.slack_bot_token else None,
            telegram_link=telegram_invite_link,
            telegram_chat=telegram_chat,
            telegram_bot=Bot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_api_base_url)
            if telegram_chat and settings.telegram_bot_token else None,
        )  # fmt: skip
        request = teams.Request(ref=ref, owner=owner, by=cli_user(), via="cli")
        try:
            formed = teams.form(built.database, request, spaces, notices=built.notices, staff=settings.staff,
                                min_supporters=settings.team_supporters, clock=built.clock)  # fmt: skip
        except teams.TeamError as error:
            fail(str(error))
        except SpaceError as error:
            fail(f"{error}. What was done so far is kept: run the same command again to go on.")
    if formed.before:
        typer.echo(f"{formed.ref}'s design team was formed before; nobody was told again.")
        return
    where = [
        f"Slack #{formed.slack_channel}" if formed.slack_channel else "",
        "Telegram" if formed.telegram_link else "",
    ]
    place = " and ".join(w for w in where if w) or "no shared space (the owner puts them in touch)"
    told = "1 designer" if formed.told == 1 else f"{formed.told} designers"
    typer.echo(f"{formed.ref}: design team formed in {place}; {told} will be told. `cocreate run` delivers it.")
