"""Who gets a broadcast: the people who follow topics (their subscriptions), whatever role they
are in now, narrowed by topic or by the area they gave; "Stop these updates" and /stop take a
person out until they subscribe again. People talk through the terminal chat and Telegram
(python-telegram-bot against the fake Bot API); staff broadcast with the real CLI, in-process."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from bot.app import App, utc_now
from bot.operations import broadcasting
from storage import broadcasts
from storage.broadcasts import Audience
from storage.models import Broadcast, Citizen, OutboxMessage, Subscription
from tests.bot.test_telegram_channel import press, reply_to, serving, text_update
from tests.conftest import AppFactory, Cocreate
from tests.fakes.telegram_api import FakeTelegram
from tests.transcript import run_chat

# agree, Diffuser, Street lighting, Done, then the area (typed, or 1 = Skip), then Confirm
LIGHTING = ["1", "4", "2", "8"]


def subscribe(app: App, name: str, *, topics: list[str] = LIGHTING, area: str = "1") -> str:
    return run_chat(app, name, [*topics, area, "1"])


def recipients(app: App, broadcast_id: int) -> list[str]:
    with Session(app.database) as session:
        rows = session.exec(
            select(Citizen.channel_user_id)
            .join(OutboxMessage, col(OutboxMessage.citizen_id) == Citizen.id)
            .where(OutboxMessage.broadcast_id == broadcast_id)
        ).all()
    return sorted(rows)


@pytest.mark.postgres
def test_subscriptions_decide_who_gets_a_broadcast_whatever_role_people_are_in_now(
    app: App, cocreate: Cocreate
) -> None:
    subscribe(app, "eve")
    run_chat(app, "eve", ["/role", "1", "/cancel"])  # now an Explorer, still following Street lighting
    run_chat(app, "fay", ["1", "4", "/cancel"])  # chose Diffuser, followed nothing
    with Session(app.database) as session:
        roles = dict(session.exec(select(Citizen.channel_user_id, Citizen.role)).all())
    assert roles == {"eve": "explorer", "fay": "diffuser"}

    on_lighting = cocreate("broadcast", "New LED lights on Elm Road", "--topic", "lighting", "--yes")
    to_everyone = cocreate("broadcast", "The city team says hello", "--yes")

    assert on_lighting.exit_code == 0, on_lighting.output
    assert to_everyone.exit_code == 0, to_everyone.output
    assert recipients(app, 1) == ["eve"]
    assert recipients(app, 2) == ["eve"]  # "all diffusers" is everyone who follows a topic


@pytest.mark.postgres
def test_a_broadcast_to_an_area_finds_it_whatever_the_case_and_accents(app: App, cocreate: Cocreate) -> None:
    subscribe(app, "eve", area="Peñarol Norte")
    subscribe(app, "gil", area="CENTRO")
    subscribe(app, "hal")  # the whole city

    found = cocreate("broadcast", "Night market in Peñarol", "--area", "penarol", "--yes")
    nobody = cocreate("broadcast", "Night market in Peñarol", "--area", "Norte Alto", "--yes")

    assert found.exit_code == 0, found.output
    assert "Audience: 1 recipient" in found.output
    assert recipients(app, 1) == ["eve"]
    with Session(app.database) as session:
        assert session.get(Broadcast, 1).audience["area"] == "penarol"
    assert nobody.exit_code == 2 and "Nobody matches this audience" in nobody.output
    with Session(app.database) as session:
        sizes = broadcasts.audience_size(session, audience=Audience(area="centro"), default_language="en")
    assert sizes == {"en": 1}


@pytest.mark.postgres
def test_role_is_no_longer_an_audience_and_says_why(cocreate: Cocreate) -> None:
    result = cocreate("broadcast", "Hello", "--role", "any", "--yes")
    assert result.exit_code == 2
    assert "--role is no longer an option: broadcasts go to the people who follow topics" in result.output
    assert "--topic, --area, --language or --channel" in result.output


@pytest.mark.postgres
def test_coming_back_as_a_diffuser_shows_what_is_followed_and_my_lists_it(app: App) -> None:
    subscribe(app, "eve", topics=["1", "4", "2", "5", "8"], area="Northside")  # lighting and transport

    shown = run_chat(app, "eve", ["/my", "/role", "4", "8", "1", "1"])  # Diffuser, Done, Skip, Confirm

    assert "You haven't submitted anything yet.\n\nYou follow: Street lighting, Public transport · area: Northside." in shown
    again = shown.split("> 4\n", 1)[1]
    assert again.startswith("You follow the ticked topics. Tick or untick any, then Done. (To stop all updates, send /stop.)")
    assert "  2) ✓ Street lighting\n" in again and "  5) ✓ Public transport\n" in again
    assert "  1) Roads and pavements\n" in again
    assert "Topics: Street lighting, Public transport\nArea: the whole city" in again  # Done kept them
    with Session(app.database) as session:
        assert sorted(session.exec(select(Subscription.topic)).all()) == ["lighting", "transport"]


@pytest.mark.postgres
def test_stop_in_the_chat_means_no_more_broadcasts_until_subscribing_again(app: App, cocreate: Cocreate) -> None:
    subscribe(app, "eve")

    stopped = run_chat(app, "eve", ["/stop", "/stop", "/my"])

    assert "> /stop\nDone — you won't get these updates any more." in stopped
    assert "> /stop\nYou don't follow any topics, so I send you no updates." in stopped
    assert "You follow:" not in stopped.split("> /my", 1)[1]
    refused = cocreate("broadcast", "Anyone there?", "--yes")
    assert refused.exit_code == 2 and "Nobody matches this audience" in refused.output
    run_chat(app, "eve", ["/role", "4", "2", "8", "1", "1"])  # following again: broadcasts again
    assert cocreate("broadcast", "Welcome back", "--yes").exit_code == 0
    assert recipients(app, 1) == ["eve"]


def test_a_person_staff_blocked_gets_no_broadcast_until_unblocked(app: App, cocreate: Cocreate) -> None:
    subscribe(app, "eve")
    assert cocreate("people", "block", "console:eve", "--reason", "Spam").exit_code == 0
    refused = cocreate("broadcast", "Anyone there?", "--yes")
    assert refused.exit_code == 2 and "Nobody matches this audience" in refused.output
    assert cocreate("people", "unblock", "console:eve").exit_code == 0
    assert cocreate("broadcast", "Welcome back", "--yes").exit_code == 0
    assert recipients(app, 1) == ["eve"]


def test_stop_these_updates_also_drops_a_broadcast_still_held_for_the_person(
    app_factory: AppFactory, fake: FakeTelegram
) -> None:
    app = app_factory(clock=utc_now, **fake.settings())  # served in real time
    eve = 501

    async def scenario() -> dict:
        async with serving(app):
            await reply_to(fake, text_update("/start", eve), eve)
            for answer in ("I agree", "4", "2", "Done", "Skip", "Confirm"):
                await reply_to(fake, text_update(answer, eve), eve)
            queue(app, "Elm Road lights are being replaced")
            news = (await asyncio.to_thread(fake.wait_for_messages, 8, eve))[-1]
            queue(app, "Night works on Elm Road next week", hold=timedelta(hours=10))  # held, as in quiet hours
            return await reply_to(fake, press(news, "Stop these updates", eve), eve)

    answered = asyncio.run(scenario())
    with Session(app.database) as session:
        held = session.exec(select(OutboxMessage).where(OutboxMessage.broadcast_id == 2)).one()
        sizes = broadcasts.audience_size(session, audience=Audience(), default_language="en")
    assert answered["text"].startswith("Done — you won't get these updates any more.")
    assert (held.status, held.last_error) == ("blocked", "the person stopped these updates")
    assert sizes == {}
    assert not any("Night works" in m["text"] for m in fake.sent(eve))


def queue(app: App, text: str, hold: timedelta = timedelta(0)) -> None:
    with Session(app.database) as session, session.begin():
        broadcasting.queue(
            session, text=text, audience=Audience(), created_by="test", now=app.clock(), catalogs=app.catalogs,
            settings=app.service.settings, send_after=app.clock() + hold, via="cli",
        )  # fmt: skip
