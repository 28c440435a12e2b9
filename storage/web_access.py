"""Signing in to the staff console: the signing secret, one-time links and sessions.
Keyword-only functions over a caller-owned Session; tokens arrive already hashed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.console_models import SignInLink, WebSecret, WebSession


def secret(session: Session, *, name: str, create: Callable[[], str]) -> str:
    """The named secret, created on first use. Two replicas starting at once both insert;
    one wins and both read the winner."""
    table = WebSecret.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.connection().execute(insert(table).values(name=name, value=create()).on_conflict_do_nothing())
    return session.exec(select(WebSecret.value).where(WebSecret.name == name)).one()


def create_link(session: Session, *, token_hash: str, identity: str, now: datetime, expires_at: datetime) -> None:
    session.add(SignInLink(token_hash=token_hash, identity=identity, created_at=now, expires_at=expires_at))


@dataclass(frozen=True)
class LinkState:
    """What a sign-in link is now: "valid" (with its identity), "used", "expired" or "unknown"."""

    state: str
    identity: str | None = None


def _link_state(link: SignInLink | None, now: datetime) -> LinkState:
    if link is None:
        return LinkState("unknown")
    if link.used_at is not None:
        return LinkState("used")
    if link.expires_at <= now:
        return LinkState("expired")
    return LinkState("valid", link.identity)


def peek_link(session: Session, *, token_hash: str, now: datetime) -> LinkState:
    """What a link is, without using it (the page behind a link asks before it signs in)."""
    link = session.exec(select(SignInLink).where(SignInLink.token_hash == token_hash)).first()
    return _link_state(link, now)


def use_link(session: Session, *, token_hash: str, now: datetime) -> LinkState:
    """Use a link once: the row is locked, so two clicks at once sign in one browser."""
    link = session.exec(select(SignInLink).where(SignInLink.token_hash == token_hash).with_for_update()).first()
    found = _link_state(link, now)
    if link is not None and found.state == "valid":
        link.used_at = now
        session.add(link)
    return found


def open_session(session: Session, *, token_hash: str, identity: str, now: datetime, expires_at: datetime) -> None:
    session.add(WebSession(token_hash=token_hash, identity=identity, created_at=now, expires_at=expires_at))


def session_identity(session: Session, *, token_hash: str, now: datetime) -> str | None:
    """Whose session this is, while it has neither expired nor been ended."""
    statement = select(WebSession.identity).where(
        WebSession.token_hash == token_hash, col(WebSession.ended_at).is_(None), col(WebSession.expires_at) > now
    )
    return session.exec(statement).first()


def end_session(session: Session, *, token_hash: str, now: datetime) -> None:
    session.execute(
        update(WebSession)
        .where(col(WebSession.token_hash) == token_hash, col(WebSession.ended_at).is_(None))
        .values(ended_at=now)
    )


def end_sessions_of(session: Session, *, identity: str, now: datetime) -> int:
    """End every session of someone who is no longer staff."""
    result = session.execute(
        update(WebSession)
        .where(col(WebSession.identity) == identity, col(WebSession.ended_at).is_(None))
        .values(ended_at=now)
    )
    return result.rowcount or 0
