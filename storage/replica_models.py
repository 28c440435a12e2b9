"""Tables that let several `cocreate run` replicas share one PostgreSQL database: the
leases that elect one process per role (a channel's delivery, the scheduler, the Telegram
poller), and the updates that arrived but are not handled yet (so one person's updates are
handled in order whichever replica got each one)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class Lease(SQLModel, table=True):
    """Who leads a role, until when. Taken and renewed with one conditional statement on the
    database's own clock (storage/leases.py); `epoch` grows with every new holder, and the
    rows a leader claims carry its holder and epoch (fencing)."""

    __tablename__ = "lease"

    role: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=160)  # host:pid:random, new for every process
    epoch: int = Field(default=1)
    acquired_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    heartbeat_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class UpdateArrival(SQLModel, table=True):
    """An update that reached a replica and is not handled yet: a later update of the same
    sender waits until this one is handled (storage/update_order.py)."""

    __tablename__ = "update_arrival"
    __table_args__ = (Index("ix_update_arrival_sender", "channel", "sender", "sequence"),)

    channel: str = Field(primary_key=True, max_length=32)
    sequence: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    sender: str = Field(max_length=128)
    arrived_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
