"""Tables of measured reach: the personal link in each diffuser's copy of a broadcast, and
the people who started the bot through one (storage/reach_links.py reads and writes them).

A link's code is random and says nothing about whose it is; only this table knows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _moment() -> datetime:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)  # type: ignore[no-any-return]


class ReachLink(SQLModel, table=True):
    """One diffuser's personal link for one broadcast: `/start <code>` in Telegram, or the
    public page WEB_BASE_URL/join/<code>."""

    __tablename__ = "reach_link"
    __table_args__ = (UniqueConstraint("broadcast_id", "citizen_id"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    broadcast_id: int = Field(foreign_key="broadcast.id", index=True)
    citizen_id: int = Field(foreign_key="citizen.id", index=True)
    # Openings of the public page (chat apps' link previews included: a rough figure).
    visits: int = Field(default=0)
    created_at: datetime = _moment()


class ReachStart(SQLModel, table=True):
    """A person who first came to the bot through a personal link: counted once, ever."""

    __tablename__ = "reach_start"

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(foreign_key="citizen.id", unique=True)
    link_id: int = Field(foreign_key="reach_link.id", index=True)
    started_at: datetime = _moment()
