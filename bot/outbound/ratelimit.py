"""Limits that keep sending within each channel's published limits.

Telegram: about 30 messages a second overall, about 1/s per chat (after a short burst), 20 a
minute per group. Slack's chat.postMessage: about 1/s per channel. The defaults stay a
little under those, so a well-behaved bot never sees a 429 at all; a 429 that still comes is
obeyed by the worker.

The overall limit is a sliding window (at most N in any one second), read as Telegram writes
it: a bot sending fewer than N a second never waits for it. A token bucket with a burst of one
would space every message 1/N s apart instead, so replies to a few people at the same moment
would queue behind each other for no reason. Chats and groups are token buckets: a burst,
then a steady rate.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable


@dataclass(frozen=True)
class Limits:
    """Messages per second and burst sizes; None means no limit of that kind. `overall` is
    how many may go in any one second (a whole number of messages)."""

    overall: int | None
    per_chat: float
    per_group: float | None = None
    chat_burst: float = 1.0
    group_burst: float = 1.0

    def batch(self) -> int:
        """About four seconds of sending: a claim over thousands of waiting rows costs a good
        part of a second, so shorter rounds would leave the limit unused while claiming (a new
        reply interrupts a round of broadcasts and notifications, so it does not wait for one)."""
        return max(1, self.overall * 4) if self.overall else 50

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
TELEGRAM = Limits(overall=28, per_chat=0.95, per_group=20 / 60, chat_burst=10)
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

    def take(self, now: float) -> None:
        self.tokens -= 1

    def done(self, now: float) -> None:
        pass  # a bucket counts a message when it is taken


@dataclass
class Window:
    """At most `limit` messages in any `seconds`. A message counts from when its sending
    began until `seconds` after its sending ended: the platform counts it when it arrives,
    somewhere in between, so however the network reorders arrivals, no `limit + 1` can land
    in one of its seconds. Messages still on the wire count as sent "now"."""

    limit: int
    seconds: float = 1.0
    ended: list[float] = field(default_factory=list)  # when each counted message's sending ended
    on_the_wire: int = 0

    def wait(self, now: float) -> float:
        self.ended = [at for at in self.ended if at > now - self.seconds]
        if len(self.ended) + self.on_the_wire < self.limit:
            return 0.0
        if not self.ended:  # all on the wire (a limit under the worker's concurrency): look again soon
            return self.seconds / self.limit
        return min(self.ended) + self.seconds - now

    def take(self, now: float) -> None:
        self.on_the_wire += 1

    def done(self, now: float) -> None:
        self.on_the_wire -= 1
        self.ended.append(now)


@dataclass
class RateLimiter:
    limits: Limits
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _overall: Window | None = field(default=None, init=False)
    _chats: dict[str, Bucket] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if self.limits.overall:
            self._overall = Window(self.limits.overall)

    @asynccontextmanager
    async def sending(self, chat_id: str, *, group: bool = False) -> AsyncIterator[None]:
        """Wait until a message to this chat may go, then count it while the block sends it."""
        while True:
            now = self.clock()
            limits = [limit for limit in (self._overall, self._chat(chat_id, group, now)) if limit is not None]
            delay = max(limit.wait(now) for limit in limits)
            if delay <= 0:
                break
            await self.sleep(delay)
        for limit in limits:
            limit.take(now)
        try:
            yield
        finally:
            ended = self.clock()
            for limit in limits:
                limit.done(ended)

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
