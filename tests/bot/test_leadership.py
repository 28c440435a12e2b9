"""Who leads a role, as /metrics and /healthz see it: on PostgreSQL one of two processes
delivers a channel (cocreate_leader 1, its loop watched), the other waits as a standby
(neither counted as leading nor as a dead loop), and takes over when the leader stops."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from adapters.base import Queued, SendResult, Sent
from bot.app import App
from bot.outbound.delivery import DeliveryWorker
from bot.outbound.ratelimit import UNLIMITED
from tests.conftest import AppFactory
from tests.web.test_operations_pages import fetch, labels, samples

pytestmark = pytest.mark.postgres
ROLE = "delivery:console"


@dataclass(frozen=True)
class Quiet:
    channel: str = "console"

    async def send(self, message: Queued) -> SendResult:
        return Sent()


def worker_of(app: App) -> DeliveryWorker:
    worker = app.channel_hooks().delivery_worker(Quiet(), limits=UNLIMITED)
    worker.poll_interval = 0.05  # a standby tries for the lead every 0.25 s
    return worker


async def leading(app: App) -> float | None:
    return samples((await fetch(app, "/metrics")).text).get(("cocreate_leader", labels(role=ROLE)))


def test_one_process_leads_delivery_and_a_standby_takes_over(app_factory: AppFactory, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one delivering process: there is no standby to see")
    first, second = app_factory(), app_factory()

    async def scenario() -> None:
        one, other = worker_of(first), worker_of(second)
        runs = [asyncio.create_task(one.run())]
        while await leading(first) != 1:  # elected as soon as it asks: nobody else leads
            await asyncio.sleep(0.01)
        runs.append(asyncio.create_task(other.run()))
        for _ in range(3):  # a few of the standby's tries: it never wins while the first leads
            await asyncio.sleep(0.25)
            assert await leading(second) is None and ROLE not in second.liveness.parts()
        assert ROLE in first.liveness.parts()
        one.stop()
        await runs[0]
        assert await leading(first) == 0 and ROLE not in first.liveness.parts()
        while await leading(second) != 1:  # the standby takes over
            await asyncio.sleep(0.01)
        assert ROLE in second.liveness.parts()
        other.stop()
        await runs[1]

    asyncio.run(asyncio.wait_for(scenario(), timeout=30))

