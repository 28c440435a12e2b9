"""One person floods the bot while others talk to it, through Telegram: the real
python-telegram-bot polling the fake Bot API on 127.0.0.1 (the fake, the people and the
flooder run in a second process).

50 people each go through the Explorer dialog (starting at moments spread over the first
5 seconds, half a second of "thinking" between answers, so they stay far below FLOOD_LIMIT),
once without and once with a flooder who sends 1,000 messages in 10 seconds. Prints the
people's p99 reply time in both runs (target: with the flooder within 20% of without), and
what the database kept: rows (processed events and outbox messages) for the flooder against
their first minute's allowance (FLOOD_LIMIT handled events and one "slow down"), and the
database file's growth.

    python benchmarks/flood.py [--people 50] [--messages 1000] [--seconds 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

# Import from the repository root, not from benchmarks/ (whose telegram.py would shadow the library).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from sqlmodel import Session, func, select  # noqa: E402

from benchmarks.harness import report, run_against  # noqa: E402
from benchmarks.telegram import DIALOG, People  # noqa: E402
from bot.app import App  # noqa: E402
from bot.channels.telegram_channel import TelegramChannel  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.outbound.ratelimit import UNLIMITED  # noqa: E402
from storage.models import Citizen, OutboxMessage, ProcessedEvent  # noqa: E402
from tests.bot.test_telegram_channel import text_update  # noqa: E402
from tests.fakes.telegram_api import TOKEN, FakeTelegram  # noqa: E402

# What each paced person does next, given the bot's last message to them: the Explorer dialog
# of benchmarks/telegram.py.
STEPS = tuple(partial(People.update, step) for step in DIALOG)


def settings_for(database_url: str, base_url: str) -> Settings:
    return Settings(
        _env_file=None, database_url=database_url, telegram_bot_token=TOKEN, telegram_api_base_url=base_url
    )


async def serve(app: App) -> tuple[TelegramChannel, str]:
    """The channel in this process, its outbound limit lifted: the figures are the flood gate's."""
    channel = TelegramChannel.build(app.settings, app.channel_hooks(), limits=UNLIMITED)
    channel.poll_timeout = 1
    await channel.start()
    return channel, "polling"

FLOODER = 999_999
THINK = 0.5  # seconds between a reply and a person's next answer
START_SPREAD = 5.0


class PacedPeople(threading.Thread):
    """Each person answers half a second after the bot's reply; the flooder's messages and
    the bot's answers to them are not measured."""

    def __init__(self, fake: FakeTelegram, count: int) -> None:
        super().__init__(daemon=True)
        self.fake, self.ids = fake, [200_000 + n for n in range(count)]
        self.step = {uid: 0 for uid in self.ids}
        self.pushed_at: dict[int, float] = {}
        self.latencies: list[float] = []
        self.due: list[tuple[float, int, dict[str, Any] | None]] = []
        self.lock = threading.Lock()
        self.done = threading.Event()

    def run(self) -> None:
        spread = random.Random(7)
        now = time.perf_counter()
        self.due = [(now + spread.uniform(0, START_SPREAD), uid, None) for uid in self.ids]
        threading.Thread(target=self._send_when_due, daemon=True).start()
        seen, finished = 0, 0
        while finished < len(self.ids):
            self.fake.wait_until(lambda f: len(f.delivered) > seen, timeout=120)
            with self.fake._changed:
                fresh = self.fake.delivered[seen:]
            seen += len(fresh)
            for message in fresh:
                uid = int(message["chat_id"])
                if uid not in self.step:
                    continue  # the flooder's
                self.latencies.append(time.perf_counter() - self.pushed_at[uid])
                if self.step[uid] == len(STEPS):
                    finished += 1
                else:
                    with self.lock:
                        self.due.append((time.perf_counter() + THINK, uid, message))
        self.done.set()

    def _send_when_due(self) -> None:
        while not self.done.is_set():
            now = time.perf_counter()
            with self.lock:
                ready = [d for d in self.due if d[0] <= now]
                self.due = [d for d in self.due if d[0] > now]
            for _, uid, last in ready:
                update = STEPS[self.step[uid]](last, uid)
                self.step[uid] += 1
                self.pushed_at[uid] = time.perf_counter()
                self.fake.push(update)
            time.sleep(0.005)


