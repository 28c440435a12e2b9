"""Staff commands: broadcasts, staff identities, community groups, statistics."""

from __future__ import annotations

import re
import textwrap
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from sqlmodel import Session

from bot import app as application
from bot.operations import broadcasting
from bot.operations import sign_in, staff_membership, status_changes
from bot.cli.common import cli_user, fail, opened_app
from conversations.context import Estimate
from conversations.time_estimates import MIN_FINISHED, whole_days
from storage import audit, broadcasts, citizens, community_groups, estimates, outbox, reach_links, staff, submissions
from storage.broadcasts import Audience
from storage.models import STATUSES

IDENTITY = re.compile(r"^(telegram|slack|console):\S+$")

staff_app = typer.Typer(help="Who may use staff commands in Telegram and Slack.", no_args_is_help=True,
                        rich_markup_mode=None)  # fmt: skip
groups_app = typer.Typer(help="Group chats (Slack channels) that get broadcasts on their topics as one post.",
                         no_args_is_help=True, rich_markup_mode=None)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("status")(status)
    app.command("broadcast")(broadcast)
    app.command("broadcasts")(list_broadcasts)
    app.command("stats")(stats)
    app.add_typer(staff_app, name="staff")
    app.add_typer(groups_app, name="groups")


def status(
    ref: str = typer.Argument(..., help="The submission: P-12, I-7 or D-3."),
    new_status: str = typer.Argument(..., metavar="STATUS", help=f"One of: {', '.join(STATUSES)}."),
    note: Optional[str] = typer.Option(None, "--note", help="What the people concerned should know (needed to decline)."),
    of: Optional[str] = typer.Option(None, "--of", help="For duplicate: the original's reference."),
) -> None:
    """Move a submission to a new status; the submitter and its supporters are told."""
    with opened_app() as built, Session(built.database) as session, session.begin():
        try:
            changed = status_changes.change_status(
                session, ref=ref, status=new_status, note=note, by=cli_user(), duplicate_of=of, now=built.clock(),
                notices=built.notices, via="cli",
            )  # fmt: skip
        except status_changes.StaffActionError as error:
            fail(str(error))
    if changed.noted_only:
        typer.echo(f"{changed.ref}: note added to its history (still {changed.status}; nobody is notified).")
        return
    told = "1 person" if changed.notified == 1 else f"{changed.notified} people"
    typer.echo(f"{changed.ref}: {changed.previous} -> {changed.status}; {told} will be told.")


# Who a broadcast (or a poll, bot/cli/poll_commands.py) goes to, and how it is sent.
TopicOption = Annotated[Optional[str], typer.Option(help="Only people following this topic (a category).")]
AreaOption = Annotated[Optional[str], typer.Option(help="Only people who gave this area when subscribing (whole words; case and accents do not matter).")]
LanguageOption = Annotated[Optional[str], typer.Option(help="Only people using this language.")]
ChannelOption = Annotated[Optional[str], typer.Option(help="Only people on this channel: telegram, slack, console.")]
YesOption = Annotated[bool, typer.Option("--yes", help="Send without asking to confirm.")]
WaitOption = Annotated[bool, typer.Option("--wait", help="Show delivery progress until every message is done.")]


def broadcast(
    text: Optional[str] = typer.Argument(None, help="The message in the default language (plain text; a ready-to-forward copy is added)."),
    translations: list[str] = typer.Option([], "--text", metavar="LANG=TEXT", help="The message in another language, e.g. --text es=\"...\" (repeatable)."),
    texts_file: Optional[Path] = typer.Option(None, "--texts", help="A file with one [language] section per text: [en], then the text, [es], then its text, ..."),
    topic: TopicOption = None,
    area: AreaOption = None,
    language: LanguageOption = None,
    channel: ChannelOption = None,
    yes: YesOption = False,
    wait: WaitOption = False,
    role: Optional[str] = typer.Option(None, hidden=True),  # gone: kept only to say why
) -> None:
    """Send a message to everyone who follows topics (diffusers, whatever role they are in now),
    in each person's language: shows who gets which language, asks, queues. People without a
    translation get the default text."""
    if role is not None:
        fail("--role is no longer an option: broadcasts go to the people who follow topics, whatever role they "
             "are in now, and to nobody who stopped them. Narrow with --topic, --area, --language or --channel.")  # fmt: skip
    audience = Audience(topic=topic, area=area, language=language, channel=channel)
    with opened_app() as built:
        flow_settings = built.service.settings
        _check_audience(audience, flow_settings.categories, flow_settings.languages)
        try:
            texts = broadcasting.texts_from_file(texts_file.read_text(encoding="utf-8")) if texts_file else {}
            texts.update(broadcasting.texts_from_options(translations))
            if text is not None:
                texts[flow_settings.default_language] = text
            default_text, translated = broadcasting.checked_texts(texts, settings=flow_settings)
        except (broadcasting.BroadcastTextError, OSError) as error:
            fail(f"Cannot use these texts: {error}")
        _broadcast(built, default_text, translated, audience, yes=yes, wait=wait)


