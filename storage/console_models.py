"""Tables of the staff console (bot/web/): its signing secret, one-time sign-in links,
sessions, questions staff ask submitters, staff members' language, cached photos, and the
indexes its inbox needs.

Tokens are never stored, only their SHA-256: a copy of the database lets nobody sign in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from storage.models import DesignOffer, Idea, Problem
from storage.types import UTCDateTime, utcnow


def _moment() -> datetime:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)  # type: ignore[no-any-return]


class WebSecret(SQLModel, table=True):
    """Secrets created on first start and shared by every replica (the session signing key)."""

    __tablename__ = "web_secret"

    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=256)
    created_at: datetime = _moment()


class SignInLink(SQLModel, table=True):
    """A one-time sign-in link for a staff identity (CHANNEL:ID)."""

    __tablename__ = "sign_in_link"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    identity: str = Field(max_length=160)
    created_at: datetime = _moment()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A signed-in browser. Ended by signing out, by time, or by leaving the staff."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    identity: str = Field(max_length=160, index=True)
    created_at: datetime = _moment()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StaffQuestion(SQLModel, table=True):
    """A question staff asked a submitter about their submission, and their answer (the next
    free text they write)."""

    __tablename__ = "staff_question"
    __table_args__ = (Index("ix_staff_question_target", "kind", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    target_id: int
    citizen_id: int = Field(foreign_key="citizen.id", index=True)
    question: str = Field(max_length=2000)
    asked_by: str = Field(max_length=160)
    asked_at: datetime = _moment()
    answer: str | None = Field(default=None, max_length=2000)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StaffPreference(SQLModel, table=True):
    """The language a staff member chose for the console (without one, their chat's)."""

    __tablename__ = "staff_preference"

    identity: str = Field(primary_key=True, max_length=160)
    language: str = Field(max_length=16)
    chosen_at: datetime = _moment()


class CachedPhoto(SQLModel, table=True):
    """A submission's photo as fetched from its channel once (every replica shares it)."""

    __tablename__ = "cached_photo"

    file_id: str = Field(primary_key=True, max_length=256)
    content_type: str = Field(max_length=64)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    fetched_at: datetime = _moment()


# The console's inbox lists every submission newest first, by status or category: these
# indexes keep its first page quick with 100,000 submissions (benchmarks/web.py).
INBOX_INDEXES = (
    Index("ix_problem_created", Problem.__table__.c.created_at),  # type: ignore[attr-defined]
    Index("ix_problem_status_created", Problem.__table__.c.status, Problem.__table__.c.created_at),  # type: ignore[attr-defined]
    Index("ix_problem_category_created", Problem.__table__.c.category, Problem.__table__.c.created_at),  # type: ignore[attr-defined]
    Index("ix_problem_category_status", Problem.__table__.c.category, Problem.__table__.c.status),  # type: ignore[attr-defined]
    Index("ix_idea_created", Idea.__table__.c.created_at),  # type: ignore[attr-defined]
    Index("ix_idea_status_created", Idea.__table__.c.status, Idea.__table__.c.created_at),  # type: ignore[attr-defined]
    Index("ix_designoffer_created", DesignOffer.__table__.c.created_at),  # type: ignore[attr-defined]
    Index("ix_designoffer_status_created", DesignOffer.__table__.c.status, DesignOffer.__table__.c.created_at),  # type: ignore[attr-defined]
    # Counting per status by category or area: an idea's category is its problem's, so the
    # count is `problem_id IN (the problems of that category)`; these let both sides be
    # read from indexes alone (storage/console_inbox.py).
    Index("ix_problem_category_id", Problem.__table__.c.category, Problem.__table__.c.id),  # type: ignore[attr-defined]
    Index("ix_idea_problem_status", Idea.__table__.c.problem_id, Idea.__table__.c.status),  # type: ignore[attr-defined]
    Index("ix_designoffer_idea_status", DesignOffer.__table__.c.idea_id, DesignOffer.__table__.c.status),  # type: ignore[attr-defined]
)
