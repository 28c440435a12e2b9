"""Measured reach: a diffuser's copy of a broadcast ends with their personal link, and the
people who start the bot through it (and what they submit) are counted for them. The real
python-telegram-bot against the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.operations import broadcasting
from conversations.messages import Address, Inbound
from storage import reach_links
from storage.broadcasts import Audience
from storage.models import OutboxMessage
from storage.reach_models import ReachLink, ReachStart
from tests.bot.test_broadcast_delivery import diffusers
from tests.bot.test_telegram_channel import press, reply_to, serving, text_update
from tests.conftest import Cocreate
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.telegram(telegram_bot_username="cocreate_bot")
NEWCOMER = 444_444
DEEP_LINK = re.compile(r"https://t\.me/cocreate_bot\?start=([A-Za-z0-9_-]+)")


def queue_broadcast(app: App, text: str = "The bus line 7 starts on Monday") -> int:
    """A broadcast queued as `cocreate broadcast` queues it: with personal links."""
    with Session(app.database) as session, session.begin():
        queued = broadcasting.queue(
            session, text=text, audience=Audience(), created_by="test", now=app.clock(), catalogs=app.catalogs,
            settings=app.service.settings, via="cli", links=app.service.join_links,
        )  # fmt: skip
        assert queued.id is not None
        return queued.id


async def report_a_problem(fake: FakeTelegram, user_id: int, first: str) -> str:
    """A whole Explorer dialog by a new person whose first message is `first`; the receipt."""
    consent = await reply_to(fake, text_update(first, user_id), user_id)
    assert consent["text"].startswith("Hello!")  # welcomed like anyone else
    roles = await reply_to(fake, press(consent, "I agree", user_id), user_id)
    await reply_to(fake, press(roles, "Explorer — report a problem you've noticed", user_id), user_id)
    categories = await reply_to(fake, text_update("The fountain in the park is broken", user_id), user_id)
    where = await reply_to(fake, press(categories, "Parks and green spaces", user_id), user_id)
    photo = await reply_to(fake, text_update("Central park", user_id), user_id)
    affected = await reply_to(fake, press(photo, "Skip", user_id), user_id)
    summary = await reply_to(fake, press(affected, "My street", user_id), user_id)
    saved = await reply_to(fake, press(summary, "Confirm", user_id), user_id)
    assert where and saved
    return str(saved["text"])


def test_a_person_who_starts_through_a_diffusers_link_is_counted_with_what_they_submit(
    app: App, fake: FakeTelegram, cocreate: Cocreate
) -> None:
    (diffuser,) = diffusers(app, 1)
    broadcast_id = queue_broadcast(app)

    async def scenario() -> tuple[str, str]:
        async with serving(app):
            news = (await asyncio.to_thread(fake.wait_for_messages, 1, diffuser))[0]
            found = DEEP_LINK.search(news["text"])
            assert found is not None, news["text"]
            assert news["text"].rstrip().endswith(found.group(0))  # the copy ends with the link
            receipt = await report_a_problem(fake, NEWCOMER, f"/start {found.group(1)}")
            mine = await reply_to(fake, text_update("/my", diffuser), diffuser)
            return receipt, str(mine["text"])

    receipt, mine = asyncio.run(scenario())
    assert receipt.startswith("Thank you! Your report is P-1.")
    with Session(app.database) as session:
        measured = reach_links.measured_by_broadcast(session)
    assert measured[broadcast_id].started == 1 and measured[broadcast_id].submitted == 1
    assert "people who started the bot: 1; what they have sent so far: 1." in mine
    listed = cocreate("broadcasts", COLUMNS="200").output
    header = next(line for line in listed.splitlines() if "┃" in line)  # rich's heavy header line
    row = next(line for line in listed.splitlines() if "B-1" in line)
    cells = dict(zip((c.strip() for c in header.split("┃")), (c.strip() for c in row.split("│"))))
    assert (cells["reach"], cells["started"], cells["submitted"]) == ("0", "1", "1")


def test_a_forged_code_or_a_known_person_counts_nothing(app: App, fake: FakeTelegram) -> None:
    (diffuser,) = diffusers(app, 1)
    queue_broadcast(app)
    with Session(app.database) as session:
        code = session.exec(select(ReachLink.code)).one()
    known = Address("telegram", str(NEWCOMER + 1), str(NEWCOMER + 1))
    app.service.handle(Inbound(known, "k1", text="/start"))

    async def scenario() -> None:
        async with serving(app):
            forged = await reply_to(fake, text_update("/start AAAAAAAAAAAA", NEWCOMER), NEWCOMER)
            assert forged["text"].startswith("Hello!")
            again = await reply_to(fake, text_update(f"/start {code}", NEWCOMER + 1), NEWCOMER + 1)
            assert again["text"].startswith("Hello!")
            own = await reply_to(fake, text_update(f"/start {code}", diffuser), diffuser)
            assert own["text"]

    asyncio.run(scenario())
    with Session(app.database) as session:
        assert session.exec(select(ReachStart)).all() == []


def test_without_a_bot_username_the_link_is_the_public_page(app_factory, fake: FakeTelegram) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(**{**fake.settings(), "telegram_bot_username": "", "web_base_url": "https://city.example"})
    diffusers(app, 1)
    queue_broadcast(app)
    with Session(app.database) as session:
        link = session.exec(select(ReachLink)).one()
        message = session.exec(select(OutboxMessage.text)).one()
    assert len(link.code) >= 12
    assert message.endswith(f"https://city.example/join/{link.code}")
