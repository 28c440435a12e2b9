"""Golden transcripts: what people say, what the bot answers, as `cocreate chat` prints it,
and what each turn did.

A transcript file has sections that start with `# as NAME`; in each, lines that start with
"> " are what NAME types and everything else is what the bot must answer, exactly. Each
section is one `cocreate chat --as NAME` session on the same database, so a transcript can
show several people (one reports a problem, another proposes an idea for it) or one person
leaving and coming back.

After the replies of each turn that changed something, a line such as
`  [effects] SaveProblem(...) -> P-1; ScheduleFollowUp(...)` lists the effects the engine
asked for and the service carried out (with their receipts), so a change to what is stored
fails the transcript even when the text stays the same.

Set UPDATE_TRANSCRIPTS=1 to rewrite the files from the current behaviour; review the diff.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import re
from datetime import datetime, timezone
from pathlib import Path

from bot.app import App
from bot.channels.terminal_chat import chat
from bot.inbound.service import CarriedOut, Handled
from conversations.effects import Outcome
from conversations.messages import Inbound

SECTION = re.compile(r"^# as (\S+)$", re.MULTILINE)
PLAIN = re.compile(r"^[\w:.@+-]+$")
EFFECTS = "  [effects] "
LONGEST_TEXT = 40  # what people typed is in the transcript already; its start says which it is


def sections(transcript: str) -> list[tuple[str, list[str]]]:
    """[(name, [typed lines])] in order."""
    parts = SECTION.split(transcript)
    found = []
    for name, body in zip(parts[1::2], parts[2::2]):
        typed = [line[2:] for line in body.splitlines() if line.startswith("> ")]
        found.append((name, typed))
    return found


def run_chat(app: App, name: str, typed: list[str]) -> str:
    """What one `cocreate chat --as NAME` session prints for these typed lines."""
    printed, _turns = _chat(app, name, typed)
    return printed


def run_turns(app: App, name: str, typed: list[str]) -> str:
    """What the session prints, with each turn's effects after its replies (a transcript)."""
    printed, turns = _chat(app, name, typed)
    return with_effects(printed, typed, turns)


def _chat(app: App, name: str, typed: list[str]) -> tuple[str, list[tuple[CarriedOut, ...]]]:
    hooks = app.channel_hooks()
    turns: list[tuple[CarriedOut, ...]] = []

    async def on_inbound(inbound: Inbound) -> Handled:
        handled = await hooks.on_inbound(inbound)
        turns.append(handled.effects)
        return handled

    stdin = io.StringIO("".join(f"{line}\n" for line in typed))
    stdout = io.StringIO()
    asyncio.run(chat(dataclasses.replace(hooks, on_inbound=on_inbound), name=name, stdin=stdin, stdout=stdout))
    return stdout.getvalue(), turns


def with_effects(printed: str, typed: list[str], turns: list[tuple[CarriedOut, ...]]) -> str:
    """Insert each turn's effects line where its replies end: before the next typed line
    (piped input is echoed as "> line") or, for the last turn, before the goodbye."""
    assert len(turns) == len(typed) + 1, "one turn for the greeting, then one per typed line"
    lines = printed.splitlines(keepends=True)
    goodbye = len(lines) - 2  # the chat ends with "\n<goodbye>\n"
    echoes = iter(f"> {line.rstrip()}\n" for line in typed)
    next_echo, turn, out = next(echoes, None), 0, []
    for index, line in enumerate(lines):
        if line == next_echo or index == goodbye:
            out.extend(_effects_line(turns[turn]))
            turn += 1
            next_echo = next(echoes, None)
        out.append(line)
    assert turn == len(turns), "every turn's effects were placed"
    return "".join(out)


def _effects_line(effects: tuple[CarriedOut, ...]) -> list[str]:
    if not effects:
        return []
    return [EFFECTS + "; ".join(_carried_out(done) for done in effects) + "\n"]


def _carried_out(done: CarriedOut) -> str:
    shown = _value(done.effect)
    if done.receipt is None:
        return shown
    receipt = done.receipt
    outcome = "" if receipt.outcome == Outcome.SAVED else f" {receipt.outcome.value}"
    details = ", ".join(part for part in (f"people={receipt.people}" if receipt.people else "", receipt.reason) if part)
    return f"{shown} -> {receipt.ref}{outcome}" + (f" ({details})" if details else "")


def _value(value: object) -> str:
    """Compact and stable: Name(field=value, ...) without the fields that are None (a
    wrapper of one dataclass shows its fields: SaveProblem(category=roads, ...)); plain
    words unquoted, other text quoted and cut at LONGEST_TEXT; moments in UTC to the minute
    (the transcripts' clock is fixed)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
        if len(fields) == 1 and dataclasses.is_dataclass(fields[0][1]):
            fields = [(f.name, getattr(fields[0][1], f.name)) for f in dataclasses.fields(fields[0][1])]
        shown = ", ".join(f"{name}={_value(v)}" for name, v in fields if v is not None)
        return f"{type(value).__name__}({shown})"
    if isinstance(value, tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and not PLAIN.match(value):
        return repr(value if len(value) <= LONGEST_TEXT else value[: LONGEST_TEXT - 1] + "…")
    return str(value)


def replay(app: App, path: Path) -> str:
    """Run every section of a transcript file and return what the bot actually said and did."""
    return "".join(f"# as {name}\n{run_turns(app, name, typed)}" for name, typed in sections(path.read_text()))
