"""`cocreate webhooks` (partners' systems that hear of events) and `cocreate teams` (who is
responsible for which reports, and reassigning one)."""

from __future__ import annotations

import re
from typing import Optional

import typer
from sqlmodel import Session

from bot.cli.common import cli_user, fail, opened_app
from bot.operations import status_changes
from bot.operations.webhook_events import EVENTS
from bot.outbound.webhook_sender import BadWebhook, checked_secret, checked_url, new_secret
from conversations.visible import for_staff
from storage import audit, staff, teams, webhooks
from storage.partner_models import TeamCreate, WebhookCreate

webhooks_app = typer.Typer(help="Partners' URLs that get events as signed JSON POSTs (Standard Webhooks).",
                           no_args_is_help=True, rich_markup_mode=None)  # fmt: skip
teams_app = typer.Typer(help="Teams responsible for categories (and areas): their chat gets each new report.",
                        no_args_is_help=True, rich_markup_mode=None)  # fmt: skip
IDENTITY = re.compile(r"^(telegram|slack|console):\S+$")
TELEGRAM_CHAT = re.compile(r"^-?\d{1,20}$")
SLACK_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,30}$")


def register(app: typer.Typer) -> None:
    app.add_typer(webhooks_app, name="webhooks")
    app.add_typer(teams_app, name="teams")


def _words(value: str) -> list[str]:
    """A comma-separated option as its items, without blanks or repeats, in order."""
    return list(dict.fromkeys(item.strip() for item in value.split(",") if item.strip()))


@webhooks_app.command("add")
def webhooks_add(
    url: str = typer.Argument(..., help="Where to POST, http:// or https://"),
    events: str = typer.Option(..., "--events", help=f"Comma-separated, of: {', '.join(EVENTS)}."),
    secret: Optional[str] = typer.Option(None, "--secret", help="whsec_... (default: a new random one, printed once)."),
    include_personal_data: bool = typer.Option(
        False, "--include-personal-data", help="Also send the submitter's name, and the text and place of private submissions."
    ),
) -> None:
    """Send these events to a partner's URL, each signed with the hook's secret."""
    wanted = _words(events)
    unknown = [event for event in wanted if event not in EVENTS]
    if unknown or not wanted:
        fail(f"--events: unknown {', '.join(unknown) or '(none given)'}; choose from: {', '.join(EVENTS)}")
    try:
        hook_in = WebhookCreate(
            url=checked_url(url), events=wanted, include_personal_data=include_personal_data,
            secret=checked_secret(secret) if secret is not None else new_secret(),
        )  # fmt: skip
    except BadWebhook as error:
        fail(str(error))
    with opened_app() as built, Session(built.database) as session, session.begin():
        hook = webhooks.add_hook(session, hook_in=hook_in, created_by=cli_user(), now=built.clock())
        detail = f"{hook.url} {','.join(wanted)}" + (" with personal data" if include_personal_data else "")
        audit.record(session, actor=cli_user(), via="cli", action="webhook_add", target=f"webhook {hook.id}", detail=detail,
                     now=built.clock())  # fmt: skip
        hook_id = hook.id
    typer.echo(f"Webhook {hook_id} added: {hook_in.url} gets {', '.join(wanted)}.")
    if secret is None:
        typer.echo(f"Signing secret (shown only now; give it to the receiver): {hook_in.secret}")


@webhooks_app.command("list")
def webhooks_list() -> None:
    """Each hook: its URL, events, delivered / pending / failed counts and its last error."""
    with opened_app() as built, Session(built.database) as session:
        found, reports = webhooks.hooks(session), webhooks.reports(session)
    if not found:
        typer.echo("No webhooks yet: add one with `cocreate webhooks add URL --events submission.created`.")
    for hook in found:
        assert hook.id is not None
        report = reports.get(hook.id, webhooks.HookReport())
        personal = "  (with personal data)" if hook.include_personal_data else ""
        typer.echo(f"{hook.id}  {hook.url}  {','.join(hook.events)}{personal}")
        typer.echo(f"   delivered {report.delivered}, pending {report.pending}, failed {report.failed}"
                   + (f"; last error: {report.last_error}" if report.last_error else ""))  # fmt: skip


@webhooks_app.command("remove")
def webhooks_remove(hook_id: int = typer.Argument(..., help="The hook's number, as `webhooks list` shows it.")) -> None:
    """Stop sending to a hook; what it was still to get is marked failed."""
    with opened_app() as built, Session(built.database) as session, session.begin():
        removed = webhooks.remove_hook(session, hook_id=hook_id)
        if removed:
            audit.record(session, actor=cli_user(), via="cli", action="webhook_remove", target=f"webhook {hook_id}", now=built.clock())
    if not removed:
        fail(f"There is no webhook {hook_id}; `cocreate webhooks list` shows them")
    typer.echo(f"Webhook {hook_id} removed.")


@webhooks_app.command("retry")
def webhooks_retry(hook_id: int = typer.Argument(..., help="The hook's number, as `webhooks list` shows it.")) -> None:
    """Send a hook's failed events again (once the partner is back), in their order."""
    with opened_app() as built, Session(built.database) as session, session.begin():
        if webhooks.hook(session, hook_id=hook_id) is None:
            fail(f"There is no webhook {hook_id}; `cocreate webhooks list` shows them")
        queued = webhooks.retry_failed(session, hook_id=hook_id, now=built.clock())
        if queued:
            audit.record(session, actor=cli_user(), via="cli", action="webhook_retry", target=f"webhook {hook_id}",
                         detail=f"{queued} events", now=built.clock())  # fmt: skip
    typer.echo(f"{queued} failed event{'s' if queued != 1 else ''} of webhook {hook_id} queued again; `cocreate run` sends them.")


