"""What a channel is, and what it gets from the rest of the bot.

A channel (Telegram, Slack) receives events and hands them over as boundary types; it owns a
delivery worker for its own outbox rows. It gets `ChannelHooks` (callbacks into the
conversation service, the catalogs and a way to build its worker), never the whole App:
as Rasa's input channels get an `on_new_message` callback. So `bot/app.py` imports the
channels and no channel imports `bot/app.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from contextlib import AbstractAsyncContextManager
from typing import Awaitable, Callable, Protocol

from adapters.base import Sender
from bot.inbound.service import Handled
from bot.outbound.delivery import DeliveryWorker
from bot.outbound.ratelimit import Limits
from conversations.i18n import Text
from conversations.messages import Address, Inbound, Outbound


class ChannelError(RuntimeError):
    """A channel cannot start; the message names the variable to fix."""


class NoChannelConfigured(ChannelError):
    pass


class WorkerFactory(Protocol):
    def __call__(self, sender: Sender, *, limits: Limits, concurrency: int = ...) -> DeliveryWorker: ...


@dataclass(frozen=True)
class ChannelHooks:
    """Everything a channel may ask of the bot. Each coroutine runs its database work off the
    event loop, so a channel never blocks it."""

    # Handle one inbound event completely (its transaction committed) or raise.
    on_inbound: Callable[[Inbound], Awaitable[Handled]]
    # The same, after the sender's older events (the int: the channel's increasing id for
    # it), whichever replica got them (bot/inbound/ordering.py).
    on_inbound_in_order: Callable[[Inbound, int], Awaitable[Handled]]
    # Queue a message outside any dialog (once per event id); False when the id was seen.
    say: Callable[[Address, Outbound, str], Awaitable[bool]]
    # The person blocked the bot: send them nothing until they write again.
    mark_unreachable: Callable[[Address], Awaitable[None]]
    # The language the person at this address is spoken to in.
    language_of: Callable[[Address], Awaitable[str]]
    # A catalog text in a language.
    render: Callable[[str, Text], str]
    default_language: str
    # A delivery worker over this database for the channel's sender.
    delivery_worker: WorkerFactory
    # Hold a role only one process may have (the Telegram poller) for the block: raises
    # HeldElsewhere when another live process holds it, LeadershipLost (the block
    # cancelled) when the hold is lost (bot/runtime/election.py).
    alone: Callable[[str], AbstractAsyncContextManager[object]]
    # A sign of life of the channel's receiving loop, by channel name (/healthz, bot/runtime/health.py).
    beat: Callable[[str], None] = lambda _channel: None


class Channel(Protocol):
    """A running channel, as `bot/app.py` serves it."""

    worker: DeliveryWorker

    async def start(self) -> None:
        """Check credentials and prepare; raise ChannelError naming the variable to fix."""

    async def receive(self) -> None:
        """Take events until cancelled."""

    async def stop(self) -> None:
        """Release what start() took."""
