"""Golden transcripts: what people say and what the bot answers, as `cocreate chat` prints it.

A transcript file has sections that start with `# as NAME`; in each, lines that start with
"> " are what NAME types and everything else is what the bot must answer, exactly. Each
section is one `cocreate chat --as NAME` session on the same database, so a transcript can
show several people (one reports a problem, another proposes an idea for it) or one person
leaving and coming back.

Set UPDATE_TRANSCRIPTS=1 to rewrite the files from the current behaviour; review the diff.
"""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

from bot.app import App
from bot.channels.terminal_chat import chat

SECTION = re.compile(r"^# as (\S+)$", re.MULTILINE)


def sections(transcript: str) -> list[tuple[str, list[str]]]:
    """[(name, [typed lines])] in order."""
    parts = SECTION.split(transcript)
    found = []
    for name, body in zip(parts[1::2], parts[2::2]):
        typed = [line[2:] for line in body.splitlines() if line.startswith("> ")]
        found.append((name, typed))
    return found


def run_chat(app: App, name: str, typed: list[str]) -> str:
    stdin = io.StringIO("".join(f"{line}\n" for line in typed))
    stdout = io.StringIO()
    asyncio.run(chat(app.channel_hooks(), name=name, stdin=stdin, stdout=stdout))
    return stdout.getvalue()


def replay(app: App, path: Path) -> str:
    """Run every section of a transcript file and return what the bot actually said."""
    return "".join(f"# as {name}\n{run_chat(app, name, typed)}" for name, typed in sections(path.read_text()))
