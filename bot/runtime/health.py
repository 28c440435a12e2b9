"""Whether this process is healthy, as /healthz answers a load balancer: the database
answers a query within a few seconds, and every long-running loop (a channel's receiving,
each delivery worker and the scheduler while they lead) has shown a sign of life lately.

A part is watched from when it starts (a channel's receiving, or a leader once elected)
until it rests (a leader stepping down: a standby is not dead). Each loop beats its part of
a `Liveness` made in bot/app.py: in each turn of a loop that turns (polling, delivery), or
every few seconds for a loop that only waits (a webhook server; `keep_beating`). A watched
part that has not beaten for `stale_after` seconds is failing."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from sqlalchemy import Engine
from sqlmodel import Session

from storage import monitoring

# Longer than any loop's quiet turn: a long poll (30 s) after the longest outage wait (60 s).
STALE_AFTER = 120.0
BEAT_EVERY = 10.0  # seconds, for loops that only wait
DATABASE_TIMEOUT = 3.0  # seconds /healthz waits for the database's answer


@dataclass
class Liveness:
    """The last sign of life of each part (monotonic seconds). Beats come from the event
    loop; the dict is only ever touched there and by /healthz in the same loop."""

    stale_after: float = STALE_AFTER
    monotonic: Callable[[], float] = time.monotonic
    _beats: dict[str, float] = field(default_factory=dict, init=False)

    def watch(self, part: str) -> None:
        """Check this part from now on (a channel starting to receive, a leader elected)."""
        self._beats[part] = self.monotonic()

    def rest(self, part: str) -> None:
        """The part stopped on purpose (a leader stepping down): not checked until watched again."""
        self._beats.pop(part, None)

    def beat(self, part: str) -> None:
        """A sign of life; ignored for a part not watched (a standby's loop)."""
        if part in self._beats:
            self._beats[part] = self.monotonic()

    def beater(self, part: str) -> Callable[[], None]:
        return lambda: self.beat(part)

    def stale(self) -> list[str]:
        now = self.monotonic()
        return sorted(part for part, at in self._beats.items() if now - at > self.stale_after)

    def parts(self) -> list[str]:
        return sorted(self._beats)


async def keep_beating(beat: Callable[[], None], *, every: float = BEAT_EVERY) -> None:
    """Beat until cancelled: for a loop whose work happens in callbacks (a server), this
    shows that the event loop still turns."""
    while True:
        beat()
        await asyncio.sleep(every)


@dataclass(frozen=True)
class HealthReport:
    failing: tuple[str, ...]
    checked: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failing

    def as_json(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "fail", "failing": list(self.failing), "checked": list(self.checked)}


async def check_health(
    database: Engine,
    blocking: Callable[..., Awaitable[Any]],
    liveness: Liveness,
    *,
    timeout: float = DATABASE_TIMEOUT,
) -> HealthReport:
    failing = [] if await _database_answers(database, blocking, timeout) else ["database"]
    failing.extend(liveness.stale())
    return HealthReport(tuple(failing), ("database", *liveness.parts()))


async def _database_answers(database: Engine, blocking: Callable[..., Awaitable[Any]], timeout: float) -> bool:
    def ping() -> bool:
        with Session(database) as session:
            return monitoring.ping(session)

    try:
        return await asyncio.wait_for(blocking(ping), timeout=timeout)
    except Exception:  # noqa: BLE001 - whatever the reason, the database did not answer in time
        return False
