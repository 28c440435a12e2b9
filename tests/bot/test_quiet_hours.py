"""When a message the bot starts itself may go out, given QUIET_HOURS in TIMEZONE."""

from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.outbound.quiet import QuietHours

MADRID = ZoneInfo("Europe/Madrid")
OVERNIGHT = QuietHours(MADRID, (time(21, 0), time(8, 0)))


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("now", "release"),
    [
        (utc(28, 12), utc(28, 12)),  # 13:00 in Madrid: goes now
        (utc(28, 19, 59), utc(28, 19, 59)),  # 20:59: goes now
        (utc(28, 20), utc(29, 7)),  # 21:00: waits for 08:00 the next morning
        (utc(28, 23, 30), utc(29, 7)),  # past midnight in Madrid
        (utc(29, 5), utc(29, 7)),  # 06:00: waits for 08:00 the same morning
        (utc(29, 7), utc(29, 7)),  # 08:00 sharp: goes
    ],
)
def test_a_window_across_midnight(now: datetime, release: datetime) -> None:
    assert OVERNIGHT.release(now) == release


def test_a_window_within_the_day_and_no_window() -> None:
    lunch = QuietHours(ZoneInfo("UTC"), (time(12, 0), time(13, 30)))
    assert lunch.release(utc(28, 12, 15)) == utc(28, 13, 30)
    assert lunch.release(utc(28, 14)) == utc(28, 14)
    assert QuietHours(MADRID).release(utc(28, 23)) == utc(28, 23)


def test_the_end_of_the_window_follows_daylight_saving_time() -> None:
    # Madrid moves its clocks forward on 29 March 2026: 08:00 is 06:00 UTC from that day on.
    assert OVERNIGHT.release(datetime(2026, 3, 28, 22, 0, tzinfo=timezone.utc)) == datetime(
        2026, 3, 29, 6, 0, tzinfo=timezone.utc
    )
