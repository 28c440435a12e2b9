"""A poll through Telegram end to end: the real python-telegram-bot against the fake Bot API
on 127.0.0.1. Buttons pressed, a label typed, an answer changed, "Other" written, the poll closed by staff,
results delivered with an area's figures only where 5 or more of it answered; and a poll
that fell due while the bot was down closes when its scheduler starts."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import Session, col

from bot.app import App
from bot.operations import polling
from conversations.messages import Address
from storage import citizens, polls
from storage.models import OutboxMessage
from storage.broadcasts import Audience
from storage.poll_models import Poll
from tests.bot.test_telegram_channel import press, reply_to, serving, text_update
from tests.conftest import Cocreate
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.telegram
NORTH = [400_001 + n for n in range(5)]
SOUTH = 400_100
QUESTION = "Should the Saturday market move to Sundays?"


def followers(app: App) -> None:
    """Five people following roads in Peñarol Norte, one in Centro (in Spanish)."""
    with Session(app.database) as session, session.begin():
        for user_id, area, language in [*((n, "Peñarol Norte", "en") for n in NORTH), (SOUTH, "Centro", "es")]:
            person = citizens.citizen_for(session, address=Address("telegram", str(user_id), str(user_id)))
            person.role, person.language, person.consented_at = "diffuser", language, app.clock()
            session.add(person)
            session.flush()
            citizens.subscribe(session, citizen_id=person.id, topics=("roads",), area=area)


def queue_poll(app: App, *, closes_in: timedelta) -> Poll:
    texts = polling.PollTexts(
        {"en": QUESTION, "es": "¿Pasamos el mercado al domingo?"}, {"en": ["Yes", "No"], "es": ["Sí", "No"]},
        {"en": "The council decides in May.", "es": "El concejo decide en mayo."},
    )  # fmt: skip
    with Session(app.database, expire_on_commit=False) as session, session.begin():
        return polling.queue(
            session, texts=texts, other=True, closes_at=app.clock() + closes_in, audience=Audience(), created_by="test",
            now=app.clock(), catalogs=app.catalogs, settings=app.service.settings, zone=app.settings.zone, via="cli",
        )  # fmt: skip


def last(fake: FakeTelegram, chat: int) -> dict[str, Any]:
    return fake.sent(chat)[-1]


def test_buttons_change_other_and_results_through_telegram(app: App, fake: FakeTelegram, cocreate: Cocreate) -> None:
    followers(app)
    poll = queue_poll(app, closes_in=timedelta(days=3))

    async def scenario() -> None:
        async with serving(app):
            for chat in (*NORTH, SOUTH):
                await asyncio.to_thread(fake.wait_for_messages, 1, chat)
            asked = last(fake, NORTH[0])
            assert QUESTION in asked["text"]
            assert [b["text"] for row in asked["reply_markup"]["inline_keyboard"] for b in row] == ["Yes", "No", "Other"]
            thanks = await reply_to(fake, press(asked, "Yes", NORTH[0]), NORTH[0])
            assert thanks["text"].startswith("Thank you! Your answer: Yes.")
            changed = await reply_to(fake, press(thanks, "No", NORTH[0]), NORTH[0])  # the confirmation's buttons
            assert changed["text"].startswith("Changed — your answer is now: No.")
            for chat in NORTH[1:3]:
                await reply_to(fake, press(last(fake, chat), "Yes", chat), chat)
            await reply_to(fake, text_update("/start", NORTH[3]), NORTH[3])  # "What would you like to do?"
            typed = await reply_to(fake, text_update("yes", NORTH[3]), NORTH[3])  # no role: the poll's label
            assert typed["text"].startswith("Thank you! Your answer: Yes.")
            ask_other = await reply_to(fake, press(last(fake, NORTH[4]), "Other", NORTH[4]), NORTH[4])
            assert ask_other["text"].startswith("What would you answer?")
            before = len(fake.sent(NORTH[4]))
            fake.push(text_update("Every <other> Sunday", NORTH[4]))
            answered = await asyncio.to_thread(fake.wait_for_messages, before + 2, NORTH[4])
            assert any("Your answer: Every &lt;other&gt; Sunday." in m["text"] for m in answered[before:])
            spanish = await reply_to(fake, press(last(fake, SOUTH), "Sí", SOUTH, "es"), SOUTH)
            assert spanish["text"].startswith("¡Gracias! Tu respuesta: Sí.")

            closed = await asyncio.to_thread(cocreate, "polls", f"B-{poll.broadcast_id}", "--close")
            assert closed.exit_code == 0 and "results queued for 6 people" in closed.output, closed.output
            await asyncio.to_thread(fake.wait_until, lambda f: "6 people answered" in last(f, NORTH[1])["text"])
            result = last(fake, NORTH[1])["text"]
            assert "Yes: 67% (4)" in result and "In Peñarol Norte (5 people):" in result
            assert "The council decides in May." in result
            await asyncio.to_thread(fake.wait_until, lambda f: "Respondieron 6 personas" in last(f, SOUTH)["text"])
            assert "Centro" not in last(fake, SOUTH)["text"]  # one person in Centro: no figures of theirs

            late = await reply_to(fake, press(asked, "Yes", NORTH[2]), NORTH[2])
            assert "this poll has closed" in late["text"]

    asyncio.run(scenario())
    with Session(app.database) as session:
        assert len(polls.tallies(session, poll_id=poll.broadcast_id)) == 4  # (Yes,en), (No,en), (Other,en), (Yes,es)


def test_a_poll_due_while_the_bot_was_down_closes_when_the_scheduler_starts(app: App, fake: FakeTelegram) -> None:
    followers(app)
    poll = queue_poll(app, closes_in=timedelta(seconds=-1))  # its time passed while nothing ran
    with Session(app.database) as session, session.begin():
        for chat in NORTH:
            person = citizens.citizen_for(session, address=Address("telegram", str(chat), str(chat)))
            polls.record_response(session, poll_id=poll.broadcast_id, citizen_id=person.id, option=0, other_text=None,
                                  language="en", area="Peñarol Norte", now=app.clock())  # fmt: skip
        sent = update(OutboxMessage).where(col(OutboxMessage.broadcast_id) == poll.broadcast_id)
        session.execute(sent.values(status="sent", sent_at=app.clock()))  # it went out before the bot went down

    async def scenario() -> None:
        async with serving(app, scheduler=True):
            await asyncio.to_thread(fake.wait_until, lambda f: all(
                any("5 people answered" in m["text"] for m in f.sent(c)) for c in NORTH))  # fmt: skip

    asyncio.run(scenario())
    assert not fake.sent(SOUTH)  # did not answer: no results
    with Session(app.database) as session:
        found = polls.poll(session, poll_id=poll.broadcast_id)
        assert found is not None and found.closed_at is not None and found.results_sent_at is not None
