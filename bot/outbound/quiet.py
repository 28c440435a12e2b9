"""Quiet hours: messages the bot starts (follow-ups, notifications, broadcasts, digests) wait
until the window ends. Replies to someone who writes are never held."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone, tzinfo


@dataclass(frozen=True)
class QuietHours:
    zone: tzinfo
    window: tuple[time, time] | None = None  # (start, end) in local time; may cross midnight

    def release(self, now: datetime) -> datetime:
        """The earliest moment (UTC) a bot-initiated message queued at `now` may go out."""
        if self.window is None:
            return now
        start, end = self.window
        local = now.astimezone(self.zone)
        clock = local.time().replace(tzinfo=None)
        crosses_midnight = start > end
        inside = (start <= clock or clock < end) if crosses_midnight else (start <= clock < end)
        if not inside:
            return now
        end_day = local.date() + timedelta(days=1) if crosses_midnight and clock >= start else local.date()
        # Built from the wall clock in the zone, so a DST change inside the window is honoured.
        return datetime.combine(end_day, end, tzinfo=self.zone).astimezone(timezone.utc)
