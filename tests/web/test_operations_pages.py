"""/healthz and /metrics on the console's port, as a load balancer and Prometheus see them:
no session needed, a failing part named, counts of what happened, and METRICS_TOKEN."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import App
from bot.runtime.health import STALE_AFTER
from tests.conftest import AppFactory, Clock
from tests.web.support import client, report



async def fetch(app: App, path: str, **headers: str) -> httpx.Response:
    async with client(app) as http:  # no sign-in: these pages need none
        return await http.get(path, headers=headers)


def get(app: App, path: str, **headers: str) -> httpx.Response:
    return asyncio.run(fetch(app, path, **headers))


def samples(exposition: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, by name and labels, read with prometheus_client's parser."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def labels(**pairs: str) -> frozenset[tuple[str, str]]:
    return frozenset(pairs.items())


@pytest.mark.postgres
def test_healthz_answers_200_without_a_session_when_the_database_answers(app: App) -> None:
    answer = get(app, "/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "failing": [], "checked": ["database"]}
    assert answer.headers["cache-control"] == "no-store"


def test_healthz_names_a_loop_that_stopped_beating_and_recovers_when_it_beats(app: App) -> None:
    now = [1000.0]
    app.liveness.monotonic = lambda: now[0]
    app.liveness.watch("telegram")
    app.liveness.watch("delivery:telegram")
    now[0] += STALE_AFTER + 1
    app.liveness.beat("delivery:telegram")
    answer = get(app, "/healthz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "fail", "failing": ["telegram"], "checked": ["database", "delivery:telegram", "telegram"]}
    app.liveness.beat("telegram")
    assert get(app, "/healthz").status_code == 200


@pytest.mark.postgres
def test_a_leader_that_steps_down_is_no_longer_checked(app: App) -> None:
    now = [0.0]
    app.liveness.monotonic = lambda: now[0]
    record = app.election.record  # what the election tells when this process starts and stops leading
    record("scheduler", True)
    now[0] += STALE_AFTER + 1
    assert get(app, "/healthz").json()["failing"] == ["scheduler"]
    record("scheduler", False)  # a standby now: another process leads
    assert get(app, "/healthz").status_code == 200
    leader = samples(get(app, "/metrics").text)
    assert leader[("cocreate_leader", labels(role="scheduler"))] == 0


def test_healthz_and_metrics_say_when_the_database_does_not_answer(app: App) -> None:
    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        async with client(app) as http:
            app.database.dispose()
            path = Path(str(app.database.url.database))
            for companion in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                companion.unlink(missing_ok=True)
            path.write_bytes(b"this is no longer a database" * 200)
            return await http.get("/healthz"), await http.get("/metrics")

    health, metrics = asyncio.run(scenario())
    assert health.status_code == 503 and health.json() == {"status": "fail", "failing": ["database"], "checked": ["database"]}
    assert metrics.status_code == 200 and samples(metrics.text)[("cocreate_database_up", labels())] == 0


@pytest.mark.postgres
def test_metrics_count_what_happened_and_read_the_backlog(app_factory: AppFactory, clock: Clock) -> None:
    app = app_factory(followup_after="3d")
    report(app, "ana", "The streetlight on Elm Street is out since Monday")  # in the terminal: replies queued
    clock.now += timedelta(days=3, minutes=1)  # its follow-up is due, and nobody sent it yet
    answer = get(app, "/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    found = samples(answer.text)
    # The chat's opening /start and the seven answers typed.
    assert found[("cocreate_inbound_events_total", labels(channel="console", outcome="handled"))] == 8
    replies = found[("cocreate_outbox_sends_total", labels(channel="console", kind="reply", outcome="sent"))]
    assert replies >= 8 and found[("cocreate_reply_latency_seconds_count", labels(channel="console"))] == replies
    assert found[("cocreate_database_up", labels())] == 1
    assert found[("cocreate_follow_ups_due", labels())] == 1
    # The terminal's replies were printed by its own worker; nothing waits in the outbox.
    assert not [key for key in found if key[0] == "cocreate_outbox_depth"]


def test_metrics_ask_for_the_token_when_one_is_set(app_factory: AppFactory) -> None:
    app = app_factory(metrics_token="s3cret-scrape")
    refused = get(app, "/metrics")
    assert refused.status_code == 401 and "METRICS_TOKEN" in refused.text
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert get(app, "/metrics", authorization="Bearer wrong").status_code == 401
    assert get(app, "/metrics", authorization="Bearer s3cret-scrape").status_code == 200
    assert get(app, "/healthz").status_code == 200  # the load balancer's check needs no token
