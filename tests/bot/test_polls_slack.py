"""A poll through Slack: slack-bolt against the fake Slack Web API on 127.0.0.1. The poll's
Block Kit buttons answer it, typing an option's label changes the answer, and the answer is
kept once per person."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import Session, select

from bot.app import App
from bot.operations import polling
from conversations.messages import Address
from storage import citizens
from storage.broadcasts import Audience
from storage.poll_models import PollResponse
from tests.bot.test_slack_channel import DM, app_clock, fake, next_message, serving, settings_overrides  # noqa: F401
from tests.fakes.slack_api import FakeSlack


def test_a_poll_answered_by_button_and_changed_by_typing_in_slack(app: App, fake: FakeSlack) -> None:  # noqa: F811
    async def scenario() -> None:
        async with serving(app) as slack:
            consent = await next_message(fake, slack.message("hello"))
            await next_message(fake, slack.press(consent, "I agree"))
            await app.blocking(_follow_and_poll, app)
            asked = await asyncio.to_thread(lambda: fake.wait_for_messages(3, DM)[2])
            assert asked["text"].startswith("🗳 A question from the city team")
            thanks = await next_message(fake, slack.press(asked, "Yes"))
            assert thanks["text"].startswith("Thank you! Your answer: Yes.")
            changed = await next_message(fake, slack.message("no"))  # no role is called that: the poll's label
            assert changed["text"].startswith("Changed — your answer is now: No.")

    asyncio.run(scenario())
    with Session(app.database) as session:
        assert session.exec(select(PollResponse.option)).all() == [1]


def _follow_and_poll(app: App) -> None:
    with Session(app.database) as session, session.begin():
        person = citizens.citizen_for(session, address=Address("slack", DM, "U0001"))
        citizens.subscribe(session, citizen_id=person.id, topics=("roads",), area=None)
        polling.queue(
            session, texts=polling.PollTexts({"en": "Move the market to Sundays?"}, {"en": ["Yes", "No"]}), other=False,
            closes_at=app.clock() + timedelta(days=1), audience=Audience(), created_by="test", now=app.clock(),
            catalogs=app.catalogs, settings=app.service.settings, zone=app.settings.zone, via="cli",
        )  # fmt: skip
