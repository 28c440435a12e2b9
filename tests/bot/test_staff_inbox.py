"""Staff work through submissions in the chat (/inbox in Telegram): open one, see its text,
language, supporters and history, move it on with a note; the submitter and a supporter are
told through the fake Telegram server. Anyone else is refused politely."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import pytest
from sqlmodel import Session

from bot.app import App
from storage import submissions
from tests.bot.test_status_changes import ANA, BOB, CID, change, report
from tests.bot.test_telegram_channel import press, reply_to, serving, text_update
from tests.conftest import AppFactory, Clock, Cocreate
from tests.fakes.telegram_api import FakeTelegram

DESCRIPTION = "Broken swing in Elm Park playground"
pytestmark = pytest.mark.telegram(staff=(f"telegram:{CID}",))


@pytest.mark.postgres
def test_staff_move_a_submission_on_from_the_chat_and_people_are_told(app: App, fake: FakeTelegram) -> None:
    report(app, ANA, DESCRIPTION)

    async def scenario() -> tuple[dict, dict, dict, dict]:
        async with serving(app):
            for person in (BOB, CID):
                await reply_to(fake, press(await reply_to(fake, text_update("/start", person), person), "I agree", person), person)
            with Session(app.database) as session, session.begin():
                submissions.add_support(session, citizen_id=2, kind="problem", target_id=1)  # BOB supports P-1
            refused = await reply_to(fake, text_update("/inbox", BOB), BOB)
            inbox = await reply_to(fake, text_update("/inbox", CID), CID)
            opened = await reply_to(fake, press(inbox, f"P-1 — {DESCRIPTION} (new)", CID), CID)
            asked = await reply_to(fake, press(opened, "accepted", CID), CID)
            done = await reply_to(fake, text_update("The parks team will replace it in spring", CID), CID)
            for person in (ANA, BOB):
                await asyncio.to_thread(fake.wait_until, lambda f, p=person: any("now accepted" in m["text"] for m in f.sent(p)))
            return refused, opened, asked, done

    refused, opened, asked, done = asyncio.run(scenario())
    assert refused["text"].startswith("Sorry, that command is only for the city team.")
    assert opened["text"].startswith(f"P-1 — {DESCRIPTION}\nStage: new · language: en · supporters: 1\n\n{DESCRIPTION}")
    # Who made each change, by name where the person has one (the reporter wrote without).
    assert "History:\n• " in opened["text"] and f"new (telegram:{ANA})" in opened["text"]
    labels = [b["text"] for row in opened["reply_markup"]["inline_keyboard"] for b in row]
    assert labels[:2] == ["under review", "accepted"] and "Add a note only" in labels and "new" not in labels
    assert asked["text"].startswith("Add a note the people concerned will read")
    assert done["text"].startswith("Done: P-1 has moved on; people told: 2.")
    assert "new → accepted (Alice, telegram) — “The parks team will replace it in spring”" in done["text"]
    (news,) = [m for m in fake.sent(ANA) if "now accepted" in m["text"]]
    assert "“The parks team will replace it in spring”" in news["text"]


def test_declining_from_the_chat_asks_for_the_reason(app: App, fake: FakeTelegram) -> None:
    report(app, ANA, DESCRIPTION)

    async def scenario() -> tuple[dict, dict]:
        async with serving(app):
            await reply_to(fake, press(await reply_to(fake, text_update("/start", CID), CID), "I agree", CID), CID)
            inbox = await reply_to(fake, text_update("/inbox", CID), CID)
            opened = await reply_to(fake, press(inbox, f"P-1 — {DESCRIPTION} (new)", CID), CID)
            asked = await reply_to(fake, press(opened, "declined", CID), CID)
            done = await reply_to(fake, text_update("The playground is being rebuilt next year", CID), CID)
            return asked, done

    asked, done = asyncio.run(scenario())
    with Session(app.database) as session:
        summary = submissions.summary_of(session, kind="problem", id=1)
    assert asked["text"].startswith("Why is it declined?")
    assert "Skip" not in [b["text"] for row in asked.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
    assert done["text"].startswith("Done: P-1 has moved on; people told: 1.")
    assert summary is not None and summary.status == "declined"


def test_quiet_hours_hold_notifications_but_never_replies(app_factory: AppFactory, fake: FakeTelegram) -> None:
    clock = Clock(datetime(2026, 11, 28, 22, 30, tzinfo=timezone.utc))  # 23:30 in Madrid
    app = app_factory(quiet_hours="21:00-08:00", timezone="Europe/Madrid", clock=clock)
    report(app, ANA, DESCRIPTION)
    change(app, "P-1", "accepted")

    async def scenario() -> tuple[dict, list[str], dict]:
        async with serving(app) as channel:
            fake.push(text_update("/my", ANA))
            await asyncio.to_thread(fake.wait_until, lambda f: any(m["text"].startswith("Your sub") for m in f.sent(ANA)))
            answered = next(m for m in fake.sent(ANA) if m["text"].startswith("Your sub"))
            await channel.worker.drain()
            during_quiet_hours = [m["text"] for m in fake.sent(ANA)]
            clock.now = datetime(2026, 11, 29, 7, 0, 1, tzinfo=timezone.utc)  # 08:00:01 in Madrid
            channel.worker.wake.set()
            await asyncio.to_thread(fake.wait_until, lambda f: any("now accepted" in m["text"] for m in f.sent(ANA)))
            return answered, during_quiet_hours, fake.sent(ANA)[-1]

    answered, during_quiet_hours, news = asyncio.run(scenario())
    assert answered["text"].startswith("Your submissions:")
    assert not any("now accepted" in text for text in during_quiet_hours)
    assert "now accepted" in news["text"]


def test_staff_hide_and_approve_from_the_inbox_buttons_and_the_author_is_told_why(
    app: App, fake: FakeTelegram, cocreate: Cocreate
) -> None:
    """/inbox's Hide and Approve buttons: hidden, the problem leaves the list other residents
    pick from and its author reads the note; approved, it is back."""
    report(app, ANA, DESCRIPTION)

    async def offered_to_bob() -> str:
        roles = await reply_to(fake, text_update("/role", BOB), BOB)
        action = await reply_to(fake, press(roles, "Ideator — suggest a solution to a known problem", BOB), BOB)
        listed = await reply_to(fake, press(action, "Propose an idea", BOB), BOB)
        return f"{listed['text']} {listed.get('reply_markup')}"

    async def scenario() -> tuple[str, dict, dict, dict, str, dict, str]:
        async with serving(app):
            for person in (BOB, CID):
                await reply_to(fake, press(await reply_to(fake, text_update("/start", person), person), "I agree", person), person)
            before = await offered_to_bob()
            inbox = await reply_to(fake, text_update("/inbox", CID), CID)
            opened = await reply_to(fake, press(inbox, f"P-1 — {DESCRIPTION} (new)", CID), CID)
            asked = await reply_to(fake, press(opened, "Hide from residents", CID), CID)
            told = len(fake.sent(ANA))
            hidden = await reply_to(fake, text_update("It names a child at the school", CID), CID)
            (notice, *_) = (await asyncio.to_thread(fake.wait_for_messages, told + 1, ANA))[told:]
            while_hidden = await offered_to_bob()
            approved = await reply_to(fake, press(hidden, "Approve: show to residents", CID), CID)
            return before, asked, hidden, notice, while_hidden, approved, await offered_to_bob()

    before, asked, hidden, notice, while_hidden, approved, after = asyncio.run(scenario())
    assert "P-1" in before and DESCRIPTION in before
    assert asked["text"].startswith("Why is it hidden? The submitter is told politely")
    assert hidden["text"].startswith("Done: P-1 is hidden from other residents, and its submitter was told.")
    assert "Seen by residents: no: hidden" in hidden["text"]  # the details shown again say so
    assert "The city team has hidden this from other residents" in notice["text"]
    assert "Their note: It names a child at the school" in notice["text"]
    assert "P-1" not in while_hidden and "No open problems are listed yet" in while_hidden
    assert approved["text"].startswith("Done: P-1 is approved and shown to other residents.")
    assert "P-1" in after and DESCRIPTION in after
    audited = [json.loads(line) for line in cocreate("audit", "--json").stdout.splitlines()]
    assert [(r["via"], r["actor"], r["action"], r["target"], r["detail"]) for r in audited] == [
        ("chat", f"telegram:{CID}", "approve", "P-1", ""),
        ("chat", f"telegram:{CID}", "hide", "P-1", "It names a child at the school"),
    ]
