"""Token buckets that keep sending within each channel's published limits.

Telegram: about 30 messages/s overall, about 1/s per chat (after a short burst), 20 a minute
per group. Slack's
chat.postMessage: about 1/s per channel. The defaults stay a little under those, so a
well-behaved bot never sees a 429 at all; a 429 that still comes is obeyed by the worker.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable


@dataclass(frozen=True)
class Limits:
    """Messages per second and burst sizes; None means no limit of that kind."""

    overall: float | None
    per_chat: float
    per_group: float | None = None
    chat_burst: float = 1.0
    group_burst: float = 1.0
    overall_burst: float = 1.0

    def batch(self) -> int:
        """About four seconds of sending: a claim over thousands of waiting rows costs a good
        part of a second, so shorter rounds would leave the limit unused while claiming (a new
        reply interrupts a round of broadcasts and notifications, so it does not wait for one)."""
        return max(1, int(self.overall * 4)) if self.overall else 50

    def per_round(self) -> int | None:
        """How many of one chat's messages a delivery round takes: what its bucket lets go
        without waiting (one, at Telegram's and Slack's rates). None: no per-chat limit."""
        if self.chat_burst >= 1e6:
            return None
        return max(1, int(min(self.chat_burst, self.group_burst if self.per_group else self.chat_burst)))


# A private chat may take a short burst: a person answering each question at once gets each
# answer at once (Telegram tolerates bursts in a chat; its one-a-second is the sustained
# rate). Ten covers a whole dialog answered as fast as a person can press; a backlog or a
# flood still goes at under one a second after it. Groups keep 20 a minute with no burst.
TELEGRAM = Limits(overall=28.5, per_chat=0.95, per_group=20 / 60, chat_burst=10)
SLACK = Limits(overall=None, per_chat=0.95)
UNLIMITED = Limits(overall=None, per_chat=1e9, chat_burst=1e9)


@dataclass
class Bucket:
    rate: float
    burst: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait(self, now: float) -> float:
        self.refill(now)
        # A hair under one token is one: otherwise rounding can leave waits too small to
        # move the clock at all.
        return 0.0 if self.tokens >= 1 - 1e-9 else (1 - self.tokens) / self.rate


@dataclass
class RateLimiter:
    limits: Limits
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _overall: Bucket | None = field(default=None, init=False)
    _chats: dict[str, Bucket] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if self.limits.overall:
            self._overall = Bucket(self.limits.overall, self.limits.overall_burst, self.limits.overall_burst, self.clock())

    async def acquire(self, chat_id: str, *, group: bool = False) -> None:
        """Wait until a message to this chat may go, then take its tokens."""
        while True:
            now = self.clock()
            buckets = [b for b in (self._overall, self._chat(chat_id, group, now)) if b is not None]
            delay = max(bucket.wait(now) for bucket in buckets)
            if delay <= 0:
                for bucket in buckets:
                    bucket.tokens -= 1
                return
            await self.sleep(delay)

    def _chat(self, chat_id: str, group: bool, now: float) -> Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) > 50_000:
                self._forget_idle(now)
            rate, burst = self.limits.per_chat, self.limits.chat_burst
            if group and self.limits.per_group is not None:
                rate, burst = min(rate, self.limits.per_group), self.limits.group_burst
            bucket = self._chats[chat_id] = Bucket(rate, burst, burst, now)
        return bucket

    def _forget_idle(self, now: float) -> None:
        """A full bucket is the same as no bucket: drop those to keep memory bounded."""
        for chat_id, bucket in list(self._chats.items()):
            bucket.refill(now)
            if bucket.tokens >= bucket.burst:
                del self._chats[chat_id]
