"""Staff identities kept in the database (`cocreate staff add`), besides those in the STAFF
setting. Keyword-only functions over a caller-owned Session."""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from conversations.messages import Address
from storage.models import Staff
from storage.upsert import insert_or_ignore


def add_staff(session: Session, *, address: str) -> bool:
    channel, user_id = address.split(":", 1)
    return insert_or_ignore(session, Staff, {"channel": channel, "user_id": user_id})


def remove_staff(session: Session, *, address: str) -> bool:
    channel, user_id = address.split(":", 1)
    found = session.exec(select(Staff).where(Staff.channel == channel, Staff.user_id == user_id)).first()
    if found is not None:
        session.delete(found)
    return found is not None


def staff_list(session: Session) -> list[str]:
    return [f"{s.channel}:{s.user_id}" for s in session.exec(select(Staff).order_by(col(Staff.id)))]


# Built once: it runs for every inbound message.
_STAFF = select(Staff.id).where(Staff.channel == bindparam("channel"), Staff.user_id == bindparam("user_id"))


def is_staff(session: Session, *, address: Address, configured: Sequence[str]) -> bool:
    if f"{address.channel}:{address.user_id}" in configured:
        return True
    keys = {"channel": address.channel, "user_id": address.user_id}
    return session.exec(_STAFF, params=keys).first() is not None
