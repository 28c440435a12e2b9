"""What other residents may see (moderation, privacy), how much a person sent, and blocked
people. Keyword-only functions over a caller-owned Session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam
from sqlmodel import Session, col, func, select

from conversations.messages import Address
from storage.models import Citizen, DesignOffer, Idea, Problem

MODERATED: dict[str, Any] = {"problem": Problem, "idea": Idea}  # design offers carry no text


def shown_to_residents(table: Any) -> Any:
    """The condition for a problem or idea that other residents may see."""
    return and_(table.moderation == "shown", col(table.private).is_(False))


def is_shown(session: Session, *, kind: str, id_: int) -> bool:
    table = MODERATED.get(kind)
    if table is None:
        return True
    return session.exec(select(table.id).where(table.id == id_, shown_to_residents(table))).first() is not None


def set_moderation(session: Session, *, kind: str, id_: int, moderation: str) -> tuple[Problem | Idea, str]:
    """Set whether other residents see a problem or idea; returns it and its moderation before."""
    table = MODERATED[kind]
    item = session.get(table, id_, with_for_update=True)
    if item is None:
        raise LookupError(f"no such {kind}")
    previous = item.moderation
    item.moderation = moderation
    session.add(item)
    return item, previous


def _sent_since(table: type[Problem] | type[Idea] | type[DesignOffer]) -> Any:
    return (
        select(func.count())
        .select_from(table)
        .where(table.citizen_id == bindparam("citizen_id"), table.created_at >= bindparam("since"))
        .scalar_subquery()
    )


# One statement, built once: the daily cap is checked at each turn that could submit.
_SUBMITTED_SINCE = select(_sent_since(Problem) + _sent_since(Idea) + _sent_since(DesignOffer))


def submitted_since(session: Session, *, citizen_id: int, since: datetime) -> int:
    """Problems, ideas and design offers the person sent since then."""
    return session.exec(_SUBMITTED_SINCE, params={"citizen_id": citizen_id, "since": since}).one()


# Built once: every inbound event asks, and building the expression each time was a third
# of the question's cost.
_BLOCKED = select(Citizen).where(
    Citizen.channel == bindparam("channel"),
    Citizen.channel_user_id == bindparam("user_id"),
    col(Citizen.blocked_at).is_not(None),
)


def blocked_person(session: Session, *, address: Address) -> Citizen | None:
    """The person at this address if staff blocked them (a read; creates nothing)."""
    return session.exec(_BLOCKED, params={"channel": address.channel, "user_id": address.user_id}).first()


def mark_block_notified(session: Session, *, citizen: Citizen) -> None:
    citizen.block_notified = True
    session.add(citizen)


def block(session: Session, *, channel: str, user_id: str, reason: str, now: datetime) -> bool:
    """Block a person (known or not yet seen: the row is made with the ids only); False
    when they were blocked already (the reason is updated)."""
    citizen = session.exec(select(Citizen).where(Citizen.channel == channel, Citizen.channel_user_id == user_id)).first()
    if citizen is None:
        citizen = Citizen(channel=channel, channel_user_id=user_id, chat_id=user_id)
    was_blocked = citizen.blocked_at is not None
    citizen.blocked_at = citizen.blocked_at or now
    citizen.blocked_reason = reason
    citizen.block_notified = was_blocked and citizen.block_notified
    session.add(citizen)
    return not was_blocked


def unblock(session: Session, *, channel: str, user_id: str) -> bool:
    """False when the person was not blocked."""
    citizen = session.exec(select(Citizen).where(Citizen.channel == channel, Citizen.channel_user_id == user_id)).first()
    if citizen is None or citizen.blocked_at is None:
        return False
    citizen.blocked_at, citizen.blocked_reason, citizen.block_notified = None, None, False
    session.add(citizen)
    return True


def blocked_people(session: Session) -> list[Citizen]:
    return list(session.exec(select(Citizen).where(col(Citizen.blocked_at).is_not(None)).order_by(col(Citizen.blocked_at))))
