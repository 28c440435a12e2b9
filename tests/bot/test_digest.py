"""The weekly digest: each diffuser gets exactly the week's new problems, new ideas and
status changes in the topics they follow, nothing when there is nothing, and one per week."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.scheduling import jobs
from bot.app import App
from bot.operations.digest import due_this_week, send_digests
from conversations.messages import Address
from storage import citizens, submissions
from storage.models import IdeaCreate, OutboxMessage, ProblemCreate, ProcessedEvent, StatusChange
from tests.conftest import Clock

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
DAYS_AGO = {"this week": timedelta(days=2), "last week": timedelta(days=9)}
pytestmark = pytest.mark.postgres


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


def person(session: Session, user: str, topics: tuple[str, ...] = ()) -> int:
    citizen = citizens.citizen_for(session, address=Address("telegram", user, user))
    citizens.give_consent(session, citizen=citizen, display_name=None, language="en", now=NOW)
    session.flush()
    assert citizen.id is not None
    if topics:
        citizens.subscribe(session, citizen_id=citizen.id, topics=topics, area=None)
    return citizen.id


def problem(session: Session, by: int, title: str, category: str, when: str) -> int:
    created = submissions.create_problem(
        session, citizen_id=by, problem_in=ProblemCreate(description=title, title=title, category=category, language="en")
    )
    created.created_at = NOW - DAYS_AGO[when]
    session.flush()
    assert created.id is not None
    return created.id


def idea(session: Session, by: int, problem_id: int, title: str, when: str) -> None:
    idea_in = IdeaCreate(description=title, title=title, benefit="Everyone", language="en", problem_id=problem_id)
    created = submissions.create_idea(session, citizen_id=by, idea_in=idea_in)
    created.created_at = NOW - DAYS_AGO[when]


def moved(session: Session, kind: str, id_: int, status: str, when: str) -> None:
    submissions.change_status(session, kind=kind, id_=id_, status=status, note=None, by="cli")
    session.flush()
    change = session.exec(select(StatusChange).order_by(StatusChange.id.desc())).first()
    assert change is not None
    change.created_at = NOW - DAYS_AGO[when]


def digests(app: App) -> dict[str, str]:
    with Session(app.database) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "notification")).all()
    return {row.chat_id: row.text for row in rows}


def test_each_diffuser_gets_exactly_the_weeks_news_in_their_topics(app: App) -> None:
    with Session(app.database) as session, session.begin():
        reporter = person(session, "100")
        person(session, "201", topics=("roads",))
        person(session, "202", topics=("waste",))  # nothing happened in waste
        person(session, "203", topics=("parks",))  # only old news in parks
        pothole = problem(session, reporter, "Pothole on Main Street", "roads", "this week")
        crossing = problem(session, reporter, "No crossing at the school", "roads", "last week")
        problem(session, reporter, "Broken bench in Elm Park", "parks", "last week")
        idea(session, reporter, crossing, "Paint a zebra crossing", "this week")
        idea(session, reporter, pothole, "An older idea", "last week")
        moved(session, "problem", crossing, "accepted", "this week")
        moved(session, "problem", 3, "under_review", "last week")

    with Session(app.database) as session, session.begin():
        queued = send_digests(session, now=NOW, notices=app.notices, zone=app.settings.zone)

    assert queued == 1
    assert digests(app) == {
        "201": "This week in your topics — ready to pass on:\n\n"
        "New problems:\n• P-1 — Pothole on Main Street\n\n"
        "New ideas:\n• I-1 — Paint a zebra crossing\n\n"
        "What moved:\n• P-2 — No crossing at the school: now accepted\n"
    }


def test_the_digest_goes_once_a_week_even_if_its_job_runs_twice(app: App) -> None:
    with Session(app.database) as session, session.begin():
        reporter = person(session, "100")
        person(session, "201", topics=("roads",))
        problem(session, reporter, "Pothole on Main Street", "roads", "this week")
    for _ in range(2):
        asyncio.run(jobs.weekly_digest(app.scheduler.job_context()))
    with Session(app.database) as session:
        assert len(session.exec(select(OutboxMessage).where(OutboxMessage.kind == "notification")).all()) == 1


def test_a_digest_due_while_the_bot_was_down_goes_out_when_it_comes_back(app: App, clock: Clock) -> None:
    with Session(app.database) as session, session.begin():
        reporter = person(session, "100")
        person(session, "201", topics=("roads",))
        problem(session, reporter, "Pothole on Main Street", "roads", "this week")
    clock.now = NOW + timedelta(days=1, hours=5)  # Tuesday: Monday's 09:00 passed with no scheduler running

    async def start_the_scheduler() -> None:
        queued = asyncio.Event()
        running = asyncio.create_task(app.scheduler.run(wake_delivery=queued.set))
        try:
            await asyncio.wait_for(queued.wait(), timeout=30)
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)

    asyncio.run(start_the_scheduler())
    assert list(digests(app)) == ["201"]


MADRID = ZoneInfo("Europe/Madrid")


@pytest.mark.parametrize(
    ("moment", "zone", "due"),
    [
        (datetime(2026, 11, 30, 8, 59, tzinfo=timezone.utc), timezone.utc, False),  # Monday, before 09:00
        (datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc), timezone.utc, True),
        (datetime(2026, 12, 6, 23, 59, tzinfo=timezone.utc), timezone.utc, True),  # Sunday: the same week
        (datetime(2026, 12, 7, 0, 0, tzinfo=timezone.utc), timezone.utc, False),  # the next week
        (datetime(2026, 11, 30, 8, 30, tzinfo=timezone.utc), MADRID, True),  # 09:30 in Madrid
    ],
)
def test_a_weeks_digest_is_due_from_its_day_and_time_in_the_bots_zone(moment: datetime, zone, due: bool) -> None:
    assert due_this_week(moment, day="mon", at=time(9, 0), zone=zone) is due


def test_processed_event_ids_older_than_a_week_are_pruned(app: App) -> None:
    with Session(app.database) as session, session.begin():
        session.add(ProcessedEvent(channel="telegram", event_id="old", processed_at=NOW - timedelta(days=8)))
        session.add(ProcessedEvent(channel="telegram", event_id="recent", processed_at=NOW - timedelta(days=2)))
    asyncio.run(jobs.prune_processed_events(app.scheduler.job_context()))
    with Session(app.database) as session:
        assert session.exec(select(ProcessedEvent.event_id)).all() == ["recent"]
