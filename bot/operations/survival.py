"""Per-category time estimates from the status history: Kaplan-Meier curves (lifelines) of
the time from submission to the first response and to done, counting the problems still
open as open so far (right-censored) instead of dropping them, which would make every
estimate look quicker than the city is.

lifelines brings numpy, scipy and pandas (about 100 MB and seconds of import), so it is
imported only inside `quartiles`, and the serving process never calls it: the scheduler runs
`python -m bot.operations.survival` as a short-lived child process (bot/scheduling/jobs.py),
which reads the history from the database and writes storage/estimate_models.py's table;
the engine reads that table through its Lookup. `cocreate stats` computes in its own
process with `compute`."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Sequence

from sqlmodel import Session

from conversations.context import Estimate
from conversations.refs import OPEN_STATUSES
from storage import estimates
from storage.estimates import ProblemHistory

# Problems of the last year: how the city works now, not how it worked years ago.
WINDOW = timedelta(days=365)
DAY = 86400.0


@dataclass
class Spans:
    """Durations in days, each with whether its end was seen (False: censored)."""

    days: list[float] = field(default_factory=list)
    seen: list[bool] = field(default_factory=list)

    def add(self, start: datetime, end: datetime, *, seen: bool) -> None:
        self.days.append(max((end - start).total_seconds(), 0.0) / DAY)
        self.seen.append(seen)


def quartiles(spans: Spans) -> tuple[float | None, float | None]:
    """The 25th and 75th percentiles of the time (in days) on the Kaplan-Meier curve: where
    the estimated share still waiting first falls to 75% and to 25% or below. None where
    the curve never gets there."""
    from lifelines import KaplanMeierFitter  # here only: see the module's docstring
    from lifelines.utils import qth_survival_time

    if not spans.days:
        return None, None
    curve = KaplanMeierFitter().fit(spans.days, event_observed=spans.seen).survival_function_
    found = (float(qth_survival_time(share, curve)) for share in (0.75, 0.25))
    return tuple(value if math.isfinite(value) else None for value in found)  # type: ignore[return-value]


def _done_span(history: ProblemHistory, spans: Spans, now: datetime) -> None:
    if history.done_at is not None:
        spans.add(history.created_at, history.done_at, seen=True)
    elif history.closed_at is not None and history.status in ("declined", "duplicate"):
        # Declined or merged: it will not be fixed as this report, but until then it could
        # have been. Censoring it at that moment keeps what it tells (not done within that
        # long) without claiming it was done (an event) or that it is still waiting (open
        # until now), either of which would bend the curve.
        spans.add(history.created_at, history.closed_at, seen=False)
    else:
        spans.add(history.created_at, now, seen=False)  # still open: it has taken at least this long


def compute(histories: Sequence[ProblemHistory], *, now: datetime) -> list[Estimate]:
    """Each category's figures, by category."""
    first_response: defaultdict[str, Spans] = defaultdict(Spans)
    done: defaultdict[str, Spans] = defaultdict(Spans)
    finished: defaultdict[str, int] = defaultdict(int)
    still_open: defaultdict[str, int] = defaultdict(int)
    for history in histories:
        responded = history.first_response_at
        first_response[history.category].add(history.created_at, responded or now, seen=responded is not None)
        _done_span(history, done[history.category], now)
        finished[history.category] += history.done_at is not None
        still_open[history.category] += history.status in OPEN_STATUSES
    return [
        Estimate(category, finished[category], still_open[category], quartiles(first_response[category]),
                 quartiles(done[category]), now)  # fmt: skip
        for category in sorted(first_response)
    ]


def refresh(session: Session, *, now: datetime) -> list[Estimate]:
    """Compute every category's figures from the history and keep them in place of the old ones."""
    found = compute(estimates.problem_histories(session, since=now - WINDOW), now=now)
    estimates.replace_estimates(session, estimates=found)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """The child process the scheduler starts: DATABASE_URL comes in the environment (never
    on the command line, where `ps` would show a password)."""
    from storage.db import create_db_engine, sqlite_path

    parser = argparse.ArgumentParser(
        prog="python -m bot.operations.survival",
        description="Compute the per-category time estimates of DATABASE_URL's status history and keep them in its "
        "category_estimate table (what `cocreate run`'s scheduler starts every hour).",
    )
    parser.add_argument(
        "--now", type=datetime.fromisoformat, required=True,
        help="the moment open problems are counted to (ISO 8601, with its offset)",
    )  # fmt: skip
    arguments = parser.parse_args(argv)
    if arguments.now.tzinfo is None:
        parser.error("--now needs a UTC offset, e.g. 2026-12-06T21:00:00+00:00")
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("DATABASE_URL is not set: it says which database to compute the estimates of", file=sys.stderr)
        return 2
    database = sqlite_path(url)
    if database is not None and not database.exists():  # opening it would create an empty one
        print(f"DATABASE_URL names {database}, which does not exist", file=sys.stderr)
        return 2
    engine = create_db_engine(url)
    try:
        with Session(engine) as session, session.begin():
            refresh(session, now=arguments.now)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