def _check_audience(audience: Audience, categories: tuple[str, ...], languages: tuple[str, ...]) -> None:
    """An audience nobody can be in is a typo: say so rather than queue for nobody."""
    for option, value, known in (
        ("--topic", audience.topic, categories),
        ("--language", audience.language, languages),
        ("--channel", audience.channel, tuple(application.CAPABILITIES)),
    ):
        if value is not None and value not in known:
            fail(f"{option} {value!r} is unknown; use one of: {', '.join(known)}")


def _people(count: int, one: str = "person", many: str = "people") -> str:
    return f"{count:,} {one if count == 1 else many}"


def _broadcast(
    built: application.App, text: str, translations: dict[str, str], audience: Audience, *, yes: bool, wait: bool
) -> None:
    flow_settings = built.service.settings
    console = Console()
    with Session(built.database) as session:
        sizes = broadcasts.audience_size(session, audience=audience, default_language=flow_settings.default_language)
    total = sum(sizes.values())
    console.print(f"Audience: {_people(total, 'recipient', 'recipients')}" + ("" if total else " (nobody)"))
    for language, count in sorted(sizes.items()):
        if language == "groups":
            posts = _people(count, "community group post", "community group posts")
            console.print(f"  {posts}, in {flow_settings.default_language}")
        else:
            given = "their translation" if language in translations else f"the {flow_settings.default_language} text"
            console.print(f"  {language}: {_people(count)} {'gets' if count == 1 else 'get'} {given}")
    preview = broadcasting.preview(built.catalogs, flow_settings.default_language, text, links=built.service.join_links)
    console.print(Text(preview), style="dim")
    if total == 0:
        fail("Nobody matches this audience; nothing was queued.")
    if not yes and not _confirmed(f"Send to {_people(total, 'recipient', 'recipients')}?"):
        fail("Not sent; nothing was queued.")
    with Session(built.database) as session, session.begin():
        queued = broadcasting.queue(
            session, text=text, audience=audience, created_by=cli_user(), now=built.clock(), catalogs=built.catalogs,
            settings=flow_settings, send_after=built.notices.quiet.release(built.clock()), translations=translations,
            via="cli", links=built.service.join_links,
        )  # fmt: skip
        broadcast_id, recipients = queued.id, queued.recipients
    queued_for = _people(recipients, "recipient", "recipients")
    console.print(f"Queued B-{broadcast_id} for {queued_for}. `cocreate run` delivers it.")
    if wait:
        _wait_for(built, broadcast_id, recipients, console)


def _confirmed(question: str) -> bool:
    try:
        return typer.confirm(question, default=False)
    except typer.Abort:  # end of input (no terminal): not a yes
        return False


