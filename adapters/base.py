"""What every channel's sender takes and answers; bot/delivery.py acts on the answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from conversations.messages import Address, Outbound


@dataclass(frozen=True)
class Queued:
    """An outbox row as a sender sees it."""

    id: int
    address: Address
    outbound: Outbound
    attempts: int
    citizen_id: int | None = None
    queued_at: datetime | None = None  # when the row was queued (a reply's latency is measured from it)


@dataclass(frozen=True)
class Sent:
    pass


@dataclass(frozen=True)
class RetryAfter:
    """The channel asked us to wait (HTTP 429)."""

    seconds: float
    error: str = "rate limited"


@dataclass(frozen=True)
class TemporaryError:
    """A network error or a 5xx: worth trying again later."""

    error: str


@dataclass(frozen=True)
class Failed:
    """The channel refused this message for good (a 400): retrying would not help."""

    error: str


@dataclass(frozen=True)
class Blocked:
    """The person blocked the bot or left the channel."""

    error: str


SendResult = Sent | RetryAfter | TemporaryError | Failed | Blocked


class Sender(Protocol):
    channel: str

    async def send(self, message: Queued) -> SendResult: ...
