"""Others see only what is fit to show, end to end: residents in Telegram (python-telegram-bot
against the fake Bot API), staff with `cocreate moderate` and `cocreate people block`."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, func, select

from bot.app import App, utc_now
from storage.models import Citizen, Conversation, OutboxMessage, ProcessedEvent, Problem
from tests.bot.test_telegram_channel import ALICE, press, reply_to, serving, text_update
from tests.conftest import AppFactory, Clock, Cocreate
from tests.fakes.telegram_api import FakeTelegram

BOB = 222222
EXPLORER = "Explorer — report a problem you've noticed"
IDEATOR = "Ideator — suggest a solution to a known problem"
NO_PROBLEMS = "No open problems are listed yet"


# The test's clock: the flood window and the daily limit are read from it.
pytestmark = pytest.mark.telegram(real_time=False)


async def report(fake: FakeTelegram, description: str, user_id: int = ALICE) -> dict[str, Any]:
    """Agree, choose Explorer and describe a problem up to its summary; returns the bot's
    answer to Confirm."""
    consent = await reply_to(fake, text_update("/start", user_id), user_id)
    roles = await reply_to(fake, press(consent, "I agree", user_id), user_id)
    await reply_to(fake, press(roles, EXPLORER, user_id), user_id)
    categories = await reply_to(fake, text_update(description, user_id), user_id)
    where = await reply_to(fake, press(categories, "Parks and green spaces", user_id), user_id)
    photo = await reply_to(fake, text_update("By the pond", user_id), user_id)
    affected = await reply_to(fake, press(photo, "Skip", user_id), user_id)
    summary = await reply_to(fake, press(affected, "My street", user_id), user_id)
    return await reply_to(fake, press(summary, "Confirm", user_id), user_id)


async def problems_bob_is_offered(fake: FakeTelegram) -> str:
    """What another resident is shown when proposing an idea (the text and its buttons): the
    open problems, or that there are none."""
    consent = await reply_to(fake, text_update("/start", BOB), BOB)
    roles = await reply_to(fake, press(consent, "I agree", BOB), BOB)
    action = await reply_to(fake, press(roles, IDEATOR, BOB), BOB)
    listed = await reply_to(fake, press(action, "Propose an idea", BOB), BOB)
    return f"{listed['text']} {listed.get('reply_markup')}"


def nothing_left_to_send(app: App) -> bool:
    with Session(app.database) as session:
        waiting = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.in_(("pending", "sending")))  # type: ignore[attr-defined]
        return session.exec(waiting).one() == 0


def only_problem(app: App) -> Problem:
    with Session(app.database) as session:
        return session.exec(select(Problem)).one()


def test_contact_details_are_asked_about_and_removed_before_saving(app: App, fake: FakeTelegram) -> None:
    async def scenario() -> None:
        async with serving(app):
            asked = await report(fake, "My neighbour John Smith at 12 dumps rubbish by the pond, call 07911 123456")
            assert asked["text"] == "It looks like this contains contact details. Other residents may see it. Remove them?"
            saved = await reply_to(fake, press(asked, "Remove"))
            assert saved["text"].startswith("Thank you! Your report is P-1.")
            offered = await problems_bob_is_offered(fake)
            assert "P-1" in offered and "07911" not in offered

    asyncio.run(scenario())
    problem = only_problem(app)
    assert problem.description == "My neighbour […] at 12 dumps rubbish by the pond, call […]"
    assert "John" not in problem.title and not problem.private


def test_kept_private_it_reaches_the_city_team_but_no_other_resident(app: App, fake: FakeTelegram) -> None:
    async def scenario() -> None:
        async with serving(app):
            asked = await report(fake, "Broken swing in the park; write to ana.lopez@example.org for details")
            saved = await reply_to(fake, press(asked, "Keep it private to the city team"))
            assert "It is kept private: only the city team will see it." in saved["text"]
            assert NO_PROBLEMS in await problems_bob_is_offered(fake)

    asyncio.run(scenario())
    problem = only_problem(app)
    assert problem.private and "ana.lopez@example.org" in problem.description  # kept whole, for staff


def test_in_pre_moderation_others_see_a_problem_only_once_staff_approve_it(
    app_factory: AppFactory, fake: FakeTelegram, cocreate: Cocreate
) -> None:
    app = app_factory(moderation="pre")

    async def scenario() -> None:
        async with serving(app):
            saved = await report(fake, "The fountain in the park has been dry for weeks")
            assert "Other residents will see it once the city team has reviewed it." in saved["text"]
            assert NO_PROBLEMS in await problems_bob_is_offered(fake)
            approved = await asyncio.to_thread(cocreate, "moderate", "P-1", "approve")
            assert approved.exit_code == 0 and approved.output == "P-1 is approved: other residents see it.\n"
            roles = await reply_to(fake, text_update("/role", BOB), BOB)
            action = await reply_to(fake, press(roles, IDEATOR, BOB), BOB)
            problems = await reply_to(fake, press(action, "Propose an idea", BOB), BOB)
            assert "P-1" in str(problems["reply_markup"])

    asyncio.run(scenario())


def test_a_hidden_problem_is_gone_for_others_and_its_author_is_told_why(
    app: App, fake: FakeTelegram, cocreate: Cocreate, clock: Clock
) -> None:
    async def scenario() -> None:
        async with serving(app):
            await report(fake, "The fountain in the park has been dry for weeks")
            before = len(fake.sent(ALICE))
            hidden = await asyncio.to_thread(cocreate, "moderate", "P-1", "hide", "--note", "It names a private garden")
            assert hidden.output == "P-1 is hidden from other residents; its author will be told.\n"
            clock.now = utc_now() + timedelta(seconds=1)  # the command queued the notice in real time
            (notice, *_) = (await asyncio.to_thread(fake.wait_for_messages, before + 1, ALICE))[before:]
            assert "The city team has hidden this from other residents" in notice["text"]
            assert "Their note: It names a private garden" in notice["text"]
            assert NO_PROBLEMS in await problems_bob_is_offered(fake)

    asyncio.run(scenario())
    again = cocreate("moderate", "P-1", "hide")
    assert again.exit_code == 2 and "P-1 is already hidden" in again.output
    audited = cocreate("audit", "--json").output
    assert '"action": "hide"' in audited and '"target": "P-1"' in audited and "It names a private garden" in audited
    assert cocreate("moderate", "D-1", "hide").exit_code == 2


def test_abusive_words_hold_a_text_for_review_even_in_post_moderation(app: App, fake: FakeTelegram) -> None:
    async def scenario() -> None:
        async with serving(app):
            saved = await report(fake, "Some IDIOTA keeps breaking the benches by the pond")
            assert "Other residents will see it once the city team has reviewed it." in saved["text"]
            assert NO_PROBLEMS in await problems_bob_is_offered(fake)

    asyncio.run(scenario())
    assert only_problem(app).moderation == "pending"


def test_a_blocked_person_gets_one_notice_and_nothing_they_send_is_kept(
    app: App, fake: FakeTelegram, cocreate: Cocreate
) -> None:
    blocked = cocreate("people", "block", f"telegram:{ALICE}", "--reason", "Insults staff")
    assert blocked.exit_code == 0 and blocked.output == f"telegram:{ALICE} is blocked.\n"

    async def scenario() -> None:
        async with serving(app):
            notice = await reply_to(fake, text_update("/start"))
            assert notice["text"].startswith("The city team has paused this bot for you")
            last = 0
            for text in ("hello?", "/start", "My neighbour's phone is 07911 123456"):
                last = fake.push(text_update(text))
            await asyncio.to_thread(fake.wait_until, lambda f: f.confirmed_offset > last)
            assert len(fake.sent(ALICE)) == 1  # one notice, then silence
            assert (await asyncio.to_thread(cocreate, "people", "unblock", f"telegram:{ALICE}")).exit_code == 0
            welcome = await reply_to(fake, text_update("/start"))
            assert "I agree" in str(welcome["reply_markup"])

    asyncio.run(scenario())
    audited = cocreate("audit", "--json").output
    assert '"action": "block"' in audited and '"action": "unblock"' in audited and "Insults staff" in audited
    with Session(app.database) as session:
        assert session.exec(select(func.count()).select_from(ProcessedEvent)).one() == 1  # the /start after unblocking
        alice = session.exec(select(Citizen).where(Citizen.channel_user_id == str(ALICE))).one()
        assert session.exec(select(Conversation).where(Conversation.citizen_id == alice.id)).one().state["step"] == "welcome.consent"
        texts = session.exec(select(OutboxMessage.text)).all()
    assert not any("07911" in text for text in texts)


def test_a_flood_gets_one_slow_down_and_is_dropped_until_the_minute_has_passed(
    app: App, fake: FakeTelegram, clock: Clock
) -> None:
    async def scenario() -> None:
        async with serving(app):
            last = 0
            for n in range(30):
                last = fake.push(text_update(f"/help {n}"))
            await asyncio.to_thread(fake.wait_until, lambda f: f.confirmed_offset > last)
            sent = await asyncio.to_thread(fake.wait_for_messages, 21, ALICE)
            assert sent[-1]["text"].startswith("You are sending messages very fast. Please slow down: I read at most 20")
            clock.now += timedelta(seconds=61)
            answered = await reply_to(fake, text_update("/help"))
            assert answered["text"].startswith("I help you take part")

    asyncio.run(scenario())
    assert len(fake.sent(ALICE)) == 22
    with Session(app.database) as session:
        assert session.exec(select(func.count()).select_from(ProcessedEvent)).one() == 21  # 20, then 1 a minute later


def test_a_person_may_submit_at_most_the_daily_limit(app_factory: AppFactory, fake: FakeTelegram, clock: Clock) -> None:
    app = app_factory(submissions_per_day=1)

    async def scenario() -> None:
        async with serving(app):
            await report(fake, "The fountain in the park has been dry for weeks")
            again = await reply_to(fake, text_update("/role"))
            await reply_to(fake, press(again, EXPLORER))
            categories = await reply_to(fake, text_update("Two benches by the pond are broken"))
            where = await reply_to(fake, press(categories, "Parks and green spaces"))
            photo = await reply_to(fake, text_update("By the pond"))
            affected = await reply_to(fake, press(photo, "Skip"))
            summary = await reply_to(fake, press(affected, "My street"))
            refused = await reply_to(fake, press(summary, "Confirm"))
            assert refused["text"].startswith("Thank you! You have sent 1 things in the last day")
            clock.now += timedelta(days=1, seconds=1)
            saved = await reply_to(fake, press(refused, "Confirm"))
            assert saved["text"].startswith("Thank you! Your report is P-2.")

    asyncio.run(scenario())


def test_a_text_longer_than_any_channel_carries_is_refused_with_the_limit(app: App, fake: FakeTelegram) -> None:
    async def scenario() -> None:
        async with serving(app):
            consent = await reply_to(fake, text_update("/start"))
            roles = await reply_to(fake, press(consent, "I agree"))
            await reply_to(fake, press(roles, EXPLORER))
            refused = await reply_to(fake, text_update("x" * 100_000))
            assert "I read at most 4,096 characters at a time (it had 100,000)" in refused["text"]

    asyncio.run(scenario())
    with Session(app.database) as session:
        longest = session.exec(select(func.max(func.length(OutboxMessage.text)))).one()
        states = session.exec(select(Conversation.state)).all()
    assert longest < 4_096 and all("x" * 4_097 not in str(state) for state in states)


def test_a_block_outlasts_the_removal_of_people_who_never_agreed(
    app: App, fake: FakeTelegram, cocreate: Cocreate, clock: Clock
) -> None:
    """A blocked person who never agreed is not "removed after a day" with the others: that
    would lift the block, and they would start over as someone new."""
    clock.now = utc_now()  # people's rows are dated by the real clock when first seen
    assert cocreate("people", "block", f"telegram:{ALICE}", "--reason", "Spam").exit_code == 0

    async def first_day() -> None:
        async with serving(app):
            notice = await reply_to(fake, text_update("/start"))
            assert notice["text"].startswith("The city team has paused this bot for you")

    asyncio.run(first_day())
    clock.now += timedelta(days=2)
    from bot.scheduling import jobs

    asyncio.run(jobs.apply_retention(app.scheduler.job_context()))

    async def days_later() -> None:
        async with serving(app):
            last = fake.push(text_update("/start"))
            await asyncio.to_thread(fake.wait_until, lambda f: f.confirmed_offset > last)
            await asyncio.to_thread(fake.wait_until, lambda f: nothing_left_to_send(app))  # had it queued anything
            assert len(fake.sent(ALICE)) == 1  # still blocked: no consent prompt, no second notice

    asyncio.run(days_later())
    assert "telegram:111111  since" in cocreate("people", "blocked").output


def test_button_presses_past_the_flood_limit_cost_no_call_to_telegram(app: App, fake: FakeTelegram) -> None:
    """A dropped press is not acknowledged either: each acknowledgement is two Bot API calls
    (answerCallbackQuery, editMessageText) that would hold up everyone's next batch."""

    async def scenario() -> None:
        async with serving(app):
            consent = await reply_to(fake, text_update("/start"))
            last = 0
            for _ in range(100):  # one batch of getUpdates: Telegram's most
                last = fake.push(press(consent, "Tell me more"))
            await asyncio.to_thread(fake.wait_until, lambda f: f.confirmed_offset > last)

    asyncio.run(scenario())
    # 19 presses handled after the /start, then the one "slow down": 20 acknowledged.
    assert len(fake.calls_of("answerCallbackQuery")) == 20
    assert len(fake.calls_of("editMessageText")) <= 20


def test_a_blocked_person_who_floods_still_gets_only_the_one_notice(app: App, fake: FakeTelegram, cocreate: Cocreate) -> None:
    assert cocreate("people", "block", f"telegram:{ALICE}", "--reason", "Spam").exit_code == 0

    async def scenario() -> None:
        async with serving(app):
            last = 0
            for n in range(30):
                last = fake.push(text_update(f"spam {n}"))
            await asyncio.to_thread(fake.wait_until, lambda f: f.confirmed_offset > last)
            await asyncio.to_thread(fake.wait_until, lambda f: nothing_left_to_send(app))

    asyncio.run(scenario())
    [notice] = fake.sent(ALICE)  # no "slow down" after it
    assert notice["text"].startswith("The city team has paused this bot for you")
