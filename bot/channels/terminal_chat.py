"""The terminal as a channel: `cocreate chat` reads lines from stdin and prints replies.

It goes through the same service and outbox as Telegram and Slack: each line is an inbound
event in its own transaction, and replies are printed by a delivery worker draining this
person's outbox rows (so what was committed but not printed before an exit comes first the
next time).
"""

from __future__ import annotations

import uuid
from typing import TextIO

from adapters import console
from adapters import text as incoming
from bot.channels.protocol import ChannelHooks
from conversations.i18n import T
from conversations.messages import Address
from bot.outbound.ratelimit import UNLIMITED


async def chat(hooks: ChannelHooks, *, name: str, stdin: TextIO, stdout: TextIO) -> None:
    """Talk to the bot in the terminal until end of input."""

    def write(text: str) -> None:
        stdout.write(text)
        stdout.flush()

    address = console.address_for(name)
    worker = hooks.delivery_worker(console.ConsoleSender(write), limits=UNLIMITED)
    interactive = stdin.isatty()

    async def say(line: str) -> None:
        await hooks.on_inbound(console.to_inbound(line, address=address, event_id=uuid.uuid4().hex))
        await worker.drain(chat_id=address.chat_id)

    # Replies committed but not printed before an earlier exit come first, then the
    # greeting: the welcome for someone new, or "welcome back" where they left off.
    await worker.drain(chat_id=address.chat_id)
    await say("/start")
    lines = await console.read_lines(stdin)
    while True:
        if interactive:
            write("> ")
        line = await lines.get()
        if line is None:
            break
        if not interactive:
            # Piped input: show what was said, so the output reads as a transcript.
            write(f"> {incoming.shown(line.rstrip())}\n")
        await say(line)
    write("\n" + await goodbye(hooks, address) + "\n")


async def goodbye(hooks: ChannelHooks, address: Address) -> str:
    return hooks.render(await hooks.language_of(address), T("console.bye"))
