"""Submission references (P-12, I-7, D-3) derived from ids, and their parsing."""

from __future__ import annotations

import re

PREFIXES = {"problem": "P", "idea": "I", "design": "D"}
_KINDS = {prefix: kind for kind, prefix in PREFIXES.items()}
_REF = re.compile(r"^\s*([PID])\s*-?\s*(\d+)\s*$", re.IGNORECASE)


def make_ref(kind: str, id_: int) -> str:
    return f"{PREFIXES[kind]}-{id_}"


def parse_ref(text: str) -> tuple[str, int] | None:
    """"p-12", "P12" and "P - 12" all mean problem 12; anything else is None."""
    match = _REF.match(text)
    if match is None:
        return None
    return _KINDS[match.group(1).upper()], int(match.group(2))
