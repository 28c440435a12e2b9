"""What a new report's reply says about how long similar reports took to fix, from the
category's figures (conversations/context.py `Estimate`). Pure: the figures come through
the Lookup, computed elsewhere (bot/operations/survival.py).

Only a category with at least MIN_FINISHED fixed problems gets a sentence: fewer say too
little, and the reply keeps only its fixed follow-up date (as it does with figures older than
MAX_AGE)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from conversations.context import Estimate
from conversations.i18n import T, Text

MIN_FINISHED = 10
# Figures kept longer than this were left by a `cocreate run` that no longer runs (the
# terminal chat computes none): they may no longer be true, so they are not said.
MAX_AGE = timedelta(days=7)


def whole_days(days: float) -> int:
    """Days as people say them: to the nearest whole day (half up), and at least one, since
    "0 days" would promise the same day."""
    return max(1, math.floor(days + 0.5))


def days_text(low: float, high: float | None = None) -> Text:
    """ "1 day", "5 days", or "9 to 21 days" (the same whole day twice is said once)."""
    first = whole_days(low)
    last = first if high is None else whole_days(high)
    if first != last:
        return T("estimate.days.range", low=first, high=last)
    # In all five languages only 1 takes the singular (French's singular 0 never occurs).
    return T("estimate.days.one") if first == 1 else T("estimate.days.many", days=first)


def fix_estimate(estimate: Estimate | None, *, now: datetime) -> Text | None:
    """The sentence for a new report's reply, or None when the figures say too little or
    are too old.

    The middle half is the 25th to the 75th percentile of the time to done. Where the curve
    never reaches its 75th percentile (more than a quarter of the cases still not fixed at the
    longest time seen), the upper bound is unknown: the sentence then says the lower bound
    only, and that many take longer, instead of inventing an end."""
    if estimate is None or estimate.finished < MIN_FINISHED or now - estimate.computed_at > MAX_AGE:
        return None
    low, high = estimate.done
    if low is None:  # not even a quarter fixed yet: nothing honest to say beyond the date
        return None
    if high is None:
        return T("estimate.fix_at_least", span=days_text(low))
    return T("estimate.fix", span=days_text(low, high))
