"""Honest time estimates: Kaplan-Meier over the status history, per category, with the
problems still open counted as open so far (bot/operations/survival.py), kept in a table by
a child process the scheduler starts, and said in a new report's reply, `cocreate stats` and
the console's insights."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlmodel import Session

from bot.app import App
from bot.operations import survival
from conversations.messages import Address
from storage import citizens, estimates, submissions
from storage.models import ProblemCreate
from tests.conftest import FIXED_NOW, Clock, Cocreate
from tests.web.support import BASE, BOSS, client, report, signed_in, visible_text

@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"staff": (BOSS,), "web_base_url": BASE}  # the console test signs in

DAY = timedelta(days=1)
# A problem: (days since it came in, [(days after it came in, status it moved to), ...]).
Case = tuple[float, list[tuple[float, str]]]
# Seven parks problems whose durations a reader can follow by hand (see the test below).
PARKS: list[Case] = [
    (20, [(1, "under_review"), (2, "done")]),
    (3, []),  # still new after 3 days
    (15, [(1, "accepted"), (4, "done")]),
    (30, [(5, "declined")]),
    (25, [(4, "in_progress"), (6, "done")]),
    (40, [(2, "under_review"), (9, "done")]),
    (12, [(2, "under_review")]),  # still open after 12 days
]


def build_history(app: App, category: str, cases: list[Case], *, now: datetime) -> None:
    """Problems of a category with these histories, as of `now`, by one resident."""
    with Session(app.database) as session, session.begin():
        citizen, _ = citizens.person_for(session, address=Address("console", "rita", "rita"))
        assert citizen.id is not None
        for number, (age, moves) in enumerate(cases):
            came_in = now - age * DAY
            text = f"Earlier case number {number}"  # nothing a new report could be a duplicate of
            problem_in = ProblemCreate(description=text, title=text, category=category, language="en")
            problem = submissions.create_problem(session, citizen_id=citizen.id, problem_in=problem_in, now=came_in)
            assert problem.id is not None
            for after, status in moves:
                submissions.change_status(session, kind="problem", id_=problem.id, status=status, note="ok", by="cli:test", now=came_in + after * DAY)


def refreshed(app: App, now: datetime) -> dict[str, estimates.Estimate]:
    with Session(app.database) as session, session.begin():
        survival.refresh(session, now=now)
    with Session(app.database) as session:
        return {estimate.category: estimate for estimate in estimates.all_estimates(session)}


@pytest.mark.postgres
def test_the_middle_half_is_the_kaplan_meier_estimate_worked_out_by_hand(app: App) -> None:
    build_history(app, "parks", PARKS, now=FIXED_NOW)
    parks = refreshed(app, FIXED_NOW)["parks"]
    # To done, in days, sorted; "+" is censored (not done yet when last seen): the two still
    # open at their age now, the declined one when it was declined.
    #   2  3+  4  5+  6  9  12+
    # The product-limit estimate S(t) = product over done times t_i <= t of (1 - d_i / n_i),
    # n_i the problems still waiting just before t_i, d_i the ones done at t_i:
    #   t=2: n=7, d=1  S = 6/7                 = 0.857
    #   t=4: n=5, d=1  S = 6/7 * 4/5   = 24/35 = 0.686  first at or below 0.75: 25th percentile 4
    #   t=6: n=3, d=1  S = 24/35 * 2/3 = 16/35 = 0.457
    #   t=9: n=2, d=1  S = 16/35 * 1/2 =  8/35 = 0.229  first at or below 0.25: 75th percentile 9
    assert parks.done == (4.0, 9.0)
    # To the first response (the first status change away from new; a decline is one):
    #   1  1  2  2  3+  4  5
    #   t=1: n=7, d=2  S = 5/7                 = 0.714  25th percentile 1
    #   t=2: n=5, d=2  S = 5/7 * 3/5   =  3/7  = 0.429
    #   t=4: n=2, d=1  S = 3/7 * 1/2   =  3/14 = 0.214  75th percentile 4
    assert parks.first_response == (1.0, 4.0)
    assert (parks.finished, parks.still_open, parks.computed_at) == (4, 2, FIXED_NOW)
    # Dropping the open ones instead would have said 3 to 7.5 days (the quartiles of 2, 4, 6, 9).


@pytest.mark.postgres
def test_where_three_quarters_are_not_done_only_the_lower_bound_is_known(app: App) -> None:
    quick = [(30.0, [(float(days), "done")]) for days in range(1, 11)]  # ten done in 1..10 days
    slow = [(60.0, [])] * 11  # eleven still open after 60 days
    build_history(app, "roads", quick + slow, now=FIXED_NOW)
    roads = refreshed(app, FIXED_NOW)["roads"]
    # S falls by 1/21 a day: 16/21 = 0.762 after day 5, 15/21 = 0.714 after day 6; it never
    # gets below 11/21 = 0.524, so the 75th percentile is not there.
    assert roads.done == (6.0, None) and roads.finished == 10 and roads.still_open == 11


@pytest.mark.postgres
def test_a_new_report_is_told_how_long_similar_ones_took(app: App, clock: Clock) -> None:
    cases: list[Case] = [(40.0, [(1.0, "under_review"), (float(days), "done")]) for days in (3, 5, 8, 9, 10, 12, 14, 20, 21, 25)]
    build_history(app, "lighting", [*cases, (30.0, [])], now=clock.now)
    refreshed(app, clock.now)
    said = report(app, "ana", "The streetlight on Elm Road has been out for a week")  # category 2: lighting
    assert "Thank you! Your report is P-12. The city team will review it, and I'll tell you where it stands by December 1, 2026 at the latest." in said
    # To done: 3 5 8 9 10 12 14 20 21 25 30+ (eleven, the open one last, so S is the share
    # still waiting): at or below 0.75 from 8 (8/11 = 0.727), at or below 0.25 from 21
    # (2/11 = 0.18; at 20 it is 3/11 = 0.27).
    assert "Similar reports took 8 to 21 days to fix (middle half)." in said


@pytest.mark.postgres
def test_below_ten_done_the_reply_keeps_only_the_follow_up_date(app: App, clock: Clock) -> None:
    build_history(app, "lighting", [(40.0, [(float(days), "done")]) for days in range(1, 10)], now=clock.now)
    assert refreshed(app, clock.now)["lighting"].finished == 9
    said = report(app, "ana", "The streetlight on Elm Road has been out for a week")
    assert "by December 1, 2026 at the latest." in said and "Similar reports" not in said


# On SQLite only (not marked postgres): one real child process is enough.
def test_the_scheduler_job_computes_them_in_a_child_process(app: App) -> None:
    build_history(app, "parks", PARKS, now=FIXED_NOW)
    assert asyncio.run(survival_job(app)) is True
    with Session(app.database) as session:
        parks = estimates.estimate_of(session, category="parks")
    assert parks is not None and parks.done == (4.0, 9.0) and parks.computed_at == FIXED_NOW  # the job's clock


async def survival_job(app: App) -> bool:
    from bot.scheduling import jobs

    return await jobs.refresh_estimates(app.scheduler.job_context())


def test_serving_never_imports_the_statistics_libraries() -> None:
    code = (
        "import sys, bot.app, bot.scheduling.scheduler, bot.web.server, bot.web.insight_pages, bot.channels.telegram_channel;"
        "print(','.join(m for m in ('lifelines', 'pandas', 'numpy', 'scipy') if m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == ""


@pytest.mark.postgres
def test_stats_show_the_middle_half_per_category(cocreate: Cocreate, app: App) -> None:
    # `cocreate stats` computes at its own (real) time: the history is dated from it.
    build_history(app, "parks", PARKS, now=datetime.now(timezone.utc))
    lines = cocreate("stats").stdout.splitlines()
    assert lines[-2].startswith("Time per category, middle half (25th to 75th percentile)")
    assert lines[-1] == "  parks: 4 done, 2 still open; first response 1 to 4 days; done 4 to 9 days"


@pytest.mark.postgres
def test_the_console_shows_the_kept_figures(app: App) -> None:
    build_history(app, "parks", PARKS, now=FIXED_NOW)
    build_history(app, "roads", [(30.0, [(2.0, "done")]), (60.0, [])], now=FIXED_NOW)
    refreshed(app, FIXED_NOW)

    async def staff_reads() -> list[str]:
        async with client(app) as http:
            await signed_in(http, app)
            return [(await http.get(path)).text for path in ("/insights", "/insights/timings.csv", "/insights/cases.csv")]

    page, timings, cases = asyncio.run(staff_reads())
    assert "Computed 2026-11-28 10:00; cocreate run computes it again every hour." in visible_text(page)
    assert timings.splitlines() == [
        "Category,First response: from (days),First response: to (days),Done: from (days),Done: to (days)",
        "Parks and green spaces,1,4,4,9",
        "Roads and pavements,2,not yet,2,not yet",
    ]
    assert cases.splitlines() == ["Category,Done,Still open", "Parks and green spaces,4,2", "Roads and pavements,1,1"]


@pytest.mark.postgres
def test_no_child_process_is_started_for_fresh_figures_or_an_empty_database(app: App, clock: Clock) -> None:
    assert asyncio.run(survival_job(app)) is None  # no problems: nothing to compute
    build_history(app, "parks", PARKS, now=clock.now)
    refreshed(app, clock.now)
    clock.now += timedelta(minutes=20)
    assert asyncio.run(survival_job(app)) is None  # a restart soon after: the kept figures stay
