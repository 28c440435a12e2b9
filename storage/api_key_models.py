"""Tables of the Open311 API (bot/web/open311.py): partners' API keys, and which key sent
which problem.

A key is never stored, only its SHA-256: a copy of the database lets nobody post."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

# The channel of the pseudo-citizen each key's problems belong to (storage/api_keys.py).
PARTNER_CHANNEL = "partner"


def _moment() -> datetime:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)  # type: ignore[no-any-return]


class ApiKey(SQLModel, table=True):
    """A partner's key (a council's call centre, another app), made with `cocreate apikeys
    add NAME`. Revoked keys stay, so the problems they sent still name their partner."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    key_hash: str = Field(max_length=64, unique=True)
    created_by: str = Field(max_length=160)
    created_at: datetime = _moment()
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The pseudo-citizen its problems belong to (channel "partner"), made with the key.
    citizen_id: int = Field(foreign_key="citizen.id")


class PartnerRequest(SQLModel, table=True):
    """A problem a partner sent through the API: with which key, and the photo URL it gave.
    Goes with its problem when that is deleted (a forgotten partner's --delete-submissions)."""

    __tablename__ = "partner_request"
    # The per-key rate limit counts a key's requests of the last hour.
    __table_args__ = (Index("ix_partner_request_key_created", "api_key_id", "created_at"),)

    problem_id: int = Field(sa_column=Column(Integer, ForeignKey("problem.id", ondelete="CASCADE"), primary_key=True))
    api_key_id: int = Field(foreign_key="api_key.id")
    media_url: str | None = Field(default=None, max_length=2000)
    created_at: datetime = _moment()
