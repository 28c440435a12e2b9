"""N simulated people complete the Explorer dialog at once through Telegram: the real
python-telegram-bot, polling the fake Bot API server on 127.0.0.1 (which has no rate limit;
the bot's outbound limiter is lifted for this benchmark). The fake and the people run in a second process.

Each person sends their next update as soon as the bot's reply to the previous one arrives.
Prints updates handled per second end to end and p50/p99 from update to reply.

    python benchmarks/telegram.py [--people 500]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from pathlib import Path
from typing import Any

# Import from the repository root, not from benchmarks/ (whose telegram.py would shadow the library).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from benchmarks.harness import report, run_against  # noqa: E402
from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.outbound.ratelimit import UNLIMITED  # noqa: E402
from bot.channels.telegram_channel import TelegramChannel  # noqa: E402
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


def fake_and_people(people: int, to_bot: Any, from_bot: Any) -> None:
    fake = FakeTelegram().start()
    to_bot.put(fake.base_url)
    from_bot.get()  # the bot is polling
    driver = People(fake, people)
    started = time.perf_counter()
    driver.start()
    driver.done.wait()
    to_bot.put((time.perf_counter() - started, driver.latencies))
    fake.stop()


def settings_for(database_url: str, base_url: str) -> Settings:
    return Settings(
        _env_file=None, database_url=database_url, telegram_bot_token=TOKEN, telegram_api_base_url=base_url
    )


async def serve(app: App) -> tuple[TelegramChannel, str]:
    channel = TelegramChannel.build(app.settings, app.channel_hooks(), limits=UNLIMITED)  # the issue asks for the outbound limit raised
    channel.poll_timeout = 1
    await channel.start()
    return channel, "polling"


async def main(people: int) -> None:
    elapsed, latencies = await run_against(fake_and_people, people, settings_for, serve)
    report(f"Telegram (polling, SQLite), {people} people", "update", elapsed, latencies)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=500)
    asyncio.run(main(parser.parse_args().people))
