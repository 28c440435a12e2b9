"""Scheduler jobs. APScheduler keeps each job in the database with its function's name and
its arguments (pickled), so jobs are module-level functions that take ids only. Each returns
the work to do as a coroutine function of `JobContext` (database, clock, messages), which
the scheduler's executor passes at run time (bot/scheduler.py): nothing is found through a
global."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from sqlalchemy import Engine
from sqlalchemy import delete
from sqlmodel import Session, col

from bot.operations.digest import send_digests
from bot.operations.follow_up_messages import send_follow_up
from bot.outbound.notices import Notices
from storage.models import ProcessedEvent

if TYPE_CHECKING:
    from bot.scheduling.scheduler import Scheduler

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
    scheduler: Scheduler
    wake_delivery: Callable[[], None]


Work = Callable[[JobContext], Awaitable[None]]


def follow_up(follow_up_id: int) -> Work:
    async def work(ctx: JobContext) -> None:
        def run() -> bool:
            with Session(ctx.database) as session, session.begin():
                now = ctx.clock()
                return send_follow_up(session, follow_up_id=follow_up_id, now=now, notices=ctx.notices, zone=ctx.zone)

        if await ctx.blocking(run):
            ctx.wake_delivery()

    return work


def weekly_digest() -> Work:
    async def work(ctx: JobContext) -> None:
        def run() -> int:
            with Session(ctx.database) as session, session.begin():
                return send_digests(session, now=ctx.clock(), notices=ctx.notices, zone=ctx.zone)

        queued = await ctx.blocking(run)
        log.info("weekly digest queued for %s diffusers", queued)
        if queued:
            ctx.wake_delivery()

    return work


def arm_follow_ups() -> Work:
    """Add timers for follow-ups other processes wrote (conversation workers, the terminal)."""

    async def work(ctx: JobContext) -> None:
        await ctx.blocking(ctx.scheduler.arm_unarmed)

    return work


def prune_processed_events() -> Work:
    async def work(ctx: JobContext) -> None:
        def run() -> None:
            cutoff = ctx.clock() - KEEP_PROCESSED_EVENTS
            with Session(ctx.database) as session, session.begin():
                session.execute(delete(ProcessedEvent).where(col(ProcessedEvent.processed_at) < cutoff))

        await ctx.blocking(run)

    return work
