"""The scheduler: APScheduler 3 with its jobs in the application database, so follow-ups
survive restarts. One process leads it (a PostgreSQL advisory lock; SQLite has one process).

Follow-up rows (storage/followups.py) are the truth, written in the submission's own
transaction; a job "follow-up:<id>" is only their timer. After a commit the process adds
the timers ("arms" them) at once when it leads, and the leader sweeps for rows nobody
armed (written by another process, or before a crash), so a follow-up is never lost, and
taking the row (pending -> sent) makes it fire once.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable, Sequence

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.executors.base import run_coroutine_job
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlmodel import Session

from bot.scheduling import jobs
from bot.config import Settings
from bot.runtime.election import elected
from bot.runtime.outage import Outage, is_database_outage
from bot.outbound.notices import Notices
from storage import followups
from storage.followups import Due
from storage.db import create_db_engine

log = logging.getLogger(__name__)
JOB_TABLE = "apscheduler_jobs"


class _JobWithContext:
    """A job as APScheduler's coroutine runner reads it: calling the job function with its
    stored ids gives the work, which then runs with the context."""

    def __init__(self, job: Job, context: jobs.JobContext) -> None:
        async def run(*args: Any, **kwargs: Any) -> None:
            await job.func(*args, **kwargs)(context)

        self.id = job.id
        self.func = run
        self.args = job.args
        self.kwargs = job.kwargs
        self.misfire_grace_time = job.misfire_grace_time
        self._name = str(job)

    def __str__(self) -> str:
        return self._name


class ContextExecutor(AsyncIOExecutor):
    """Runs our jobs (bot/jobs.py) on the event loop, handing their work the JobContext."""

    def __init__(self, context: jobs.JobContext) -> None:
        super().__init__()
        self._context = context

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        def done(task: asyncio.Task[Any]) -> None:
            self._pending_futures.discard(task)
            try:
                events = task.result()
            except BaseException:  # noqa: BLE001 - reported to APScheduler's listeners, as it does
                self._run_job_error(job.id, *sys.exc_info()[1:])
            else:
                self._run_job_success(job.id, events)

        runner = run_coroutine_job(_JobWithContext(job, self._context), job._jobstore_alias, run_times, self._logger.name)
        task = self._eventloop.create_task(runner)
        task.add_done_callback(done)
        self._pending_futures.add(task)


def follow_up_job_id(follow_up_id: int) -> str:
    return f"follow-up:{follow_up_id}"


@dataclass
class Scheduler:
    database: Engine
    settings: Settings
    notices: Notices
    clock: Callable[[], datetime]
    blocking: Callable[..., Awaitable[Any]]
    sweep_every: float = 30.0  # seconds between looks for follow-ups nobody armed
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # between tries while the database is down

    def __post_init__(self) -> None:
        self._running: AsyncIOScheduler | None = None  # set while this process leads
        self.leading = asyncio.Event()  # set once leading, with every pending follow-up armed

    async def run(self, *, wake_delivery: Callable[[], None] = lambda: None) -> None:
        """Lead the scheduler (once elected) until the task is cancelled. A database that
        cannot be used at the start (locked, full, restarting) is waited for with backoff."""
        outage = Outage("the database (scheduler)", log, sleep=lambda seconds: self.sleep(seconds))
        while True:
            try:
                await self._lead(wake_delivery, outage)
            except Exception as error:
                if not is_database_outage(error):
                    raise
                await outage.failed(error)

    async def _lead(self, wake_delivery: Callable[[], None], outage: Outage) -> None:
        never = asyncio.Event()  # stopping is by cancelling this task
        async with elected(self.database, "scheduler", stopping=never, blocking=self.blocking):
            scheduler = self._build(wake_delivery)
            scheduler.start()
            try:
                self._running = scheduler
                await self.blocking(self._arm_all_pending, scheduler)
                self._add_recurring(scheduler)
                outage.succeeded()
                log.info("scheduler started with %s jobs", len(scheduler.get_jobs()))
                self.leading.set()
                await never.wait()
            finally:
                self.leading.clear()
                self._running = None
                scheduler.shutdown(wait=False)

    def arm(self, follow_ups: Sequence[Due]) -> None:
        """Add timers for follow-ups just committed, when this process leads the scheduler
        (otherwise the leader's sweep arms them). Safe from any thread."""
        scheduler = self._running
        if scheduler is not None and follow_ups:
            self._arm(scheduler, follow_ups)

    def arm_unarmed(self) -> None:
        scheduler = self._running
        if scheduler is None:
            return
        with Session(self.database) as session:
            rows = followups.unarmed(session)
        self._arm(scheduler, rows)

    def _arm_all_pending(self, scheduler: AsyncIOScheduler) -> None:
        """At start: every pending follow-up gets its timer back, whatever `armed` says (a
        timer taken by a process that died before sending is gone from the job table)."""
        with Session(self.database) as session:
            rows = followups.pending(session)
        timers = {job.id for job in scheduler.get_jobs()}
        missing = [row for row in rows if follow_up_job_id(row.id) not in timers]
        self._arm(scheduler, missing)
        if missing:
            log.info("armed %s follow-ups", len(missing))

    def _arm(self, scheduler: AsyncIOScheduler, rows: Sequence[Due]) -> None:
        for row in rows:
            scheduler.add_job(
                jobs.follow_up,
                DateTrigger(run_date=row.due_at),
                args=[row.id],
                id=follow_up_job_id(row.id),
                replace_existing=True,
            )
        with Session(self.database) as session, session.begin():
            followups.mark_armed(session, ids=[row.id for row in rows])

    def _build(self, wake_delivery: Callable[[], None]) -> AsyncIOScheduler:
        context = jobs.JobContext(
            database=self.database,
            blocking=self.blocking,
            clock=self.clock,
            notices=self.notices,
            zone=self.settings.zone,
            scheduler=self,
            wake_delivery=wake_delivery,
        )
        # The job store gets an engine of its own: it disposes of it when the scheduler shuts down.
        own_engine = create_db_engine(self.database.url.render_as_string(hide_password=False))
        return AsyncIOScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=own_engine, tablename=JOB_TABLE)},
            executors={"default": ContextExecutor(context)},
            # However late (the bot was down), a job still runs, once.
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=self.settings.zone,
        )

    def _add_recurring(self, scheduler: AsyncIOScheduler) -> None:
        at = self.settings.digest_time
        weekly = CronTrigger(day_of_week=self.settings.digest_day, hour=at.hour, minute=at.minute, timezone=self.settings.zone)
        scheduler.add_job(jobs.weekly_digest, weekly, id="weekly-digest", replace_existing=True)
        sweep = IntervalTrigger(seconds=self.sweep_every)
        scheduler.add_job(jobs.arm_follow_ups, sweep, id="arm-follow-ups", replace_existing=True)
        daily = CronTrigger(hour=4, minute=0, timezone=self.settings.zone)
        scheduler.add_job(jobs.prune_processed_events, daily, id="prune-processed-events", replace_existing=True)

