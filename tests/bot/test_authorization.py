"""Authorization is checked when the action happens, not only when a dialog begins: a staff
member removed mid-dialog is refused at the next step and taken out of it, and "I shared it"
counts only for a broadcast sent to the person, once. Telegram through python-telegram-bot
against the fake Bot API; the service on a real database; `cocreate staff` in-process."""

from __future__ import annotations

import asyncio
import copy
from dataclasses import replace
from typing import Any

import pytest
from sqlmodel import Session, select

from adapters import telegram
from bot.app import App
from conversations.buttons import BroadcastAction, encode
from conversations.engine import FlowEngine
from conversations.flows import all_steps
from conversations.messages import Address, Choice, Inbound
from conversations.state import State
from storage import broadcasts, citizens, staff, submissions
from storage.models import Broadcast, Reach
from tests.bot.test_audience import queue
from tests.bot.test_status_changes import ANA, CID, report
from tests.bot.test_telegram_channel import ALICE, press, reply_to, serving, text_update
from tests.conftest import Cocreate
from tests.fakes.telegram_api import FakeTelegram

NO_LONGER_STAFF = "Sorry — this is only for the city team, and you're no longer on the staff list, so I've stopped here."
NOT_RECEIVED = "Sorry, I can't find that update among the ones I sent you, so there's nothing to count."
DIFFUSER = 601
pytestmark = pytest.mark.postgres


def staff_command(cocreate: Cocreate, *args: str) -> None:
    """`cocreate staff ...` in this process, on the test's database."""
    result = cocreate("staff", *args)
    assert result.exit_code == 0, result.output


def pressing(sent: dict[str, Any], data: str, user_id: int) -> dict[str, Any]:
    """A press on a message the bot sent, carrying `data` whatever its buttons say (as anyone
    can send with the Bot API's callback data)."""
    update = press(sent, sent["reply_markup"]["inline_keyboard"][0][0]["text"], user_id)
    forged = copy.deepcopy(update)
    forged["callback_query"]["data"] = telegram.callback_data(Choice(data, "forged"))
    return forged


async def join_as_diffuser(fake: FakeTelegram, user_id: int) -> None:
    await reply_to(fake, text_update("/start", user_id), user_id)
    for answer in ("I agree", "4", "1", "Done", "Skip", "Confirm"):
        await reply_to(fake, text_update(answer, user_id), user_id)


# -- staff removed mid-dialog --------------------------------------------------------------


def test_staff_removed_during_the_broadcast_dialog_cannot_send(
    telegram_app: App, fake: FakeTelegram, cocreate: Cocreate
) -> None:
    app = telegram_app
    staff_command(cocreate, "add", f"telegram:{CID}")

    async def scenario() -> dict:
        async with serving(app):
            await join_as_diffuser(fake, DIFFUSER)
            await reply_to(fake, text_update("/start", CID), CID)
            await reply_to(fake, text_update("I agree", CID), CID)
            await reply_to(fake, text_update("/broadcast", CID), CID)
            audience = await reply_to(fake, text_update("Road works on Elm Road start on 3 December", CID), CID)
            preview = await reply_to(fake, press(audience, "All diffusers", CID), CID)
            assert preview["text"].startswith("This will go to All diffusers: 1 recipients.")
            staff_command(cocreate, "remove", f"telegram:{CID}")
            return await reply_to(fake, press(preview, "Send", CID), CID)

    answered = asyncio.run(scenario())
    assert answered["text"].startswith(NO_LONGER_STAFF + " Nothing was sent or changed.")
    assert answered["text"].endswith("What would you like to do?")  # out of the dialog
    with Session(app.database) as session:
        assert session.exec(select(Broadcast)).all() == []


def test_staff_removed_while_in_the_inbox_is_refused_at_the_next_step(
    telegram_app: App, fake: FakeTelegram, cocreate: Cocreate
) -> None:
    app = telegram_app
    report(app, ANA, "Broken swing in Elm Park playground")
    staff_command(cocreate, "add", f"telegram:{CID}")

    async def scenario() -> tuple[dict, dict]:
        async with serving(app):
            await reply_to(fake, text_update("/start", CID), CID)
            await reply_to(fake, text_update("I agree", CID), CID)
            inbox = await reply_to(fake, text_update("/inbox", CID), CID)
            opened = await reply_to(fake, press(inbox, "P-1 — Broken swing in Elm Park playground (new)", CID), CID)
            staff_command(cocreate, "remove", f"telegram:{CID}")
            moved = await reply_to(fake, press(opened, "accepted", CID), CID)
            back = await reply_to(fake, text_update("/back", CID), CID)
            return moved, back

    moved, back = asyncio.run(scenario())
    assert moved["text"].startswith(NO_LONGER_STAFF)
    assert moved["text"].endswith("What would you like to do?")
    assert "P-1" not in back["text"]  # /back does not reopen the inbox either
    with Session(app.database) as session:
        summary = submissions.summary_of(session, kind="problem", id=1)
    assert summary is not None and summary.status == "new"


