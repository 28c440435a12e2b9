"""Poll commands: `cocreate poll` sends one (as a broadcast, with one button per option),
`cocreate polls` shows the answers and gives the line on what the city will do with them."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Optional, Sequence

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlmodel import Session

from bot import app as application
from bot.cli.common import cli_user, fail, opened_app
from bot.cli.staff_commands import (
    AreaOption, ChannelOption, LanguageOption, TopicOption, WaitOption, YesOption, _check_audience, _confirmed, _people,
    _wait_for,
)  # fmt: skip
from bot.config import parse_duration
from bot.operations import poll_results, polling
from bot.operations.poll_results import MIN_GROUP, Figures
from conversations.visible import for_staff
from storage import broadcasts, polls
from storage.broadcasts import Audience

_POLL_ID = re.compile(r"^(?:[Bb]-)?([1-9][0-9]{0,9})$")
FEWER = f"fewer than {MIN_GROUP}"
LONGEST_OPEN = timedelta(days=365)
STAGES = {"open": "open", "closing": "closing", "waiting": "closed, results wait for the line (--then)",
          "sent": "closed, results sent"}  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("poll")(poll)
    app.command("polls")(list_polls)


def poll(
    question: Optional[str] = typer.Argument(None, metavar="[QUESTION]", help="The question in the default language."),
    option: list[str] = typer.Option([], "--option", metavar="LABEL", help="An answer people can choose, in the default language (repeat, in order: 2 to 10)."),
    other: bool = typer.Option(False, "--other", help="Also offer \"Other\", which asks for a short text."),
    closes: str = typer.Option("7d", "--closes", help="How long it stays open: 3d, 12h, 90m (at most 365d)."),
    then: Optional[str] = typer.Option(None, "--then", help="What the city will do with the result (sent with it). Can also be given later with `cocreate polls ID --then`."),
    question_texts: list[str] = typer.Option([], "--text", metavar="LANG=TEXT", help="The question in another language (repeatable)."),
    option_texts: list[str] = typer.Option([], "--option-text", metavar="LANG=TEXT", help="An option in another language, repeated in the order of --option, e.g. --option-text es=Sí --option-text es=No."),
    then_texts: list[str] = typer.Option([], "--then-text", metavar="LANG=TEXT", help="The --then line in another language (repeatable)."),
    texts_file: Optional[Path] = typer.Option(None, "--texts", help="A file with one [language] section each, lines `question: ...`, `option: ...` (one per option, in order) and `then: ...`."),
    topic: TopicOption = None,
    area: AreaOption = None,
    language: LanguageOption = None,
    channel: ChannelOption = None,
    yes: YesOption = False,
    wait: WaitOption = False,
) -> None:
    """Ask diffusers a question they answer with one tap, sent like a broadcast (same
    audience, limits, daily cap and quiet hours; not to group chats). People can change their
    answer until it closes; then everyone who answered gets the results in their language,
    with the --then line."""
    audience = Audience(topic=topic, area=area, language=language, channel=channel)
    open_for = _open_for(closes)
    with opened_app() as built:
        flow_settings = built.service.settings
        _check_audience(audience, flow_settings.categories, flow_settings.languages)
        try:
            texts = polling.texts_from_file(texts_file.read_text(encoding="utf-8")) if texts_file else polling.PollTexts()
            given = _given(flow_settings.default_language, question, option, then)
            texts = texts.merged(_translations(question_texts, option_texts, then_texts)).merged(given)
            texts = polling.checked(texts, settings=flow_settings)
        except (polling.PollTextError, OSError) as error:
            fail(f"Cannot use these texts: {error}")
        _send(built, texts, audience, other=other, open_for=open_for, yes=yes, wait=wait)


def _open_for(closes: str) -> timedelta:
    try:
        open_for = parse_duration(closes)
    except ValueError as error:
        fail(f"--closes: {error}")
    if not timedelta(minutes=1) <= open_for <= LONGEST_OPEN:
        fail(f"--closes {closes!r}: a poll stays open between 1 minute and 365 days")
    return open_for


def _given(default: str, question: str | None, options: Sequence[str], then: str | None) -> polling.PollTexts:
    """What the arguments give in the default language (each only when given)."""
    return polling.PollTexts(
        {default: question} if question is not None else {},
        {default: list(options)} if options else {},
        {default: then} if then is not None else {},
    )


def _translations(questions: Sequence[str], options: Sequence[str], thens: Sequence[str]) -> polling.PollTexts:
    return polling.PollTexts(_one_each(questions, "--text"), polling.per_language(options, option="--option-text"),
                             _one_each(thens, "--then-text"))  # fmt: skip


def _one_each(values: Sequence[str], name: str) -> dict[str, str]:
    """LANG=TEXT values of an option that takes one text per language."""
    found = polling.per_language(values, option=name)
    repeated = [language for language, texts in found.items() if len(texts) > 1]
    if repeated:
        raise polling.PollTextError(f"{name} gives {repeated[0]} more than once")
    return {language: texts[0] for language, texts in found.items()}


def _send(
    built: application.App, texts: polling.PollTexts, audience: Audience, *, other: bool, open_for: timedelta,
    yes: bool, wait: bool,
) -> None:  # fmt: skip
    flow_settings, console = built.service.settings, Console()
    default = flow_settings.default_language
    with Session(built.database) as session:
        sizes = broadcasts.audience_size(session, audience=audience, default_language=default)
    sizes.pop("groups", None)  # a group chat cannot answer person by person
    total = sum(sizes.values())
    closes_at = built.clock() + open_for
    console.print(f"Audience: {_people(total, 'recipient', 'recipients')}" + ("" if total else " (nobody)"))
    for language, count in sorted(sizes.items()):
        given = "their translation" if language in texts.question else f"the {default} text"
        console.print(f"  {language}: {_people(count)} {'gets' if count == 1 else 'get'} {given}")
    render = polling.message_for(built.catalogs, texts, other=other, closes_at=closes_at, default=default,
                                 zone=built.settings.zone)  # fmt: skip
    preview = render(1, default, False)
    console.print(Text(preview.text + "\n" + "  ".join(f"[{c.label}]" for c in preview.choices)), style="dim")
    console.print(f"Closes {closes_at.astimezone(built.settings.zone):%Y-%m-%d %H:%M}; what the city will do: "
                  + (texts.outcome.get(default) or "not given yet (give it with `cocreate polls ID --then`)"))  # fmt: skip
    if total == 0:
        fail("Nobody matches this audience; nothing was queued.")
    if not yes and not _confirmed(f"Send to {_people(total, 'recipient', 'recipients')}?"):
        fail("Not sent; nothing was queued.")
    with Session(built.database) as session, session.begin():
        now = built.clock()
        queued = polling.queue(
            session, texts=texts, other=other, closes_at=now + open_for, audience=audience, created_by=cli_user(),
            now=now, catalogs=built.catalogs, settings=flow_settings, zone=built.settings.zone, via="cli",
            send_after=built.notices.quiet.release(now),
        )  # fmt: skip
        poll_id, recipients = queued.broadcast_id, polling.recipients(session, poll=queued)
    console.print(f"Queued poll B-{poll_id} for {_people(recipients, 'recipient', 'recipients')}. `cocreate run` delivers "
                  f"it; `cocreate polls {poll_id}` shows the answers.")  # fmt: skip
    if wait:
        _wait_for(built, poll_id, recipients, console)


def list_polls(
    poll_id: Optional[str] = typer.Argument(None, metavar="[ID]", help="A poll (12 or B-12): its results in detail."),
    close: bool = typer.Option(False, "--close", help="Close the poll now (no more answers); with its --then line, the results go out."),
    then: Optional[str] = typer.Option(None, "--then", help="What the city will do with the result, in the default language; a closed poll waiting for it sends its results now."),
    then_texts: list[str] = typer.Option([], "--then-text", metavar="LANG=TEXT", help="The --then line in another language (repeatable)."),
) -> None:
    """Every poll with how many answered; with an ID, its results: counts and percentages,
    by language and by area (never a group of fewer than 5 people), and the "Other" texts."""
    if poll_id is None and (close or then is not None or then_texts):
        fail("--close, --then and --then-text need a poll ID, e.g. `cocreate polls 12 --then \"...\"`")
    with opened_app() as built:
        if poll_id is None:
            _overview(built)
            return
        number = _poll_number(poll_id)
        if close or then is not None or then_texts:
            _act(built, number, close=close, then=then, then_texts=then_texts)
        _details(built, number)


def _poll_number(raw: str) -> int:
    match = _POLL_ID.match(raw.strip())
    if match is None:
        fail(f"{raw!r} is not a poll ID such as 12 or B-12 (see `cocreate polls`)")
    return int(match.group(1))


def _act(built: application.App, poll_id: int, *, close: bool, then: str | None, then_texts: Sequence[str]) -> None:
    flow_settings, now = built.service.settings, built.clock()
    try:
        outcome = _one_each(then_texts, "--then-text")
        if then is not None:
            outcome[flow_settings.default_language] = then
        if outcome:
            polling.checked_outcome(outcome, settings=flow_settings)
    except polling.PollTextError as error:
        fail(f"Cannot use these texts: {error}")
    with Session(built.database) as session, session.begin():
        try:
            queued = poll_results.staff_action(
                session, poll_id=poll_id, outcome=outcome, close=close, actor=cli_user(), via="cli", now=now,
                notices=built.notices,
            )  # fmt: skip
        except poll_results.PollActionError as error:
            fail(str(error))
    if queued:
        typer.echo(f"B-{poll_id}: results queued for {_people(queued)}. `cocreate run` delivers them.")
    elif not close:
        typer.echo(f"B-{poll_id}: the line is kept; it goes out with the results when the poll closes.")
    else:
        typer.echo(f"B-{poll_id} is closed; its results go out once you give the line: `cocreate polls {poll_id} --then \"...\"`.")


def _overview(built: application.App) -> None:
    now = built.clock()
    with Session(built.database) as session:
        found = [(p, poll_results.results(session, poll=p).overall.people, polling.recipients(session, poll=p))
                 for p in polls.all_polls(session)]  # fmt: skip
    if not found:
        Console().print("No polls yet: send one with `cocreate poll \"Question?\" --option Yes --option No`.")
        return
    table = Table()
    for name in ("id", "closes", "question", "recipients", "answered", "status"):
        table.add_column(name, overflow="fold")
    default = built.settings.default_language
    for p, answered, recipients in found:
        question = for_staff(polling.in_language(p.question, default, default))
        closes = p.closes_at.astimezone(built.settings.zone).strftime("%Y-%m-%d %H:%M")
        table.add_row(*(Text(str(cell)) for cell in (f"B-{p.broadcast_id}", closes, question, recipients, answered,
                                                     STAGES[poll_results.stage(p, now)])))  # fmt: skip
    Console().print(table)


def _details(built: application.App, poll_id: int) -> None:
    default, console = built.settings.default_language, Console()
    with Session(built.database) as session:
        found = polls.poll(session, poll_id=poll_id)
        if found is None:
            fail(f"There is no poll B-{poll_id} (see `cocreate polls`).")
        results = poll_results.results(session, poll=found)
        others = polls.other_texts(session, poll_id=poll_id)
    labels = [*polling.labels_in(found, default, default), *(["Other"] if found.other else [])]
    console.print(Text(f"B-{poll_id}: {for_staff(polling.in_language(found.question, default, default))}"))
    console.print(f"Status: {STAGES[poll_results.stage(found, built.clock())]}; {_people(results.overall.people)} answered.")
    if found.outcome:
        console.print(Text(f"What the city will do: {for_staff(polling.in_language(found.outcome, default, default))}"))
    console.print(_overall_table(labels, results.overall))
    console.print(_breakdown("language", labels, results.by_language))
    console.print(_breakdown("area", labels, [(name or "(no area given)", f) for name, f in results.by_area]))
    if others and results.overall.counts is not None:
        console.print("Other, in their words:")
        for text in others:
            console.print(Text(f"  - {for_staff(text)}"))


def _overall_table(labels: Sequence[str], figures: Figures) -> Table:
    table = Table(title="All answers")
    for name in ("option", "count", "%"):
        table.add_column(name, overflow="fold")
    for index, label in enumerate(labels):
        if figures.counts is None:
            table.add_row(Text(for_staff(label)), FEWER, "")
        else:
            table.add_row(Text(for_staff(label)), f"{figures.counts[index]:,}", f"{figures.percent(index)}%")
    return table


def _breakdown(by: str, labels: Sequence[str], groups: Sequence[tuple[str, Figures]]) -> Table:
    """One row per group: its people and each option's count and share, or "fewer than 5"."""
    table = Table(title=f"By {by}")
    for name in (by, "people", *labels):
        table.add_column(for_staff(name), overflow="fold")
    for name, figures in groups:
        if figures.counts is None:
            table.add_row(Text(for_staff(name)), FEWER, *([""] * len(labels)))
            continue
        cells = [f"{count:,} ({figures.percent(i)}%)" for i, count in enumerate(figures.counts)]
        table.add_row(Text(for_staff(name)), f"{figures.people:,}", *cells)
    return table

