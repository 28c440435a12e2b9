"""Partners' webhooks: each event is an outbox row, POSTed to a local aiohttp server on
127.0.0.1, signed as Standard Webhooks says (verified with the specification's own library);
a partner that is down is retried, then the row is marked failed and `webhooks list` says so."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import AsyncIterator

import pytest
from aiohttp import web
from contextlib import asynccontextmanager
from sqlmodel import Session, select
from standardwebhooks import Webhook

from bot.app import App, utc_now
from bot.outbound.webhook_sender import WEBHOOK_ATTEMPTS
from storage.models import OutboxMessage
from tests.bot.test_status_changes import ANA, change, report
from tests.conftest import AppFactory, Clock, Cocreate

pytestmark = pytest.mark.postgres
EVENTS = "submission.created,status.changed,submission.merged"


@dataclass
class Partner:
    """A partner's endpoint: answers each POST with the next scripted status (then 200)."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((await request.read(), dict(request.headers)))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@asynccontextmanager
async def listening(partner: Partner) -> AsyncIterator[Partner]:
    server = web.Application()
    server.router.add_post("/hook", partner.handle)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    partner.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield partner
    finally:
        await runner.cleanup()


def add_hook(cocreate: Cocreate, url: str, *more: str) -> str:
    """Add a hook; the signing secret it printed."""
    added = cocreate("webhooks", "add", url, "--events", EVENTS, *more)
    assert added.exit_code == 0, added.output
    found = re.search(r"(whsec_\S+)", added.output)
    assert found, added.output
    return found.group(1)


async def deliver(app: App) -> int:
    worker, sender = app.webhook_delivery()
    try:
        return await worker.drain()
    finally:
        await sender.close()


def test_events_arrive_signed_and_carry_no_personal_data(app_factory: AppFactory, cocreate: Cocreate) -> None:
    app = app_factory(clock=utc_now)  # the receiver checks the signature's time against its own clock

    async def scenario() -> tuple[Partner, str]:
        async with listening(Partner()) as partner:
            secret = await asyncio.to_thread(add_hook, cocreate, partner.url)
            await asyncio.to_thread(report, app, ANA, "Streetlight out on Rambla Sur 1234")
            await asyncio.to_thread(change, app, "P-1", "accepted", "We will fix it this week")
            assert await deliver(app) == 2
            return partner, secret

    partner, secret = asyncio.run(scenario())
    verifier = Webhook(secret)
    created, changed = (verifier.verify(body, headers) for body, headers in partner.received)
    assert created["type"] == "submission.created"
    assert created["data"]["ref"] == "P-1" and created["data"]["kind"] == "problem"
    assert created["data"]["description"] == "Streetlight out on Rambla Sur 1234"
    assert "submitter_name" not in created["data"]
    assert changed["type"] == "status.changed"
    assert (changed["data"]["from"], changed["data"]["to"], changed["data"]["note"]) == ("new", "accepted", "We will fix it this week")
    ids = [headers["webhook-id"] for _, headers in partner.received]
    assert len(set(ids)) == 2
    with pytest.raises(Exception):  # a body changed on the way fails verification
        verifier.verify(partner.received[0][0].replace(b"P-1", b"P-2"), partner.received[0][1])


def test_personal_data_only_for_a_hook_that_asked_for_it(app: App, cocreate: Cocreate) -> None:
    add_hook(cocreate, "https://partner.example/a")
    add_hook(cocreate, "https://partner.example/b", "--include-personal-data")
    report(app, ANA, "Streetlight out on Rambla Sur 1234")
    with Session(app.database) as session:
        bodies = [json.loads(row.text) for row in session.exec(select(OutboxMessage).where(OutboxMessage.channel == "webhook").order_by(OutboxMessage.id))]
    plain, personal = bodies
    assert "submitter_name" not in plain["data"]
    assert "submitter_name" in personal["data"]


