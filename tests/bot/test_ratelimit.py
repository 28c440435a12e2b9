"""Rate limits on a clock the test moves: the limits hold without sleeping for real."""

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
            async with limiter.sending(chat, group=group):
                sent.append(time.now)

    asyncio.run(run())
    return sent


def test_the_overall_limit_lets_28_go_at_once_and_never_more_than_28_in_a_second() -> None:
    """Fewer than the limit never wait (replies to several people at one moment all go at
    once); more wait for the oldest of the second to leave the window."""
    times = send_times(Limits(overall=28, per_chat=1.0), [f"chat-{n}" for n in range(57)])
    assert times[:28] == [0.0] * 28
    assert times[28:56] == [1.0] * 28 and times[56] == 2.0
    # In no window of one second do more than 28 go (Telegram allows about 30).
    assert all(sum(1 for t in times if start <= t < start + 1.0) <= 28 for start in times)


def test_a_steady_stream_under_the_overall_limit_never_waits() -> None:
    time = FakeTime()
    limiter = RateLimiter(Limits(overall=28, per_chat=1.0), clock=time.clock, sleep=time.sleep)

    async def run() -> None:
        for n in range(200):  # twenty a second, each to another chat
            async with limiter.sending(f"chat-{n}"):
                pass
            time.now += 0.05

    asyncio.run(run())
    assert time.slept == []


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


def test_a_message_counts_until_a_second_after_its_sending_ended() -> None:
    """Telegram counts a message when it arrives, which may be as late as when our call
    returns: a slow send keeps its place in the window until a second after it ended, so a
    fast one after it can never land in the same second as it and 28 others."""
    time = FakeTime()
    limiter = RateLimiter(Limits(overall=2, per_chat=1e9, chat_burst=1e9), clock=time.clock, sleep=time.sleep)
    started: list[float] = []

    async def run() -> None:
        for n in range(3):
            async with limiter.sending(f"chat-{n}"):
                started.append(time.now)
                time.now += 0.5  # the Bot API takes half a second to answer

    asyncio.run(run())
    assert started == [0.0, 0.5, 1.5]  # the first ended at 0.5: the third waits until 1.5
