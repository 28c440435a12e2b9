"""People, their conversations and the events already handled. Keyword-only; callers own the
transaction (the Session), so a whole inbound event commits or rolls back as one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from conversations.messages import Address
from storage.models import Citizen, Conversation, ProcessedEvent, Subscription
from storage.upsert import insert_or_ignore


def citizen_for(session: Session, *, address: Address) -> Citizen:
    """The person behind an address, created on first contact with their channel ids only."""
    statement = select(Citizen).where(Citizen.channel == address.channel, Citizen.channel_user_id == address.user_id)
    citizen = session.exec(statement).first()
    if citizen is None:
        values = {"channel": address.channel, "channel_user_id": address.user_id, "chat_id": address.chat_id}
        insert_or_ignore(session, Citizen, {**values, "thread_id": address.thread_id, "unreachable": False})
        citizen = session.exec(statement).one()
    if citizen.chat_id != address.chat_id or citizen.unreachable:
        # They wrote from another chat, or came back after blocking us: reach them there now.
        citizen.chat_id = address.chat_id
        citizen.unreachable = False
        session.add(citizen)
    return citizen


def locked_conversation(session: Session, *, citizen_id: int) -> Conversation:
    """The person's conversation row, locked until the transaction ends (one message at a
    time per person). On SQLite the transaction already holds the database write lock."""
    statement = select(Conversation).where(Conversation.citizen_id == citizen_id).with_for_update()
    conversation = session.exec(statement).first()
    if conversation is None:
        insert_or_ignore(session, Conversation, {"citizen_id": citizen_id, "state": {}, "version": 0})
        conversation = session.exec(statement).one()
    return conversation


def first_time_seen(session: Session, *, channel: str, event_id: str) -> bool:
    """Record an event id; False when it was processed before (a redelivery)."""
    return insert_or_ignore(session, ProcessedEvent, {"channel": channel, "event_id": event_id})


def save_state(session: Session, *, conversation: Conversation, state: dict[str, Any], now: datetime) -> None:
    conversation.state = state
    conversation.version += 1
    conversation.updated_at = now
    session.add(conversation)


def give_consent(session: Session, *, citizen: Citizen, display_name: str | None, language: str, now: datetime) -> None:
    citizen.consented_at = now
    citizen.display_name = display_name
    citizen.language = citizen.language or language
    session.add(citizen)


def set_role(session: Session, *, citizen: Citizen, role: str) -> None:
    citizen.role = role
    session.add(citizen)


def set_language(session: Session, *, citizen: Citizen, language: str) -> None:
    citizen.language = language
    session.add(citizen)


def subscribe(session: Session, *, citizen_id: int, topics: tuple[str, ...], area: str | None) -> None:
    """Follow exactly these topics (a new choice replaces the old one)."""
    existing = session.exec(select(Subscription).where(Subscription.citizen_id == citizen_id)).all()
    for subscription in existing:
        if subscription.topic not in topics:
            session.delete(subscription)
    kept = {s.topic: s for s in existing if s.topic in topics}
    for topic in topics:
        subscription = kept.get(topic) or Subscription(citizen_id=citizen_id, topic=topic)
        subscription.area = area
        session.add(subscription)
