"""cocreate against a plain python-telegram-bot bot, side by side, through the same fake Bot API.

Each bot runs as a process of its own, as a city would run it: `cocreate run` (SQLite, the
staff console and the scheduler beside the channel, Telegram's limits as shipped) and
`benchmarks/baseline_ptb.py` (ConversationHandler and a PicklePersistence written after
every update). The fake Bot API server and the simulated people run here, in this process,
so the bot's CPU is its own. For each bot, in one run:

1. quick people: 5 people go through the nine-turn Explorer dialog, each pressing the next
   button 50 ms after the bot's reply arrives; the fake enforces Telegram's limits (30
   messages a second overall; per chat a burst of 10, then one a second) and counts the
   messages that broke them (refused with a 429 for cocreate; the plain bot has no limiter
   and would end a dialog on a 429, so for it they are only counted).
   Prints the reply time (update sent -> reply delivered), p50 and p99.
2. load: 200 people at once, each sending their next update as soon as the reply to the
   previous one arrives. Prints the bot process's CPU time per update (user + system, read
   from /proc), updates per second and reply p50/p99.
3. the bot process's peak memory (VmHWM) over both.

    python benchmarks/telegram.py [--people 200] [--quick 5] [--only cocreate|ptb]
"""

from __future__ import annotations

import argparse
import heapq
import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Import from the repository root, not from benchmarks/ (whose telegram.py would shadow the library).
sys.path[0] = str(ROOT)

from tests.bot.test_telegram_channel import press, text_update, with_content  # noqa: E402
from tests.fakes.telegram_api import TOKEN, FakeTelegram  # noqa: E402

# The Explorer dialog: (what the person does, the button label or the text).
DIALOG: tuple[tuple[str, str], ...] = (
    ("text", "/start"),
    ("press", "I agree"),
    ("press", "Explorer — report a problem you've noticed"),
    ("text", "Loose paving stones outside house {uid}, someone will trip"),
    ("press", "Roads and pavements"),
    ("location", ""),
    ("text", "Skip"),
    ("press", "My street"),
    ("press", "Confirm"),
)
TICKS = os.sysconf("SC_CLK_TCK")


def labels(message: dict[str, Any]) -> set[str]:
    markup = message.get("reply_markup") or {}
    return {button["text"] for row in markup.get("inline_keyboard", []) for button in row}


@dataclass
class People:
    """Drives people through the dialog from one thread: each person's next update goes when
    the bot's answer to the previous one has arrived (and, for a press, the message with that
    button), `think` seconds later."""

    fake: FakeTelegram
    ids: list[int]
    think: float = 0.0
    latencies: list[float] = field(default_factory=list)

    def run(self, timeout: float = 300) -> float:
        step = {uid: 0 for uid in self.ids}
        pushed_at: dict[int, float] = {}
        answered: set[int] = set()  # answered since their last push (latency taken)
        scheduled: set[int] = set()  # next update due
        due: list[tuple[float, int]] = [(time.perf_counter(), uid) for uid in self.ids]
        last: dict[int, dict[str, Any]] = {}
        done, seen = 0, len(self.fake.delivered)
        started = time.perf_counter()
        deadline = started + timeout
        while done < len(self.ids):
            now = time.perf_counter()
            if now > deadline:
                stuck = {uid: (step[uid], last.get(uid, {}).get("text", "")[:80]) for uid in self.ids if step[uid] <= len(DIALOG)}
                raise TimeoutError(f"people did not finish; (step, last text) of some: {list(stuck.items())[:3]}")
            while due and due[0][0] <= now:
                _, uid = heapq.heappop(due)
                scheduled.discard(uid)
                self.fake.push(self.update(DIALOG[step[uid]], last.get(uid), uid))
                pushed_at[uid] = time.perf_counter()
                answered.discard(uid)
                step[uid] += 1
            with self.fake._changed:
                if len(self.fake.delivered) == seen:
                    self.fake._changed.wait(min(0.5, due[0][0] - now) if due else 0.5)
                fresh = self.fake.delivered[seen:]
            seen += len(fresh)
            arrived = time.perf_counter()
            for message in fresh:
                uid = int(message["chat_id"])
                if uid not in step or uid not in pushed_at:
                    continue
                if uid not in answered:
                    answered.add(uid)
                    self.latencies.append(arrived - pushed_at[uid])
                    if step[uid] == len(DIALOG):
                        done += 1
                        step[uid] += 1  # finished: later messages are not answers
                        continue
                if step[uid] >= len(DIALOG) or uid in scheduled:
                    continue
                action, label = DIALOG[step[uid]]
                if action != "press" or label in labels(message):
                    last[uid] = message
                    scheduled.add(uid)
                    heapq.heappush(due, (arrived + self.think, uid))
        return time.perf_counter() - started

    @staticmethod
    def update(step: tuple[str, str], last: dict[str, Any] | None, uid: int) -> dict[str, Any]:
        action, value = step
        if action == "press":
            assert last is not None
            return press(last, value, uid)
        if action == "location":
            return with_content("location", uid)
        update = text_update(value.format(uid=uid), uid)
        if value.startswith("/"):  # as Telegram marks a command
            update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": len(value)}]
        return update


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_bot(kind: str, fake: FakeTelegram, folder: str) -> subprocess.Popen[bytes]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("TELEGRAM_", "SLACK_"))}
    if kind == "cocreate":
        environment |= {
            "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake.base_url,
            "DATABASE_URL": f"sqlite:///{folder}/cocreate.db", "WEB_PORT": str(free_port()), "PYTHONPATH": str(ROOT),
        }  # fmt: skip
        # Migrated first, as a deployment does (`cocreate db upgrade`, then the service): the
        # figures are those of the service as it runs day after day, not of its very first start.
        subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], cwd=folder, env=environment, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        command = [sys.executable, "-m", "bot.cli", "run"]
    else:
        command = [sys.executable, str(ROOT / "benchmarks" / "baseline_ptb.py"), "--token", TOKEN,
                   "--base-url", fake.base_url, "--file", f"{folder}/state.pickle"]  # fmt: skip
    process = subprocess.Popen(command, cwd=folder, env=environment, stdout=subprocess.DEVNULL, stderr=open(f"{folder}/log", "wb"))
    fake.wait_until(lambda f: bool(f.calls_of("getUpdates")) or process.poll() is not None, timeout=60)
    if process.poll() is not None:
        raise RuntimeError(f"{kind} did not start:\n{Path(folder, 'log').read_text()[-2000:]}")
    return process


