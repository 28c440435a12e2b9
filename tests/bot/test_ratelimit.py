"""Token buckets on a clock the test moves: the limits hold without sleeping for real."""

from __future__ import annotations

import asyncio

from bot.outbound.ratelimit import Limits, RateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def send_times(limits: Limits, chats: list[str], *, group: bool = False) -> list[float]:
    time = FakeTime()
    limiter = RateLimiter(limits, clock=time.clock, sleep=time.sleep)
    sent = []

    async def run() -> None:
        for chat in chats:
            await limiter.acquire(chat, group=group)
            sent.append(time.now)

    asyncio.run(run())
    return sent


def test_the_overall_rate_spaces_messages_to_different_chats() -> None:
    times = send_times(Limits(overall=28.0, per_chat=1.0), [f"chat-{n}" for n in range(57)])
    assert times[28] >= 1.0 - 1e-9 and times[56] >= 2.0 - 1e-9
    # In no window of one second do more than 28 go (Telegram allows about 30).
    assert all(sum(1 for t in times if start <= t < start + 1.0) <= 28 for start in times)


def test_one_chat_gets_about_one_message_a_second_and_groups_twenty_a_minute() -> None:
    assert send_times(Limits(overall=None, per_chat=0.95), ["ana"] * 3) == [0.0, 1 / 0.95, 2 / 0.95]
    group = send_times(Limits(overall=None, per_chat=0.95, per_group=20 / 60), ["-100"] * 3, group=True)
    assert group == [0.0, 3.0, 6.0]
