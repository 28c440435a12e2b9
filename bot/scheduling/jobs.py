"""Scheduler jobs: coroutine functions of a `JobContext` (database, clock, messages), which
the scheduler hands them when it adds them (bot/scheduling/scheduler.py). Nothing is pickled
and nothing is found through a global; tests run a job directly with
`app.scheduler.job_context()` and an injected clock."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, Awaitable, Callable

from sqlalchemy import Engine
from sqlmodel import Session

from bot.operations.digest import send_digests
from bot.operations.follow_up_messages import send_due_follow_ups
from bot.outbound.notices import Notices
from storage import citizens

log = logging.getLogger(__name__)
# Channels redeliver an event within minutes (Slack) or a day (Telegram); a week is ample.
KEEP_PROCESSED_EVENTS = timedelta(days=7)


@dataclass(frozen=True)
class JobContext:
    database: Engine
    blocking: Callable[..., Awaitable[Any]]
    clock: Callable[[], datetime]
    notices: Notices
    zone: tzinfo
    wake_delivery: Callable[[], None]


async def follow_ups(ctx: JobContext) -> int:
    """Send the follow-ups that are due (one claim of at most a batch; the next run takes
    the rest). Returns how many messages it queued."""

    def run() -> int:
        with Session(ctx.database) as session, session.begin():
            return send_due_follow_ups(session, now=ctx.clock(), notices=ctx.notices, zone=ctx.zone)

    queued = await ctx.blocking(run)
    if queued:
        log.info("queued %s follow-ups", queued)
        ctx.wake_delivery()
    return queued


async def weekly_digest(ctx: JobContext) -> None:
    def run() -> int:
        with Session(ctx.database) as session, session.begin():
            return send_digests(session, now=ctx.clock(), notices=ctx.notices, zone=ctx.zone)

    queued = await ctx.blocking(run)
    log.info("weekly digest queued for %s diffusers", queued)
    if queued:
        ctx.wake_delivery()


async def prune_processed_events(ctx: JobContext) -> None:
    def run() -> None:
        cutoff = ctx.clock() - KEEP_PROCESSED_EVENTS
        with Session(ctx.database) as session, session.begin():
            citizens.forget_events_before(session, cutoff=cutoff)

    await ctx.blocking(run)
