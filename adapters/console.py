"""The terminal channel: lines in, plain text out.

Replies print their choices numbered (`  1) Label`); a message the bot starts itself (a
broadcast, a follow-up) prints framed, with its buttons lettered (`  a) I shared it`), so a
number always answers the current question and a letter the latest such message.
"""

from __future__ import annotations

import asyncio
import string
import threading
from typing import Sequence, TextIO

from adapters import text as incoming
from conversations.messages import Address, Choice, Inbound, Outbound

CHANNEL = "console"
NOTICE_LETTERS = string.ascii_lowercase
RULE_WIDTH = 48


def address_for(name: str) -> Address:
    return Address(CHANNEL, chat_id=name, user_id=name)


def to_inbound(line: str, *, address: Address, event_id: str) -> Inbound:
    """A typed line, without its line ending; the engine reads numbers and labels. Bytes
    that were not UTF-8 (read with surrogateescape) arrive as control characters, which the
    engine asks to type again."""
    text = incoming.typed(line.rstrip("\r\n"))
    referral = incoming.start_parameter(text)
    return Inbound(address, event_id, text=text, display_name=incoming.shown(address.user_id), referral=referral)


def to_press(value: str, *, address: Address, event_id: str) -> Inbound:
    """A notice's button chosen by its letter or label: the same press a Telegram button sends."""
    return Inbound(address, event_id, choice=value, display_name=address.user_id)


def notice_press(line: str, buttons: Sequence[Choice]) -> str | None:
    """The value of the notice button a typed letter (`a`, `a)`) or label stands for, else None."""
    typed = line.strip().casefold()
    for letter, button in zip(NOTICE_LETTERS, buttons):
        if typed in {letter, f"{letter})", button.label.casefold()}:
            return button.value
    return None


def to_channel(outbound: Outbound) -> str:
    """A reply: the text, then each choice as `  1) Label` (the terminal has no buttons)."""
    lines = [outbound.text] if outbound.text else []
    lines += [f"  {number}) {choice.label}" for number, choice in enumerate(outbound.choices, start=1)]
    return "\n".join(lines)


def notice_to_channel(outbound: Outbound, *, heading: str) -> str:
    """A message the bot starts itself, between two rules (the first one headed), its buttons
    lettered `  a) Label`: set apart from the question being answered."""
    top = f"── {heading} ".ljust(RULE_WIDTH, "─")
    lines = [top, *([outbound.text] if outbound.text else [])]
    lines += [f"  {letter}) {choice.label}" for letter, choice in zip(NOTICE_LETTERS, outbound.choices)]
    return "\n".join([*lines, "─" * RULE_WIDTH])


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
