"""The staff console's inbox: every submission, newest first, with filters, counts per status
and pages. Keyword-only functions over a caller-owned Session.

Each kind is read from its own table, newest first through its (status, created_at) and
created_at indexes, and the kinds are merged here: with 100,000 submissions a page costs a
few index range scans, never a sort of everything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, false, func, or_
from sqlmodel import Session, col, select

from conversations.refs import make_ref, parse_ref
from storage.models import OPEN_STATUSES, Citizen, DesignOffer, Idea, Problem, StatusChange, Support
from storage.submissions import TABLES, stage_moved


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


@dataclass(frozen=True)
class InboxPage:
    rows: tuple[InboxRow, ...]
    total: int  # submissions matching every filter
    counts: dict[str, int] = field(default_factory=dict)  # per status, with every filter but the status


# An idea's (or a design offer's idea's) problem. Built once; statements are immutable.
_LINKED = Problem.__table__.alias("linked_problem")  # type: ignore[attr-defined]


def _shape(kind: str) -> tuple[Any, Any, Any, Any, list[Any]]:
    """The table, its title, category and place columns (an idea's category and place are
    its problem's; a design offer's title is its idea's), and the joins they need."""
    if kind == "problem":
        return Problem, Problem.title, Problem.category, Problem.place, []
    linked = _LINKED
    if kind == "idea":
        return Idea, Idea.title, linked.c.category, linked.c.place, [(linked, linked.c.id == Idea.problem_id)]
    joins = [(Idea, col(Idea.id) == DesignOffer.idea_id), (linked, linked.c.id == Idea.problem_id)]
    return DesignOffer, Idea.title, linked.c.category, linked.c.place, joins


def _conditions(kind: str, filters: InboxFilter, *, with_status: bool) -> list[Any] | None:
    """The WHERE conditions for one kind; None when no submission of this kind can match."""
    table, title, category, place, _ = _shape(kind)
    conditions: list[Any] = []
    if filters.kind and filters.kind != kind:
        return None
    if with_status and filters.status:
        conditions.append(table.status == filters.status)
    if filters.category:
        conditions.append(category == filters.category)
    if filters.language:
        conditions.append(table.language == filters.language)
    if filters.channel:
        conditions.append(exists().where(Citizen.id == table.citizen_id, Citizen.channel == filters.channel))
    if filters.area:
        conditions.append(place.icontains(filters.area, autoescape=True))
    if filters.search:
        conditions.append(_search(kind, table, title, filters.search))
    if filters.overdue_before is not None:
        moved = exists().where(StatusChange.kind == kind, StatusChange.target_id == table.id, stage_moved())
        conditions += [col(table.status).in_(OPEN_STATUSES), table.created_at < filters.overdue_before, ~moved]
    return conditions


def _search(kind: str, table: Any, title: Any, text: str) -> Any:
    """Words in the title or text, or the submission's reference (P-12)."""
    ref = parse_ref(text)
    if ref is not None:
        return table.id == ref[1] if ref[0] == kind else false()
    described = table.description if kind != "design" else Idea.description
    return or_(title.icontains(text, autoescape=True), described.icontains(text, autoescape=True))


def _from(kind: str, statement: Any, filters: InboxFilter | None = None) -> Any:
    """The joins for a kind's title, category and place; for counting (`filters` given) only
    those its filters need, so counting everything stays a scan of the status index."""
    needs_problem = filters is None or bool(filters.category or filters.area)
    needs_idea = needs_problem or bool(filters and filters.search)
    for target, on in _shape(kind)[4]:
        if (target is Idea and needs_idea) or (target is not Idea and needs_problem):
            statement = statement.join(target, on, isouter=target is not Idea)
    return statement


def _supporters(kind: str, table: Any) -> Any:
    count = select(func.count(col(Support.id))).where(Support.kind == kind, Support.target_id == table.id)
    return count.correlate(table).scalar_subquery()


def inbox_page(session: Session, *, filters: InboxFilter, offset: int, limit: int) -> InboxPage:
    rows: list[InboxRow] = []
    counts: dict[str, int] = {}
    for kind in TABLES:
        for status, count in _counts(session, kind, filters).items():
            counts[status] = counts.get(status, 0) + count
        rows.extend(_newest(session, kind, filters, offset + limit))
    rows.sort(key=lambda row: (row.created_at, row.kind, row.id), reverse=True)
    total = counts.get(filters.status, 0) if filters.status else sum(counts.values())
    return InboxPage(tuple(rows[offset : offset + limit]), total, counts)


def _counts(session: Session, kind: str, filters: InboxFilter) -> dict[str, int]:
    conditions = _conditions(kind, filters, with_status=False)
    if conditions is None:
        return {}
    table = TABLES[kind]
    statement = _from(kind, select(table.status, func.count()).select_from(table), filters).where(*conditions)
    return {status: count for status, count in session.exec(statement.group_by(table.status))}


def _newest(session: Session, kind: str, filters: InboxFilter, limit: int) -> list[InboxRow]:
    conditions = _conditions(kind, filters, with_status=True)
    if conditions is None:
        return []
    table, title, category, place, _ = _shape(kind)
    columns = (table.id, title, category, place, table.status, table.created_at, _supporters(kind, table))
    statement = _from(kind, select(*columns).select_from(table)).where(*conditions)
    statement = statement.order_by(col(table.created_at).desc(), col(table.id).desc()).limit(limit)
    return [
        InboxRow(kind, id_, make_ref(kind, id_), title_, category_, place_, status, supporters, created_at)
        for id_, title_, category_, place_, status, created_at, supporters in session.exec(statement)
    ]