def test_the_service_queues_no_broadcast_for_someone_no_longer_staff_whatever_the_flow(app: App) -> None:
    """Even a staff dialog that forgot to ask (here: every step unmarked) cannot queue one."""
    unchecked = FlowEngine({key: replace(step, staff_only=False) for key, step in all_steps().items()})
    service = replace(app.service, flows=unchecked)
    sam = Address("telegram", "701", "701")
    with Session(app.database) as session, session.begin():
        staff.add_staff(session, address="telegram:701")
    for n, text in enumerate(("/start", "I agree", "/broadcast", "The library reopens on Monday", "1")):
        service.handle(Inbound(sam, f"sam-{n}", text=text))
    with Session(app.database) as session, session.begin():
        staff.remove_staff(session, address="telegram:701")

    handled = service.handle(Inbound(sam, "sam-send", text="1"))  # Send

    assert [r.text.split(" Nothing")[0] for r in handled.replies] == [NO_LONGER_STAFF]
    with Session(app.database) as session:
        assert session.exec(select(Broadcast)).all() == []


# -- "I shared it" ----------------------------------------------------------------------------


def test_i_shared_it_for_a_broadcast_never_sent_to_the_person_is_answered_politely(
    telegram_app: App, fake: FakeTelegram
) -> None:
    app = telegram_app

    async def scenario() -> tuple[dict, dict]:
        async with serving(app):
            await join_as_diffuser(fake, DIFFUSER)
            await reply_to(fake, text_update("/start"))
            roles = await reply_to(fake, text_update("I agree"))
            queue(app, "Line 7 starts on Monday")  # B-1, to the diffuser only
            await asyncio.to_thread(fake.wait_for_messages, 8, DIFFUSER)
            missing = await reply_to(fake, pressing(roles, encode(BroadcastAction(99, "shared")), ALICE))
            not_hers = await reply_to(fake, pressing(roles, encode(BroadcastAction(1, "shared")), ALICE))
            return missing, not_hers

    missing, not_hers = asyncio.run(scenario())
    for answer in (missing, not_hers):
        assert answer["text"].startswith(NOT_RECEIVED)
        assert answer["text"].endswith("What would you like to do?")  # and the dialog goes on
    with Session(app.database) as session:
        assert session.exec(select(Reach)).all() == []


def test_reach_counts_once_per_person_and_broadcast(telegram_app: App, fake: FakeTelegram) -> None:
    app = telegram_app

    async def scenario() -> tuple[dict, dict, dict, dict]:
        async with serving(app):
            await join_as_diffuser(fake, DIFFUSER)
            queue(app, "Line 7 starts on Monday")
            news = (await asyncio.to_thread(fake.wait_for_messages, 8, DIFFUSER))[-1]
            # Two presses before answering: two questions, one count.
            await reply_to(fake, press(news, "I shared it", DIFFUSER), DIFFUSER)
            await reply_to(fake, press(news, "I shared it", DIFFUSER), DIFFUSER)
            first = await reply_to(fake, text_update("12", DIFFUSER), DIFFUSER)
            second = await reply_to(fake, text_update("20", DIFFUSER), DIFFUSER)
            again = await reply_to(fake, press(news, "I shared it", DIFFUSER), DIFFUSER)
            return first, second, again, news

    first, second, again, news = asyncio.run(scenario())
    assert first["text"].startswith("Thanks — that's about 12 more people who know.")
    assert "About how many people did you share it with?" in first["text"]  # the second press's question
    already = "You've already told me about this update (about 12 people) — thank you! Each update counts once."
    assert second["text"].startswith(already)
    assert again["text"].startswith(already)
    with Session(app.database) as session:
        (report_,) = broadcasts.reports(session)
    assert report_.reach == 12


def test_an_answer_waiting_since_an_older_version_counts_only_for_a_broadcast_sent(app: App) -> None:
    """A conversation saved at "how many people?" for B-99 (pressed before these checks):
    the answer is refused politely, and nothing reaches the database."""
    alice = Address("telegram", "801", "801")
    app.service.handle(Inbound(alice, "a-1", text="/start"))
    app.service.handle(Inbound(alice, "a-2", text="I agree"))
    with Session(app.database) as session, session.begin():
        citizen, conversation = citizens.person_for(session, address=alice)
        waiting = State(step="reach.people", answers={"broadcast_id": 99}, suspended=State(step="home.role").to_json())
        citizens.save_state(session, conversation=conversation, state=waiting.to_json(), now=app.clock())

    handled = app.service.handle(Inbound(alice, "a-3", text="about 40"))

    assert handled.replies[0].text.startswith(NOT_RECEIVED)
    with Session(app.database) as session:
        assert session.exec(select(Reach)).all() == []
