"""Telegram end to end: the real python-telegram-bot against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
from dataclasses import replace
import copy
import json
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import httpx
import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.outbound.ratelimit import UNLIMITED
from bot.channels.telegram_channel import TelegramChannel
from conversations.messages import Address, Outbound
from storage import outbox
from storage.models import Citizen, OutboxMessage, Problem
from tests.conftest import AppFactory
from tests.fakes.telegram_api import FakeTelegram, fixture

ALICE = 111111
pytestmark = pytest.mark.telegram


def text_update(text: str, user_id: int = ALICE, language: str = "en") -> dict[str, Any]:
    """A text message from the fixtures, from this person, whose app is set to `language`
    (the recorded payloads come from a Spanish app)."""
    update = copy.deepcopy(fixture("update_text"))
    del update["update_id"]
    update["message"]["text"] = text
    update["message"]["from"]["id"] = update["message"]["chat"]["id"] = user_id
    update["message"]["from"]["language_code"] = language
    return update


def press(sent: dict[str, Any], label: str, user_id: int = ALICE, language: str = "en") -> dict[str, Any]:
    """Press the button with this label on a message the bot sent."""
    buttons = [b for row in sent["reply_markup"]["inline_keyboard"] for b in row]
    button = next(b for b in buttons if b["text"] == label)
    update = copy.deepcopy(fixture("update_callback_query"))
    del update["update_id"]
    query = update["callback_query"]
    query["data"] = button["callback_data"]
    query["from"]["id"] = query["message"]["chat"]["id"] = user_id
    query["from"]["language_code"] = language
    query["message"]["text"] = sent["text"]
    query["message"]["reply_markup"] = sent["reply_markup"]
    return update


def with_content(kind: str, user_id: int = ALICE) -> dict[str, Any]:
    """A location, photo or sticker message from the fixtures, sent by this person."""
    update = copy.deepcopy(fixture(f"update_{kind}"))
    del update["update_id"]
    update["message"]["from"]["id"] = update["message"]["chat"]["id"] = user_id
    update["message"]["from"]["language_code"] = "en"
    return update


@asynccontextmanager
async def serving(app: App, *, scheduler: bool = False, deliveries: int | None = None) -> AsyncIterator[TelegramChannel]:
    """The Telegram channel receiving and delivering (and the scheduler, when asked), with
    `deliveries` sends in flight at once when given."""
    channel = TelegramChannel.build(app.settings, app.channel_hooks(), limits=UNLIMITED)  # the limits have tests of their own
    if deliveries is not None:  # the worker sizes its slots when it is made
        channel.worker = replace(channel.worker, concurrency=deliveries)
    channel.poll_timeout = 1
    channel.worker.poll_interval = 0.2
    await channel.start()
    polling = asyncio.create_task(channel.poll())
    delivering = asyncio.create_task(channel.worker.run())
    scheduling = asyncio.create_task(app.scheduler.run(wake_delivery=channel.worker.wake.set)) if scheduler else None
    try:
        yield channel
    finally:
        polling.cancel()
        if scheduling is not None:
            scheduling.cancel()
        channel.worker.stop()  # lets the message in flight be recorded
        await asyncio.gather(polling, delivering, *([scheduling] if scheduling else []), return_exceptions=True)
        await channel.stop()


async def reply_to(fake: FakeTelegram, update: dict[str, Any], chat_id: int = ALICE) -> dict[str, Any]:
    """Push an update and wait for the bot's next message to that chat."""
    before = len(fake.sent(chat_id))
    fake.push(update)
    messages = await asyncio.to_thread(fake.wait_for_messages, before + 1, chat_id)
    return messages[before]


