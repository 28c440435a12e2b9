"""Per-category time estimates: the status history they are computed from, and the table
they are kept in (storage/estimate_models.py). Keyword-only functions over a caller-owned
Session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy import case, delete
from sqlmodel import Session, col, func, select

from conversations.context import Estimate
from storage.estimate_models import CategoryEstimate, CategoryEstimateCreate
from storage.models import Problem, StatusChange
from storage.submissions import stage_moved


@dataclass(frozen=True)
class ProblemHistory:
    """What the estimates need of one problem's history: when it came in, when its stage
    first moved (the first response), when it was first done, and when it was first
    declined or merged as a duplicate."""

    category: str
    status: str
    created_at: datetime
    first_response_at: datetime | None
    done_at: datetime | None
    closed_at: datetime | None


def problem_histories(session: Session, *, since: datetime) -> list[ProblemHistory]:
    """Every problem that came in since a moment, with its history's milestones (one
    grouped query)."""

    def first(condition: object) -> object:
        return func.min(case((condition, StatusChange.created_at), else_=None))  # type: ignore[arg-type]

    statement = (
        select(
            Problem.category,
            Problem.status,
            Problem.created_at,
            first(stage_moved()),
            first(StatusChange.to_status == "done"),
            first(col(StatusChange.to_status).in_(("declined", "duplicate"))),
        )
        .join(
            StatusChange,
            (StatusChange.kind == "problem") & (col(StatusChange.target_id) == Problem.id),
            isouter=True,
        )
        .where(Problem.created_at >= since)
        .group_by(col(Problem.id), Problem.category, Problem.status, Problem.created_at)
    )
    return [ProblemHistory(*row) for row in session.exec(statement)]  # type: ignore[call-overload]


def replace_estimates(session: Session, *, estimates: Sequence[Estimate]) -> None:
    """Put these figures in place of the ones kept (a category without problems any more
    loses its row)."""
    session.exec(delete(CategoryEstimate))  # type: ignore[call-overload]
    for estimate in estimates:
        row = CategoryEstimateCreate(
            category=estimate.category,
            finished=estimate.finished,
            still_open=estimate.still_open,
            first_response_low=estimate.first_response[0],
            first_response_high=estimate.first_response[1],
            done_low=estimate.done[0],
            done_high=estimate.done[1],
        )
        session.add(CategoryEstimate.model_validate(row, update={"computed_at": estimate.computed_at}))
    session.flush()


def refresh_due(session: Session, *, now: datetime, every: timedelta) -> bool:
    """Whether the kept figures are older than `every`, or there are none while there are
    problems to compute them from (a restart, or a database without problems, then costs
    no computation)."""
    latest = session.exec(select(func.max(CategoryEstimate.computed_at))).one()
    if latest is not None:
        return bool(latest <= now - every)
    return session.exec(select(Problem.id).limit(1)).first() is not None


def _estimate(row: CategoryEstimate) -> Estimate:
    return Estimate(
        category=row.category,
        finished=row.finished,
        still_open=row.still_open,
        first_response=(row.first_response_low, row.first_response_high),
        done=(row.done_low, row.done_high),
        computed_at=row.computed_at,
    )


def all_estimates(session: Session) -> list[Estimate]:
    """The kept figures of every category, by category."""
    return [_estimate(row) for row in session.exec(select(CategoryEstimate).order_by(CategoryEstimate.category))]


def estimate_of(session: Session, *, category: str) -> Estimate | None:
    row = session.get(CategoryEstimate, category)
    return _estimate(row) if row else None
