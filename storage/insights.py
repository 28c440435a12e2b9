"""The figures behind the staff console's insights: submissions per week by category, the
status funnel, supporters, and languages. Keyword-only functions over a caller-owned
Session. (Reach per broadcast is storage/broadcasts.reports; the time to first response and
to done is storage/estimates.py's table.)"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlmodel import Session, col, func, select

from storage.models import Citizen, Idea, Problem, Support
from storage.submissions import TABLES


def problems_since(session: Session, *, since: datetime) -> list[tuple[datetime, str]]:
    """(came in, category) of every problem since a moment, and of every idea (in its
    problem's category; "" for an idea of its own)."""
    problems = session.exec(select(Problem.created_at, Problem.category).where(Problem.created_at >= since)).all()
    ideas = session.exec(
        select(Idea.created_at, func.coalesce(Problem.category, ""))
        .join(Problem, col(Problem.id) == Idea.problem_id, isouter=True)
        .where(Idea.created_at >= since)
    ).all()
    return [(at, category) for at, category in [*problems, *ideas]]


def status_funnel(session: Session) -> dict[str, int]:
    """How many submissions (of every kind) are in each status."""
    counts: Counter[str] = Counter()
    for table in TABLES.values():
        counts.update(dict(session.exec(select(table.status, func.count()).group_by(table.status)).all()))
    return dict(counts)


def supporters_by_category(session: Session) -> dict[str, int]:
    """Supports of problems, per category."""
    statement = (
        select(Problem.category, func.count(col(Support.id)))
        .join(Support, (Support.kind == "problem") & (col(Support.target_id) == Problem.id))
        .group_by(Problem.category)
    )
    return dict(session.exec(statement).all())


def most_supported(session: Session, *, limit: int) -> list[tuple[str, int, str, int]]:
    """(kind, id, title, supporters) of the most supported problems and ideas."""
    found: list[tuple[str, int, str, int]] = []
    for kind, table in (("problem", Problem), ("idea", Idea)):
        count = func.count(col(Support.id)).label("supporters")
        statement = (
            select(table.id, table.title, count)
            .join(Support, (Support.kind == kind) & (col(Support.target_id) == table.id))
            .group_by(table.id, table.title)
            .order_by(count.desc())
            .limit(limit)
        )
        found += [(kind, id_, title, supporters) for id_, title, supporters in session.exec(statement)]
    return sorted(found, key=lambda row: -row[3])[:limit]


def languages_used(session: Session) -> dict[str, tuple[int, int]]:
    """language -> (people who agreed and speak it, submissions written in it)."""
    people = dict(
        session.exec(
            select(Citizen.language, func.count()).where(col(Citizen.consented_at).is_not(None)).group_by(Citizen.language)
        ).all()
    )
    written: Counter[str] = Counter()
    for table in TABLES.values():
        written.update(dict(session.exec(select(table.language, func.count()).group_by(table.language)).all()))
    languages = {str(lang) for lang in people if lang} | set(written)
    return {lang: (int(people.get(lang, 0)), int(written.get(lang, 0))) for lang in sorted(languages)}
