"""The staff console's inbox: every submission, newest first, with filters, counts per status
and pages. Keyword-only functions over a caller-owned Session.

A page costs two statements, whatever the filters:
- the counts per status of all three kinds, one grouped query (a UNION ALL of one GROUP BY
  per kind). An idea's category and place are its problem's, and a design offer's its
  idea's problem's: those filters are `problem_id IN (problems that match)`, so counting
  needs no join and stays a scan of the (problem_id, status) / (idea_id, status) indexes;
- the rows: each kind's newest `offset + limit` through its created_at or (status,
  created_at) index, merged by one outer ORDER BY ... LIMIT, which alone counts the
  supporters of the rows it keeps. With 100,000 submissions that is a few index range
  scans, never a sort of everything (benchmarks/web.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, exists, false, func, literal, or_, union_all
from sqlmodel import Session, col, select

from conversations.refs import make_ref, parse_ref
from storage.models import OPEN_STATUSES, Citizen, DesignOffer, Idea, Problem, StatusChange, Support
from storage.submissions import TABLES, stage_moved
from storage.teams import assigned_to


@dataclass(frozen=True)
class InboxFilter:
    """Every filter that is set must match. `overdue_before`: still open, in since before
    this moment (the day the citizen was promised news has passed), and never moved on."""

    status: str | None = None
    kind: str | None = None
    category: str | None = None
    language: str | None = None
    channel: str | None = None
    area: str | None = None
    search: str | None = None
    overdue_before: datetime | None = None
    team_id: int | None = None  # only what is with this team (storage/teams.py)


@dataclass(frozen=True)
class InboxRow:
    kind: str
    id: int
    ref: str
    title: str
    category: str | None
    place: str | None
    status: str
    supporters: int
    created_at: datetime
    # A shared location (the problem's, for an idea or a design offer), shown when no place was typed.
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class InboxPage:
    rows: tuple[InboxRow, ...]
    total: int  # submissions matching every filter
    counts: dict[str, int] = field(default_factory=dict)  # per status, with every filter but the status


# An idea's (or a design offer's idea's) problem, for the row's category and place.
_LINKED = Problem.__table__.alias("linked_problem")  # type: ignore[attr-defined]


def _shape(kind: str) -> tuple[Any, Any, Any, tuple[Any, Any, Any], list[Any]]:
    """The table, its title, category and place columns (place, latitude, longitude: an
    idea's category and place are its problem's; a design offer's title is its idea's), and
    the joins they need."""
    if kind == "problem":
        return Problem, Problem.title, Problem.category, (Problem.place, Problem.latitude, Problem.longitude), []
    linked = _LINKED
    where = (linked.c.place, linked.c.latitude, linked.c.longitude)
    if kind == "idea":
        return Idea, Idea.title, linked.c.category, where, [(linked, linked.c.id == Idea.problem_id, True)]
    joins = [(Idea, col(Idea.id) == DesignOffer.idea_id, False), (linked, linked.c.id == Idea.problem_id, True)]
    return DesignOffer, Idea.title, linked.c.category, where, joins


def _about_problems(filters: InboxFilter) -> list[Any]:
    """The conditions on a submission's problem (the problem itself, or an idea's)."""
    conditions: list[Any] = []
    if filters.category:
        conditions.append(Problem.category == filters.category)
    if filters.area:
        conditions.append(col(Problem.place).icontains(filters.area, autoescape=True))
    return conditions


def _words(table: Any, text: str) -> Any:
    return or_(
        col(table.title).icontains(text, autoescape=True), col(table.description).icontains(text, autoescape=True)
    )


def _conditions(kind: str, filters: InboxFilter, *, with_status: bool) -> list[Any] | None:
    """The WHERE conditions for one kind, on its own table only (what is about its problem
    or idea is a subquery); None when no submission of this kind can match."""
    if filters.kind and filters.kind != kind:
        return None
    table = TABLES[kind]
    conditions: list[Any] = []
    if with_status and filters.status:
        conditions.append(table.status == filters.status)
    if filters.language:
        conditions.append(table.language == filters.language)
    if filters.channel:
        conditions.append(exists().where(Citizen.id == table.citizen_id, Citizen.channel == filters.channel))
    if filters.team_id is not None:
        conditions.append(col(table.id).in_(assigned_to(kind, [filters.team_id])))
    problem_side = _about_problems(filters)
    ref = parse_ref(filters.search) if filters.search else None
    if ref is not None:
        conditions.append(table.id == ref[1] if ref[0] == kind else false())
    if kind == "problem":
        conditions += problem_side + ([_words(Problem, filters.search)] if filters.search and ref is None else [])
    else:
        ideas = []
        if problem_side:
            ideas.append(col(Idea.problem_id).in_(select(Problem.id).where(*problem_side)))
        if filters.search and ref is None and kind == "design":
            ideas.append(_words(Idea, filters.search))
        if kind == "idea":
            conditions += ideas + ([_words(Idea, filters.search)] if filters.search and ref is None else [])
        elif ideas:
            conditions.append(col(DesignOffer.idea_id).in_(select(Idea.id).where(*ideas)))
    if filters.overdue_before is not None:
        moved = exists().where(StatusChange.kind == kind, StatusChange.target_id == table.id, stage_moved())
        conditions += [col(table.status).in_(OPEN_STATUSES), table.created_at < filters.overdue_before, ~moved]
    return conditions


def inbox_page(session: Session, *, filters: InboxFilter, offset: int, limit: int) -> InboxPage:
    counts = _counts(session, filters)
    total = counts.get(filters.status, 0) if filters.status else sum(counts.values())
    return InboxPage(_rows(session, filters, offset, limit), total, counts)


def _counts(session: Session, filters: InboxFilter) -> dict[str, int]:
    """Submissions per status, with every filter but the status, in one statement."""
    parts = []
    for kind, table in TABLES.items():
        conditions = _conditions(kind, filters, with_status=False)
        if conditions is not None:
            parts.append(select(table.status, func.count().label("n")).where(*conditions).group_by(table.status))
    if not parts:
        return {}
    counts: dict[str, int] = {}
    for status, count in session.exec(union_all(*parts) if len(parts) > 1 else parts[0]):  # type: ignore[call-overload]
        counts[status] = counts.get(status, 0) + count
    return counts


def _newest(kind: str, filters: InboxFilter, limit: int) -> Any:
    """One kind's newest `limit` matching rows (a subquery of the page's UNION ALL)."""
    conditions = _conditions(kind, filters, with_status=True)
    if conditions is None:
        return None
    table, title, category, (place, latitude, longitude), joins = _shape(kind)
    columns = (literal(kind, String).label("kind"), table.id.label("id"), title.label("title"), category.label("category"),
               place.label("place"), table.status.label("status"), table.created_at.label("created_at"),
               latitude.label("latitude"), longitude.label("longitude"))  # fmt: skip
    statement = select(*columns).select_from(table)
    for target, on, outer in joins:
        statement = statement.join(target, on, isouter=outer)
    statement = statement.where(*conditions).order_by(col(table.created_at).desc(), col(table.id).desc()).limit(limit)
    return select(statement.subquery())


def _rows(session: Session, filters: InboxFilter, offset: int, limit: int) -> tuple[InboxRow, ...]:
    parts = [part for kind in TABLES if (part := _newest(kind, filters, offset + limit)) is not None]
    if not parts:
        return ()
    merged = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("newest")
    supporting = (Support.kind == merged.c.kind) & (Support.target_id == merged.c.id)
    supporters = select(func.count()).where(supporting).scalar_subquery()
    statement = (
        select(merged, supporters)
        .order_by(merged.c.created_at.desc(), merged.c.kind.desc(), merged.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return tuple(
        InboxRow(kind, id_, make_ref(kind, id_), title, category, place, status, supporters_, created_at, latitude, longitude)
        for kind, id_, title, category, place, status, created_at, latitude, longitude, supporters_ in session.exec(statement)  # type: ignore[call-overload]
    )
