"""The scheduler: APScheduler 3's AsyncIOScheduler, on its public API only, leading in one
process (a lease in PostgreSQL, bot/runtime/election.py; SQLite has one process). A leader
that loses its lease pauses: its APScheduler is shut down and it stands by again.

Its jobs are coroutine functions (bot/scheduling/jobs.py), run by APScheduler's own
asyncio executor and kept in its default memory job store: each start builds a new
scheduler and adds them again, so nothing is stored or pickled. The state is in our tables:
- follow-ups, every FOLLOWUP_CHECK_EVERY and once right at start: claims the due follow-up
  rows (storage/followups.py) and queues their messages, like the delivery worker claims
  outbox rows. The rows are the only record of a follow-up, so one that fell due while the
  bot was down goes out at the start, once; even two claimers could not send one twice.
- the per-category time estimates, a minute after start and then hourly, computed in a child
  process (jobs.refresh_estimates) so this process never imports lifelines.
- polls, on the same interval: claims the open polls whose closing time has passed, closes
  them and queues their results (bot/operations/poll_results.py), once, even after a restart.
- the weekly digest, teams' daily overdue cards (at DIGEST_TIME) and the pruning of
  processed event ids, on cron triggers. The digest
  is marked once per ISO week, so at start it also runs when this week's time has passed:
  a digest due while the bot was down goes out when it comes back, once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from bot.config import Settings
from bot.operations.digest import due_this_week
from bot.operations.team_routing import Routing
from bot.outbound.notices import Notices
from bot.runtime.election import Election, LeadershipLost
from bot.runtime.health import BEAT_EVERY
from bot.runtime.metrics import Metrics
from bot.runtime.outage import Outage, is_database_outage
from bot.scheduling import jobs

log = logging.getLogger(__name__)


@dataclass
class Scheduler:
    database: Engine
    settings: Settings
    notices: Notices
    clock: Callable[[], datetime]
    blocking: Callable[..., Awaitable[Any]]
    routing: Routing  # teams' daily overdue cards
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # between tries while the database is down
    # What /metrics and /healthz see of it (bot/runtime/): follow-ups sent, leading, signs of life.
    metrics: Metrics = field(default_factory=Metrics.create)
    beat: Callable[[], None] = lambda: None
    election: Election | None = None  # bot/app.py shares one per process

    def __post_init__(self) -> None:
        if self.election is None:
            self.election = Election(self.database)
        self.leading = asyncio.Event()  # set while this process runs the jobs
        # One outage for the scheduler: electing it and its jobs' database work.
        self.outage = Outage("the database (scheduler)", log, sleep=lambda seconds: self.sleep(seconds))

    def job_context(self, wake_delivery: Callable[[], None] = lambda: None) -> jobs.JobContext:
        """What the jobs work with (tests run the jobs with it directly)."""
        return jobs.JobContext(
            database=self.database,
            blocking=self.blocking,
            clock=self.clock,
            notices=self.notices,
            zone=self.settings.zone,
            wake_delivery=wake_delivery,
            outage=self.outage,
            routing=self.routing,
            promised_after=self.settings.followup_after[0] if self.settings.followup_after else timedelta(0),
            retention=timedelta(days=self.settings.retention_days),
            count_follow_ups=self.metrics.follow_ups_sent.inc,
        )

    async def run(self, *, wake_delivery: Callable[[], None] = lambda: None) -> None:
        """Lead the scheduler (once elected) until the task is cancelled. A database that
        cannot be used at the start (locked, full, restarting) is waited for with backoff."""
        while True:
            try:
                await self._lead(wake_delivery, self.outage)
            except LeadershipLost:
                continue  # paused (the election logged why); stand by and try again
            except Exception as error:
                if not is_database_outage(error):
                    raise
                await self.outage.failed(error)

    async def _lead(self, wake_delivery: Callable[[], None], outage: Outage) -> None:
        never = asyncio.Event()  # stopping is by cancelling this task
        assert self.election is not None
        async with self.election.elected("scheduler", stopping=never):
            scheduler = AsyncIOScheduler(
                # A run that comes late (the loop was busy) still happens, once.
                job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
                timezone=self.settings.zone,
            )
            scheduler.start()
            try:
                self._add_jobs(scheduler, self.job_context(wake_delivery))
                outage.succeeded()
                log.info("scheduler started with %s jobs", len(scheduler.get_jobs()))
                self.leading.set()
                await never.wait()
            finally:
                self.leading.clear()
                scheduler.shutdown(wait=False)

    def _add_jobs(self, scheduler: AsyncIOScheduler, context: jobs.JobContext) -> None:
        zone, at = self.settings.zone, self.settings.digest_time
        every = IntervalTrigger(seconds=self.settings.followup_check_every.total_seconds(), timezone=zone)
        weekly = CronTrigger(day_of_week=self.settings.digest_day, hour=at.hour, minute=at.minute, timezone=zone)
        daily = CronTrigger(hour=4, minute=0, timezone=zone)
        # The first claim right away: follow-ups that fell due while the bot was down go out now.
        scheduler.add_job(jobs.follow_ups, every, next_run_time=datetime.now(zone), id="follow-ups", args=[context])
        scheduler.add_job(jobs.close_polls, every, next_run_time=datetime.now(zone), id="close-polls", args=[context])
        scheduler.add_job(jobs.weekly_digest, weekly, id="weekly-digest", args=[context])
        if due_this_week(self.clock(), day=self.settings.digest_day, at=at, zone=zone):
            # This week's time has passed, perhaps while the bot was down: the digest goes now
            # unless it went already (it is marked once per week).
            scheduler.add_job(jobs.weekly_digest, id="weekly-digest-late", args=[context])
        hourly = IntervalTrigger(seconds=jobs.ESTIMATES_EVERY.total_seconds(), timezone=zone)
        # A minute after start, not at once: the start catches up on follow-ups and delivery first.
        soon = datetime.now(zone) + jobs.ESTIMATES_AFTER_START
        scheduler.add_job(jobs.refresh_estimates, hourly, next_run_time=soon, id="estimates", args=[context])
        scheduler.add_job(jobs.prune_processed_events, daily, id="prune-processed-events", args=[context])
        scheduler.add_job(jobs.apply_retention, daily, id="retention", args=[context])
        every_day = CronTrigger(hour=at.hour, minute=at.minute, timezone=zone)  # at DIGEST_TIME
        scheduler.add_job(jobs.overdue_cards, every_day, id="team-overdue-cards", args=[context])
        scheduler.add_job(self._alive, IntervalTrigger(seconds=BEAT_EVERY, timezone=zone), id="heartbeat")

    async def _alive(self) -> None:
        """A job of its own, so /healthz sees APScheduler still running jobs."""
        self.beat()
