"""Design teams that form around a ready idea: `cocreate ideas --ready` and `cocreate ideas
form`, against the fake Slack Web API (slack_sdk) and the fake Bot API (python-telegram-bot)."""

from __future__ import annotations

import asyncio
from typing import Iterator

import pytest
from sqlmodel import Session, select

from bot.app import App
from conversations.messages import Address, Inbound
from bot.operations.team_spaces import channel_name
from storage import citizens
from storage.design_team_models import DesignTeam
from storage.models import DesignOffer, Idea, OutboxMessage, Problem, Support
from tests.conftest import Cocreate
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.web.support import client, signed_in, visible_text

OWNER = "telegram:111111"
pytestmark = pytest.mark.postgres


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    server = FakeTelegram().start()
    yield server
    server.stop()


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"staff": (OWNER,), "team_supporters": 3}


def person(session: Session, channel: str, user_id: str, name: str, language: str = "en") -> int:
    citizen = citizens.citizen_for(
        session, address=Address(channel, f"D{user_id}" if channel == "slack" else user_id, user_id)
    )
    citizen.display_name, citizen.language, citizen.consented_at = name, language, citizen.created_at
    session.add(citizen)
    session.flush()
    assert citizen.id is not None
    return citizen.id


def an_idea(app: App, *, supporters: int = 3) -> None:
    """I-1 "Shade for the bus stop" (answering P-1) with supporters, a Slack and a Telegram
    designer who may be contacted, and one who may not."""
    with Session(app.database) as session, session.begin():
        author = person(session, "telegram", "5000", "Ana")
        person(session, "telegram", "111111", "Alice Smith")  # the staff owner
        problem = Problem(
            description="No shade at the 7 stop, people faint",
            title="No shade",
            category="transport",
            language="en",
            citizen_id=author,
        )
        session.add(problem)
        session.flush()
        idea = Idea(
            description="A roof & a tree at the stop <!channel>",
            title="Shade for the bus stop",
            benefit="riders",
            language="en",
            problem_id=problem.id,
            citizen_id=author,
        )
        session.add(idea)
        session.flush()
        assert idea.id is not None
        for n in range(supporters):
            session.add(
                Support(citizen_id=person(session, "telegram", f"60{n}", f"Fan {n}"), kind="idea", target_id=idea.id)
            )
        designers = [("slack", "U0BEA", "Bea Jones", "en", True), ("telegram", "7001", "Carlos Ruiz", "es", True),
                     ("telegram", "7002", "Dora", "en", False)]  # fmt: skip
        for channel, user_id, name, language, contact in designers:
            session.add(DesignOffer(idea_id=idea.id, skills=["design", "software"], hours="2-4", contact_ok=contact,
                                    language=language, citizen_id=person(session, channel, user_id, name, language)))  # fmt: skip


def staff_inbox(app: App, event_id: str) -> str:
    """What the staff owner reads when they send /inbox in Telegram."""
    handled = app.service.handle(Inbound(Address("telegram", "111111", "111111"), event_id, text="/inbox"))
    return "\n".join(reply.text for reply in handled.replies)


def environment(slack: FakeSlack, telegram: FakeTelegram) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_BASE_URL": slack.base_url,
            "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": telegram.base_url, "STAFF": OWNER, "TEAM_SUPPORTERS": "3"}  # fmt: skip


def test_ideas_show_supporters_and_designers_and_which_are_ready(app: App, cocreate: Cocreate) -> None:
    an_idea(app, supporters=2)
    listed = cocreate("ideas", "--ready", TEAM_SUPPORTERS="3", COLUMNS="200")
    assert listed.exit_code == 0 and "No idea is ready to form a design team yet." in listed.output
    everything = cocreate("ideas", TEAM_SUPPORTERS="3", COLUMNS="200").output
    assert "I-1" in everything and "│ 2          │ 2         │ —" in everything
    assert "ready to form a team" in cocreate("ideas", "--ready", TEAM_SUPPORTERS="2", COLUMNS="200").output
    refused = cocreate("ideas", "form", "I-1", "--owner", OWNER, TEAM_SUPPORTERS="3", STAFF=OWNER)
    assert refused.exit_code == 2
    assert "I-1 is not ready: 2 of 3 supporters (TEAM_SUPPORTERS), 2 of 2 design offers" in refused.output


def test_forming_a_team_makes_its_slack_channel_and_telegram_link_and_tells_each_designer(
    app: App, cocreate: Cocreate, slack: FakeSlack, telegram: FakeTelegram
) -> None:
    an_idea(app)
    env = environment(slack, telegram)
    assert "• I-1 — Shade for the bus stop (3 supporters, 2 designers" in staff_inbox(app, "before")
    formed = cocreate("ideas", "form", "I-1", "--slack", "--telegram-chat", "-1001234567890", "--owner", OWNER, **env)
    assert formed.exit_code == 0, formed.output
    assert (
        "I-1: design team formed in Slack #team-i-1-shade-for-the-bus-stop and Telegram; 2 designers" in formed.output
    )
    ((channel_id, channel),) = slack.channels.items()
    assert channel["name"] == "team-i-1-shade-for-the-bus-stop" and "U0BEA" in channel["members"]
    (pinned,) = slack.messages(channel_id)
    assert channel["pins"] == [pinned["ts"]]
    assert "A roof &amp; a tree at the stop &lt;!channel&gt;" in pinned["text"]  # it pings nobody
    assert "No shade: No shade at the 7 stop" in pinned["text"]
    assert "• Bea: Design, Software · 2 to 4 hours" in pinned["text"] and "• Carlos: Design, Software" in pinned["text"]
    assert "2 to 4 hours" in pinned["text"] and "Staff owner: Alice (telegram)" in pinned["text"]
    assert telegram.invite_links == ["-1001234567890"]
    with Session(app.database) as session:
        told = {
            row.chat_id: row.text
            for row in session.exec(select(OutboxMessage).where(OutboxMessage.kind == "notification"))
        }
    assert set(told) == {"DU0BEA", "7001"}  # not Dora: she did not agree to be contacted
    assert "#team-i-1-shade-for-the-bus-stop" in told["DU0BEA"] and "With you: Carlos." in told["DU0BEA"]
    assert "https://t.me/+fakeInvite1" in told["7001"] and "Contigo: Bea." in told["7001"]  # in his language
    assert "Ruiz" not in told["DU0BEA"] and "Jones" not in told["7001"]  # first names only
    again = cocreate("ideas", "form", "I-1", "--slack", "--owner", OWNER, **env)
    assert "formed before; nobody was told again" in again.output
    assert len(slack.calls_of("conversations.create")) == 1
    assert "ready to form a team" not in cocreate("ideas", **env, COLUMNS="200").output
    assert "Ready to form a design team" not in staff_inbox(app, "after")
    audit = cocreate("audit", "--json", **env).output
    assert '"action": "team_form"' in audit and '"target": "I-1"' in audit


