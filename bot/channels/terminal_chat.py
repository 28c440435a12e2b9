"""The terminal as a channel: `cocreate chat` reads what the person types and prints replies.

It goes through the same service and outbox as Telegram and Slack: each answer is an inbound
event in its own transaction, and replies are printed by a delivery worker draining this
person's outbox rows (so what was committed but not printed before an exit comes first the
next time).

At a terminal, answers are typed with line editing and history (prompt_toolkit), and a
multi-line paste is one answer. Piped input is one answer per line, echoed as `> line` so
the output reads as a transcript (tests/transcripts depend on it).

Messages the bot starts itself (broadcasts, follow-ups, news about a submission) print
framed, their buttons lettered; typing a letter or label of the latest one's buttons is a
press of that button, as on Telegram.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable, TextIO

from adapters import console
from adapters import text as incoming
from adapters.base import Queued, SendResult, Sent
from bot.channels.protocol import ChannelHooks
from bot.outbound.ratelimit import UNLIMITED
from conversations.i18n import T
from conversations.messages import Address, Choice, Document, Inbound

DEFAULT_COMMAND = "cocreate chat"
PROMPT = "> "
# The heading over a message the bot starts itself, by its outbox kind.
BROADCAST_HEADING = T("console.notice.broadcast")
NOTICE_HEADING = T("console.notice.update")

LineReader = Callable[[], Awaitable[str | None]]


@dataclass
class TerminalChat:
    """One person's terminal chat: prints outbox messages for it (it is the worker's sender)
    and turns what they type into inbound events."""

    hooks: ChannelHooks
    address: Address
    write: Callable[[str], None]
    # The buttons of the latest notice that had any: what a typed letter answers.
    notice_buttons: tuple[Choice, ...] = ()
    channel: str = console.CHANNEL
    # Where /mydata writes the person's data (EXPORT_DIR, or beside the database).
    export_dir: Path = Path(".")

    async def send(self, message: Queued) -> SendResult:
        outbound = message.outbound
        if outbound.document is not None:
            path = write_document(self.export_dir, outbound.document)
            self.write(f"{outbound.text}\n  {path}\n")
            return Sent()
        if outbound.kind in ("reply", "farewell"):
            self.write(console.to_channel(outbound) + "\n")
            return Sent()
        heading = BROADCAST_HEADING if outbound.kind == "broadcast" else NOTICE_HEADING
        language = await self.hooks.language_of(message.address)
        self.write(console.notice_to_channel(outbound, heading=self.hooks.render(language, heading)) + "\n")
        if outbound.choices:
            self.notice_buttons = outbound.choices
        return Sent()

    def inbound(self, line: str) -> Inbound:
        event_id = uuid.uuid4().hex
        pressed = console.notice_press(line, self.notice_buttons)
        if pressed is not None:
            return console.to_press(pressed, address=self.address, event_id=event_id)
        return console.to_inbound(line, address=self.address, event_id=event_id)


def write_document(folder: Path, document: Document) -> Path:
    """Write a file readable by its owner only (it holds personal data); returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = (folder / Path(document.name).name).resolve()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(document.content)
    return path


async def chat(
    hooks: ChannelHooks,
    *,
    name: str,
    stdin: TextIO,
    stdout: TextIO,
    command: str = DEFAULT_COMMAND,
    export_dir: Path = Path("."),
    greeting: str = "/start",
) -> None:
    """Talk to the bot in the terminal until end of input (Ctrl-D) or Ctrl-C at the prompt.

    `command` is how the person started this chat; the goodbye tells them to run it again.
    `greeting` is what the chat opens with (`/start <code>`: as through a personal link)."""

    def write(text: str) -> None:
        stdout.write(text)
        stdout.flush()

    session = TerminalChat(hooks, console.address_for(name), write, export_dir=export_dir)
    worker = hooks.delivery_worker(session, limits=UNLIMITED)

    async def say(inbound: Inbound) -> None:
        await hooks.on_inbound(inbound)
        await worker.drain(chat_id=session.address.chat_id)

    # Replies committed but not printed before an earlier exit come first, then the
    # greeting: the welcome for someone new, or "welcome back" where they left off.
    await worker.drain(chat_id=session.address.chat_id)
    await say(session.inbound(greeting))
    read = await line_reader(stdin, stdout, write)
    while (line := await read()) is not None:
        await say(session.inbound(line))
    write("\n" + await goodbye(hooks, session.address, command) + "\n")


async def line_reader(stdin: TextIO, stdout: TextIO, write: Callable[[str], None]) -> LineReader:
    """How answers are read: edited at a terminal, line by line from a pipe or file."""
    if stdin.isatty() and stdout.isatty():
        return edited_answers(stdin, stdout)
    lines = await console.read_lines(stdin)
    interactive = stdin.isatty()

    async def read() -> str | None:
        if interactive:
            write(PROMPT)
        line = await lines.get()
        if line is not None and not interactive:
            write(f"{PROMPT}{incoming.shown(line.rstrip())}\n")  # piped input: show what was said, so the output reads as a transcript
        return line

    return read


def edited_answers(stdin: TextIO, stdout: TextIO) -> LineReader:
    """Answers typed with line editing (arrow keys, Home/End) and this chat's history (Up).

    A paste arrives between bracketed-paste marks, so its newlines stay in the text and one
    paste is one answer; Enter sends it. History stays in memory: answers may be personal
    and are not written to disk."""
    # Imported here, at a terminal only: piped chats, `cocreate run` and the staff commands
    # import this module without needing a line editor (about 0.1 s and 6 MB).
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import InMemoryHistory
    from prompt_toolkit.input import create_input
    from prompt_toolkit.output import create_output

    prompt: PromptSession[str] = PromptSession(
        input=create_input(stdin), output=create_output(stdout), history=InMemoryHistory()
    )

    async def read() -> str | None:
        try:
            return await prompt.prompt_async(PROMPT)
        except (EOFError, KeyboardInterrupt):  # Ctrl-D, Ctrl-C: leave with the goodbye
            return None

    return read


async def goodbye(hooks: ChannelHooks, address: Address, command: str = DEFAULT_COMMAND) -> str:
    return hooks.render(await hooks.language_of(address), T("console.bye", command=command))

