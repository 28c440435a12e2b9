"""The table of per-category time estimates: how long problems took to the first response
and to done, as the last refresh computed them (bot/operations/survival.py, run by the
scheduler in a child process). Each refresh replaces every row; the serving process only
reads them, so it never loads the statistics libraries."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class CategoryEstimateBase(SQLModel):
    category: str = Field(primary_key=True, max_length=64)
    finished: int  # problems done: the observed cases of the time to done
    still_open: int  # problems not done, declined or duplicate yet
    # The 25th and 75th percentiles in days; NULL where the curve never got there.
    first_response_low: float | None = None
    first_response_high: float | None = None
    done_low: float | None = None
    done_high: float | None = None


class CategoryEstimateCreate(CategoryEstimateBase):
    pass


class CategoryEstimate(CategoryEstimateBase, table=True):
    __tablename__ = "category_estimate"

    computed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
