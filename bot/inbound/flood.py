"""Per-person flood control for inbound events, before any database work.

Each person (channel and user id) has a window of `window` (a minute) that opens with
their first event; up to `limit` events in it are handled, the next one gets one polite
"slow down", and the rest are dropped unprocessed until the window has passed. Dropped
events are counted (logged once when the window closes), never stored: a flood costs no
rows and no transaction. Time comes from the injected clock.

The counts live in this process (one gate per service, made in bot/app.py): with several
processes each counts what it receives, and Telegram's updates go to one of them.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

log = logging.getLogger(__name__)
# Windows are pruned when this many people are tracked, so memory stays bounded.
_PRUNE_AT = 10_000


class Verdict(Enum):
    HANDLE = "handle"
    SLOW_DOWN = "slow_down"  # the first event over the limit: tell the person, once
    DROP = "drop"


@dataclass
class _Window:
    opened: datetime
    events: int = 0
    dropped: int = 0


@dataclass
class FloodGate:
    limit: int
    window: timedelta = timedelta(minutes=1)
    _windows: dict[str, _Window] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self, person: str, now: datetime) -> Verdict:
        with self._lock:
            current = self._windows.get(person)
            if current is None or now - current.opened >= self.window:
                self._close(person, current)
                if len(self._windows) >= _PRUNE_AT:
                    self._prune(now)
                current = self._windows[person] = _Window(now)
            current.events += 1
            if current.events <= self.limit:
                return Verdict.HANDLE
            current.dropped += 1
            return Verdict.SLOW_DOWN if current.events == self.limit + 1 else Verdict.DROP

    def dropped(self, person: str) -> int:
        """Events of this person's current window that were not handled."""
        with self._lock:
            current = self._windows.get(person)
            return current.dropped if current else 0

    def _close(self, person: str, window: _Window | None) -> None:
        if window is not None and window.dropped:
            log.warning("flood: %s sent %s events in a minute; %s were dropped", person, window.events, window.dropped)

    def _prune(self, now: datetime) -> None:
        for person, window in list(self._windows.items()):
            if now - window.opened >= self.window:
                self._close(person, window)
                del self._windows[person]
