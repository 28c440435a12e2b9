"""What the channel benchmarks share: the fake server and the simulated people run in a
second process (sharing the bot's interpreter, and its GIL, would make the benchmark measure
them as much as the bot), while the bot serves the channel in this one."""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import tempfile
from typing import Any, Awaitable, Callable

from bot.app import App, build_app
from bot.config import Settings

# (people, base URL queue to the bot, queue from the bot) -> None, run in the other process
OtherSide = Callable[[int, Any, Any], None]


async def run_against(
    other_side: OtherSide,
    people: int,
    settings_for: Callable[[str, str], Settings],
    serve: Callable[[App], Awaitable[tuple[Any, str]]],
    after: Callable[[App], None] | None = None,
) -> Any:
    """Start the other side, serve the channel with the settings made from (database URL,
    fake base URL), tell the other side where to send (the string `serve` returns), and
    return what the other side measured (for the dialog benchmarks: elapsed time and the
    sorted latencies). `after` looks at the app (its database) before it is closed."""
    context = multiprocessing.get_context("spawn")
    to_bot, from_bot = context.Queue(), context.Queue()
    other = context.Process(target=other_side, args=(people, to_bot, from_bot), daemon=True)
    other.start()
    base_url = await asyncio.to_thread(to_bot.get)
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(settings_for(f"sqlite:///{folder}/bench.db", base_url))
        channel, address = await serve(app)
        tasks = [asyncio.create_task(channel.receive()), asyncio.create_task(channel.worker.run())]
        await asyncio.sleep(0.5)  # let the channel bind and start polling (set-up, not measured)
        from_bot.put(address)
        measured = await asyncio.to_thread(to_bot.get)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await channel.stop()
        if after is not None:
            after(app)
        app.close()
    other.join(timeout=10)
    return measured


def report(title: str, unit: str, elapsed: float, latencies: list[float]) -> None:
    latencies = sorted(latencies)
    print(f"{title}: {len(latencies)} {unit}s in {elapsed:.1f} s")
    print(f"  throughput  {len(latencies) / elapsed:,.0f} {unit}s/s end to end (sent -> reply delivered)")
    print(f"  latency     p50 {statistics.median(latencies) * 1000:.0f} ms   "
          f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms")  # fmt: skip
