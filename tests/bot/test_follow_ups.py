"""Follow-ups: scheduled by APScheduler (jobs in the app database), they reach the submitter
through the fake Telegram server when due, say honestly whether anything happened, ask
reporters whether the problem is still there, survive a restart, fire once, and stop once
the submission is closed."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Callable, Iterator

import pytest

from sqlalchemy import text
from sqlmodel import Session, select

from bot.app import App, build_app
from bot.operations.follow_up_messages import send_follow_up
from conversations.messages import Address, Inbound
from storage import submissions
from storage.models import FollowUp, OutboxMessage
from tests.bot.test_status_changes import ANA, BOB, change, report, say
from tests.bot.test_telegram_channel import press, reply_to, serving, telegram_settings
from tests.fakes.telegram_api import FakeTelegram

DESCRIPTION = "Broken swing in Elm Park playground"


def follow_ups_of(fake: FakeTelegram, chat: int) -> list[dict]:
    return [m for m in fake.sent(chat) if "no news yet" in m["text"] or m["text"].startswith("Update on")]


def rows(app: App) -> list[FollowUp]:
    with Session(app.database) as session:
        return list(session.exec(select(FollowUp).order_by(FollowUp.number)))


def english_date(app: App, moment: datetime) -> str:
    return app.catalogs.date("en", moment, app.settings.zone)


@pytest.fixture
def app_with(any_database_url: str, fake: FakeTelegram) -> Iterator[Callable[..., App]]:
    """Builds the app with these settings (on SQLite and PostgreSQL), closed after the test."""
    built: list[App] = []

    def build(**settings: Any) -> App:
        built.append(build_app(telegram_settings(any_database_url, fake, **settings)))
        return built[-1]

    yield build
    for app in built:
        app.close()


def test_follow_ups_fire_when_due_say_no_news_and_record_the_answer(app_with: Callable[..., App], fake: FakeTelegram) -> None:
    app = app_with(followup_after="1s,2s")

    async def scenario() -> str:
        async with serving(app, scheduler=True):
            await app.scheduler.leading.wait()
            await app.blocking(report, app, ANA, DESCRIPTION)
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


def test_a_follow_up_scheduled_before_a_restart_fires_after_it_once(app_with: Callable[..., App], fake: FakeTelegram) -> None:
    first = app_with(followup_after="4s")

    async def before_restart() -> None:
        async with serving(first, scheduler=True):
            await first.scheduler.leading.wait()
            await first.blocking(report, first, ANA, DESCRIPTION)

    asyncio.run(before_restart())
    with first.database.connect() as connection:
        jobs = connection.execute(text("SELECT id FROM apscheduler_jobs WHERE id LIKE 'follow-up:%'")).scalars().all()
    assert jobs == ["follow-up:1"] and [row.status for row in rows(first)] == ["pending"]
    first.close()  # the restart: the second app starts on the same database

    second = app_with(followup_after="4s")

    async def after_restart() -> None:
        async with serving(second, scheduler=True) as channel:
            await asyncio.to_thread(fake.wait_until, lambda f: len(follow_ups_of(f, ANA)) == 1)
            await channel.worker.drain()

    asyncio.run(after_restart())
    assert len(follow_ups_of(fake, ANA)) == 1
    assert [row.status for row in rows(second)] == ["sent"]
    with second.database.connect() as connection:
        left = connection.execute(text("SELECT count(*) FROM apscheduler_jobs WHERE id LIKE 'follow-up:%'")).scalar()
    assert left == 0


def test_news_since_the_last_follow_up_is_reported_with_the_ideas(app_with: Callable[..., App]) -> None:
    app = app_with(followup_after="3d,14d")
    report(app, ANA, DESCRIPTION)
    idea = "Replace the swing seat and check the chains every month"
    say(app, BOB, "/start", "I agree", "2", "1", "1", idea, "Children in Elm Park", "1")
    change(app, "P-1", "accepted", note="The parks team will replace it")
    with Session(app.database) as session, session.begin():
        sent = send_follow_up(session, follow_up_id=1, now=app.clock(), notices=app.notices, zone=app.settings.zone)
    assert sent
    texts = notifications_to(app, ANA)
    # The reporter heard about the idea when it came, then the status change, then the follow-up.
    assert texts[0].startswith(f"Good news about P-1 — {DESCRIPTION}: someone proposed an idea for it, I-1")
    assert texts[-1].startswith(f"Update on P-1 — {DESCRIPTION}: it is accepted, with 0 supporters.\n")
    assert f"Ideas for it:\n• I-1 — {idea}" in texts[-1]
    assert "Next check on" in texts[-1]


def test_closing_a_submission_cancels_its_remaining_follow_ups(app_with: Callable[..., App]) -> None:
    app = app_with(followup_after="3d,14d")
    report(app, ANA, DESCRIPTION)
    assert [row.status for row in rows(app)] == ["pending", "pending"]
    changed = change(app, "P-1", "done", note="Fixed on Tuesday")
    assert changed.cancelled_follow_ups == (1, 2)
    assert [row.status for row in rows(app)] == ["cancelled", "cancelled"]
    with Session(app.database) as session, session.begin():
        assert not send_follow_up(session, follow_up_id=1, now=app.clock(), notices=app.notices, zone=app.settings.zone)
    assert not any("no news" in t or t.startswith("Update on") for t in notifications_to(app, ANA))


def test_my_shows_stage_last_change_and_next_follow_up(app_with: Callable[..., App]) -> None:
    app = app_with(followup_after="3d,14d")
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


def _inbound(user: int, message: str) -> Inbound:
    return Inbound(Address("telegram", str(user), str(user)), f"{user}-{message}-late", text=message)
