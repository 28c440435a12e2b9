"""The terminal channel: lines in, plain text with numbered options out."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Callable, TextIO

from adapters import text as incoming
from adapters.base import Queued, SendResult, Sent
from conversations.messages import Address, Inbound, Outbound

CHANNEL = "console"


def address_for(name: str) -> Address:
    return Address(CHANNEL, chat_id=name, user_id=name)


def to_inbound(line: str, *, address: Address, event_id: str) -> Inbound:
    """A typed line, without its line ending; the engine reads numbers and labels. Bytes
    that were not UTF-8 (read with surrogateescape) arrive as control characters, which the
    engine asks to type again."""
    return Inbound(address, event_id, text=incoming.typed(line.rstrip("\r\n")), display_name=incoming.shown(address.user_id))


def to_channel(outbound: Outbound) -> str:
    """The text, then each choice as `  1) Label` (the terminal has no buttons)."""
    lines = [outbound.text] if outbound.text else []
    lines += [f"  {number}) {choice.label}" for number, choice in enumerate(outbound.choices, start=1)]
    return "\n".join(lines)


@dataclass(frozen=True)
class ConsoleSender:
    """Prints outbox messages for one terminal."""

    write: Callable[[str], None]
    channel: str = CHANNEL

    async def send(self, message: Queued) -> SendResult:
        self.write(to_channel(message.outbound) + "\n")
        return Sent()


async def read_lines(stream: TextIO) -> "asyncio.Queue[str | None]":
    """Lines from a blocking stream, read on a daemon thread so Ctrl-C never waits on it.

    The queue yields each line, then None at end of input.
    """
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def hand_over(line: str | None) -> bool:
        try:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        except RuntimeError:  # the chat ended (Ctrl-C) and closed its loop: nobody is reading
            return False
        return True

    def pump() -> None:
        for line in iter(stream.readline, ""):
            if not hand_over(line):
                return
        hand_over(None)

    threading.Thread(target=pump, name="console-stdin", daemon=True).start()
    return lines
