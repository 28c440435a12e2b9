"""Tables of polls: a poll is a broadcast with a question attached (its outbox rows, limits,
daily cap, quiet hours and progress are the broadcast's), and the answers people gave.

Texts are per language (language -> text); the default language always has one, and a
person whose language has none reads the default language's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _moment() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class PollBase(SQLModel):
    """What staff give: the question, the options (each language -> label), whether "Other"
    with a short text is offered, when it closes, and the line on what the city will do
    with the result (`outcome`; may come later, before the results go out)."""

    question: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    options: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    other: bool = Field(default=False)
    closes_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    outcome: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class PollCreate(PollBase):
    pass


class Poll(PollBase, table=True):
    """Its id is its broadcast's: the buttons carry it, and `cocreate broadcasts` shows the
    delivery of B-<id>. Closed once (`closed_at`); results sent to the answerers once
    (`results_sent_at`), which needs the outcome line."""

    __table_args__ = (Index("ix_poll_due", "closed_at", "closes_at"),)

    broadcast_id: int = Field(foreign_key="broadcast.id", primary_key=True)
    created_at: datetime = _moment()
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    results_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PollResponse(SQLModel, table=True):
    """One person's answer to one poll; a later answer replaces it until the poll closes.
    `option` counts from 0; None is "Other" with its `other_text`. The person's language and
    the area they gave when following topics are kept as they were when they answered, for
    the breakdowns."""

    __tablename__ = "poll_response"
    __table_args__ = (UniqueConstraint("poll_id", "citizen_id"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.broadcast_id", index=True)
    citizen_id: int = Field(foreign_key="citizen.id", index=True)
    option: int | None = Field(default=None)
    other_text: str | None = Field(default=None, max_length=300)
    language: str = Field(max_length=16)
    area: str | None = Field(default=None, max_length=300)
    answered_at: datetime = _moment()