def test_a_whole_explorer_dialog_by_buttons_text_location_and_photo(app: App, fake: FakeTelegram) -> None:
    async def scenario() -> None:
        async with serving(app):
            consent = await reply_to(fake, text_update("/start"))
            assert consent["parse_mode"] == "HTML" and "I agree" in json.dumps(consent["reply_markup"])
            roles = await reply_to(fake, press(consent, "I agree"))
            ask = await reply_to(fake, press(roles, "Explorer — report a problem you've noticed"))
            assert ask["text"].startswith("What is the problem?")
            categories = await reply_to(fake, text_update("The <fountain> & the bench are broken"))
            where = await reply_to(fake, press(categories, "Parks and green spaces"))
            assert where["reply_markup"]["keyboard"][0][0]["request_location"] is True
            photo = await reply_to(fake, with_content("location"))
            affected = await reply_to(fake, with_content("photo"))
            summary = await reply_to(fake, press(affected, "My street"))
            assert "Problem: The &lt;fountain&gt; &amp; the bench are broken" in summary["text"]
            assert "Where: shared location (52.52001, 13.40495)" in summary["text"]
            assert photo["text"].startswith("Do you have a photo")
            saved = await reply_to(fake, press(summary, "Confirm"))
            assert saved["text"].startswith("Thank you! Your report is P-1.")
            await asyncio.to_thread(fake.wait_until, lambda f: len(f.calls_of("editMessageText")) >= 5)

    asyncio.run(scenario())
    with Session(app.database) as session:
        problem = session.exec(select(Problem)).one()
    assert (problem.latitude, problem.longitude) == (52.520008, 13.404954)
    assert (problem.photo_file_id, problem.photo_size) == ("AgACAgIAAxkBAAIBlarge", 98000)
    assert problem.description == "The <fountain> & the bench are broken"
    commands = fake.calls_of("setMyCommands")[0].params["commands"]
    assert [c["command"] for c in commands] == ["start", "help", "my", "role", "language", "cancel", "stop", "privacy", "mydata", "forget"]
    # Every press was answered, and its keyboard replaced by the choice.
    assert len(fake.calls_of("answerCallbackQuery")) == 5
    edited = fake.calls_of("editMessageText")[0].params
    assert edited["text"].endswith("✓ I agree") and "reply_markup" not in edited


def test_an_update_delivered_twice_is_handled_once(app: App, fake: FakeTelegram) -> None:
    async def scenario() -> None:
        async with serving(app):
            fake.push(text_update("/start"), copies=2)
            await asyncio.to_thread(fake.wait_for_messages, 1, ALICE)
            await reply_to(fake, text_update("/help"))

    asyncio.run(scenario())
    texts = [m["text"] for m in fake.sent(ALICE)]
    assert len(texts) == 2 and texts[1].startswith("I help you take part")


def test_a_stale_button_and_a_sticker_get_the_current_question_again(app: App, fake: FakeTelegram) -> None:
    async def scenario() -> None:
        async with serving(app):
            consent = await reply_to(fake, text_update("/start"))
            roles = await reply_to(fake, press(consent, "I agree"))
            stale = await reply_to(fake, press(consent, "I agree"))  # the old consent message again
            assert stale["text"].startswith("That button belongs to an earlier question.")
            assert stale["text"].endswith("What would you like to do?")
            await reply_to(fake, press(roles, "Explorer — report a problem you've noticed"))
            sticker = await reply_to(fake, with_content("sticker"))
            assert sticker["text"].startswith("Sorry, I can't use that here. Please answer in words.")
            assert sticker["text"].endswith("(at least 10 characters).")

    asyncio.run(scenario())
    assert len(fake.calls_of("answerCallbackQuery")) == 3


def test_in_a_group_the_bot_answers_once_with_a_link_to_a_private_chat(app: App, fake: FakeTelegram) -> None:
    group = copy.deepcopy(fixture("update_group_command"))
    del group["update_id"]

    async def scenario() -> None:
        async with serving(app):
            invite = await reply_to(fake, group, chat_id=-1001234567890)
            assert "https://t.me/cocreate_bot?start=join" in invite["text"]

    asyncio.run(scenario())
    with Session(app.database) as session:
        assert session.exec(select(Citizen)).all() == []  # nothing about the person is stored


def test_a_rate_limit_is_waited_out_and_the_message_still_arrives(app: App, fake: FakeTelegram) -> None:
    error = fixture("error_429")
    error["parameters"]["retry_after"] = 1
    fake.fail_next("sendMessage", error)

    async def scenario() -> None:
        async with serving(app):
            consent = await reply_to(fake, text_update("/start"))
            assert consent["text"].startswith("Hello!")

    asyncio.run(scenario())
    with Session(app.database) as session:
        row = session.exec(select(OutboxMessage)).one()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(fake.calls_of("sendMessage")) == 2  # the refused try, then the delivery


