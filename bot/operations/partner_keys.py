"""Partners' API keys for the Open311 API (`cocreate apikeys add|list|revoke`): a key is
shown once, when it is made; the database keeps only its hash (as sign-in links). Adding and
revoking are recorded in the audit log."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlmodel import Session

from bot.operations.sign_in import hashed
from storage import api_keys, audit

# A name says who sent a problem, to staff and in the history: short, printable, one line.
_NAME = re.compile(r"\w(?:[\w .@-]{0,62}\w)?")
# Keys start with this, so one found in a log or a repository is recognisable for what it is.
KEY_PREFIX = "co311_"


class ApiKeyError(ValueError):
    """A mistake in a key command, said in one line."""


def checked_name(name: str) -> str:
    cleaned = name.strip()
    if not _NAME.fullmatch(cleaned):
        raise ApiKeyError(
            f"{name!r} is not a key name: use 1 to 64 letters, digits, spaces, '.', '_', '-' or '@' "
            "(starting and ending with a letter or digit), e.g. city-call-centre"
        )
    return cleaned


def add_key(session: Session, *, name: str, actor: str, via: str, now: datetime) -> str:
    """Make a key for a partner; returns the key itself (shown once, never stored)."""
    name = checked_name(name)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    try:
        api_keys.add(session, name=name, key_hash=hashed(key), created_by=actor, now=now)
    except api_keys.KeyNameTaken:
        raise ApiKeyError(f"A key named {name!r} exists already (names stay, revoked or not); choose another name") from None
    audit.record(session, actor=actor, via=via, action="apikey_add", target=name, now=now)
    return key


def revoke_key(session: Session, *, name: str, actor: str, via: str, now: datetime) -> bool:
    """Refuse a key from its next request on; False when it was revoked already."""
    name = name.strip()
    revoked = api_keys.revoke(session, name=name, now=now)
    if revoked is None:
        raise ApiKeyError(f"There is no key named {name!r} (`cocreate apikeys list` shows them)")
    if revoked:
        audit.record(session, actor=actor, via=via, action="apikey_revoke", target=name, now=now)
    return revoked
