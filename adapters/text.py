"""Text as it arrives from outside, made safe to handle before it becomes a boundary type.

A lone surrogate (U+D800-U+DFFF on its own) is not a character: it is what invalid UTF-8
becomes when a terminal's bytes are read with errors="surrogateescape", and what a JSON
payload's "\\ud800" decodes to. It cannot be encoded, so storing or printing it fails, over
and over. Each adapter passes what people type through `typed`, and names through `shown`.
"""

from __future__ import annotations

import re

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# U+001A SUBSTITUTE, the control character meant for "a character that is invalid": the
# engine refuses text with control characters with its usual answer, so the person is
# asked to type it again and nothing undecodable is kept.
SUBSTITUTE = "\x1a"
REPLACEMENT = "\ufffd"  # for names and echoes, which are shown, never refused


def typed(text: str | None) -> str | None:
    """What a person typed, with each undecodable code point marked as a control character."""
    return _LONE_SURROGATE.sub(SUBSTITUTE, text) if text else text


def shown(text: str | None) -> str | None:
    """A name, or text shown back as it was typed: each undecodable code point as U+FFFD."""
    return _LONE_SURROGATE.sub(REPLACEMENT, text) if text else text


# A deep link (Telegram's t.me/<bot>?start=<parameter>) arrives as "/start <parameter>";
# Telegram allows A-Za-z0-9_- up to 64 characters in it. The terminal takes the same line.
_START_PARAMETER = re.compile(r"^/start(?:@\w+)?\s+([A-Za-z0-9_-]{1,64})\s*$")


def start_parameter(text: str | None) -> str | None:
    """The parameter of "/start <parameter>", passed on as Inbound.referral; else None."""
    found = _START_PARAMETER.match(text or "")
    return found.group(1) if found else None
