"""Closing a poll that N people answered: the time to queue everyone's results (one text per
language and area, inserted in batches), on a scratch SQLite file or PostgreSQL.

    python benchmarks/poll_close.py                      # 50,000 answerers on SQLite
    python benchmarks/poll_close.py --answerers 200000 --postgres postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

# Import from the repository root, not from benchmarks/ (whose telegram.py would shadow the library).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bot.app import build_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.operations import poll_results, polling  # noqa: E402
from storage.broadcasts import Audience  # noqa: E402
from storage.models import Citizen, Subscription  # noqa: E402
from storage.poll_models import Poll, PollResponse  # noqa: E402
from tests.postgres import scratch_database  # noqa: E402

AREAS = 50
BATCH = 10_000


def run(database_url: str, answerers: int) -> None:
    app = build_app(Settings(_env_file=None, database_url=database_url))
    now = app.clock()
    with Session(app.database) as session, session.begin():
        for start in range(0, answerers, BATCH):
            ids = range(start, min(start + BATCH, answerers))
            session.connection().execute(insert(Citizen.__table__), [  # type: ignore[attr-defined]
                dict(channel="telegram", channel_user_id=str(i), chat_id=str(i), language=("en", "es")[i % 2],
                     consented_at=now, unreachable=False, block_notified=False, created_at=now) for i in ids])  # fmt: skip
            session.connection().execute(insert(Subscription.__table__), [  # type: ignore[attr-defined]
                dict(citizen_id=i + 1, topic="roads", area=f"Area {i % AREAS}", created_at=now) for i in ids])  # fmt: skip
    with Session(app.database, expire_on_commit=False) as session, session.begin():
        texts = polling.PollTexts({"en": "Move the market?"}, {"en": ["Yes", "No"]}, {"en": "The council decides in May."})
        poll = polling.queue(
            session, texts=texts, other=False, closes_at=now + timedelta(days=1), audience=Audience(), created_by="bench",
            now=now, catalogs=app.catalogs, settings=app.service.settings, zone=app.settings.zone, via="cli",
        )  # fmt: skip
        for start in range(0, answerers, BATCH):
            session.connection().execute(insert(PollResponse.__table__), [  # type: ignore[attr-defined]
                dict(poll_id=poll.broadcast_id, citizen_id=i + 1, option=i % 2, language=("en", "es")[i % 2],
                     area=f"Area {i % AREAS}", answered_at=now) for i in range(start, min(start + BATCH, answerers))])  # fmt: skip
    started = time.perf_counter()
    with Session(app.database) as session, session.begin():
        found = session.get(Poll, poll.broadcast_id)
        assert found is not None
        queued = poll_results.close_poll(session, poll=found, now=now + timedelta(days=2), notices=app.notices)
    elapsed = time.perf_counter() - started
    name = app.database.dialect.name
    print(f"{name}: {queued:,} results queued in {elapsed:.2f} s ({elapsed / max(queued, 1) * 1e6:.0f} µs per answerer)")
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answerers", type=int, default=50_000)
    parser.add_argument("--postgres", metavar="URL", help="also run on a scratch database created on this PostgreSQL server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.db", args.answerers)
    if args.postgres:
        with scratch_database(args.postgres, prefix="cocreate_bench") as url:
            run(url, args.answerers)

if __name__ == "__main__":
    main()
