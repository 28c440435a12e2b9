"""The Open311 API with 100,000 submissions (benchmarks/web.py's fill): server time for a
full page of requests.json (1,000 requests), a filtered page, one request, and a partner's
POST (target: p95 under 100 ms for one request and a POST; a full page of 1,000 is
measured against the same line, to watch).

Server time is the time the ASGI app takes to answer, from the request to the last byte of
its body (no network).

    python benchmarks/open311.py [--submissions 100000] [--requests 30] [--postgres postgresql+psycopg://postgres@127.0.0.1/test] [--no-sqlite]
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from pathlib import Path
from typing import Callable

sys.path[0] = str(Path(__file__).resolve().parents[1])

import httpx  # noqa: E402
from sqlmodel import Session  # noqa: E402

from benchmarks import web  # noqa: E402
from benchmarks.web import NOW  # noqa: E402
from bot.app import App  # noqa: E402
from bot.operations import partner_keys  # noqa: E402
from bot.web.console import build_console  # noqa: E402
from bot.web.server import console_asgi  # noqa: E402

START = "2025-11-01T00:00:00Z"  # the whole year benchmarks/web.py fills


async def measure(app: App, requests: int) -> dict[str, list[float]]:
    console = await app.blocking(build_console, app)
    with Session(app.database) as session, session.begin():
        key = partner_keys.add_key(session, name="bench", actor="cli:bench", via="cli", now=NOW)
    rng = random.Random(11)
    form = {"api_key": key, "service_code": "roads", "description": "A pothole by the bus stop", "lat": "-34.9", "long": "-56.1"}
    calls: dict[str, Callable[[httpx.AsyncClient], object]] = {
        "requests.json, a full page": lambda http: http.get("/open311/v2/requests.json", params={"start_date": START}),
        "requests.json, open roads": lambda http: http.get(
            "/open311/v2/requests.json", params={"start_date": START, "service_code": "roads", "status": "open"}
        ),
        "requests/P-n.json": lambda http: http.get(f"/open311/v2/requests/P-{rng.randint(1, 70_000)}.json"),
        "POST requests.json": lambda http: http.post("/open311/v2/requests.json", data=form),
    }
    timings: dict[str, list[float]] = {name: [] for name in calls}
    transport = httpx.ASGITransport(app=console_asgi(console))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for name, call in calls.items():
            for attempt in range(requests + 3):
                started = time.perf_counter()
                response = await call(http)  # type: ignore[misc]
                elapsed = time.perf_counter() - started
                assert response.status_code in (200, 201, 404), (name, response.status_code, response.text[:200])
                if attempt >= 3:  # the first few warm the caches
                    timings[name].append(elapsed)
    return timings


if __name__ == "__main__":
    web.main(__doc__ or "", measure=measure, requests=30, open311_posts_per_hour=100_000)
