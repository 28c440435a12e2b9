"""Partners' API keys for the Open311 API: adding, listing, revoking, finding the key a
request carries, and what a key sent. Keyword-only functions over a caller-owned Session.

A key's problems belong to a pseudo-citizen of the `partner` channel made with the key: its
display name is the key's name, it has agreed (the partner's agreement is their key), and it
is unreachable, so no follow-up or status news is ever queued to it (the partner reads the
status from the API instead)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from storage.api_key_models import PARTNER_CHANNEL, ApiKey, PartnerRequest
from storage.models import Citizen


class KeyNameTaken(ValueError):
    """A key of that name exists (revoked or not): names say who sent a problem, forever."""


@dataclass(frozen=True)
class KeyListing:
    name: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    requests: int  # problems it sent


def add(session: Session, *, name: str, key_hash: str, created_by: str, now: datetime) -> ApiKey:
    if session.exec(select(ApiKey.id).where(ApiKey.name == name)).first() is not None:
        raise KeyNameTaken(name)
    citizen = Citizen(
        channel=PARTNER_CHANNEL, channel_user_id=name, chat_id=name, display_name=name,
        consented_at=now, unreachable=True, created_at=now,
    )  # fmt: skip
    session.add(citizen)
    session.flush()
    assert citizen.id is not None
    key = ApiKey(name=name, key_hash=key_hash, created_by=created_by, created_at=now, citizen_id=citizen.id)
    session.add(key)
    session.flush()
    return key


def listing(session: Session) -> list[KeyListing]:
    """Every key, oldest first, with how many problems it sent."""
    sent = (
        select(func.count())
        .select_from(PartnerRequest)
        .where(PartnerRequest.api_key_id == ApiKey.id)
        .correlate(ApiKey)
        .scalar_subquery()
    )
    rows = session.exec(
        select(ApiKey.name, ApiKey.created_at, ApiKey.created_by, ApiKey.revoked_at, sent).order_by(col(ApiKey.id))
    ).all()
    return [KeyListing(*row) for row in rows]


def revoke(session: Session, *, name: str, now: datetime) -> bool | None:
    """True when revoked now, False when it was revoked already, None when there is no such key."""
    key = session.exec(select(ApiKey).where(ApiKey.name == name)).first()
    if key is None:
        return None
    if key.revoked_at is not None:
        return False
    key.revoked_at = now
    session.add(key)
    return True


def active_key(session: Session, *, key_hash: str, lock: bool = False) -> ApiKey | None:
    """The unrevoked key with this hash; locked until the transaction ends with `lock`, so
    one key's posts take turns (the rate limit counts what the one before committed)."""
    statement = select(ApiKey).where(ApiKey.key_hash == key_hash, col(ApiKey.revoked_at).is_(None))
    return session.exec(statement.with_for_update() if lock else statement).first()


def sent_since(session: Session, *, api_key_id: int, since: datetime) -> list[datetime]:
    """When this key's requests after `since` came in, oldest first (for the rate limit: one
    sent exactly an hour ago has aged out, as the Retry-After it was given says)."""
    statement = (
        select(PartnerRequest.created_at)
        .where(PartnerRequest.api_key_id == api_key_id, PartnerRequest.created_at > since)
        .order_by(col(PartnerRequest.created_at))
    )
    return list(session.exec(statement))


def record_request(session: Session, *, problem_id: int, api_key_id: int, media_url: str | None, now: datetime) -> None:
    session.add(PartnerRequest(problem_id=problem_id, api_key_id=api_key_id, media_url=media_url, created_at=now))
