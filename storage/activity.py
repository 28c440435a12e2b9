"""What happened, and when: the reads behind follow-ups ("what moved since you last heard")
and the weekly digest ("this week's new problems, ideas and status changes"). Keyword-only
functions over a caller-owned Session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from storage.models import DesignOffer, Idea, Problem, StatusChange, Support
from storage.safety import shown_to_residents
from storage.submissions import stage_moved


@dataclass(frozen=True)
class Happened:
    """One thing of the week, in a problem category (an idea's is its problem's)."""

    kind: str
    id: int
    title: str
    category: str
    status: str | None = None  # for status changes: the new status


def stage_moves(session: Session, *, kind: str, target_id: int, since: datetime | None) -> int:
    """Real moves of the status (not the creation, not notes, not the reporter's checks)."""
    statement = select(func.count()).where(StatusChange.kind == kind, StatusChange.target_id == target_id, stage_moved())
    if since is not None:
        statement = statement.where(StatusChange.created_at > since)
    return session.exec(statement).one()


def new_links(session: Session, *, kind: str, target_id: int, since: datetime | None) -> int:
    """Supporters, ideas proposed for a problem and design offers for an idea: since `since`."""
    counts = 0
    for table, condition in _link_conditions(kind, target_id):
        statement = select(func.count()).select_from(table).where(condition)
        if since is not None:
            statement = statement.where(table.created_at > since)
        counts += session.exec(statement).one()
    return counts


def _link_conditions(kind: str, target_id: int) -> list[tuple[Any, Any]]:
    supports = (Support, (Support.kind == kind) & (Support.target_id == target_id))
    if kind == "problem":
        return [supports, (Idea, Idea.problem_id == target_id)]
    if kind == "idea":
        return [supports, (DesignOffer, DesignOffer.idea_id == target_id)]
    return [supports]


def live_ideas_for(session: Session, *, problem_id: int, limit: int) -> list[tuple[int, str]]:
    """(id, title) of the ideas for a problem that were not declined or merged, oldest first
    (only those other residents may see: the problem's reporter reads them)."""
    statement = (
        select(Idea.id, Idea.title)
        .where(Idea.problem_id == problem_id, col(Idea.status).not_in(("declined", "duplicate")), shown_to_residents(Idea))
        .order_by(col(Idea.id))
        .limit(limit)
    )
    return [(id_, title) for id_, title in session.exec(statement) if id_ is not None]


def design_offer_count(session: Session, *, idea_id: int) -> int:
    return session.exec(select(func.count()).where(DesignOffer.idea_id == idea_id)).one()


def created_between(session: Session, *, since: datetime, until: datetime) -> list[Happened]:
    """New problems, then new ideas for problems, in the window, each in creation order:
    those other residents may see (digests go to everyone who follows a topic)."""
    problems = session.exec(
        select(Problem.id, Problem.title, Problem.category)
        .where(Problem.created_at >= since, Problem.created_at < until, shown_to_residents(Problem))
        .order_by(col(Problem.id))
    ).all()
    ideas = session.exec(
        select(Idea.id, Idea.title, Problem.category)
        .join(Problem, col(Problem.id) == Idea.problem_id)
        .where(Idea.created_at >= since, Idea.created_at < until, shown_to_residents(Idea))
        .order_by(col(Idea.id))
    ).all()
    return [Happened("problem", i, t, c) for i, t, c in problems if i is not None] + [
        Happened("idea", i, t, c) for i, t, c in ideas if i is not None
    ]


def stage_changes_between(session: Session, *, since: datetime, until: datetime) -> list[Happened]:
    """Status moves of problems and ideas in the window (problems first), in order."""
    found = []
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
                stage_moved(),
                shown_to_residents(table),
            ).order_by(col(StatusChange.id))
        ).all()
        found.extend(Happened(kind, id_, title, category, status) for id_, status, title, category in rows)
    return found
