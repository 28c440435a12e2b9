"""The design team formed around an idea (storage/design_teams.py reads and writes it).

Forming one talks to Slack and Telegram, and may be cut off half way: each step's result is
kept here as soon as it is known, so running `cocreate ideas form` again goes on from there
(no second Slack channel, no second pinned post, no designer told twice)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class DesignTeam(SQLModel, table=True):
    __tablename__ = "design_team"

    id: int | None = Field(default=None, primary_key=True)
    idea_id: int = Field(foreign_key="idea.id", unique=True)
    owner: str = Field(max_length=160)  # the staff identity (CHANNEL:ID) designers may turn to
    formed_by: str = Field(max_length=160)
    slack_channel_id: str | None = Field(default=None, max_length=64)
    slack_channel_name: str | None = Field(default=None, max_length=80)
    slack_pinned_ts: str | None = Field(default=None, max_length=32)
    telegram_chat_id: str | None = Field(default=None, max_length=64)
    telegram_invite_link: str | None = Field(default=None, max_length=256)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # When the designers' messages were queued: the team is formed.
    formed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
