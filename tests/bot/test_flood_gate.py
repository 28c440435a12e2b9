"""The per-person flood gate on its own, with a clock moved by hand (no sleeping)."""

from __future__ import annotations

from datetime import timedelta

from bot.inbound.flood import FloodGate, Verdict
from tests.conftest import FIXED_NOW


def test_past_the_limit_one_slow_down_then_drops_until_the_window_has_passed() -> None:
    gate = FloodGate(limit=3)
    now = FIXED_NOW
    verdicts = [gate.admit("telegram:1", now + timedelta(seconds=n)) for n in range(6)]
    assert verdicts == [Verdict.HANDLE] * 3 + [Verdict.SLOW_DOWN, Verdict.DROP, Verdict.DROP]
    assert gate.dropped("telegram:1") == 3
    assert gate.admit("telegram:2", now) is Verdict.HANDLE  # others are not held up
    assert gate.admit("telegram:1", now + timedelta(seconds=59)) is Verdict.DROP
    assert gate.admit("telegram:1", now + timedelta(seconds=60)) is Verdict.HANDLE  # a new window
    assert gate.dropped("telegram:1") == 0