def test_a_partner_that_is_down_is_retried_then_marked_failed_and_listed(app: App, clock: Clock, cocreate: Cocreate) -> None:
    async def scenario() -> tuple[Partner, str, str]:
        async with listening(Partner(statuses=[503] * WEBHOOK_ATTEMPTS)) as partner:
            await asyncio.to_thread(add_hook, cocreate, partner.url)
            await asyncio.to_thread(report, app, ANA, "Streetlight out on Rambla Sur 1234")
            for _ in range(WEBHOOK_ATTEMPTS):
                await deliver(app)
                clock.now += timedelta(hours=2)  # past any backoff
            listed = (await asyncio.to_thread(cocreate, "webhooks", "list")).output
            # The partner is back (it answers 200 now): staff send what failed again.
            retried = (await asyncio.to_thread(cocreate, "webhooks", "retry", "1")).output
            clock.now = utc_now() + timedelta(seconds=1)  # the command queued it by the real time
            await deliver(app)
            return partner, listed, retried

    partner, listed, retried = asyncio.run(scenario())
    assert len(partner.received) == WEBHOOK_ATTEMPTS + 1
    assert len({headers["webhook-id"] for _, headers in partner.received}) == 1  # the same message, tried again
    assert "delivered 0, pending 0, failed 1; last error: HTTP 503" in listed
    assert retried.strip() == "1 failed event of webhook 1 queued again; `cocreate run` sends them."
    assert json.loads(partner.received[-1][0])["data"]["ref"] == "P-1"
    assert "delivered 1, pending 0, failed 0" in cocreate("webhooks", "list").output


def test_a_refusal_fails_at_once(app: App, cocreate: Cocreate) -> None:
    async def scenario() -> Partner:
        async with listening(Partner(statuses=[410])) as partner:
            await asyncio.to_thread(add_hook, cocreate, partner.url)
            await asyncio.to_thread(report, app, ANA, "Streetlight out on Rambla Sur 1234")
            await deliver(app)
            return partner

    assert len(asyncio.run(scenario()).received) == 1
    assert "failed 1; last error: HTTP 410" in cocreate("webhooks", "list").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ftp://partner.example/x", "--events", "status.changed"), "is not an http:// or https:// URL"),
        (("https://partner.example:port/x", "--events", "status.changed"), "is not an http:// or https:// URL"),
        (("https://partner.example/" + "a" * 2000, "--events", "status.changed"), "webhooks take at most 2,000"),
        (("https://partner.example/x", "--events", "status.moved"), "--events: unknown status.moved"),
        (("https://partner.example/x", "--events", "status.changed", "--secret", "nope"), "--secret must be whsec_"),
    ],
)
def test_mistakes_get_one_line(cocreate: Cocreate, args: tuple[str, ...], message: str) -> None:
    result = cocreate("webhooks", "add", *args)
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_removing_a_hook_fails_what_it_was_still_to_get(app: App, cocreate: Cocreate) -> None:
    add_hook(cocreate, "https://partner.example/a")
    report(app, ANA, "Streetlight out on Rambla Sur 1234")
    assert cocreate("webhooks", "remove", "1").exit_code == 0
    assert "No webhooks yet" in cocreate("webhooks", "list").output
    with Session(app.database) as session:
        (row,) = session.exec(select(OutboxMessage).where(OutboxMessage.channel == "webhook")).all()
    assert (row.status, row.last_error, row.text) == ("failed", "webhook removed", "")
    assert cocreate("webhooks", "remove", "1").exit_code == 2


def test_a_partner_that_cannot_be_reached_is_tried_again_later(app: App, cocreate: Cocreate, unused_port: int) -> None:
    add_hook(cocreate, f"http://127.0.0.1:{unused_port}/hook")  # nothing listens there
    report(app, ANA, "Streetlight out on Rambla Sur 1234")
    asyncio.run(deliver(app))
    with Session(app.database) as session:
        (row,) = session.exec(select(OutboxMessage).where(OutboxMessage.channel == "webhook")).all()
    assert row.status == "pending" and row.next_attempt_at > app.clock() and "Cannot connect" in (row.last_error or "")
    assert "delivered 0, pending 1, failed 0; last error: ClientConnectorError" in cocreate("webhooks", "list").output
