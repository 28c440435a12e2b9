"""One-time sign-in links to the staff console, issued to staff only: by `cocreate staff
link`, by /web in a chat, and checked again by the console when the link is used."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Sequence

from sqlmodel import Session

from conversations.messages import Address
from storage import audit, staff, web_access

LINK_LIFETIME = timedelta(minutes=15)
SIGN_IN_PATH = "/signin/"


class NotStaff(ValueError):
    """Links are only for staff (STAFF or `cocreate staff add`)."""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hashed(token: str) -> str:
    """What the database keeps of a token: a copy of it lets nobody sign in."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_staff_identity(session: Session, *, identity: str, configured: Sequence[str]) -> bool:
    channel, _, user_id = identity.partition(":")
    if not user_id:
        return False
    return staff.is_staff(session, address=Address(channel, user_id, user_id), configured=configured)


def issue_link(
    session: Session, *, identity: str, configured: Sequence[str], base_url: str, now: datetime, actor: str, via: str
) -> str:
    """A link that signs this staff member in once, within LINK_LIFETIME (`actor` asked for
    it from `via`: the audit log keeps that)."""
    if not is_staff_identity(session, identity=identity, configured=configured):
        raise NotStaff(f"{identity} is not staff: add them with `cocreate staff add {identity}` or in STAFF")
    token = new_token()
    web_access.create_link(session, token_hash=hashed(token), identity=identity, now=now, expires_at=now + LINK_LIFETIME)
    audit.record(session, actor=actor, via=via, action="sign_in_link", target=identity, now=now)
    return f"{base_url.rstrip('/')}{SIGN_IN_PATH}{token}"
