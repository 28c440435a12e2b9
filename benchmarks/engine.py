"""N simulated people complete the Explorer dialog through the conversation service.

Each inbound message is one service call (one transaction: dedupe, lock, step, effects,
state, outbox). Prints messages per second, p50/p99 latency per message and peak memory.
Targets (issue 2): >= 1,000 messages/s on SQLite on one core, p99 < 20 ms, < 150 MB.

    python benchmarks/engine.py                      # SQLite file in WAL mode, 2,000 people
    python benchmarks/engine.py --stored 100000             # the same with 100,000 people stored before
    python benchmarks/engine.py --people 500 --postgres postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Import from the repository root, not from benchmarks/ (whose telegram.py would shadow the library).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bot.app import App, build_app  # noqa: E402
from storage.models import Citizen, Conversation, ProcessedEvent  # noqa: E402
from bot.config import Settings  # noqa: E402
from conversations.buttons import StepAnswer, decode  # noqa: E402
from conversations.messages import Address, Inbound  # noqa: E402
from tests.postgres import scratch_database  # noqa: E402

WORDS = (
    "pothole lamp bench bin graffiti crossing pavement drain tree fence sign bus shelter playground "
    "fountain railing kerb puddle litter noise smell crack gate bridge path hedge step wall roof"
).split()
STREETS = ["Main St", "Elm Road", "Park Lane", "Station Square", "Mill Street", "Harbour Way"]


def explorer_script(rng: random.Random) -> list[tuple[str | None, str | None]]:
    """(text, button value) pairs a person sends to report one problem."""
    description = " ".join(rng.choice(WORDS) for _ in range(8)) + f" near {rng.choice(STREETS)} {rng.randint(1, 300)}"
    return [
        ("/start", None),
        (None, "agree"),
        (None, "explorer"),
        (description, None),
        (None, rng.choice(["roads", "lighting", "waste", "parks", "transport", "safety", "other"])),
        (f"{rng.choice(STREETS)} {rng.randint(1, 300)}", None),
        (None, "_skip"),  # photo (the benchmark speaks as Telegram, which can send one)
        (None, rng.choice(["me", "street", "neighbourhood", "city"])),
        (None, "confirm"),
        (None, "different"),  # only sent when a likely duplicate was offered
    ]


def run(app: App, people: int, seed: int) -> tuple[list[float], float]:
    rng = random.Random(seed)
    scripts = {f"{10_000 + n}": explorer_script(rng) for n in range(people)}
    latencies: list[float] = []
    buttons: dict[str, dict[str, str]] = {}  # per person: option value -> the button value it carries
    event = 0
    started = time.perf_counter()
    # Interleave people round-robin, as concurrent chats arrive at one worker.
    for position in range(len(next(iter(scripts.values())))):
        for chat_id, script in scripts.items():
            text_, choice = script[position]
            if choice is not None:
                # Press the button as Telegram would send it back.
                choice = buttons.get(chat_id, {}).get(choice)
                if choice is None:
                    continue  # e.g. "Mine is different" when no duplicate was offered
            event += 1
            inbound = Inbound(Address("telegram", chat_id, chat_id), str(event), text=text_, choice=choice)
            before = time.perf_counter()
            handled = app.service.handle(inbound)
            latencies.append(time.perf_counter() - before)
            last = handled.replies[-1].choices if handled.replies else ()
            answers = ((decode(c.value), c.value) for c in last)
            buttons[chat_id] = {pressed.value: value for pressed, value in answers if isinstance(pressed, StepAnswer)}
    return latencies, time.perf_counter() - started


def store_people(app: App, count: int) -> None:
    """People who came before: consented, settled in a language, at the end of a dialog, each
    with a processed event, so the run measures the cost per update with a big table."""
    if not count:
        return
    now = app.clock()
    with Session(app.database) as session, session.begin():
        connection = session.connection()
        for start in range(0, count, 10_000):
            ids = range(start, min(count, start + 10_000))
            connection.execute(Citizen.__table__.insert(), [  # type: ignore[attr-defined]
                {"channel": "telegram", "channel_user_id": f"9{n:08}", "chat_id": f"9{n:08}", "language": "en",
                 "language_source": "detected", "role": "explorer", "consented_at": now, "created_at": now}
                for n in ids
            ])  # fmt: skip
        citizen_ids = [row[0] for row in connection.execute(text("SELECT id FROM citizen ORDER BY id"))]
        for start in range(0, len(citizen_ids), 10_000):
            connection.execute(Conversation.__table__.insert(), [  # type: ignore[attr-defined]
                {"citizen_id": citizen_id, "state": {}, "version": 1, "updated_at": now} for citizen_id in citizen_ids[start : start + 10_000]
            ])  # fmt: skip
            connection.execute(ProcessedEvent.__table__.insert(), [  # type: ignore[attr-defined]
                {"channel": "telegram", "event_id": f"old-{citizen_id}", "processed_at": now} for citizen_id in citizen_ids[start : start + 10_000]
            ])  # fmt: skip


def report(name: str, app: App, people: int, seed: int, stored: int = 0) -> None:
    store_people(app, stored)
    latencies, elapsed = run(app, people, seed)
    with Session(app.database) as session:
        saved = session.exec(text("SELECT count(*) FROM problem")).one()[0]
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    # ru_maxrss is in kilobytes on Linux.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{name}: {people} people ({stored:,} stored before), {len(latencies)} messages, {saved} problems saved")
    print(f"  throughput  {len(latencies) / sum(latencies):,.0f} messages/s (service time), "
          f"{len(latencies) / elapsed:,.0f} messages/s wall clock incl. benchmark bookkeeping")  # fmt: skip
    print(f"  latency     p50 {p50:.2f} ms   p99 {p99:.2f} ms   max {ordered[-1] * 1000:.2f} ms")
    print(f"  peak memory {peak_mb:.0f} MB (whole process)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stored", type=int, default=0, metavar="N", help="people already stored before the run (e.g. 100000)")
    parser.add_argument("--postgres", metavar="URL", help="also run on a scratch database created on this PostgreSQL server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(Settings(_env_file=None, database_url=f"sqlite:///{folder}/bench.db"))
        report("SQLite (file, WAL)", app, args.people, args.seed, args.stored)
        app.close()
    if args.postgres:
        with scratch_database(args.postgres, prefix="cocreate_bench") as url:
            app = build_app(Settings(_env_file=None, database_url=url))
            report("PostgreSQL", app, args.people, args.seed, args.stored)
            app.close()


if __name__ == "__main__":
    main()
