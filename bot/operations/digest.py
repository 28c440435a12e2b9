"""The weekly digest for diffusers: the week's new problems, new ideas and status changes in
the topics each one follows, ready to pass on. Nobody gets an empty digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from sqlmodel import Session

from bot.config import WEEKDAYS
from bot.outbound.notices import Notices
from conversations.i18n import T, Text
from conversations.refs import make_ref
from storage import activity, citizens

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Line:
    topic: str
    text: Text


@dataclass(frozen=True)
class Week:
    problems: tuple[Line, ...]
    ideas: tuple[Line, ...]
    changes: tuple[Line, ...]


def send_digests(session: Session, *, now: datetime, notices: Notices, zone: tzinfo) -> int:
    """Queue this week's digest for every diffuser with something in their topics; returns
    how many were queued. Runs once per week even if the job fires twice."""
    week_id = now.astimezone(zone).strftime("%G-W%V")
    if not citizens.first_time_seen(session, channel="scheduler", event_id=f"digest:{week_id}"):
        return 0
    week = the_week(session, since=now - WEEK, until=now)
    queued = 0
    for person, topics in citizens.diffusers_and_topics(session):
        sections = tuple(
            T(f"digest.{name}", items=tuple(line.text for line in lines if line.topic in topics))
            for name, lines in (("problems", week.problems), ("ideas", week.ideas), ("changes", week.changes))
            if any(line.topic in topics for line in lines)
        )
        if sections:
            notices.send(session, to=person, text=T("digest.message", sections=sections), now=now)
            queued += 1
    return queued


def due_this_week(now: datetime, *, day: str, at: time, zone: tzinfo) -> bool:
    """Whether this ISO week's digest time (DIGEST_DAY at DIGEST_TIME in `zone`) has come:
    the digest is one per ISO week, Monday to Sunday, so one that is due may be sent late."""
    local = now.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    scheduled = datetime.combine(monday + timedelta(days=WEEKDAYS.index(day)), at, tzinfo=zone)
    return local >= scheduled


def the_week(session: Session, *, since: datetime, until: datetime) -> Week:
    created = activity.created_between(session, since=since, until=until)

    def line(item: activity.Happened) -> Line:
        return Line(item.category, T("digest.item", ref=make_ref(item.kind, item.id), title=item.title))

    changes = tuple(
        Line(c.category, T("digest.change", ref=make_ref(c.kind, c.id), title=c.title, status=T(f"status.{c.status}")))
        for c in activity.stage_changes_between(session, since=since, until=until)
    )
    return Week(
        problems=tuple(line(item) for item in created if item.kind == "problem"),
        ideas=tuple(line(item) for item in created if item.kind == "idea"),
        changes=changes,
    )
