"""Broadcasts and delivery through Telegram: the real python-telegram-bot against the fake
Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlmodel import Session, select

from bot.operations import broadcasting
from bot.app import App
from conversations.messages import Address, Inbound
from storage import broadcasts, citizens
from storage.broadcasts import Audience
from storage.models import Citizen, OutboxMessage
from tests.bot.test_telegram_channel import ALICE, press, reply_to, serving, text_update
from tests.fakes.telegram_api import FakeTelegram, fixture

FIRST_DIFFUSER = 300_000
pytestmark = pytest.mark.telegram(staff=(f"telegram:{ALICE}",))


def diffusers(
    app: App, count: int, topics: tuple[str, ...] = ("roads",), language: str = "en", first: int = FIRST_DIFFUSER
) -> list[int]:
    ids = [first + n for n in range(count)]
    with Session(app.database) as session, session.begin():
        for user_id in ids:
            citizen = citizens.citizen_for(session, address=Address("telegram", str(user_id), str(user_id)))
            citizen.role, citizen.language, citizen.consented_at = "diffuser", language, app.clock()
            session.add(citizen)
            session.flush()
            citizens.subscribe(session, citizen_id=citizen.id, topics=topics, area=None)
    return ids


def queue_broadcast(app: App, text: str = "The bus line 7 starts on Monday") -> int:
    with Session(app.database) as session, session.begin():
        queued = broadcasting.queue(
            session, text=text, audience=Audience(), created_by="test", now=app.clock(), catalogs=app.catalogs,
            settings=app.service.settings, via="cli",
        )  # fmt: skip
        return queued.id


def test_a_reply_overtakes_a_queued_broadcast(app: App, fake: FakeTelegram) -> None:
    diffusers(app, 30)
    queue_broadcast(app)
    app.service.handle(Inbound(Address("telegram", str(ALICE), str(ALICE)), "u1", text="/start"))

    async def scenario() -> None:
        async with serving(app, deliveries=1):  # one at a time, so the order sent is the order claimed
            await asyncio.to_thread(fake.wait_for_messages, 31)

    asyncio.run(scenario())
    assert str(fake.sent()[0]["chat_id"]) == str(ALICE)  # queued last, delivered first


def test_server_errors_are_retried_until_the_message_arrives(app: App, fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", {"ok": False, "error_code": 502, "description": "Bad Gateway"})
    fake.fail_next("sendMessage", {"ok": False, "error_code": 500, "description": "Internal Server Error"})

    async def scenario() -> None:
        async with serving(app) as channel:
            channel.worker.base_backoff = 0.05
            consent = await reply_to(fake, text_update("/start"))
            assert consent["text"].startswith("Hello!")

    asyncio.run(scenario())
    with Session(app.database) as session:
        row = session.exec(select(OutboxMessage)).one()
    assert (row.status, row.attempts) == ("sent", 3)


def test_a_broadcast_to_200_where_3_blocked_the_bot(app: App, fake: FakeTelegram) -> None:
    people = diffusers(app, 200, topics=("roads", "parks"))  # two matching topics: still one message
    blocked = people[10], people[100], people[199]
    for user_id in blocked:
        fake.fail_chat(user_id, fixture("error_403_blocked"))
    broadcast_id = queue_broadcast(app)

    async def scenario() -> None:
        async with serving(app):
            await asyncio.to_thread(fake.wait_for_messages, 197)
            await asyncio.to_thread(
                fake.wait_until, lambda f: len(f.calls_of("sendMessage")) >= 200
            )  # the three refused tries too

    asyncio.run(scenario())
    with Session(app.database) as session:
        (report,) = broadcasts.reports(session, broadcast_id=broadcast_id)
        unreachable = session.exec(select(Citizen.channel_user_id).where(Citizen.unreachable)).all()
    assert (report.recipients, report.sent, report.blocked, report.pending, report.failed) == (200, 197, 3, 0, 0)
    assert Counter(str(m["chat_id"]) for m in fake.sent()) == Counter(str(p) for p in people if p not in blocked)
    assert sorted(unreachable) == sorted(str(b) for b in blocked)
    message = fake.sent()[0]
    assert "— Ready to forward —" in message["text"]
    assert [b[0]["text"] for b in message["reply_markup"]["inline_keyboard"]] == ["I shared it", "Stop these updates"]
    # A later broadcast skips them.
    with Session(app.database) as session:
        sizes = broadcasts.audience_size(session, audience=Audience(), default_language="en")
    assert sizes == {"en": 197}


def test_staff_broadcast_from_the_chat_and_a_diffuser_reports_reach(app: App, fake: FakeTelegram) -> None:
    (diffuser,) = diffusers(app, 1)

    async def scenario() -> None:
        async with serving(app):
            bob = 222_222
            await reply_to(fake, text_update("/start", bob), bob)
            await reply_to(fake, text_update("I agree", bob), bob)
            refused = await reply_to(fake, text_update("/broadcast", bob), bob)
            assert refused["text"].startswith("Sorry, that command is only for the city team.")

            await reply_to(fake, text_update("/start"))
            await reply_to(fake, text_update("I agree"))
            await reply_to(fake, text_update("/broadcast"))
            audience = await reply_to(fake, text_update("Road works on Elm Road start on 3 December"))
            preview = await reply_to(fake, press(audience, "All diffusers"))
            assert preview["text"].startswith("This will go to All diffusers: 1 recipients.")
            queued = await reply_to(fake, press(preview, "Send"))
            assert queued["text"].startswith("Queued B-1 for 1 recipients.")

            news = (await asyncio.to_thread(fake.wait_for_messages, 1, diffuser))[0]
            assert "Road works on Elm Road start on 3 December" in news["text"]
            ask = await reply_to(fake, press(news, "I shared it", diffuser), diffuser)
            assert ask["text"].startswith("Thank you for passing it on!")
            thanks = await reply_to(fake, text_update("about 12", diffuser), diffuser)
            assert thanks["text"].startswith("Thanks — that's about 12 more people who know.")

    asyncio.run(scenario())
    with Session(app.database) as session:
        (report,) = broadcasts.reports(session)
    assert (report.recipients, report.sent, report.reach) == (1, 1, 12)
    assert len(fake.calls_of("answerCallbackQuery")) == 3  # every press was answered
