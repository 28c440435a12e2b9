"""Token buckets on a clock the test moves: the limits hold without sleeping for real."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.outbound.ratelimit import TELEGRAM, Limits, RateLimiter


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


def test_a_person_answering_at_once_is_answered_at_once_and_a_backlog_then_goes_a_second_apart() -> None:
    """Telegram's limits as shipped: a private chat takes a burst of ten with no wait (a whole
    dialog answered as fast as a person presses), then about one a second; a group chat still
    gets twenty a minute from its first message on."""
    per_chat_only = replace(TELEGRAM, overall=None)  # the overall rate has a test of its own
    times = send_times(per_chat_only, ["ana"] * 13)
    assert times[:10] == [0.0] * 10
    assert [round(t * TELEGRAM.per_chat, 6) for t in times[10:]] == [1.0, 2.0, 3.0]
    group = send_times(per_chat_only, ["-100"] * 3, group=True)
    assert group == [0.0, 3.0, 6.0]