def _wait_for(built: application.App, broadcast_id: int, recipients: int, console: Console) -> None:
    columns = (TextColumn("B-{task.fields[id]}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("sent {task.fields[sent]:,} · failed {task.fields[failed]:,} · blocked {task.fields[blocked]:,}"),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("delivering", total=recipients, id=broadcast_id, sent=0, failed=0, blocked=0)
        while True:
            with Session(built.database) as session:
                (report,) = broadcasts.reports(session, broadcast_id=broadcast_id)
            done = report.sent + report.failed + report.blocked
            progress.update(task, completed=done, sent=report.sent, failed=report.failed, blocked=report.blocked)
            if report.pending == 0:
                return
            time.sleep(0.5)  # the CLI polls the database; delivery happens in `cocreate run`


def list_broadcasts() -> None:
    """Each broadcast with its sent / pending / failed / blocked counts, 429s, the reach
    diffusers reported, and the measured reach of their personal links: people who started
    the bot through one, what those people submitted, and openings of the public page."""
    with opened_app() as built, Session(built.database) as session:
        found = broadcasts.reports(session)
        measured = reach_links.measured_by_broadcast(session)
    if not found:
        Console().print("No broadcasts yet.")
        return
    table = Table()
    columns = ("ref", "created", "text", "recipients", "sent", "pending", "failed", "blocked", "429s", "reach",
               "started", "submitted", "visits")  # fmt: skip
    for name in columns:
        table.add_column(name, overflow="fold")  # wrapped between words, never cut off with "…"
    for r in found:
        first_line = _first_words(r.text, 40)
        link = measured.get(r.id)
        started, submitted, visits = (link.started, link.submitted, link.visits) if link else ("—", "—", "—")
        table.add_row(*(Text(str(cell)) for cell in (
            f"B-{r.id}", r.created_at.strftime("%Y-%m-%d %H:%M"), first_line, r.recipients, r.sent, r.pending,
            r.failed, r.blocked, r.throttled, r.reach, started, submitted, visits)))  # fmt: skip
    Console().print(table)


def _first_words(text: str, width: int) -> str:
    """The first line, shortened between words (a single overlong word is cut, with "…")."""
    line = (text.splitlines() or [""])[0]
    shortened = textwrap.shorten(line, width=width, placeholder=" …")
    return shortened if shortened.strip(" …") else line[: width - 1] + "…"


def stats() -> None:
    """People by role, submissions by status, messages by delivery status, and how long
    problems take per category (to the first response and to done)."""
    from bot.operations import survival  # loads lifelines (pandas, scipy): this command only

    console = Console()
    with opened_app() as built, Session(built.database) as session:
        people = citizens.count_by_role(session)
        messages = outbox.counts(session)
        by_status = {kind: submissions.status_counts(session, kind=kind) for kind in submissions.TABLES}
        now = built.clock()
        timings = survival.compute(estimates.problem_histories(session, since=now - survival.WINDOW), now=now)
    roles = ", ".join(f"{role or 'no role yet'} {count:,}" for role, count in sorted(people.items(), key=str))
    console.print("People: " + (roles or "none"))
    for kind, counts in by_status.items():
        listed = ", ".join(f"{status} {counts[status]:,}" for status in STATUSES if counts.get(status))
        console.print(f"{kind.capitalize()}s: " + (listed or "none"))
    console.print("Messages: " + (", ".join(f"{s} {n:,}" for s, n in sorted(messages.items())) or "none"))
    _print_timings(console, timings)


def _print_timings(console: Console, timings: list[Estimate]) -> None:
    """The middle half (25th to 75th percentile, Kaplan-Meier) per category, in whole days as
    a new report's reply says them."""
    if not timings:
        console.print("Time per category: no problems in the last year")
        return
    console.print(
        "Time per category, middle half (25th to 75th percentile) of the last year's problems, open ones counted "
        f"as open so far; new reports are told the time to done from {MIN_FINISHED} done:",
        soft_wrap=True,
    )
    for timing in timings:
        console.print(
            f"  {timing.category}: {timing.finished:,} done, {timing.still_open:,} still open; "
            f"first response {_days(*timing.first_response)}; done {_days(*timing.done)}",
            soft_wrap=True, highlight=False,
        )  # fmt: skip


def _days(low: float | None, high: float | None) -> str:
    """ "9 to 21 days"; where the curve stops short, what is known of it."""
    if low is None:
        return "not known yet"
    first = whole_days(low)
    said = f"{first} day{'s' * (first != 1)}"
    if high is None:
        return f"a quarter within {said}, the rest longer"
    last = whole_days(high)
    return said if first == last else f"{first} to {last} days"


def _identity(value: str) -> str:
    if not IDENTITY.match(value):
        fail(f"{value!r} is not CHANNEL:ID (for example telegram:12345 or slack:U0123)")
    return value


@staff_app.command("add")
def staff_add(identity: str = typer.Argument(..., help="CHANNEL:ID, e.g. telegram:12345 or slack:U0123")) -> None:
    """Let this person use staff commands (/broadcast, /inbox) in chats."""
    _identity(identity)
    with opened_app() as built, Session(built.database) as session, session.begin():
        added = staff_membership.add_staff(session, identity=identity, actor=cli_user(), via="cli", now=built.clock())
    typer.echo(f"{identity} is staff." if added else f"{identity} was already staff.")


@staff_app.command("remove")
def staff_remove(identity: str = typer.Argument(..., help="CHANNEL:ID")) -> None:
    """Take staff commands away from this person (STAFF in the environment still counts)."""
    _identity(identity)
    with opened_app() as built, Session(built.database) as session, session.begin():
        removed = staff_membership.remove_staff(
            session, identity=identity, configured=built.settings.staff, actor=cli_user(), via="cli", now=built.clock()
        )
    typer.echo(f"{identity} is no longer staff." if removed else f"{identity} was not staff (in the database).")


@staff_app.command("link")
def staff_link(identity: str = typer.Argument(..., help="CHANNEL:ID of a staff member, e.g. telegram:12345")) -> None:
    """Print a one-time sign-in link to the staff console (it works once, for 15 minutes)."""
    _identity(identity)
    with opened_app() as built, Session(built.database) as session, session.begin():
        try:
            link = sign_in.issue_link(
                session, identity=identity, configured=built.settings.staff, base_url=built.settings.web_url, now=built.clock(),
                actor=cli_user(), via="cli",
            )
        except sign_in.NotStaff as error:
            fail(str(error))
    typer.echo(link)


@staff_app.command("list")
def staff_list() -> None:
    """Staff from STAFF and from the database."""
    with opened_app() as built, Session(built.database) as session:
        stored = staff.staff_list(session)
    for identity in built.settings.staff:
        typer.echo(f"{identity}  (STAFF)")
    for identity in stored:
        typer.echo(identity)
    if not built.settings.staff and not stored:
        typer.echo("No staff yet: add with `cocreate staff add CHANNEL:ID` or set STAFF.")


@groups_app.command("add")
def groups_add(
    identity: str = typer.Argument(..., help="CHANNEL:CHAT_ID of the group, e.g. slack:C0123"),
    topic: list[str] = typer.Option([], "--topic", help="A topic the group gets broadcasts on (repeat for more)."),
) -> None:
    """Register (or change) a group chat that gets broadcasts on its topics, once per broadcast."""
    channel, chat_id = _identity(identity).split(":", 1)
    with opened_app() as built:
        categories = built.settings.categories
        unknown = [t for t in topic if t not in categories]
        if unknown:
            fail(f"Unknown topic(s) {', '.join(unknown)}; topics are the CATEGORIES: {', '.join(categories)}")
        with Session(built.database) as session, session.begin():
            community_groups.set_group(session, channel=channel, chat_id=chat_id, topics=topic)
            audit.record(session, actor=cli_user(), via="cli", action="group_add", target=identity, detail=", ".join(topic) or "every topic")
    typer.echo(f"{identity} gets broadcasts on: {', '.join(topic) or 'every topic'}.")


@groups_app.command("remove")
def groups_remove(identity: str = typer.Argument(..., help="CHANNEL:CHAT_ID")) -> None:
    """Stop sending broadcasts to this group."""
    channel, chat_id = _identity(identity).split(":", 1)
    with opened_app() as built, Session(built.database) as session, session.begin():
        removed = community_groups.remove_group(session, channel=channel, chat_id=chat_id)
        audit.record(session, actor=cli_user(), via="cli", action="group_remove", target=identity, detail="" if removed else "was not registered")
    typer.echo(f"{identity} removed." if removed else f"{identity} was not registered.")


@groups_app.command("list")
def groups_list() -> None:
    """Registered group chats and their topics."""
    with opened_app() as built, Session(built.database) as session:
        found = community_groups.groups(session)
    for group in found:
        typer.echo(f"{group.channel}:{group.chat_id}  {', '.join(group.topics) or 'every topic'}")
    if not found:
        typer.echo("No groups yet: add one with `cocreate groups add slack:C0123 --topic roads`.")
