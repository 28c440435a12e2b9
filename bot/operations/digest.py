"""The weekly digest for diffusers: the week's new problems, new ideas and status changes in
the topics each one follows, ready to pass on. Nobody gets an empty digest."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from sqlmodel import Session, col, select

from bot.config import WEEKDAYS
from bot.outbound.notices import Notices
from conversations.i18n import T, Text
from conversations.refs import make_ref
from storage import citizens, submissions
from storage.models import Citizen, Idea, Problem, StatusChange, Subscription

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
    for person, topics in _diffusers(session):
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
    problems = session.exec(
        select(Problem.id, Problem.title, Problem.category)
        .where(Problem.created_at >= since, Problem.created_at < until)
        .order_by(col(Problem.id))
    ).all()
    ideas = session.exec(
        select(Idea.id, Idea.title, Problem.category)
        .join(Problem, col(Problem.id) == Idea.problem_id)
        .where(Idea.created_at >= since, Idea.created_at < until)
        .order_by(col(Idea.id))
    ).all()
    return Week(
        problems=tuple(Line(c, T("digest.item", ref=make_ref("problem", i), title=t)) for i, t, c in problems),
        ideas=tuple(Line(c, T("digest.item", ref=make_ref("idea", i), title=t)) for i, t, c in ideas),
        changes=tuple(_changes(session, since, until)),
    )


def _changes(session: Session, since: datetime, until: datetime) -> list[Line]:
    lines = []
    for kind, table in (("problem", Problem), ("idea", Idea)):
        statement = select(StatusChange.target_id, StatusChange.to_status, table.title, Problem.category).join(
            table, col(table.id) == StatusChange.target_id
        )
        if kind == "idea":
            statement = statement.join(Problem, col(Problem.id) == Idea.problem_id)
        rows = session.exec(
            statement.where(
                StatusChange.kind == kind,
                StatusChange.created_at >= since,
                StatusChange.created_at < until,
                submissions.stage_moved(),
            ).order_by(col(StatusChange.id))
        ).all()
        for id_, status, title, category in rows:
            text = T("digest.change", ref=make_ref(kind, id_), title=title, status=T(f"status.{status}"))
            lines.append(Line(category, text))
    return lines


def _diffusers(session: Session) -> list[tuple[submissions.Concerned, set[str]]]:
    rows = session.exec(
        select(Citizen, Subscription.topic)
        .join(Subscription, col(Subscription.citizen_id) == Citizen.id)
        .where(col(Citizen.unreachable).is_(False), col(Citizen.consented_at).is_not(None))
    ).all()
    topics: dict[int, set[str]] = defaultdict(set)
    people: dict[int, Citizen] = {}
    for person, topic in rows:
        assert person.id is not None
        topics[person.id].add(topic)
        people[person.id] = person
    return [(submissions.as_concerned(people[id_]), topics[id_]) for id_ in sorted(people)]
