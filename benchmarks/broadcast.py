"""A broadcast to N diffusers (default 10,000) through a fake Telegram that enforces the
published limits (30 messages/s overall, 1/s per chat; 429 beyond), while one person keeps
chatting with the bot. Also times queueing 100,000 recipients.

Prints: the achieved rate as a fraction of the limit (target >= 0.9), 429s received
(target 0), duplicates and missing recipients (both 0), p99 reply latency for the person
chatting during the broadcast (target < 2 s), and the time to queue 100,000 recipients on
SQLite and, with --postgres, on PostgreSQL.

With --prefill N the outbox already holds N sent broadcast messages (three per person, over
the last month) when the broadcast starts, as after months of use, and the time of one daily
cap check (what the delivery worker asks before each broadcast message) is printed with the
outbox index and without it.

    python benchmarks/broadcast.py [--recipients 10000] [--prefill 300000]
                                   [--postgres postgresql+psycopg://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import random
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable

sys.path[0] = str(Path(__file__).resolve().parents[1])

from sqlalchemy import func, insert, select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from benchmarks.harness import run_against  # noqa: E402
from bot.operations import broadcasting  # noqa: E402
from bot.app import App, build_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.channels.telegram_channel import TelegramChannel  # noqa: E402
from storage.broadcasts import Audience, broadcasts_sent_since  # noqa: E402
from storage.models import Citizen, OutboxMessage, Subscription  # noqa: E402
from tests.bot.test_telegram_channel import text_update  # noqa: E402
from tests.fakes.telegram_api import TOKEN, FakeTelegram  # noqa: E402
from tests.postgres import scratch_database  # noqa: E402

LIMIT = 30
CHATTER = 42


def add_diffusers(app: App, count: int) -> None:
    now = datetime.now(timezone.utc)
    people = [
        {"channel": "telegram", "channel_user_id": str(1_000_000 + n), "chat_id": str(1_000_000 + n), "role": "diffuser",
         "language": "en", "consented_at": now, "unreachable": False, "created_at": now}
        for n in range(count)
    ]  # fmt: skip
    with Session(app.database) as session, session.begin():
        session.connection().execute(insert(Citizen.__table__), people)
        ids = session.connection().execute(Citizen.__table__.select().with_only_columns(Citizen.__table__.c.id)).scalars()
        topics = [{"citizen_id": i, "topic": "roads", "created_at": now} for i in ids]
        session.connection().execute(insert(Subscription.__table__), topics)


PAST_PEOPLE = 5_000_000  # ids of the people the prefilled messages went to


def prefill_outbox(app: App, rows: int) -> list[int]:
    """`rows` sent broadcast messages, three per person, spread over the last 30 days; returns
    those people's ids."""
    if not rows:
        return []
    now = datetime.now(timezone.utc)
    people = [
        # No longer in any audience (another role, and they blocked the bot since): their rows
        # are only there to be read past by the cap checks.
        {"channel": "telegram", "channel_user_id": str(PAST_PEOPLE + n), "chat_id": str(PAST_PEOPLE + n),
         "role": "explorer", "language": "en", "consented_at": now, "unreachable": True, "created_at": now}
        for n in range(rows // 3 + 1)
    ]  # fmt: skip
    table = OutboxMessage.__table__
    with Session(app.database) as session, session.begin():
        connection = session.connection()
        before = connection.execute(select(func.max(Citizen.id))).scalar() or 0
        connection.execute(insert(Citizen.__table__), people)
        ids = connection.execute(select(Citizen.id).where(Citizen.id > before).order_by(Citizen.id)).scalars().all()
        for start in range(0, rows, 10_000):
            chunk = range(start, min(rows, start + 10_000))
            sent = [now - timedelta(minutes=random.randrange(30 * 24 * 60)) for _ in chunk]
            connection.execute(insert(table), [
                {"channel": "telegram", "chat_id": "0", "user_id": "0", "citizen_id": ids[row // 3],
                 "text": "Earlier news", "choices": [], "kind": "broadcast", "priority": 2, "status": "sent",
                 "attempts": 1, "next_attempt_at": at, "sent_at": at, "throttled": 0, "created_at": at}
                for row, at in zip(chunk, sent)
            ])  # fmt: skip
    return list(ids)


def time_cap_checks(app: App, people: list[int], checks: int = 500) -> float:
    """Seconds per daily cap check of one person in a transaction of its own (the delivery
    worker checks a whole round in one query, which costs less per person)."""
    sample = random.Random(1).sample(people, min(checks, len(people)))
    since = datetime.now(timezone.utc) - timedelta(days=1)
    started = time.perf_counter()
    for citizen_id in sample:
        with Session(app.database) as session, session.begin():
            broadcasts_sent_since(session, citizen_ids=[citizen_id], since=since)
    return (time.perf_counter() - started) / len(sample)


def cap_check_timings(prefill: int, database_url: str, name: str) -> None:
    app = build_app(Settings(_env_file=None, database_url=database_url))
    started = time.perf_counter()
    people = prefill_outbox(app, prefill)
    filled = time.perf_counter() - started
    print(f"  cap check       {name}, outbox of {prefill:,} sent rows (filled in {filled:.0f} s):")
    index = next(i for i in OutboxMessage.__table__.indexes if i.name == "ix_outbox_broadcast_cap")
    print(f"                  {time_cap_checks(app, people) * 1000:.2f} ms per check with the index")
    index.drop(app.database)
    print(f"                  {time_cap_checks(app, people, checks=100) * 1000:.2f} ms per check without it")
    index.create(app.database)
    app.close()


def time_queueing(app: App, count: int, *, links: bool = True) -> float:
    """Queueing for `count` diffusers, with their personal links (as the CLI, the console
    and /broadcast queue) or without."""
    if links:
        add_diffusers(app, count)
    started = time.perf_counter()
    with Session(app.database) as session, session.begin():
        broadcasting.queue(session, text="Queue timing", audience=Audience(), created_by="bench", now=app.clock(),
                           catalogs=app.catalogs, settings=app.service.settings, via="cli",
                           links=app.service.join_links if links else None)  # fmt: skip
    return time.perf_counter() - started


def other_side(recipients: int, to_bot: Any, from_bot: Any) -> None:
    """The rate-enforcing fake and a person chatting: one message, wait for the reply, again."""
    fake = FakeTelegram(overall_limit=LIMIT, per_chat_interval=1.0).start()
    to_bot.put(fake.base_url)
    from_bot.get()
    started = time.perf_counter()
    latencies = []
    texts = ["/start", "/help", "/my", "/privacy"]
    while len([m for m in fake.sent() if str(m["chat_id"]) != str(CHATTER)]) < recipients:
        before = len(fake.sent(CHATTER))
        pushed = time.perf_counter()
        fake.push(text_update(texts[len(latencies) % len(texts)], CHATTER))
        fake.wait_for_messages(before + 1, CHATTER, timeout=60)
        latencies.append(time.perf_counter() - pushed)
        time.sleep(1.0)  # the person reads the answer before writing again
    elapsed = time.perf_counter() - started
    copies = Counter(str(m["chat_id"]) for m in fake.sent() if str(m["chat_id"]) != str(CHATTER))
    to_bot.put((elapsed, latencies, copies, fake.rate_limited))
    fake.stop()


def settings_for(database_url: str, base_url: str) -> Settings:
    # The chatter writes about once a second for as long as the broadcast lasts, past the
    # flood gate's 20 a minute (benchmarks/flood.py measures that gate).
    return Settings(
        _env_file=None, database_url=database_url, telegram_bot_token=TOKEN, telegram_api_base_url=base_url,
        flood_limit=0,
    )


def serving(recipients: int, prefill: int) -> Callable[[App], Awaitable[tuple[TelegramChannel, str]]]:
    async def serve(app: App) -> tuple[TelegramChannel, str]:
        prefill_outbox(app, prefill)
        add_diffusers(app, recipients)
        with Session(app.database) as session, session.begin():
            broadcasting.queue(session, text="The market moves to Station Square", audience=Audience(),
                               created_by="bench", now=app.clock(), catalogs=app.catalogs, settings=app.service.settings, via="cli")  # fmt: skip
        channel = TelegramChannel.build(app.settings, app.channel_hooks())  # the real limits: that is what this measures
        channel.poll_timeout = 1
        await channel.start()
        return channel, "go"

    return serve


async def deliver(recipients: int, prefill: int) -> None:
    measured = await run_against(other_side, recipients, settings_for, serving(recipients, prefill))
    elapsed, latencies, copies, throttled = measured
    expected = {str(1_000_000 + n) for n in range(recipients)}
    latencies.sort()
    rate = recipients / elapsed
    limits = f"{LIMIT}/s overall, 1/s per chat" + (f", {prefill:,} sent messages already in the outbox" if prefill else "")
    print(f"Broadcast to {recipients:,} via Telegram limits ({limits}) in {elapsed:.0f} s")
    print(f"  achieved rate   {rate:.1f} messages/s = {rate / LIMIT:.2f} of the limit (target >= 0.9)")
    print(f"  429s received   {throttled} (target 0)")
    print(f"  duplicates      {sum(n - 1 for n in copies.values() if n > 1)}   missing {len(expected - set(copies))}")
    print(f"  chatting person {len(latencies)} replies during it: p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"p99 {latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000:.0f} ms (target < 2,000 ms)")  # fmt: skip


def queue_timings(postgres: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(Settings(_env_file=None, database_url=f"sqlite:///{folder}/queue.db"))
        print(f"  queue 100,000   SQLite {time_queueing(app, 100_000):.1f} s with personal links, "
              f"{time_queueing(app, 100_000, links=False):.1f} s without")  # fmt: skip
        app.close()
    if postgres:
        with scratch_database(postgres, prefix="cocreate_bench") as url:
            app = build_app(Settings(_env_file=None, database_url=url))
            print(f"  queue 100,000   PostgreSQL {time_queueing(app, 100_000):.1f} s with personal links, "
                  f"{time_queueing(app, 100_000, links=False):.1f} s without")  # fmt: skip
            app.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--prefill", type=int, default=0, metavar="N", help="sent broadcasts already in the outbox")
    parser.add_argument("--postgres", metavar="URL", help="also time queueing on a scratch database on this server")
    arguments = parser.parse_args()
    asyncio.run(deliver(arguments.recipients, arguments.prefill))
    if arguments.prefill:
        with tempfile.TemporaryDirectory() as folder:
            cap_check_timings(arguments.prefill, f"sqlite:///{folder}/cap.db", "SQLite")
        if arguments.postgres:
            with scratch_database(arguments.postgres, prefix="cocreate_bench") as url:
                cap_check_timings(arguments.prefill, url, "PostgreSQL")
    queue_timings(arguments.postgres)
