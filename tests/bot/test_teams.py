"""Each report reaches the people responsible: the matching team gets it (and a card in its
chat, through the outbox), the inbox filters by team, staff reassign, and every team hears of
its overdue work once a day."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.app import App
from bot.scheduling import jobs
from storage import audit, submissions
from storage.console_inbox import InboxFilter, inbox_page
from storage.models import OutboxMessage
from tests.bot.test_status_changes import ANA, BOB, say
from tests.bot.test_telegram_channel import serving
from tests.conftest import Clock, Cocreate

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"web_base_url": "https://city.example/console"}


def report(app: App, user: int, description: str, category: str, place: str) -> None:
    """The Explorer dialog: description, category (its number), place, no photo, affected, confirm."""
    say(app, user, "/start", "I agree", "1", description, category, place, "Skip", "2", "1")


def cards(app: App) -> list[OutboxMessage]:
    with Session(app.database) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.user_id == "").order_by(OutboxMessage.id)))


def add_teams(cocreate: Cocreate) -> None:
    for args in (
        ("Roads North", "--categories", "roads", "--areas", "Peñarol", "--telegram-chat", "-1001"),
        ("Roads", "--categories", "roads,lighting", "--slack-channel", "C0ROADS"),
        ("Desk", "--default", "--telegram-chat", "-1009", "--member", "telegram:402"),
    ):
        added = cocreate("teams", "add", *args)
        assert added.exit_code == 0, added.output


def test_a_report_goes_to_the_team_for_its_category_and_area_with_a_card(app: App, cocreate: Cocreate) -> None:
    add_teams(cocreate)
    report(app, ANA, "Deep pothole in front of the school", "1", "Calle 8, penarol norte")  # roads, in Peñarol
    report(app, BOB, "Lamp post flickering all night", "2", "Centro")  # lighting: Roads, the whole city
    report(app, BOB + 1, "Bench missing in the square", "4", "Centro")  # parks: nobody's, so the Desk's
    north, roads, desk = cards(app)
    assert (north.channel, north.chat_id) == ("telegram", "-1001")
    assert north.text.splitlines() == [
        "New P-1 (roads): Deep pothole in front of the school",
        "Where: Calle 8, penarol norte",
        "https://city.example/console/submissions/P-1",
    ]
    assert (roads.channel, roads.chat_id) == ("slack", "C0ROADS") and "P-2" in roads.text
    assert (desk.chat_id, desk.text.splitlines()[0]) == ("-1009", "New P-3 (parks): Bench missing in the square")
    listed = json.loads(cocreate("submissions", "--team", "Roads North", "--format", "json").output)
    assert [(row["ref"], row["team"]) for row in listed] == [("P-1", "Roads North")]
    assert "team Desk" in cocreate("submissions", "--team", "Desk").output


def test_staff_reassign_and_the_new_team_hears_of_it(app: App, cocreate: Cocreate) -> None:
    add_teams(cocreate)
    report(app, ANA, "Bench missing in the square", "4", "Centro")
    moved = cocreate("teams", "assign", "p-1", "Roads")
    assert moved.exit_code == 0, moved.output
    assert "P-1 is now with Roads (was Desk)." in moved.output
    assert cards(app)[-1].text.startswith("P-1 (parks) is now with your team, moved by cli:")
    with Session(app.database) as session:
        history = submissions.history(session, kind="problem", target_id=1)
        (entry,) = [e for e in audit.entries(session) if e.action == "assign"]
        page = inbox_page(session, filters=InboxFilter(team_id=2), offset=0, limit=10)
    assert history[-1].note == "assigned to team Roads (was Desk)"
    assert entry.target == "P-1"
    assert [row.ref for row in page.rows] == ["P-1"]
    again = cocreate("teams", "assign", "P-1", "Roads")
    assert (again.exit_code, again.output.strip()) == (2, "P-1 is already with Roads")
    assert "There is no team 'Nobody'" in cocreate("teams", "assign", "P-1", "Nobody").output


def test_each_team_gets_a_daily_card_of_its_overdue_work(app: App, clock: Clock, cocreate: Cocreate) -> None:
    add_teams(cocreate)
    report(app, ANA, "Deep pothole in front of the school", "1", "Peñarol")
    report(app, BOB, "Bench missing in the square", "4", "Centro")
    before = len(cards(app))
    clock.now += timedelta(days=2)
    assert asyncio.run(jobs.overdue_cards(app.scheduler.job_context())) == 0  # they were promised news in 3 days
    clock.now += timedelta(days=2)
    assert asyncio.run(jobs.overdue_cards(app.scheduler.job_context())) == 2
    desk, north = cards(app)[before:]  # teams in the order of their names
    assert north.chat_id == "-1001" and north.text.startswith("Roads North: 1 past the date their senders were promised news")
    assert "• P-1 Deep pothole in front of the school (since " in north.text
    assert north.text.endswith("https://city.example/console/?team=1&overdue=1")
    assert desk.chat_id == "-1009" and "P-2" in desk.text and "P-1" not in desk.text


def test_teams_list_remove_and_mistakes(app: App, cocreate: Cocreate) -> None:
    add_teams(cocreate)
    report(app, ANA, "Bench missing in the square", "4", "Centro")
    listed = cocreate("teams", "list").output
    assert "Desk: no categories; the whole city; the default team; cards to telegram:-1009; members telegram:402" in listed
    assert "Roads North: roads; in Peñarol; cards to telegram:-1001" in listed
    redefined = cocreate("teams", "add", "Desk", "--default", "--member", "telegram:402").output
    assert "Note: telegram:402 is not staff, so has no /inbox yet: `cocreate staff add telegram:402`." in redefined
    assert "cards to" not in cocreate("teams", "list").output.split("Desk:")[1].split("\n")[0]  # redefined without a chat
    assert cocreate("teams", "remove", "Desk").output.strip() == "Team Desk removed; its 1 submission is with no team."
    for args, message in (
        (("X", "--categories", "rivers"), "--categories: unknown rivers"),
        (("X",), "A team needs --categories"),
        (("X", "--categories", "roads", "--telegram-chat", "@roads"), "--telegram-chat: '@roads' is not a Telegram chat id"),
    ):
        result = cocreate("teams", "add", *args)
        assert result.exit_code == 2 and message in result.output, result.output
    assert cocreate("submissions", "--team", "Nobody").exit_code == 2


def test_a_team_member_sees_their_team_s_work_in_the_chat_inbox(app_factory: Any, cocreate: Cocreate) -> None:
    app = app_factory(staff=("telegram:402", "telegram:404"))
    add_teams(cocreate)  # telegram:402 (BOB) is a member of Desk
    report(app, ANA, "Deep pothole in front of the school", "1", "Peñarol")  # Roads North's
    report(app, ANA + 2, "Bench missing in the square", "4", "Centro")  # the Desk's
    for staff_member in (BOB, BOB + 2):
        say(app, staff_member, "/start", "I agree", "/inbox")
    with Session(app.database) as session:
        newest = {chat: session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == chat).order_by(col(OutboxMessage.id).desc())).first()
                  for chat in (str(BOB), str(BOB + 2))}  # fmt: skip
    # The inbox's items are its buttons.
    latest = {chat: " ".join(choice["label"] for choice in row.choices) for chat, row in newest.items() if row}
    assert "P-2" in latest[str(BOB)] and "P-1" not in latest[str(BOB)]
    assert newest[str(BOB)].text.startswith("Waiting for review for Desk, newest first (what you are responsible for).")  # type: ignore[union-attr]
    assert newest[str(BOB + 2)].text.startswith("Waiting for review, newest first.")  # type: ignore[union-attr]
    assert "P-1" in latest[str(BOB + 2)] and "P-2" in latest[str(BOB + 2)]  # in no team: everything


def test_the_card_reaches_the_team_s_telegram_group_escaped(telegram_app: App, fake: Any, cocreate: Cocreate) -> None:
    add_teams(cocreate)
    report(telegram_app, ANA, "Pothole <b>huge</b> by the school", "1", "Peñarol")

    async def scenario() -> None:
        async with serving(telegram_app):
            await asyncio.to_thread(fake.wait_until, lambda f: f.sent(-1001))

    asyncio.run(scenario())
    (card,) = fake.sent(-1001)
    assert card["text"].startswith("New P-1 (roads): Pothole &lt;b&gt;huge&lt;/b&gt; by the school")


def test_a_forgotten_member_is_nobody_s_member_any_more(app: App, cocreate: Cocreate) -> None:
    add_teams(cocreate)  # telegram:402 (BOB) is a member of Desk
    say(app, BOB, "/start", "I agree")
    forgot = cocreate("people", "forget", f"telegram:{BOB}", "--yes")
    assert forgot.exit_code == 0, forgot.output
    assert "telegram:402" not in cocreate("teams", "list").output
