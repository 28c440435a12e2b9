"""Slack end to end: signed HTTP requests into the real slack-bolt app, its Web API calls
answered by a fake Slack on 127.0.0.1."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, AsyncIterator, Callable, Iterator
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier
from sqlmodel import Session, func, select

from bot.app import App, utc_now
from bot.outbound.ratelimit import UNLIMITED
from bot.channels.slack_channel import SlackChannel
from conversations.i18n import T
from conversations.messages import Address
from storage import citizens, staff, submissions
from storage.models import Citizen, Idea, OutboxMessage, Problem, ProblemCreate, ProcessedEvent
from tests.conftest import AppFactory
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, FakeSlack, fixture

DM = "D0001"
_events = iter(range(1, 1_000_000))


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture
def settings_overrides(fake: FakeSlack, unused_port: int) -> dict[str, Any]:
    """A bot on Slack in HTTP mode, listening on a free port, calling the fake Web API."""
    return {
        "slack_bot_token": BOT_TOKEN, "slack_signing_secret": SIGNING_SECRET, "slack_api_base_url": fake.base_url,
        "slack_host": "127.0.0.1", "slack_port": unused_port,
    }  # fmt: skip


@pytest.fixture
def app_clock() -> Callable[[], datetime]:
    return utc_now  # the channel's retries and timers run in real time


class Slack:
    """Sends what Slack would send to the app: signed events, presses and commands."""

    def __init__(self, client: httpx.AsyncClient, port: int) -> None:
        self.client, self.url = client, f"http://127.0.0.1:{port}/slack/events"
        self.signer = SignatureVerifier(SIGNING_SECRET)

    async def post(self, body: str, content_type: str, *, timestamp: int | None = None, signature: str | None = None,
                   headers: dict[str, str] | None = None) -> httpx.Response:  # fmt: skip
        stamp = str(timestamp or int(time.time()))
        signed = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature or self.signer.generate_signature(timestamp=stamp, body=body),
            **(headers or {}),
        }
        return await self.client.post(self.url, content=body.encode(), headers=signed)

    async def message(self, text: str, *, user: str = "U0001", event_id: str | None = None, **options: Any) -> httpx.Response:
        body = copy.deepcopy(fixture("event_message_im.json"))
        body["event_id"] = event_id or f"Ev{next(_events):08d}"
        body["event"].update(text=text, user=user, channel="D" + user[1:])
        return await self.post(json.dumps(body), "application/json", **options)

    async def press(self, message: dict[str, Any], label: str, *, user: str = "U0001") -> httpx.Response:
        buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
        button = next(b for b in buttons if b["text"]["text"] == label)
        payload = copy.deepcopy(fixture("block_actions_payload.json"))
        payload["user"]["id"] = user
        payload["channel"]["id"] = payload["container"]["channel_id"] = message["channel"]
        payload["message"].update(ts=message["ts"], text=message["text"])
        payload["actions"][0].update(value=button["value"], action_id=button["action_id"], text=button["text"],
                                     action_ts=f"{time.time():.6f}")  # fmt: skip
        return await self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


@asynccontextmanager
async def serving(app: App) -> AsyncIterator[Slack]:
    channel = SlackChannel.build(app.settings, app.channel_hooks(), limits=UNLIMITED)  # the limits have tests of their own
    channel.worker.poll_interval = 0.2
    await channel.start()
    receiving = asyncio.create_task(channel.receive())
    delivering = asyncio.create_task(channel.worker.run())
    async with httpx.AsyncClient() as client:
        slack = Slack(client, app.settings.slack_port)
        await _until_listening(slack)
        try:
            yield slack
        finally:
            receiving.cancel()
            channel.worker.stop()
            await asyncio.gather(receiving, delivering, return_exceptions=True)


async def _until_listening(slack: Slack) -> None:
    for _ in range(200):
        try:
            await slack.post(json.dumps(fixture("url_verification.json")), "application/json")
            return
        except httpx.ConnectError:
            await asyncio.sleep(0.01)  # the server task has not bound its port yet


async def next_message(fake: FakeSlack, sending: Any, channel: str = DM) -> dict[str, Any]:
    before = len(fake.messages(channel))
    response = await sending
    assert response.status_code == 200, response.text
    return (await asyncio.to_thread(fake.wait_for_messages, before + 1, channel))[before]


def add_problem(app: App) -> None:
    with Session(app.database) as session, session.begin():
        ana = citizens.citizen_for(session, address=Address("console", "ana", "ana"))
        problem = ProblemCreate(description="Big pothole on Main Street", title="Big pothole on Main Street", category="roads", language="en")
        submissions.create_problem(session, citizen_id=ana.id, problem_in=problem)


def test_a_whole_ideator_dialog_by_buttons_and_text_in_a_dm(app: App, fake: FakeSlack) -> None:
    add_problem(app)

    async def scenario() -> None:
        async with serving(app) as slack:
            consent = await next_message(fake, slack.message("hello"))
            roles = await next_message(fake, slack.press(consent, "I agree"))
            action = await next_message(fake, slack.press(roles, "Ideator — suggest a solution to a known problem"))
            problems = await next_message(fake, slack.press(action, "Propose an idea"))
            ask = await next_message(fake, slack.press(problems, "P-1 · Big pothole on Main Street · 0 supporting"))
            assert ask["text"].startswith("What is your idea?")
            await next_message(fake, slack.message("Fill it & paint <b>lines</b>, <!channel> look"))
            summary = await next_message(fake, slack.message("Parents walking kids to school"))
            assert "Fill it &amp; paint &lt;b&gt;lines&lt;/b&gt;, &lt;!channel&gt; look" in summary["blocks"][0]["text"]["text"]
            saved = await next_message(fake, slack.press(summary, "Confirm"))
            assert saved["text"].startswith("Thank you! Your idea is I-1.")

    asyncio.run(scenario())
    with Session(app.database) as session:
        idea = session.exec(select(Idea)).one()
        person = session.exec(select(Citizen).where(Citizen.channel == "slack")).one()
    assert (idea.description, idea.problem_id) == ("Fill it & paint <b>lines</b>, <!channel> look", 1)
    assert person.display_name == "alice"  # from users.info
    updates = fake.calls_of("chat.update")
    assert len(updates) == 5 and updates[0]["text"].endswith("✓ I agree")
    assert all(block["type"] == "section" for block in updates[0]["blocks"])  # the buttons are gone


def test_a_mention_in_a_channel_answers_in_the_thread_and_stores_nobody(app: App, fake: FakeSlack) -> None:
    async def scenario() -> None:
        async with serving(app) as slack:
            response = await slack.post(json.dumps(fixture("event_app_mention.json")), "application/json")
            assert response.status_code == 200
            (reply,) = await asyncio.to_thread(fake.wait_for_messages, 1, "C0100")
            assert reply["thread_ts"] == "1764331201.000300"
            assert "Talk to me privately" in json.dumps(reply["blocks"])
            dm = await next_message(fake, slack.press(reply, "Talk to me privately"))
            assert dm["text"].startswith("Hello! I'm cocreate")

    asyncio.run(scenario())
    with Session(app.database) as session:
        (person,) = session.exec(select(Citizen)).all()  # created by the DM, not by the mention
    assert (person.chat_id, person.consented_at) == (DM, None)


def test_the_slash_command_opens_the_dialog_in_a_dm(app: App, fake: FakeSlack) -> None:
    async def scenario() -> None:
        async with serving(app) as slack:
            before = len(fake.messages(DM))
            response = await slack.post(fixture("slash_command_body.txt").strip(), "application/x-www-form-urlencoded")
            assert response.status_code == 200
            assert response.json() == {"text": "I've sent you a direct message — let's continue there.", "response_type": "ephemeral"}
            consent = (await asyncio.to_thread(fake.wait_for_messages, before + 1, DM))[before]
            ask = await next_message(fake, slack.press(consent, "I agree"))
            assert ask["text"].endswith("(at least 10 characters).")  # /cocreate report goes straight to it

    asyncio.run(scenario())
    assert fake.calls_of("conversations.open")[0]["users"] == "U0001"


def test_serving_slack_and_delivering_are_signs_of_life_for_healthz(app: App, fake: FakeSlack) -> None:
    now = [0.0]
    app.liveness.monotonic = lambda: now[0]
    app.liveness.watch("slack")  # as `cocreate run` does when it starts the channel
    now[0] = 1000.0  # long past the last sign of life

    async def scenario() -> None:
        async with serving(app):
            assert app.liveness.stale() == [] and app.liveness.parts() == ["delivery:slack", "slack"]
        assert app.liveness.parts() == ["slack"]  # a worker that stopped leading is not checked

    asyncio.run(scenario())


def test_forged_and_stale_requests_are_refused_and_change_nothing(app: App, fake: FakeSlack) -> None:
    async def scenario() -> None:
        async with serving(app) as slack:
            forged = await slack.message("hello", signature="v0=" + "0" * 64)
            stale = await slack.message("hello", timestamp=int(time.time()) - 6 * 60)
            assert (forged.status_code, stale.status_code) == (401, 401)

    asyncio.run(scenario())
    with Session(app.database) as session:
        assert session.exec(select(func.count()).select_from(Citizen)).one() == 0
        assert session.exec(select(func.count()).select_from(ProcessedEvent)).one() == 0
    assert fake.messages() == []


def test_a_retried_event_is_processed_once_and_url_verification_is_answered(app: App, fake: FakeSlack) -> None:
    async def scenario() -> None:
        async with serving(app) as slack:
            await next_message(fake, slack.message("hello", event_id="EvRetried1"))
            retry = await slack.message("hello", event_id="EvRetried1", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
            assert retry.status_code == 200
            await next_message(fake, slack.message("/help"))
            challenge = await slack.post(json.dumps(fixture("url_verification.json")), "application/json")
            assert challenge.json()["challenge"] == fixture("url_verification.json")["challenge"]

    asyncio.run(scenario())
    texts = [m["text"] for m in fake.messages(DM)]
    assert len(texts) == 2 and texts[1].startswith("I help you take part")


def test_a_rate_limit_is_waited_out_and_the_message_still_arrives(app: App, fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", 429, fixture("error_ratelimited.json"), {"Retry-After": "1"})

    async def scenario() -> None:
        async with serving(app) as slack:
            consent = await next_message(fake, slack.message("hello"))
            assert consent["text"].startswith("Hello!")

    asyncio.run(scenario())
    with Session(app.database) as session:
        row = session.exec(select(OutboxMessage)).one()
    assert (row.status, row.attempts) == ("sent", 2)


def test_socket_mode_receives_events_over_the_websocket_and_acknowledges_them(
    app_factory: AppFactory, fake: FakeSlack
) -> None:
    app = app_factory(slack_signing_secret=None, slack_app_token=APP_TOKEN)  # Socket Mode: no HTTP server

    async def scenario() -> None:
        channel = SlackChannel.build(app.settings, app.channel_hooks(), limits=UNLIMITED)
        await channel.start()
        tasks = [asyncio.create_task(channel.receive()), asyncio.create_task(channel.worker.run())]
        envelope = await asyncio.to_thread(fake.send_envelope, fixture("event_message_im.json"))
        (consent,) = await asyncio.to_thread(fake.wait_for_messages, 1, DM)
        assert consent["text"].startswith("Hello! I'm cocreate")
        await asyncio.to_thread(fake.wait_until, lambda f: envelope in f.acks)
        for task in tasks:
            task.cancel()
        channel.worker.stop()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(scenario())
    assert fake.calls_of("apps.connections.open")


def test_a_slack_user_is_greeted_in_their_slack_locale(app: App, fake: FakeSlack) -> None:
    fake.locales["U0001"] = "es-ES"  # what users.info reports for this person

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with serving(app) as slack:
            consent = await next_message(fake, slack.message("hola"))
            roles = await next_message(fake, slack.press(consent, app.catalogs.render("es", T("consent.agree"))))
            return consent, roles

    consent, roles = asyncio.run(scenario())
    assert consent["text"] == app.catalogs.render("es", T("consent.ask"))
    assert roles["text"].endswith(app.catalogs.render("es", T("role.ask")))
    with Session(app.database) as session:
        person = session.exec(select(Citizen).where(Citizen.channel == "slack")).one()
    assert person.language == "es"  # kept from consent on


def test_staff_open_the_inbox_with_the_slash_command(app: App, fake: FakeSlack) -> None:
    add_problem(app)
    with Session(app.database) as session, session.begin():
        staff.add_staff(session, address="slack:U0001")
    body = fixture("slash_command_body.txt").strip().replace("text=report", "text=inbox")

    async def scenario() -> dict[str, Any]:
        async with serving(app) as slack:
            consent = await next_message(fake, slack.message("hello"))
            await next_message(fake, slack.press(consent, "I agree"))
            inbox = await next_message(fake, slack.post(body, "application/x-www-form-urlencoded"))
            return await next_message(fake, slack.press(inbox, "P-1 — Big pothole on Main Street (new)"))

    opened = asyncio.run(scenario())
    assert opened["text"].startswith("P-1 — Big pothole on Main Street\nStage: new · language: en · supporters: 0")
    assert "Add a note only" in json.dumps(opened["blocks"])


def test_the_slash_command_is_acknowledged_in_the_persons_language(app: App, fake: FakeSlack) -> None:
    with Session(app.database) as session, session.begin():
        person = citizens.citizen_for(session, address=Address("slack", "D0001", "U0001"))
        citizens.give_consent(session, citizen=person, display_name="alice", language="de", now=app.clock())

    async def scenario() -> dict[str, Any]:
        async with serving(app) as slack:
            response = await slack.post(fixture("slash_command_body.txt").strip(), "application/x-www-form-urlencoded")
            return response.json()

    assert asyncio.run(scenario())["text"] == app.catalogs.render("de", T("slack.see_dm"))


def test_mydata_by_slash_command_shares_a_json_file_in_the_dm(app: App, fake: FakeSlack) -> None:
    async def scenario() -> None:
        async with serving(app) as slack:
            consent = await next_message(fake, slack.message("hello"))
            await next_message(fake, slack.press(consent, "I agree"))
            body = fixture("slash_command_body.txt").strip().replace("text=report", "text=mydata")
            summary = await next_message(fake, slack.post(body, "application/x-www-form-urlencoded"))
            assert summary["text"].startswith("What we keep about you:")
            await asyncio.to_thread(fake.wait_until, lambda f: len(f.files) == 1)

    asyncio.run(scenario())
    [shared] = fake.files
    assert shared["channel"] == DM and shared["filename"].startswith("cocreate-mydata-")
    assert shared["comment"] == "Everything we keep about you (JSON)."
    data = json.loads(shared["content"])
    assert data["identities"] == [{"channel": "slack", "user_id": "U0001", "chat_id": DM}]
    assert [c for c in fake.call_names() if c.startswith("files.") or c == "upload"] == [
        "files.getUploadURLExternal", "upload", "files.completeUploadExternal"
    ]


def test_forget_by_slash_command_leaves_nothing_that_names_the_person(app: App, fake: FakeSlack) -> None:
    """`/cocreate forget` in a channel: the confirmation comes in the DM, and once pressed
    nothing in the database holds their user id, DM channel or name; their report stays."""
    from tests.bot.test_data_rights import everything_stored

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with serving(app) as slack:
            consent = await next_message(fake, slack.message("hello"))
            roles = await next_message(fake, slack.press(consent, "I agree"))
            await next_message(fake, slack.press(roles, "Explorer — report a problem you've noticed"))
            categories = await next_message(fake, slack.message("The bench by the Quellwater fountain is broken"))
            await next_message(fake, slack.press(categories, "Parks and green spaces"))
            affected = await next_message(fake, slack.message("Skip"))
            summary = await next_message(fake, slack.press(affected, "My street"))
            await next_message(fake, slack.press(summary, "Confirm"))
            body = fixture("slash_command_body.txt").strip().replace("text=report", "text=forget")
            asking = await next_message(fake, slack.post(body, "application/x-www-form-urlencoded"))
            farewell = await next_message(fake, slack.press(asking, "Forget me, keep my submissions"))
            return asking, farewell  # leaving `serving` stops the worker once it wrote what it sent

    asking, farewell = asyncio.run(scenario())
    assert _no_farewell_left(app)  # delivered, and deleted with its address
    assert "Your submissions (1) stay, as written by \"a resident\"" in asking["text"]
    assert farewell["text"].startswith("Done: I have forgotten you.")
    stored = everything_stored(app).lower()
    for trace in ("u0001", DM.lower(), "alice"):
        assert trace not in stored, f"{trace!r} is still in the database"
    with Session(app.database) as session:
        assert session.exec(select(func.count()).select_from(Problem)).one() == 1


def _no_farewell_left(app: App) -> bool:
    with Session(app.database) as session:
        return not session.exec(select(OutboxMessage).where(OutboxMessage.kind == "farewell")).all()


def test_button_presses_past_the_flood_limit_cost_no_call_to_slack(app: App, fake: FakeSlack) -> None:
    """A press the flood gate drops does not update the pressed message: chat.update is
    rate-limited per workspace, so one person's flood would use up everyone's."""

    async def scenario() -> None:
        async with serving(app) as slack:
            consent = await next_message(fake, slack.message("hello"))
            for _ in range(30):
                assert (await slack.press(consent, "Tell me more")).status_code == 200

    asyncio.run(scenario())
    assert len(fake.calls_of("chat.update")) == 20  # 19 handled after "hello", then the "slow down"


def test_web_by_slash_command_brings_staff_a_sign_in_link_in_the_dm_and_refuses_everyone_else(app: App, fake: FakeSlack) -> None:
    with Session(app.database) as session, session.begin():
        staff.add_staff(session, address="slack:U0001")
    web = fixture("slash_command_body.txt").strip().replace("text=report", "text=web")

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with serving(app) as slack:
            for user, dm in (("U0001", DM), ("U0002", "D0002")):
                consent = await next_message(fake, slack.message("hello", user=user), dm)
                await next_message(fake, slack.press(consent, "I agree", user=user), dm)
            boss = await next_message(fake, slack.post(web, "application/x-www-form-urlencoded"), DM)
            other = web.replace("user_id=U0001", "user_id=U0002").replace("trigger_id=123", "trigger_id=124")
            refused = await next_message(fake, slack.post(other, "application/x-www-form-urlencoded"), "D0002")
            return boss, refused

    boss, refused = asyncio.run(scenario())
    assert "works once, for 15 minutes" in boss["text"] and f"{app.settings.web_url}/signin/" in boss["text"]
    assert "only for the city team" in refused["text"] and "/signin/" not in json.dumps(refused)
    assert all("/signin/" not in json.dumps(m) for m in fake.messages("C0100"))  # nothing in the channel it was typed in
