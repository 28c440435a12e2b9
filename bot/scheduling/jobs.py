"""Scheduler jobs: coroutine functions of a `JobContext` (database, clock, messages), which
the scheduler hands them when it adds them (bot/scheduling/scheduler.py). Nothing is pickled
and nothing is found through a global; tests run a job directly with
`app.scheduler.job_context()` and an injected clock."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, Awaitable, Callable, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from bot.operations.digest import send_digests
from bot.operations.follow_up_messages import send_due_follow_ups
from bot.outbound.notices import Notices
from bot.runtime.outage import Outage, is_database_outage
from storage import citizens, retention, update_order

log = logging.getLogger(__name__)
# Channels redeliver an event within minutes (Slack) or a day (Telegram); a week is ample.
KEEP_PROCESSED_EVENTS = timedelta(days=7)
# Someone who never agreed to the privacy notice is kept this long (a day to make up their mind).
KEEP_UNCONSENTED = timedelta(days=1)


@dataclass(frozen=True)
class JobContext:
    database: Engine
    blocking: Callable[..., Awaitable[Any]]
    clock: Callable[[], datetime]
    notices: Notices
    zone: tzinfo
    wake_delivery: Callable[[], None]
    outage: Outage  # the database as the scheduler sees it: logged once per outage
    retention: timedelta = timedelta(days=90)  # RETENTION_DAYS


T = TypeVar("T")


async def _with_database(ctx: JobContext, run: Callable[[], T]) -> T | None:
    """Run a job's database work; None when the database cannot be used now (locked, full,
    restarting): the outage is logged once, and the job's next run tries again."""
    try:
        result = await ctx.blocking(run)
    except Exception as error:
        if not is_database_outage(error):
            raise
        ctx.outage.note(error)
        return None
    ctx.outage.succeeded()
    return result


async def follow_ups(ctx: JobContext) -> int:
    """Send the follow-ups that are due (one claim of at most a batch; the next run takes
    the rest). Returns how many messages it queued."""

    def run() -> int:
        with Session(ctx.database) as session, session.begin():
            return send_due_follow_ups(session, now=ctx.clock(), notices=ctx.notices, zone=ctx.zone)

    queued = await _with_database(ctx, run) or 0
    if queued:
        log.info("queued %s follow-ups", queued)
        ctx.wake_delivery()
    return queued


async def weekly_digest(ctx: JobContext) -> None:
    """Queue the week's digest; through an outage it waits and tries again (with the
    outage's backoff), since the next run is a week away."""

    def run() -> int:
        with Session(ctx.database) as session, session.begin():
            return send_digests(session, now=ctx.clock(), notices=ctx.notices, zone=ctx.zone)

    while (queued := await _with_database(ctx, run)) is None:
        await ctx.outage.sleep(ctx.outage.wait())
    log.info("weekly digest queued for %s diffusers", queued)
    if queued:
        ctx.wake_delivery()


async def prune_processed_events(ctx: JobContext) -> None:
    def run() -> None:
        cutoff = ctx.clock() - KEEP_PROCESSED_EVENTS
        with Session(ctx.database) as session, session.begin():
            citizens.forget_events_before(session, cutoff=cutoff)
            # Arrival records a replica killed mid-update left (bot/inbound/ordering.py).
            update_order.forget_arrivals_before(session, cutoff=ctx.clock() - timedelta(hours=1))

    await _with_database(ctx, run)  # missed in an outage: tomorrow's run prunes the same rows


async def apply_retention(ctx: JobContext) -> tuple[int, int] | None:
    """Daily: empty the texts of delivered messages older than RETENTION_DAYS, and remove
    people who never agreed, a day after they first wrote (storage/retention.py). Returns
    (texts emptied, people removed), or None in an outage (tomorrow's run does the same)."""

    def run() -> tuple[int, int]:
        now = ctx.clock()
        with Session(ctx.database) as session, session.begin():
            emptied = retention.purge_delivered_texts(session, before=now - ctx.retention)
            removed = retention.remove_unconsented(session, before=now - KEEP_UNCONSENTED)
        return emptied, removed

    done = await _with_database(ctx, run)
    if done and any(done):
        log.info("retention: emptied %s message texts, removed %s people who never agreed", *done)
    return done