@teams_app.command("add")
def teams_add(
    name: str = typer.Argument(..., help="The team's name, e.g. Roads"),
    categories: str = typer.Option("", "--categories", help="Comma-separated CATEGORIES the team is responsible for."),
    areas: str = typer.Option("", "--areas", help="Comma-separated words of places (default: the whole city)."),
    slack_channel: Optional[str] = typer.Option(None, "--slack-channel", help="The team's Slack channel id (C0123...)."),
    telegram_chat: Optional[str] = typer.Option(None, "--telegram-chat", help="The team's Telegram group id (-100...)."),
    default: bool = typer.Option(False, "--default", help="Gets what no other team matches (one team at most)."),
    member: list[str] = typer.Option([], "--member", help="A staff identity CHANNEL:ID whose /inbox shows this team's work (repeat)."),
) -> None:
    """Add a team, or redefine the one of this name (what is left out is cleared)."""
    name = name.strip()
    if not name or len(name) > 64:
        fail("The team's name must be 1 to 64 characters")
    with opened_app() as built:
        wanted = _words(categories)
        unknown = [c for c in wanted if c not in built.settings.categories]
        if unknown:
            fail(f"--categories: unknown {', '.join(unknown)}; CATEGORIES are: {', '.join(built.settings.categories)}")
        if not wanted and not default:
            fail("A team needs --categories (or --default, for what no other team matches)")
        if telegram_chat is not None and not TELEGRAM_CHAT.match(telegram_chat):
            fail(f"--telegram-chat: {telegram_chat!r} is not a Telegram chat id such as -1001234567890")
        if slack_channel is not None and not SLACK_CHANNEL.match(slack_channel):
            fail(f"--slack-channel: {slack_channel!r} is not a Slack channel id such as C0123ABCD")
        bad = [m for m in member if not IDENTITY.match(m)]
        if bad:
            fail(f"--member: {bad[0]!r} is not CHANNEL:ID (for example telegram:12345 or slack:U0123)")
        team_in = TeamCreate(
            name=name, categories=wanted, areas=_words(areas), slack_channel=slack_channel, telegram_chat=telegram_chat,
            is_default=default, members=list(dict.fromkeys(member)),
        )  # fmt: skip
        with Session(built.database) as session, session.begin():
            _, new = teams.set_team(session, team_in=team_in)
            audit.record(session, actor=cli_user(), via="cli", action="team_add" if new else "team_change", target=name,
                         detail=_describe(team_in), now=built.clock())  # fmt: skip
            staff_now = {*built.settings.staff, *staff.staff_list(session)}
    typer.echo(f"Team {name} {'added' if new else 'changed'}: {_describe(team_in)}.")
    for identity in (m for m in team_in.members if m not in staff_now):
        typer.echo(f"Note: {identity} is not staff, so has no /inbox yet: `cocreate staff add {identity}`.")


def _describe(team: TeamCreate) -> str:
    parts = [", ".join(team.categories) or "no categories"]
    parts.append(f"in {', '.join(team.areas)}" if team.areas else "the whole city")
    if team.is_default:
        parts.append("the default team")
    chats = [f"telegram:{team.telegram_chat}"] if team.telegram_chat else []
    chats += [f"slack:{team.slack_channel}"] if team.slack_channel else []
    parts.append(f"cards to {', '.join(chats)}" if chats else "no chat for cards")
    if team.members:
        parts.append(f"members {', '.join(team.members)}")
    return "; ".join(parts)


@teams_app.command("list")
def teams_list() -> None:
    """Teams, what they are responsible for, and where their cards go."""
    with opened_app() as built, Session(built.database) as session:
        found = teams.teams(session)
    if not found:
        typer.echo("No teams yet: add one with `cocreate teams add Roads --categories roads --telegram-chat -100123`.")
    for team in found:
        typer.echo(f"{team.name}: {_describe(TeamCreate.model_validate(team))}")


@teams_app.command("remove")
def teams_remove(name: str = typer.Argument(..., help="The team's name")) -> None:
    """Remove a team; its submissions go to the default team (or to no team)."""
    with opened_app() as built, Session(built.database) as session, session.begin():
        had = teams.remove_team(session, name=name)
        fallback = teams.default_team(session)
        if had is not None:
            audit.record(session, actor=cli_user(), via="cli", action="team_remove", target=name, detail=f"{had} submissions",
                         now=built.clock())  # fmt: skip
    if had is None:
        fail(f"There is no team {name!r}; `cocreate teams list` shows them")
    theirs = f"its {had} submission" + ("s are" if had != 1 else " is")
    moved = (f"; {theirs} now with {fallback.name}" if fallback else f"; {theirs} with no team") if had else ""
    typer.echo(f"Team {name} removed{moved}.")


@teams_app.command("assign")
def teams_assign(
    ref: str = typer.Argument(..., help="A submission, e.g. P-12"),
    team: str = typer.Argument(..., help="The team's name"),
) -> None:
    """Give a submission to another team (kept in its history; the team's chat gets its card)."""
    with opened_app() as built, Session(built.database) as session, session.begin():
        try:
            done = built.routing.reassign(session, ref=ref, team_name=team, by=cli_user(), via="cli", now=built.clock())
        except status_changes.StaffActionError as error:
            fail(str(error))
    typer.echo(f"{done.ref} is now with {for_staff(done.team)}" + (f" (was {done.previous})." if done.previous else "."))