def flood(fake: FakeTelegram, messages: int, seconds: float) -> None:
    started = time.perf_counter()
    for n in range(messages):
        delay = started + n * seconds / messages - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        fake.push(text_update(f"spam {n} " + "a" * 40, FLOODER))


def other_side(people: int, to_bot: Any, from_bot: Any, messages: int, seconds: float) -> None:
    fake = FakeTelegram().start()
    to_bot.put(fake.base_url)
    from_bot.get()  # the bot is polling
    driver = PacedPeople(fake, people)
    started = time.perf_counter()
    driver.start()
    flooder = threading.Thread(target=flood, args=(fake, messages, seconds), daemon=True) if messages else None
    if flooder is not None:
        flooder.start()
    driver.done.wait()
    if flooder is not None:
        flooder.join()
        time.sleep(2)  # let the bot read the last of the flood before it stops
    elapsed = time.perf_counter() - started
    to_flooder = len(fake.sent(FLOODER))
    to_bot.put((elapsed, driver.latencies, to_flooder))
    fake.stop()


def stored(app: App, into: dict[str, int]) -> None:
    """What the database kept for the flooder, and the file's size."""
    with Session(app.database) as session:
        flooder = session.exec(select(Citizen.id).where(Citizen.channel_user_id == str(FLOODER))).first()
        into["outbox"] = session.exec(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.chat_id == str(FLOODER))
        ).one()
        into["events"] = session.exec(select(func.count()).select_from(ProcessedEvent)).one()
        into["flooder_known"] = int(flooder is not None)
    url = app.settings.database_url.removeprefix("sqlite:///")
    into["bytes"] = sum(os.path.getsize(url + suffix) for suffix in ("", "-wal") if os.path.exists(url + suffix))


async def one_run(people: int, messages: int, seconds: float) -> tuple[float, list[float], int, dict[str, int]]:
    found: dict[str, int] = {}
    elapsed, latencies, to_flooder = await run_against(
        _Side(messages, seconds), people, settings_for, serve, after=lambda app: stored(app, found)
    )
    return elapsed, latencies, to_flooder, found


class _Side:
    """The other side's entry point with the flood's size (picklable for the spawned process)."""

    def __init__(self, messages: int, seconds: float) -> None:
        self.messages, self.seconds = messages, seconds

    def __call__(self, people: int, to_bot: Any, from_bot: Any) -> None:
        other_side(people, to_bot, from_bot, self.messages, self.seconds)


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[int(len(ordered) * 0.99) - 1]


async def main(people: int, messages: int, seconds: float, rounds: int) -> None:
    await one_run(max(people // 5, 1), 0, seconds)  # warm-up (imports, first connections): not reported
    quiet_p99, flood_p99 = [], []
    for number in range(1, rounds + 1):  # alternated, so a busy moment on the machine hits both
        quiet_elapsed, quiet, _, quiet_db = await one_run(people, 0, seconds)
        report(f"Round {number} without a flooder: {people} people", "update", quiet_elapsed, quiet)
        flood_elapsed, flooded, to_flooder, flood_db = await one_run(people, messages, seconds)
        report(f"Round {number} with a flooder sending {messages:,} messages in {seconds:.0f} s: {people} people",
               "update", flood_elapsed, flooded)  # fmt: skip
        quiet_p99.append(p99(quiet))
        flood_p99.append(p99(flooded))
    change = (statistics.median(flood_p99) / statistics.median(quiet_p99) - 1) * 100
    print(f"median p99 of {rounds} rounds: {statistics.median(quiet_p99) * 1000:.0f} ms without, "
          f"{statistics.median(flood_p99) * 1000:.0f} ms with the flooder: {change:+.0f}% (target: within +20%)")  # fmt: skip
    limit = settings_for("sqlite:///unused.db", "http://unused").flood_limit
    flooder_events = flood_db["events"] - quiet_db["events"]
    print(f"flooder: {messages:,} sent, {flooder_events} handled and stored, {to_flooder} answers "
          f"(first minute's allowance: {limit} handled + 1 slow down), {flood_db['outbox']} outbox rows")  # fmt: skip
    grew = flood_db["bytes"] - quiet_db["bytes"]
    print(f"database: {quiet_db['bytes']:,} bytes without the flooder, {flood_db['bytes']:,} with ({grew:+,})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3, help="runs without and with the flooder, alternated")
    args = parser.parse_args()
    asyncio.run(main(args.people, args.messages, args.seconds, args.rounds))