def test_a_person_who_blocked_the_bot_is_sent_nothing_more(app: App, fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", fixture("error_403_blocked"))

    async def scenario() -> None:
        async with serving(app) as channel:
            fake.push(text_update("/start"))
            await asyncio.to_thread(fake.wait_until, lambda f: len(f.calls_of("sendMessage")) == 1)
            await asyncio.to_thread(_wait_for_status, app, "blocked")
            # A later message the bot starts (say, a notification) is not attempted.
            with Session(app.database) as session, session.begin():
                citizen = session.exec(select(Citizen)).one()
                notification = Outbound("An update on P-1", kind="notification")
                outbox.enqueue(session, address=channel_address(), replies=[notification], citizen_id=citizen.id, now=app.clock())
            channel.worker.wake.set()
            await asyncio.to_thread(_wait_for_status, app, "blocked", 2)

    asyncio.run(scenario())
    assert len(fake.calls_of("sendMessage")) == 1
    with Session(app.database) as session:
        assert session.exec(select(Citizen)).one().unreachable


def channel_address() -> Address:
    return Address("telegram", str(ALICE), str(ALICE))


def _wait_for_status(app: App, status: str, count: int = 1) -> None:
    """Poll the outbox until `count` rows have this status (the worker writes it after the send)."""
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with Session(app.database) as session:
            rows = session.exec(select(OutboxMessage).where(OutboxMessage.status == status)).all()
        if len(rows) >= count:
            return
        time.sleep(0.05)
    raise TimeoutError(f"fewer than {count} outbox rows became {status}")


def test_a_refused_message_is_marked_failed_with_its_error(app: App, fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", fixture("error_400_chat_not_found"))

    async def scenario() -> None:
        async with serving(app):
            fake.push(text_update("/start"))
            await asyncio.to_thread(_wait_for_status, app, "failed")

    asyncio.run(scenario())
    with Session(app.database) as session:
        row = session.exec(select(OutboxMessage)).one()
    assert "chat not found" in row.last_error.lower()


def test_webhook_mode_checks_the_secret(app_factory: AppFactory, fake: FakeTelegram, unused_port: int) -> None:
    app = app_factory(
        telegram_webhook_url="https://bot.example.org/tg-hook", telegram_webhook_secret="s3cret-Token",
        telegram_webhook_port=unused_port,
    )  # fmt: skip

    async def scenario() -> None:
        channel = TelegramChannel.build(app.settings, app.channel_hooks())
        await channel.start()
        tasks = [asyncio.create_task(channel.serve_webhook()), asyncio.create_task(channel.worker.run())]
        await asyncio.to_thread(fake.wait_until, lambda f: bool(f.calls_of("setWebhook")))
        url = f"http://127.0.0.1:{unused_port}/tg-hook"
        update = {**text_update("/start"), "update_id": 900_001}
        async with httpx.AsyncClient() as client:
            wrong = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
            right = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token"})
        assert (wrong.status_code, right.status_code) == (403, 200)
        await asyncio.to_thread(fake.wait_for_messages, 1, ALICE)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await channel.stop()

    asyncio.run(scenario())
    registered = fake.calls_of("setWebhook")[0].params
    assert (registered["url"], registered["secret_token"]) == ("https://bot.example.org/tg-hook", "s3cret-Token")
    assert len(fake.sent(ALICE)) == 1  # the forged request changed nothing


def test_a_malformed_update_is_skipped_and_the_next_one_handled(app: App, fake: FakeTelegram) -> None:
    broken = text_update("/start")
    del broken["message"]["chat"]  # nothing we can answer

    async def scenario() -> None:
        async with serving(app) as channel:
            channel.retry_delay = 0.01
            fake.push(broken)
            consent = await reply_to(fake, text_update("/start"))
            assert consent["text"].startswith("Hello!")

    asyncio.run(scenario())
    assert len(fake.sent(ALICE)) == 1
