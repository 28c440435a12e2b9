"""Outages of what the bot depends on (the database, the Bot API): wait, try again, recover.

A loop that must not stop (delivery, polling, the scheduler) tells its `Outage` each failed
try and each success. The outage is logged once when it begins, with its cause (again only
if the cause changes), and once when it ends; between tries it waits 1 s, 2 s, 4 s ... up to
a minute, each wait drawn at random from its upper half so that processes and loops that
failed together do not all come back at the same moment.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

FIRST_WAIT = 1.0  # seconds
LONGEST_WAIT = 60.0


def is_database_outage(error: BaseException) -> bool:
    """The database cannot be used right now (locked past the busy timeout, disk full,
    restarting, the connection dropped), as opposed to a bug or bad data: worth waiting for."""
    if isinstance(error, (OperationalError, InterfaceError)):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def cause(error: BaseException) -> str:
    """One line naming the error, without SQL or parameters (they may hold people's words)."""
    original = getattr(error, "orig", None) or error
    text = " ".join(str(original).split())
    name = type(original).__name__
    if not text or text.startswith(name):
        return text[:300] or name
    return f"{name}: {text[:300]}"


@dataclass
class Outage:
    """The state of one dependency as one loop sees it."""

    what: str  # "the database (delivery on telegram)", "getUpdates"
    log: logging.Logger
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    first_wait: float = FIRST_WAIT
    longest_wait: float = LONGEST_WAIT
    failures: int = field(default=0, init=False)  # tries failed since the last success
    _logged_cause: str | None = field(default=None, init=False)

    async def failed(self, error: BaseException | str) -> None:
        """Note a failed try and wait before the next one."""
        self.note(error)
        await self.sleep(self.wait())

    def note(self, error: BaseException | str) -> None:
        """Note a failed try (when someone else decides when to try again)."""
        described = error if isinstance(error, str) else cause(error)
        kind = described.split(":", 1)[0]
        if self._logged_cause is None or kind != self._logged_cause.split(":", 1)[0]:
            self.log.error("%s is failing (%s); trying again with backoff until it works", self.what, described)
            self._logged_cause = described
        self.failures += 1

    def succeeded(self) -> None:
        """Note a try that worked; ends an outage (logged) if there was one."""
        if self.failures:
            self.log.warning("%s works again after %s failed tries", self.what, self.failures)
        self.failures = 0
        self._logged_cause = None

    def wait(self) -> float:
        """Seconds before the next try: doubling with each failure, capped, with jitter."""
        ceiling = min(self.longest_wait, self.first_wait * 2 ** max(0, self.failures - 1))
        return random.uniform(ceiling / 2, ceiling)
