"""Scheduler jobs: coroutine functions of a `JobContext` (database, clock, messages), which
the scheduler hands them when it adds them (bot/scheduling/scheduler.py). Nothing is pickled
and nothing is found through a global; tests run a job directly with
`app.scheduler.job_context()` and an injected clock."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, Awaitable, Callable, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from bot.operations.digest import send_digests
from bot.operations.follow_up_messages import send_due_follow_ups
from bot.operations.team_routing import Routing, overdue_cutoff
from bot.operations.poll_results import close_due
from bot.outbound.notices import Notices
from bot.runtime.outage import Outage, is_database_outage
from storage import citizens, estimates, retention, update_order

log = logging.getLogger(__name__)
# Channels redeliver an event within minutes (Slack) or a day (Telegram); a week is ample.
KEEP_PROCESSED_EVENTS = timedelta(days=7)
# Someone who never agreed to the privacy notice is kept this long (a day to make up their mind).
KEEP_UNCONSENTED = timedelta(days=1)
# The time estimates are computed again this often (a day's new history barely moves them).
ESTIMATES_EVERY = timedelta(hours=1)
ESTIMATES_AFTER_START = timedelta(minutes=1)
# A refresh of the time estimates takes seconds; one still running after this is stuck (say,
# on a lock) and is stopped, and the next hour's run tries again.
ESTIMATES_TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class JobContext:
    database: Engine
    blocking: Callable[..., Awaitable[Any]]
    clock: Callable[[], datetime]
    notices: Notices
    zone: tzinfo
    wake_delivery: Callable[[], None]
    outage: Outage  # the database as the scheduler sees it: logged once per outage
    routing: Routing  # teams (their daily overdue cards)
    promised_after: timedelta  # the first FOLLOWUP_AFTER: when citizens were told they would hear
    retention: timedelta = timedelta(days=90)  # RETENTION_DAYS
    count_follow_ups: Callable[[int], None] = lambda _queued: None  # the follow-ups sent counter of /metrics


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
        ctx.count_follow_ups(queued)
        log.info("queued %s follow-ups", queued)
        ctx.wake_delivery()
    return queued


async def close_polls(ctx: JobContext) -> int:
    """Close the polls whose time has come and queue their results to the people who
    answered (claimed like follow-ups: once, and one due while the bot was down at the next
    run). Returns how many results it queued."""

    def run() -> int:
        with Session(ctx.database) as session, session.begin():
            return close_due(session, now=ctx.clock(), notices=ctx.notices)

    queued = await _with_database(ctx, run) or 0
    if queued:
        log.info("queued the results of closed polls to %s people", queued)
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


async def refresh_estimates(ctx: JobContext) -> bool | None:
    """A minute after start and then hourly: recompute the per-category time estimates in a
    short-lived child process (`python -m bot.operations.survival`), so this process never
    loads lifelines and pandas. The child reads the history and writes the table itself; the
    database URL goes in its environment, not its command line. Nothing is started while the
    kept figures are less than half an hour old (a restart) or there is nothing to compute:
    returns None then, else whether it succeeded. A failure is logged, the kept figures stay
    in use, and the next run tries again."""

    def due() -> bool:
        with Session(ctx.database) as session:
            # Half the period: an hourly run always finds the last one older than that.
            return estimates.refresh_due(session, now=ctx.clock(), every=ESTIMATES_EVERY / 2)

    if not await _with_database(ctx, due):
        return None
    environment = {**os.environ, "DATABASE_URL": ctx.database.url.render_as_string(hide_password=False)}
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.operations.survival", "--now", ctx.clock().isoformat(),
        env=environment, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        code = await asyncio.wait_for(child.wait(), ESTIMATES_TIMEOUT.total_seconds())
    except TimeoutError:
        code = None
    finally:
        if child.returncode is None:  # timed out, or the scheduler is stopping
            child.kill()
    if code != 0:
        why = "timed out" if code is None else f"exit status {code}"
        log.warning("the time estimates were not refreshed (%s)", why)
    return code == 0
async def overdue_cards(ctx: JobContext) -> int:
    """Daily: each team's chat gets a card of its submissions past the day their senders were
    promised news (as the console's "overdue" filter). Missed in an outage: tomorrow's run."""

    def run() -> int:
        now = ctx.clock()
        before = overdue_cutoff(now, ctx.promised_after, ctx.zone)
        with Session(ctx.database) as session, session.begin():
            return ctx.routing.overdue_cards(session, before=before, now=now, zone=ctx.zone)

    queued = await _with_database(ctx, run) or 0
    if queued:
        log.info("queued overdue cards for %s teams", queued)
        ctx.wake_delivery()
    return queued
