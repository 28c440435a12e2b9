"""What the public Open311 API reads (bot/web/open311.py): problems other residents may see
(`storage.safety.shown_to_residents`: neither private nor held nor hidden), never who sent
them. Keyword-only functions over a caller-owned Session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlmodel import Session, col, select

from conversations.refs import CLOSED_STATUSES, OPEN_STATUSES
from storage.api_key_models import PartnerRequest
from storage.models import Problem, StatusChange
from storage.safety import shown_to_residents
from storage.submissions import last_change, stage_moved

# Open311 knows two statuses; ours map onto them.
OPEN311_STATUSES: dict[str, Sequence[str]] = {"open": OPEN_STATUSES, "closed": CLOSED_STATUSES}


@dataclass(frozen=True)
class RequestFilter:
    """Which problems a `GET requests.json` asks for (None: any)."""

    ids: tuple[int, ...] | None = None  # service_request_id: overrides every other filter
    categories: tuple[str, ...] | None = None
    status: str | None = None  # "open" or "closed" (None: both)
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class PublicRequest:
    """A problem as the public may see it: what, where, its stage; nobody's identity."""

    id: int
    status: str
    category: str
    description: str
    place: str | None
    latitude: float | None
    longitude: float | None
    requested_at: datetime
    updated_at: datetime  # when the stage last moved, or it came in (notes do not count)
    status_note: str | None  # the note of the latest stage move (sent to the people concerned)
    media_url: str | None  # the photo URL a partner gave (residents' photos stay with staff)


def _status_note() -> Any:
    """The note staff gave with the latest stage move. Only those: they are the words sent to
    the submitter and supporters with the news. Notes that keep the status (staff's internal
    notes, questions, a reporter's or a supporter's own words) never leave the city team."""
    return (
        select(StatusChange.note)
        .where(StatusChange.kind == "problem", StatusChange.target_id == Problem.id, stage_moved())
        .order_by(col(StatusChange.created_at).desc(), col(StatusChange.id).desc())
        .limit(1)
        .correlate(Problem)
        .scalar_subquery()
    )


def _public() -> Any:
    return (
        select(
            Problem.id, Problem.status, Problem.category, Problem.description, Problem.place,
            Problem.latitude, Problem.longitude, Problem.created_at, last_change("problem", Problem), _status_note(),
            PartnerRequest.media_url,
        )
        .outerjoin(PartnerRequest, col(PartnerRequest.problem_id) == Problem.id)
        .where(shown_to_residents(Problem))
    )  # fmt: skip


def _conditions(wanted: RequestFilter) -> list[Any]:
    if wanted.ids is not None:
        return [col(Problem.id).in_(wanted.ids)]
    conditions: list[Any] = []
    if wanted.categories is not None:
        conditions.append(col(Problem.category).in_(wanted.categories))
    if wanted.status is not None:
        conditions.append(col(Problem.status).in_(OPEN311_STATUSES[wanted.status]))
    if wanted.start is not None:
        conditions.append(Problem.created_at >= wanted.start)
    if wanted.end is not None:
        conditions.append(Problem.created_at <= wanted.end)
    return conditions


def public_requests(session: Session, *, wanted: RequestFilter, offset: int, limit: int) -> list[PublicRequest]:
    """The problems asked for, newest first."""
    statement = (
        _public()
        .where(*_conditions(wanted))
        .order_by(col(Problem.created_at).desc(), col(Problem.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return [PublicRequest(*row) for row in session.exec(statement)]


def public_request(session: Session, *, id_: int) -> PublicRequest | None:
    row = session.exec(_public().where(Problem.id == id_)).first()
    return PublicRequest(*row) if row is not None else None
