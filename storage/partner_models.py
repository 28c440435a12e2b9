"""Tables for the city's partners outside the chats: webhooks (partners' systems that hear of
events) and teams (the people responsible for a kind of report, and which submission is whose).

A webhook's secret is a signing secret, not a password: it is kept as given, because every
delivery is signed with it (the Standard Webhooks scheme)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _moment() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class WebhookBase(SQLModel):
    url: str = Field(max_length=2000)
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # With it, bodies carry the submitter's name and what they typed as the place.
    include_personal_data: bool = Field(default=False)


class WebhookCreate(WebhookBase):
    secret: str = Field(max_length=200)


class Webhook(WebhookCreate, table=True):
    """A partner's URL that gets the events it subscribed to, as signed JSON POSTs (each one
    an outbox row on channel "webhook" with chat_id the hook's id)."""

    id: int | None = Field(default=None, primary_key=True)
    created_by: str = Field(max_length=160)
    created_at: datetime = _moment()


class TeamBase(SQLModel):
    name: str = Field(max_length=64, unique=True)
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Words of the place (whole words, case and accents ignored); empty: the whole city.
    areas: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    slack_channel: str | None = Field(default=None, max_length=128)
    telegram_chat: str | None = Field(default=None, max_length=128)
    # The team that gets what no other team's categories and areas match (at most one).
    is_default: bool = Field(default=False)
    # Staff identities (CHANNEL:ID) whose /inbox shows this team's work.
    members: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class TeamCreate(TeamBase):
    pass


class Team(TeamBase, table=True):
    """The people responsible for some categories (in some areas): their chat gets a card for
    each new submission assigned to them, and a daily card of those overdue."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _moment()


class TeamAssignment(SQLModel, table=True):
    """Which team a submission is with: written in the submission's own transaction, changed
    by a reassignment (which its history records)."""

    __tablename__ = "team_assignment"
    __table_args__ = (UniqueConstraint("kind", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    target_id: int
    team_id: int = Field(foreign_key="team.id", index=True)
    assigned_at: datetime = _moment()
