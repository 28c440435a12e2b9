"""Follow-ups: the scheduler's claim job sends each one once it is due, through the fake
Telegram server: it says honestly whether anything happened, asks reporters whether the
problem is still there, fires once after a restart (also when it fell due while the bot was
down), never twice even with two claimers, and never once the submission is closed. The
tests move an injected clock; nothing waits for a due time."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.operations.follow_up_messages import send_due_follow_ups
from bot.scheduling import jobs
from conversations.messages import Address, Inbound
from storage import submissions
from storage.models import FollowUp, OutboxMessage
from tests.bot.test_status_changes import ANA, BOB, change, report, say
from tests.bot.test_telegram_channel import press, reply_to, serving
from tests.conftest import AppFactory, Clock
from tests.fakes.telegram_api import FakeTelegram

DESCRIPTION = "Broken swing in Elm Park playground"
CHECK_OFTEN = timedelta(milliseconds=50)  # the claim job's interval while a test serves
pytestmark = [pytest.mark.postgres, pytest.mark.telegram(real_time=False)]  # `clock`, moved by hand


def follow_ups_of(fake: FakeTelegram, chat: int) -> list[dict]:
    return [m for m in fake.sent(chat) if "no news yet" in m["text"] or m["text"].startswith("Update on")]


def rows(app: App) -> list[FollowUp]:
    with Session(app.database) as session:
        return list(session.exec(select(FollowUp).order_by(FollowUp.id)))


def english_date(app: App, moment: datetime) -> str:
    return app.catalogs.date("en", moment, app.settings.zone)


def claim(app: App) -> int:
    """One run of the scheduler's follow-up job, at the app's clock."""
    return asyncio.run(jobs.follow_ups(app.scheduler.job_context()))


def test_follow_ups_fire_when_due_say_no_news_and_record_the_answer(
    app_factory: AppFactory, fake: FakeTelegram, clock: Clock
) -> None:
    app = app_factory(followup_after="3d,14d", followup_check_every=CHECK_OFTEN)

    async def scenario() -> str:
        async with serving(app, scheduler=True):
            await app.scheduler.leading.wait()
            await app.blocking(report, app, ANA, DESCRIPTION)
            clock.now += timedelta(days=3)
            await asyncio.to_thread(fake.wait_until, lambda f: len(follow_ups_of(f, ANA)) == 1)
            clock.now += timedelta(days=11)
            await asyncio.to_thread(fake.wait_until, lambda f: len(follow_ups_of(f, ANA)) == 2)
            answered = await reply_to(fake, press(follow_ups_of(fake, ANA)[1], "Solved", user_id=ANA), ANA)
            return answered["text"]

    answer = asyncio.run(scenario())
    first, second = follow_ups_of(fake, ANA)
    due = rows(app)
    assert [row.status for row in due] == ["sent", "sent"]
    assert all(row.sent_at is not None and row.sent_at >= row.due_at for row in due)  # never early
    assert first["text"] == (
        f"About P-1 — {DESCRIPTION}: no news yet. It is still new.\n"
        f"Next check on {english_date(app, due[1].due_at)}.\nIs it still a problem?"
    )
    assert second["text"].splitlines()[1].startswith("That was the last scheduled check")
    buttons = [b["text"] for row in second["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["Still a problem", "Solved", "Worse"]
    assert answer.startswith("Good to hear! Noted that P-1 looks solved")
    with Session(app.database) as session:
        details = submissions.details(session, kind="problem", id_=1)
    assert details is not None and details.summary.status == "new"  # staff decide; the answer is on record
    assert [(e.note, e.by) for e in details.history][-1] == ("Reporter says it is solved", f"telegram:{ANA}")


def test_a_follow_up_goes_out_when_due_not_before_and_once(app_factory: AppFactory, clock: Clock) -> None:
    app = app_factory(followup_after="3d,14d")
    report(app, ANA, DESCRIPTION)
    start = clock.now
    clock.now = start + timedelta(days=3) - timedelta(seconds=1)
    assert claim(app) == 0
    clock.now = start + timedelta(days=3)
    assert claim(app) == 1
    assert claim(app) == 0  # the job runs again: the first is sent, the second not due
    clock.now = start + timedelta(days=30)
    assert claim(app) == 1
    assert claim(app) == 0
    assert [row.status for row in rows(app)] == ["sent", "sent"]
    assert len(follow_up_notifications(app, ANA)) == 2


def test_a_follow_up_due_while_the_bot_was_down_fires_once_right_after_it_comes_back(
    app_factory: AppFactory, fake: FakeTelegram, clock: Clock
) -> None:
    first = app_factory(followup_after="3d", followup_check_every=CHECK_OFTEN)

    async def before_restart() -> None:
        async with serving(first, scheduler=True):
            await first.scheduler.leading.wait()
            await first.blocking(report, first, ANA, DESCRIPTION)

    asyncio.run(before_restart())
    assert [row.status for row in rows(first)] == ["pending"]
    first.close()  # the restart: the second app starts on the same database, days later
    clock.now += timedelta(days=4)
    # Checking only hourly, the second app sends it in the run it makes as it starts.
    second = app_factory(followup_after="3d", followup_check_every=timedelta(hours=1))

    async def after_restart() -> None:
        async with serving(second, scheduler=True) as channel:
            await asyncio.to_thread(fake.wait_until, lambda f: len(follow_ups_of(f, ANA)) == 1)
            await channel.worker.drain()

    asyncio.run(after_restart())
    assert claim(second) == 0  # nothing left to send
    assert len(follow_ups_of(fake, ANA)) == 1
    assert [row.status for row in rows(second)] == ["sent"]


def test_two_claimers_at_once_never_send_a_follow_up_twice(app_factory: AppFactory, clock: Clock) -> None:
    app = app_factory(followup_after="3d")
    if app.database.dialect.name != "postgresql":
        pytest.skip("SQLite has one scheduler process; SKIP LOCKED claims are PostgreSQL's")
    report(app, ANA, DESCRIPTION)
    report(app, BOB, "Graffiti all over the library wall")
    clock.now += timedelta(days=3)
    common = {"now": clock.now, "notices": app.notices, "zone": app.settings.zone}
    with Session(app.database) as first, first.begin():
        mine = send_due_follow_ups(first, limit=1, **common)
        with Session(app.database) as second, second.begin():  # while the first holds its row
            theirs = send_due_follow_ups(second, limit=10, **common)
    assert (mine, theirs) == (1, 1)
    assert claim(app) == 0
    assert [row.status for row in rows(app)] == ["sent", "sent"]
    assert (len(follow_up_notifications(app, ANA)), len(follow_up_notifications(app, BOB))) == (1, 1)


def test_a_follow_up_that_fails_stays_pending_and_holds_up_no_other(
    app_factory: AppFactory, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_factory(followup_after="3d")
    with Session(app.database) as session, session.begin():  # a row no code can send (a bug's stand-in)
        session.add(FollowUp(kind="petition", target_id=1, number=1, due_at=clock.now, status="pending"))
    report(app, ANA, DESCRIPTION)
    clock.now += timedelta(days=3)
    with caplog.at_level(logging.ERROR):
        assert claim(app) == 1
    assert [(row.kind, row.status) for row in rows(app)] == [("petition", "pending"), ("problem", "sent")]
    assert "follow-up 1 (petition 1) could not be sent" in caplog.text
    assert len(follow_up_notifications(app, ANA)) == 1


def test_news_since_the_last_follow_up_is_reported_with_the_ideas(app_factory: AppFactory, clock: Clock) -> None:
    app = app_factory(followup_after="3d,14d")
    report(app, ANA, DESCRIPTION)
    idea = "Replace the swing seat and check the chains every month"
    say(app, BOB, "/start", "I agree", "2", "1", "1", idea, "Children in Elm Park", "1")
    change(app, "P-1", "accepted", note="The parks team will replace it")
    clock.now += timedelta(days=3)
    assert claim(app) == 2  # P-1's to Ana, I-1's to Bob
    texts = notifications_to(app, ANA)
    # The reporter heard about the idea when it came, then the status change, then the follow-up.
    assert texts[0].startswith(f"Good news about P-1 — {DESCRIPTION}: someone proposed an idea for it, I-1")
    assert texts[-1].startswith(f"Update on P-1 — {DESCRIPTION}: it is accepted, with 0 supporters.\n")
    assert f"Ideas for it:\n• I-1 — {idea}" in texts[-1]
    assert "Next check on" in texts[-1]


def test_closing_a_submission_cancels_its_remaining_follow_ups(app_factory: AppFactory, clock: Clock) -> None:
    app = app_factory(followup_after="3d,14d")
    report(app, ANA, DESCRIPTION)
    assert [row.status for row in rows(app)] == ["pending", "pending"]
    changed = change(app, "P-1", "done", note="Fixed on Tuesday")
    assert changed.cancelled_follow_ups == (1, 2)
    assert [row.status for row in rows(app)] == ["cancelled", "cancelled"]
    clock.now += timedelta(days=30)
    assert claim(app) == 0
    assert [row.status for row in rows(app)] == ["cancelled", "cancelled"]
    assert follow_up_notifications(app, ANA) == []


def test_my_shows_stage_last_change_and_next_follow_up(app_factory: AppFactory) -> None:
    app = app_factory(followup_after="3d,14d")
    report(app, ANA, DESCRIPTION)
    change(app, "P-1", "under_review")
    (my,) = app.service.handle(_inbound(ANA, "/my")).replies
    first_due = rows(app)[0].due_at
    assert f"• P-1 — {DESCRIPTION}\n   Stage: under review · last change: {english_date(app, app.clock())}" in my.text
    assert f"Next update by {english_date(app, first_due)}." in my.text


def notifications_to(app: App, user: int) -> list[str]:
    with Session(app.database) as session:
        statement = select(OutboxMessage.text).where(OutboxMessage.chat_id == str(user), OutboxMessage.kind == "notification")
        return list(session.exec(statement.order_by(OutboxMessage.id)))


def follow_up_notifications(app: App, user: int) -> list[str]:
    """The follow-ups queued for this person (delivered or not)."""
    return [t for t in notifications_to(app, user) if "no news yet" in t or t.startswith("Update on")]


def _inbound(user: int, message: str) -> Inbound:
    return Inbound(Address("telegram", str(user), str(user)), f"{user}-{message}-late", text=message)