def test_a_run_cut_off_half_way_goes_on_from_where_it_stopped(
    app: App, cocreate: Cocreate, slack: FakeSlack, telegram: FakeTelegram
) -> None:
    an_idea(app)
    env = environment(slack, telegram)
    slack.fail_next("pins.add", 200, {"ok": False, "error": "not_in_channel"})
    cut = cocreate("ideas", "form", "I-1", "--slack", "--owner", OWNER, **env)
    assert cut.exit_code == 2 and "Slack refused pins.add: not_in_channel" in cut.output
    assert "run the same command again" in cut.output
    with Session(app.database) as session:
        assert session.exec(select(OutboxMessage)).all() == []  # nobody told of a team not made yet
    done = cocreate("ideas", "form", "I-1", "--slack", "--owner", OWNER, **env)
    assert done.exit_code == 0, done.output
    assert len(slack.calls_of("conversations.create")) == 1 and len(slack.messages()) == 1  # one channel, one post
    assert len(slack.calls_of("pins.add")) == 2
    with Session(app.database) as session:
        team = session.exec(select(DesignTeam)).one()
    assert team.formed_at is not None and team.slack_pinned_ts is not None


def test_an_owner_who_is_not_staff_or_a_bad_link_is_refused_in_one_line(app: App, cocreate: Cocreate) -> None:
    an_idea(app)
    not_staff = cocreate("ideas", "form", "I-1", "--owner", "telegram:42", STAFF=OWNER, TEAM_SUPPORTERS="3")
    assert not_staff.exit_code == 2 and "--owner telegram:42 is not staff" in not_staff.output
    bad_link = cocreate("ideas", "form", "I-1", "--owner", OWNER, "--telegram-invite-link", "http://evil.example")
    assert bad_link.exit_code == 2 and "is not a Telegram invite link" in bad_link.output
    assert cocreate("ideas", "form", "P-1", "--owner", OWNER).exit_code == 2


def test_the_console_inbox_names_the_ideas_ready_to_form_a_team(app: App) -> None:
    an_idea(app)

    async def inbox() -> str:
        async with client(app) as http:
            await signed_in(http, app, OWNER)
            return visible_text((await http.get("/")).text)

    shown = asyncio.run(inbox())
    assert (
        "Ready to form a design team I-1 — Shade for the bus stop: 3 supporters, 2 designers who may be contacted"
        in shown
    )


def test_an_idea_residents_may_not_see_is_not_ready_and_forms_no_team(app: App, cocreate: Cocreate) -> None:
    an_idea(app)
    with Session(app.database) as session, session.begin():
        idea = session.exec(select(Idea)).one()
        idea.moderation = "hidden"  # a team would see its text in their channel
        session.add(idea)
    assert "No idea is ready" in cocreate("ideas", "--ready", TEAM_SUPPORTERS="3").output
    refused = cocreate("ideas", "form", "I-1", "--owner", OWNER, TEAM_SUPPORTERS="3", STAFF=OWNER)
    assert refused.exit_code == 2 and "I-1 is not shown to residents" in refused.output


def test_a_taken_channel_name_gets_a_number_and_an_unreachable_slack_is_one_line(
    app: App, cocreate: Cocreate, slack: FakeSlack, telegram: FakeTelegram, unused_port: int
) -> None:
    an_idea(app)
    env = environment(slack, telegram)
    unreachable = cocreate("ideas", "form", "I-1", "--slack", "--owner", OWNER,
                           **{**env, "SLACK_API_BASE_URL": f"http://127.0.0.1:{unused_port}/api/"})  # fmt: skip
    assert unreachable.exit_code == 2 and "cannot reach Slack for conversations.create" in unreachable.output
    slack.channels["C0000000099"] = {"name": "team-i-1-shade-for-the-bus-stop", "members": [], "pins": []}
    formed = cocreate("ideas", "form", "I-1", "--slack", "--owner", OWNER, **env)
    assert "Slack #team-i-1-shade-for-the-bus-stop-2" in formed.output


def test_channel_names_are_what_slack_accepts() -> None:
    assert channel_name("I-7", "Sombra en la parada — ¡ya!") == "team-i-7-sombra-en-la-parada-ya"
    assert channel_name("I-7", "🌳🌳") == "team-i-7"
    long = channel_name("I-12345", "word " * 40, attempt=3)
    assert len(long) <= 80 and long.endswith("-3") and "--" not in long
