"""A message longer than Telegram takes in one goes out as several, and a part that went is
never sent again: the outbox queues each part as its own row, so a 429 on part 2 retries
part 2 only."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.operations import broadcasting
from conversations.messages import MAX_MESSAGE_TEXT, Address, Choice, Outbound, in_parts
from conversations.validation import MAX_BROADCAST_TEXT
from storage import outbox
from storage.models import OutboxMessage
from tests.bot.test_telegram_channel import ALICE, serving
from tests.fakes.telegram_api import FakeTelegram

TOO_MANY = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}
pytestmark = pytest.mark.telegram


def long_reply() -> Outbound:
    lines = [f"Line {n:04d}: " + "x" * 60 for n in range(200)]  # about 14,000 characters
    return Outbound("\n".join(lines), (Choice("home.role|explorer", "Explorer"),))


def test_a_long_message_is_queued_as_parts_with_the_buttons_on_the_last(app: App) -> None:
    with Session(app.database) as session, session.begin():
        outbox.enqueue(session, address=Address("telegram", str(ALICE), str(ALICE)), replies=[long_reply()],
                       citizen_id=None, now=app.clock())  # fmt: skip
    with Session(app.database) as session:
        rows = list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert len(rows) == 4
    assert all(len(row.text) <= MAX_MESSAGE_TEXT for row in rows)
    assert "\n".join(row.text for row in rows) == long_reply().text  # nothing lost, in order
    assert [bool(row.choices) for row in rows] == [False, False, False, True]


def test_a_429_on_part_two_never_sends_part_one_twice(app: App, fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", TOO_MANY, after=1)  # part 1 goes, part 2 is refused once
    with Session(app.database) as session, session.begin():
        outbox.enqueue(session, address=Address("telegram", str(ALICE), str(ALICE)), replies=[long_reply()],
                       citizen_id=None, now=app.clock())  # fmt: skip

    async def scenario() -> None:
        async with serving(app, deliveries=1):
            await asyncio.to_thread(fake.wait_for_messages, 4, ALICE, 30)

    asyncio.run(scenario())
    sent = [m["text"] for m in fake.sent(ALICE)]
    assert sent == [part.text for part in in_parts(long_reply())]  # each part once, in order
    assert fake.scripted_left("sendMessage") == 0  # the 429 did happen


def test_the_longest_broadcast_fits_one_message_in_every_language(app: App) -> None:
    """Broadcasts are queued in bulk, not split: their text is bounded so the message (news
    plus the ready-to-forward copy) always fits one."""
    longest = "y" * MAX_BROADCAST_TEXT
    for language in app.catalogs.languages:
        rendered = broadcasting.message_for(app.catalogs, longest, {})(1, language, False)
        assert len(rendered.text) <= MAX_MESSAGE_TEXT, language
    with pytest.raises(broadcasting.BroadcastTextError, match="at most 1,900"):
        broadcasting.checked_texts({"en": longest + "y"}, settings=app.service.settings)
