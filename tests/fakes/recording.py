"""What the fake servers share: a condition that every recorded call notifies, so tests can
wait for what they expect (however long it takes, up to a timeout) instead of sleeping."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class Recording:
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _loop: asyncio.AbstractEventLoop | None = None  # the server's own loop, on its own thread

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)

    def wait_until(self, condition: Callable[[Any], bool], timeout: float = 20) -> None:
        """Block until the condition holds; it is checked whenever the server records a call."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"condition not met; calls so far: {self.call_names()}")
                self._changed.wait(remaining)

    def call_names(self) -> list[str]:
        raise NotImplementedError
