"""People, their conversations and the events already handled. Keyword-only; callers own the
transaction (the Session), so a whole inbound event commits or rolls back as one."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, update
from sqlmodel import Session, col, func, select

from conversations.messages import Address
from storage import outbox
from storage.models import A_RESIDENT, FORGOTTEN_CHANNEL, Citizen, Conversation, ProcessedEvent, Subscription
from storage.upsert import insert_or_ignore


# Built once: every inbound message runs these, and building a statement costs more than
# executing it on SQLite. Statements are immutable, so sharing them is safe.
@dataclass(frozen=True)
class Concerned:
    """Someone to tell about a change: the submitter or a supporter, and where to reach them."""

    citizen_id: int
    channel: str
    chat_id: str
    user_id: str
    thread_id: str | None
    language: str | None


def as_concerned(person: Citizen) -> Concerned:
    assert person.id is not None
    return Concerned(person.id, person.channel, person.chat_id, person.channel_user_id, person.thread_id, person.language)


_PERSON = (
    select(Citizen, Conversation)
    .join(Conversation, col(Conversation.citizen_id) == Citizen.id)
    .where(Citizen.channel == bindparam("channel"), Citizen.channel_user_id == bindparam("user_id"))
    .with_for_update(of=Conversation)
)
_CITIZEN = select(Citizen).where(Citizen.channel == bindparam("channel"), Citizen.channel_user_id == bindparam("user_id"))
_LANGUAGE_SOURCE = select(Citizen.language_source).where(
    Citizen.channel == bindparam("channel"), Citizen.channel_user_id == bindparam("user_id")
)


def person_for(session: Session, *, address: Address) -> tuple[Citizen, Conversation]:
    """The person behind an address and their conversation, locked until the transaction
    ends (one message at a time per person; on SQLite the transaction already holds the
    database write lock). First contact creates both, with the channel ids only."""
    keys = {"channel": address.channel, "user_id": address.user_id}
    found = session.exec(_PERSON, params=keys).first()
    if found is None:
        values = {"channel": address.channel, "channel_user_id": address.user_id, "chat_id": address.chat_id}
        insert_or_ignore(session, Citizen, {**values, "thread_id": address.thread_id, "unreachable": False})
        citizen = session.exec(_CITIZEN, params=keys).one()
        insert_or_ignore(session, Conversation, {"citizen_id": citizen.id, "state": {}, "version": 0})
        found = session.exec(_PERSON, params=keys).one()
    citizen, conversation = found
    if citizen.chat_id != address.chat_id or citizen.unreachable:
        # They wrote from another chat, or came back after blocking us: reach them there now.
        citizen.chat_id = address.chat_id
        citizen.unreachable = False
        session.add(citizen)
    return citizen, conversation


def language_of(session: Session, *, address: Address) -> str | None:
    """A person's stored language, without creating or locking anything."""
    return session.exec(select(Citizen.language).where(Citizen.channel == address.channel, Citizen.channel_user_id == address.user_id)).first()


def language_open(session: Session, *, address: Address) -> bool:
    """Whether a person's language is still to be noticed from their writing (not chosen
    with /language, not detected before), consenting or not; someone never seen before
    too. A read without locks."""
    source = session.exec(_LANGUAGE_SOURCE, params={"channel": address.channel, "user_id": address.user_id}).first()
    return source is None  # no such person yet, or no language_source so far


def citizen_for(session: Session, *, address: Address) -> Citizen:
    """The person behind an address (created on first contact), without locking anything."""
    return person_for(session, address=address)[0]


def mark_unreachable(session: Session, *, address: Address) -> None:
    """Stop messaging this person (they blocked the bot)."""
    citizen = session.exec(_CITIZEN, params={"channel": address.channel, "user_id": address.user_id}).first()
    if citizen is not None and citizen.id is not None:
        outbox.block_recipient(session, citizen_id=citizen.id)


def first_time_seen(session: Session, *, channel: str, event_id: str) -> bool:
    """Record an event id; False when it was processed before (a redelivery)."""
    return insert_or_ignore(session, ProcessedEvent, {"channel": channel, "event_id": event_id})


def forget_events_before(session: Session, *, cutoff: datetime) -> None:
    """Drop event ids processed before `cutoff` (channels stop redelivering long before)."""
    session.execute(delete(ProcessedEvent).where(col(ProcessedEvent.processed_at) < cutoff))


_conversations = Conversation.__table__  # type: ignore[attr-defined]
_SAVE_STATE = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("conversation_id"))
    .values(version=_conversations.c.version + 1)
)


def save_state(session: Session, *, conversation: Conversation, state: dict[str, Any], now: datetime) -> None:
    # Core and built once: this runs for every message, and skips the ORM's bookkeeping.
    session.connection().execute(
        _SAVE_STATE, {"conversation_id": conversation.id, "state": state, "updated_at": now}
    )


def give_consent(session: Session, *, citizen: Citizen, display_name: str | None, language: str, now: datetime) -> None:
    citizen.consented_at = now
    citizen.display_name = display_name
    citizen.language = citizen.language or language
    session.add(citizen)


def set_role(session: Session, *, citizen: Citizen, role: str) -> None:
    citizen.role = role
    session.add(citizen)


def set_language(session: Session, *, citizen: Citizen, language: str, source: str) -> None:
    """Use this language from now on; a "chosen" one is never replaced by a "detected" one."""
    if source == "detected" and citizen.language_source == "chosen":
        return
    citizen.language = language
    citizen.language_source = source
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


def diffusers_and_topics(session: Session) -> list[tuple[Concerned, set[str]]]:
    """Everyone who follows topics and can be reached, with their topics, in id order."""
    rows = session.exec(
        select(Citizen, Subscription.topic)
        .join(Subscription, col(Subscription.citizen_id) == Citizen.id)
        .where(col(Citizen.unreachable).is_(False), col(Citizen.consented_at).is_not(None))
    ).all()
    topics: dict[int, set[str]] = defaultdict(set)
    people: dict[int, Citizen] = {}
    for person, topic in rows:
        assert person.id is not None
        topics[person.id].add(topic)
        people[person.id] = person
    return [(as_concerned(people[id_]), topics[id_]) for id_ in sorted(people)]


def count_by_role(session: Session) -> dict[str | None, int]:
    """How many people are in each role (None: not chosen yet)."""
    return {role: count for role, count in session.exec(select(Citizen.role, func.count()).group_by(Citizen.role))}
def who_changed(session: Session, *, changed_by: str) -> str:
    """A history entry's author as staff read it: "Ana, telegram" for a person with a display
    name (the channel shows it is a chat, whatever the name says), their identity
    "telegram:401" otherwise, and "cli:alice" for the command line. `changed_by` is
    "citizen:<id>", a staff identity "telegram:<id>", or "cli:<user>"."""
    prefix, _, rest = changed_by.partition(":")
    if prefix == "citizen" and rest.isdigit():
        person = session.get(Citizen, int(rest))
    elif prefix in ("telegram", "slack", "console"):
        person = session.exec(_CITIZEN, params={"channel": prefix, "user_id": rest}).first()
    else:
        return changed_by
    if person is None:
        return changed_by
    if person.channel == FORGOTTEN_CHANNEL:
        return A_RESIDENT
    if person.display_name:
        return f"{person.display_name}, {person.channel}"
    return f"{person.channel}:{person.channel_user_id}"
