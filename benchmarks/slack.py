"""N simulated people complete the Explorer dialog at once in Slack DMs: signed HTTP requests
into the real slack-bolt app, its replies posted to the fake Slack Web API on 127.0.0.1
(no rate limit there; the bot's outbound limiter is lifted for this benchmark). The fake and the people
run in a second process.

Each person sends their next event or button press as soon as the reply to the previous one
arrives. Prints events per second and p50/p99 from request to reply.

    python benchmarks/slack.py [--people 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

sys.path[0] = str(Path(__file__).resolve().parents[1])

import httpx  # noqa: E402

from benchmarks.harness import report, run_against  # noqa: E402
from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.outbound.ratelimit import UNLIMITED  # noqa: E402
from bot.channels.slack_channel import SlackChannel  # noqa: E402
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, FakeSlack  # noqa: E402

Step = Callable[["People", str, dict[str, Any] | None], None]


class People(threading.Thread):
    """Posts each person's next request when the reply to the previous one arrives."""

    def __init__(self, fake: FakeSlack, url: str, count: int) -> None:
        super().__init__(daemon=True)
        from slack_sdk.signature import SignatureVerifier

        self.fake, self.url, self.signer = fake, url, SignatureVerifier(SIGNING_SECRET)
        self.users = [f"U{700_000 + n}" for n in range(count)]
        self.step = dict.fromkeys(self.users, 0)
        self.sent_at: dict[str, float] = {}
        self.latencies: list[float] = []
        self.done = threading.Event()
        self.http = httpx.Client(timeout=30)
        self.pool = ThreadPoolExecutor(max_workers=16)
        self.events = 0

    def post(self, body: str, content_type: str) -> None:
        stamp = str(int(time.time()))
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
                   "X-Slack-Signature": self.signer.generate_signature(timestamp=stamp, body=body)}  # fmt: skip
        self.http.post(self.url, content=body.encode(), headers=headers).raise_for_status()

    def message(self, user: str, text: str) -> None:
        self.events += 1
        event = {"type": "message", "channel": "D" + user[1:], "user": user, "text": text, "ts": f"{time.time():.6f}",
                 "channel_type": "im"}  # fmt: skip
        body = {"type": "event_callback", "team_id": "T0001", "api_app_id": "A0001", "event_id": f"Ev{self.events}", "event": event}
        self.post(json.dumps(body), "application/json")

    def press(self, user: str, last: dict[str, Any], label: str) -> None:
        buttons = [e for b in last["blocks"] if b["type"] == "actions" for e in b["elements"]]
        button = next(b for b in buttons if b["text"]["text"] == label)
        payload = {
            "type": "block_actions", "user": {"id": user}, "api_app_id": "A0001", "team": {"id": "T0001"},
            "container": {"type": "message", "message_ts": last["ts"], "channel_id": last["channel"]},
            "channel": {"id": last["channel"]}, "message": {"type": "message", "text": last["text"], "ts": last["ts"]},
            "actions": [{**button, "action_ts": f"{time.time():.6f}", "block_id": "b"}],
        }  # fmt: skip
        from urllib.parse import urlencode

        self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def next_request(self, user: str, last: dict[str, Any] | None) -> None:
        steps: list[Callable[[], None]] = [
            lambda: self.message(user, "hello"),
            lambda: self.press(user, last, "I agree"),
            lambda: self.press(user, last, "Explorer — report a problem you've noticed"),
            lambda: self.message(user, f"The crossing light by {user}'s school is far too short"),
            lambda: self.press(user, last, "Roads and pavements"),
            lambda: self.press(user, last, "Skip"),
            lambda: self.press(user, last, "My street"),
            lambda: self.press(user, last, "Confirm"),
        ]
        action = steps[self.step[user]]
        self.step[user] += 1
        self.sent_at[user] = time.perf_counter()
        self.pool.submit(action)

    def run(self) -> None:
        for user in self.users:
            self.next_request(user, None)
        seen, finished = 0, 0
        while finished < len(self.users):
            self.fake.wait_until(lambda f: len(f.posted) > seen, timeout=120)
            with self.fake._changed:
                fresh = self.fake.posted[seen:]
            seen += len(fresh)
            for message in fresh:
                user = "U" + message["channel"][1:]
                self.latencies.append(time.perf_counter() - self.sent_at[user])
                if self.step[user] == 8:
                    finished += 1
                else:
                    self.next_request(user, message)
        self.done.set()


def fake_and_people(people: int, to_bot: Any, from_bot: Any) -> None:
    fake = FakeSlack().start()
    to_bot.put(fake.base_url)
    url = from_bot.get()  # where the bot takes requests
    driver = People(fake, url, people)
    started = time.perf_counter()
    driver.start()
    driver.done.wait()
    to_bot.put((time.perf_counter() - started, driver.latencies))
    fake.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT = free_port()


def settings_for(database_url: str, base_url: str) -> Settings:
    return Settings(
        _env_file=None, database_url=database_url, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
        slack_api_base_url=base_url, slack_host="127.0.0.1", slack_port=PORT,
    )  # fmt: skip


async def serve(app: App) -> tuple[SlackChannel, str]:
    channel = SlackChannel.build(app.settings, app.channel_hooks(), limits=UNLIMITED)  # the issue asks for the outbound limit raised
    await channel.start()
    return channel, f"http://127.0.0.1:{PORT}/slack/events"


async def main(people: int) -> None:
    elapsed, latencies = await run_against(fake_and_people, people, settings_for, serve)
    report(f"Slack (HTTP mode, SQLite), {people} people", "event", elapsed, latencies)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=300)
    asyncio.run(main(parser.parse_args().people))
