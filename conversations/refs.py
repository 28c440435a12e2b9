"""Submission references (P-12, I-7, D-3) derived from ids, their parsing, and the stages a
submission goes through."""

from __future__ import annotations

import re

STATUSES = ("new", "under_review", "accepted", "in_progress", "done", "declined", "duplicate")
OPEN_STATUSES = ("new", "under_review", "accepted", "in_progress")
# No follow-up is due once a submission reaches one of these.
CLOSED_STATUSES = ("done", "declined", "duplicate")

PREFIXES = {"problem": "P", "idea": "I", "design": "D"}
_KINDS = {prefix: kind for kind, prefix in PREFIXES.items()}
_REF = re.compile(r"^\s*([PID])\s*-?\s*(\d+)\s*$", re.IGNORECASE)
# The largest id the tables can hold: their id columns are INTEGER, 32-bit on PostgreSQL
# (SQLite's are 64-bit, but never get that far). A larger number names no submission; sent
# to the database it would overflow the driver or the column rather than find nothing.
MAX_ID = 2**31 - 1


def make_ref(kind: str, id_: int) -> str:
    return f"{PREFIXES[kind]}-{id_}"


def parse_ref(text: str) -> tuple[str, int] | None:
    """"p-12", "P12" and "P - 12" all mean problem 12; anything else is None, and so is a
    reference beyond any id the database can hold (see `is_ref_shaped` to tell them apart)."""
    match = _REF.match(text)
    if match is None or int(match.group(2)) > MAX_ID:
        return None
    return _KINDS[match.group(1).upper()], int(match.group(2))


def is_ref_shaped(text: str) -> bool:
    """Written like a reference (P-12), whether or not its number can exist."""
    return _REF.match(text) is not None