@dataclass(frozen=True)
class Figures:
    quick_p50: float
    quick_p99: float
    rate_limited: int
    cpu_per_update: float
    throughput: float
    load_p50: float
    load_p99: float
    peak_mb: float


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


def measure(kind: str, people: int, quick: int, profile: str | None = None) -> Figures:
    # Telegram's limits: ~30/s overall; per private chat a short burst, then one a second.
    # The plain bot has no limiter, and a 429 would end its dialog: for it the fake only
    # counts the messages it would have refused.
    fake = FakeTelegram(overall_limit=30, per_chat_interval=1.0, per_chat_burst=10, refuse_over_limit=kind == "cocreate").start()
    with tempfile.TemporaryDirectory() as folder:
        process = start_bot(kind, fake, folder)
        if profile:  # sampled stacks of the bot process, in py-spy's raw (collapsed) format
            subprocess.Popen(["py-spy", "record", "--pid", str(process.pid), "-r", "100", "-f", "raw", "-o", f"{profile}.{kind}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            fast = People(fake, [300_000 + n for n in range(quick)], think=0.05)
            fast.run()
            rate_limited = fake.rate_limited
            fake.overall_limit = fake.per_chat_interval = None  # the load measures CPU, not Telegram's limits
            before = cpu_seconds(process.pid)
            load = People(fake, [400_000 + n for n in range(people)])
            elapsed = load.run()
            used = cpu_seconds(process.pid) - before
            peak = peak_memory_mb(process.pid)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            fake.stop()
    updates = len(load.latencies)
    return Figures(
        quick_p50=statistics.median(fast.latencies), quick_p99=percentile(fast.latencies, 0.99), rate_limited=rate_limited,
        cpu_per_update=used / updates, throughput=updates / elapsed,
        load_p50=statistics.median(load.latencies), load_p99=percentile(load.latencies, 0.99), peak_mb=peak,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=200, help="people at once in the load phase")
    parser.add_argument("--quick", type=int, default=5, help="people pressing 50 ms after each reply")
    parser.add_argument("--only", choices=["cocreate", "ptb"])
    parser.add_argument("--profile", metavar="FILE", help="also record the bot's stacks with py-spy into FILE.<bot>")
    arguments = parser.parse_args()
    logging.getLogger("tornado.access").setLevel(logging.ERROR)  # the fake's 429s are counted, not logged
    kinds = [arguments.only] if arguments.only else ["cocreate", "ptb"]
    results = {kind: measure(kind, arguments.people, arguments.quick, arguments.profile) for kind in kinds}
    print(f"Explorer dialog (9 updates a person) through the fake Bot API; {arguments.people} people at once, "
          f"{arguments.quick} pressing 50 ms after each reply")  # fmt: skip
    print(f"{'':34}" + "".join(f"{kind:>16}" for kind in kinds))
    rows = [
        ("CPU per update (bot process)", lambda f: f"{f.cpu_per_update * 1000:.2f} ms"),
        ("peak memory (VmHWM)", lambda f: f"{f.peak_mb:.0f} MB"),
        (f"reply p50 / p99, {arguments.quick} quick people", lambda f: f"{f.quick_p50 * 1000:.0f} / {f.quick_p99 * 1000:.0f} ms"),
        ("over Telegram's limits (quick phase)", lambda f: f"{f.rate_limited}"),
        (f"updates/s, {arguments.people} at once", lambda f: f"{f.throughput:.0f}"),
        (f"reply p50 / p99, {arguments.people} at once", lambda f: f"{f.load_p50 * 1000:.0f} / {f.load_p99 * 1000:.0f} ms"),
    ]
    for title, shown in rows:
        print(f"{title:34}" + "".join(f"{shown(results[kind]):>16}" for kind in kinds))
    if len(results) == 2:
        ratio = results["cocreate"].cpu_per_update / results["ptb"].cpu_per_update
        print(f"CPU per update, cocreate / plain PTB: {ratio:.2f}")


if __name__ == "__main__":
    main()
