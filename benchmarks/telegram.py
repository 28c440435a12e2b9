"""N simulated people complete the Explorer dialog at once through Telegram: the real
python-telegram-bot, polling the fake Bot API server on 127.0.0.1 (which has no rate limit;
the bot has no outbound limiter yet either). The fake and the people run in a second process.

Each person sends their next update as soon as the bot's reply to the previous one arrives.
Prints updates handled per second end to end and p50/p99 from update to reply.

    python benchmarks/telegram.py [--people 500]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

# Import from the repository root, not from benchmarks/ (whose telegram.py would shadow the library).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from bot.app import build_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.telegram_channel import TelegramChannel  # noqa: E402
from tests.bot.test_telegram_channel import press, text_update, with_content  # noqa: E402
from tests.fakes.telegram_api import TOKEN, FakeTelegram  # noqa: E402

# What each person does next, given the bot's last message to them.
STEPS = (
    lambda last, uid: text_update("/start", uid),
    lambda last, uid: press(last, "I agree", uid),
    lambda last, uid: press(last, "Explorer — report a problem you've noticed", uid),
    lambda last, uid: text_update(f"Loose paving stones outside house {uid}, someone will trip", uid),
    lambda last, uid: press(last, "Roads and pavements", uid),
    lambda last, uid: with_content("location", uid),
    lambda last, uid: text_update("Skip", uid),
    lambda last, uid: press(last, "My street", uid),
    lambda last, uid: press(last, "Confirm", uid),
)


class People(threading.Thread):
    """Sends each person's next update when the reply to their previous one arrives."""

    def __init__(self, fake: FakeTelegram, count: int) -> None:
        super().__init__(daemon=True)
        self.fake, self.ids = fake, [200_000 + n for n in range(count)]
        self.step = {uid: 0 for uid in self.ids}
        self.pushed_at: dict[int, float] = {}
        self.latencies: list[float] = []
        self.done = threading.Event()

    def send_next(self, uid: int, last: dict[str, Any] | None) -> None:
        update = STEPS[self.step[uid]](last, uid)
        self.step[uid] += 1
        self.pushed_at[uid] = time.perf_counter()
        self.fake.push(update)

    def run(self) -> None:
        for uid in self.ids:
            self.send_next(uid, None)
        seen = 0
        finished = 0
        while finished < len(self.ids):
            self.fake.wait_until(lambda f: len(f.delivered) > seen, timeout=120)
            with self.fake._changed:
                fresh = self.fake.delivered[seen:]
            seen += len(fresh)
            for message in fresh:
                uid = int(message["chat_id"])
                self.latencies.append(time.perf_counter() - self.pushed_at[uid])
                if self.step[uid] == len(STEPS):
                    finished += 1
                else:
                    self.send_next(uid, message)
        self.done.set()


def fake_and_people(people: int, to_bot: multiprocessing.Queue, from_bot: multiprocessing.Queue) -> None:
    """The fake server and the simulated people, in their own process: sharing the bot's
    interpreter (and its GIL) would make the benchmark measure them as much as the bot."""
    fake = FakeTelegram().start()
    to_bot.put(fake.base_url)
    from_bot.get()  # the bot is up
    driver = People(fake, people)
    started = time.perf_counter()
    driver.start()
    driver.done.wait()
    to_bot.put((time.perf_counter() - started, driver.latencies))
    fake.stop()


async def main(people: int) -> None:
    context = multiprocessing.get_context("spawn")
    to_bot, from_bot = context.Queue(), context.Queue()
    other = context.Process(target=fake_and_people, args=(people, to_bot, from_bot), daemon=True)
    other.start()
    base_url = await asyncio.to_thread(to_bot.get)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None, database_url=f"sqlite:///{folder}/bench.db", telegram_bot_token=TOKEN,
            telegram_api_base_url=base_url,
        )  # fmt: skip
        app = build_app(settings)
        channel = TelegramChannel.build(app)
        channel.poll_timeout = 1
        await channel.start()
        tasks = [asyncio.create_task(channel.poll()), asyncio.create_task(channel.worker.run())]
        from_bot.put("go")
        elapsed, latencies = await asyncio.to_thread(to_bot.get)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await channel.stop()
        app.close()
    other.join(timeout=10)
    latencies.sort()
    print(f"Telegram (polling, SQLite): {people} people, {len(latencies)} updates in {elapsed:.1f} s")
    print(f"  throughput  {len(latencies) / elapsed:,.0f} updates/s end to end (update pushed -> reply delivered)")
    print(f"  latency     p50 {statistics.median(latencies) * 1000:.0f} ms   "
          f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=500)
    asyncio.run(main(parser.parse_args().people))
