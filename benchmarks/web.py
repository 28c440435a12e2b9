"""The staff console with 100,000 submissions: server time for the inbox's first page, a
filtered page and a submission's page (target: p95 under 100 ms on SQLite and PostgreSQL).

Server time is the time the console's ASGI app takes to answer, from the request to the
last byte of its body (the session check, the reads and the rendering; no network).

    python benchmarks/web.py [--submissions 100000] [--requests 60] [--postgres postgresql+psycopg://postgres@127.0.0.1/test] [--no-sqlite]

After the bulk fill the database is analyzed (and on PostgreSQL vacuumed), as autovacuum
would have done long before a real database held 100,000 submissions: without statistics
the planner guesses, and without a visibility map no index-only scan pays off.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable

sys.path[0] = str(Path(__file__).resolve().parents[1])

import httpx  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bot.app import App, build_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.operations import sign_in  # noqa: E402
from bot.web.console import build_console  # noqa: E402
from bot.web.server import console_asgi  # noqa: E402
from storage.models import Citizen, DesignOffer, Idea, Problem, StatusChange, Support  # noqa: E402
from tests.postgres import scratch_database  # noqa: E402

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)
CATEGORIES = ("roads", "lighting", "waste", "parks", "transport", "safety", "other")
STATUS_WEIGHTS = {"new": 30, "under_review": 20, "accepted": 15, "in_progress": 10, "done": 15, "declined": 5, "duplicate": 5}
WORDS = "street lamp pothole bins park bench bus stop crossing noise graffiti tree flooding bike lane pavement".split()
STAFF = "console:bench"
BATCH = 5_000


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18))).capitalize()


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(model), rows[start : start + BATCH])


def fill(app: App, submissions: int, seed: int = 7) -> None:
    """People, problems (70%), ideas (25%), design offers (5%), each with its arrival in the
    history, a third moved on since, and supports; spread over the last year."""
    rng = random.Random(seed)
    people = max(100, submissions // 10)
    statuses = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()), k=submissions)
    moments = sorted(NOW - timedelta(minutes=rng.randint(1, 365 * 24 * 60)) for _ in range(submissions))
    problems, ideas = int(submissions * 0.70), int(submissions * 0.25)
    with Session(app.database) as session, session.begin():
        _insert(session, Citizen, [
            {"channel": rng.choice(("telegram", "slack", "console")), "channel_user_id": f"u{n}", "chat_id": f"u{n}",
             "display_name": f"Person {n}", "language": rng.choice(("en", "es", "fr", "de", "pt")), "role": "explorer",
             "consented_at": NOW, "unreachable": False, "created_at": NOW}
            for n in range(1, people + 1)
        ])  # fmt: skip
        made: list[tuple[str, int, str, datetime]] = []
        rows: dict[str, list[dict[str, Any]]] = {"problem": [], "idea": [], "design": []}
        for n, (status, at) in enumerate(zip(statuses, moments)):
            citizen = rng.randint(1, people)
            if n < problems:
                kind, number = "problem", len(rows["problem"]) + 1
                rows[kind].append({"description": _text(rng), "title": _text(rng)[:80], "category": rng.choice(CATEGORIES),
                                   "language": rng.choice(("en", "es")), "place": f"{rng.choice(WORDS).capitalize()} Street {rng.randint(1, 99)}",
                                   "citizen_id": citizen, "status": status, "created_at": at})  # fmt: skip
            elif n < problems + ideas:
                kind, number = "idea", len(rows["idea"]) + 1
                rows[kind].append({"description": _text(rng), "title": _text(rng)[:80], "benefit": "neighbours", "language": "en",
                                   "problem_id": rng.randint(1, problems) if rng.random() < 0.6 else None,
                                   "citizen_id": citizen, "status": status, "created_at": at})  # fmt: skip
            else:
                kind, number = "design", len(rows["design"]) + 1
                rows[kind].append({"idea_id": rng.randint(1, ideas), "skills": ["carpentry"], "hours": "2-5", "contact_ok": True,
                                   "language": "en", "citizen_id": citizen, "status": status, "created_at": at})  # fmt: skip
            made.append((kind, number, status, at))
        for kind, model in (("problem", Problem), ("idea", Idea), ("design", DesignOffer)):
            _insert(session, model, rows[kind])
        history = [{"kind": k, "target_id": i, "from_status": None, "to_status": "new", "changed_by": f"citizen:{i}", "created_at": at}
                   for k, i, _, at in made]  # fmt: skip
        history += [{"kind": k, "target_id": i, "from_status": "new", "to_status": s, "note": "Moved on", "changed_by": STAFF,
                     "created_at": at + timedelta(days=2)} for k, i, s, at in made if s != "new"]  # fmt: skip
        _insert(session, StatusChange, history)
        supports = {(rng.randint(1, people), "problem", rng.randint(1, problems)) for _ in range(submissions * 2)}
        _insert(session, Support, [{"citizen_id": c, "kind": k, "target_id": t, "created_at": NOW} for c, k, t in supports])
    analyze(app)


def analyze(app: App) -> None:
    """Planner statistics for the bulk-filled tables (VACUUM cannot run in a transaction)."""
    if app.database.dialect.name != "postgresql":
        with app.database.begin() as connection:
            connection.execute(text("ANALYZE"))
        return
    with app.database.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


async def measure(app: App, requests: int) -> dict[str, list[float]]:
    console = await app.blocking(build_console, app)
    with Session(app.database) as session, session.begin():
        link = sign_in.issue_link(session, identity=STAFF, configured=(STAFF,), base_url="http://bench", now=app.clock(), actor="cli:bench", via="cli")
    rng = random.Random(11)
    pages = {
        "inbox, first page": lambda: "/",
        "inbox, filtered (new roads)": lambda: "/?status=new&category=roads",
        "a submission's page": lambda: f"/submissions/P-{rng.randint(1, 70_000)}",
    }
    timings: dict[str, list[float]] = {name: [] for name in pages}
    transport = httpx.ASGITransport(app=console_asgi(console))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        await http.post(link.removeprefix("http://bench"))
        for name, path in pages.items():
            for attempt in range(requests + 5):
                started = time.perf_counter()
                response = await http.get(path())
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, (path, response.status_code)
                if attempt >= 5:  # the first few warm the caches and the templates
                    timings[name].append(elapsed)
    return timings


Measure = Callable[[App, int], Awaitable[dict[str, list[float]]]]


def run(url: str, label: str, submissions: int, requests: int, *, measure: Measure = measure, **settings: Any) -> None:
    """Fill a database, then print each measurement's p50 and p95 (and whether p95 is under 100 ms)."""
    app = build_app(Settings(_env_file=None, database_url=url, **({"staff": STAFF} | settings)), clock=lambda: NOW)
    try:
        started = time.perf_counter()
        fill(app, submissions)
        print(f"{label}: {submissions:,} submissions written in {time.perf_counter() - started:.0f} s")
        for name, seconds in asyncio.run(measure(app, requests)).items():
            ordered = sorted(seconds)
            p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
            verdict = "ok" if p95 < 0.100 else "OVER the 100 ms target"
            print(f"  {name:<30} p50 {statistics.median(ordered) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   ({verdict})")
    finally:
        app.close()


def main(doc: str = __doc__ or "", *, measure: Measure = measure, requests: int = 60, **settings: Any) -> None:
    """The command line of this benchmark, and of others that measure the same filled database."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=requests)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a scratch database is created there")
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    options = parser.parse_args()
    if not options.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{folder}/bench.db", "SQLite", options.submissions, options.requests, measure=measure, **settings)
    if options.postgres:
        with scratch_database(options.postgres, prefix="cocreate_bench") as url:
            run(url, "PostgreSQL", options.submissions, options.requests, measure=measure, **settings)


if __name__ == "__main__":
    main()
