"""Broadcast audiences and reports on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from conversations.buttons import BroadcastAction, encode
from conversations.messages import Address, Choice, Outbound
from storage import broadcasts, citizens, community_groups, staff
from storage.broadcasts import Audience
from storage.db import ensure_schema
from storage.models import OutboxMessage

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def db(database: Engine) -> Engine:
    ensure_schema(database)
    return database


def person(session: Session, name: str, *, role: str = "diffuser", topics: tuple[str, ...] = ("roads",),
           language: str | None = "en", consented: bool = True, reachable: bool = True) -> int:  # fmt: skip
    citizen = citizens.citizen_for(session, address=Address("telegram", f"chat-{name}", f"user-{name}"))
    citizen.role, citizen.language, citizen.unreachable = role, language, not reachable
    citizen.consented_at = NOW if consented else None
    session.add(citizen)
    session.flush()
    citizens.subscribe(session, citizen_id=citizen.id, topics=topics, area=None)
    return citizen.id


def message_for(broadcast_id: int, language: str, to_group: bool) -> Outbound:
    if to_group:
        return Outbound(f"[{language}] group news", kind="broadcast")
    return Outbound(f"[{language}] news", (Choice(encode(BroadcastAction(broadcast_id, "shared")), "I shared it"),), kind="broadcast")


def queue(session: Session, audience: Audience) -> int:
    queued = broadcasts.queue_broadcast(
        session, text="news", audience=audience, created_by="cli", now=NOW, send_after=NOW, translations={},
        languages=("en", "es"), default_language="en", message_for=message_for,
    )  # fmt: skip
    return queued.id


def test_each_person_gets_one_message_however_many_topics_match(db: Engine) -> None:
    with Session(db) as session, session.begin():
        both = person(session, "ana", topics=("roads", "parks"))
        person(session, "bob", topics=("parks",), language="es")
        person(session, "cid", topics=("roads",), language=None)  # no language yet: the default
        person(session, "dan", consented=False)
        person(session, "eve", reachable=False)
        person(session, "fay", topics=())  # chose Diffuser, then left: follows nothing
        broadcast_id = queue(session, Audience())
    with Session(db) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast_id)).all()
    assert sorted(r.chat_id for r in rows) == ["chat-ana", "chat-bob", "chat-cid"]
    assert {r.chat_id: r.text for r in rows}["chat-bob"] == "[es] news"
    assert [r.citizen_id for r in rows if r.chat_id == "chat-ana"] == [both]
    assert rows[0].choices == [{"value": encode(BroadcastAction(broadcast_id, "shared")), "label": "I shared it"}]
    assert {(r.kind, r.priority, r.status) for r in rows} == {("broadcast", 2, "pending")}


def test_topic_language_and_channel_filters_and_groups(db: Engine) -> None:
    with Session(db) as session, session.begin():
        person(session, "ana", topics=("roads", "parks"))
        person(session, "bob", topics=("parks",), language="es")
        community_groups.set_group(session, channel="slack", chat_id="C0100", topics=["parks"])
        community_groups.set_group(session, channel="slack", chat_id="C0200", topics=["roads"])
        sizes = broadcasts.audience_size(session, audience=Audience(topic="parks"), default_language="en")
        assert sizes == {"en": 1, "es": 1, "groups": 1}
        assert broadcasts.audience_size(session, audience=Audience(language="es"), default_language="en") == {"es": 1}
        assert broadcasts.audience_size(session, audience=Audience(channel="slack"), default_language="en") == {"groups": 2}
        broadcast_id = queue(session, Audience(topic="parks"))
    with Session(db) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast_id)).all()
        (report,) = broadcasts.reports(session)
    assert sorted(r.chat_id for r in rows) == ["C0100", "chat-ana", "chat-bob"]
    assert [r.text for r in rows if r.chat_id == "C0100"] == ["[en] group news"]
    assert (report.recipients, report.pending, report.sent) == (3, 3, 0)


def test_reach_counts_each_diffusers_first_answer_once(db: Engine) -> None:
    with Session(db) as session, session.begin():
        ana, bob = person(session, "ana"), person(session, "bob")
        broadcast_id = queue(session, Audience())
        assert broadcasts.record_reach(session, broadcast_id=broadcast_id, citizen_id=ana, people=10, now=NOW)
        assert not broadcasts.record_reach(session, broadcast_id=broadcast_id, citizen_id=ana, people=25, now=NOW)
        assert broadcasts.record_reach(session, broadcast_id=broadcast_id, citizen_id=bob, people=5, now=NOW)
    with Session(db) as session:
        assert broadcasts.reports(session)[0].reach == 15


def test_staff_identities(db: Engine) -> None:
    with Session(db) as session, session.begin():
        assert staff.add_staff(session, address="telegram:42")
        assert not staff.add_staff(session, address="telegram:42")
    with Session(db) as session, session.begin():
        assert staff.is_staff(session, address=Address("telegram", "42", "42"), configured=())
        assert staff.is_staff(session, address=Address("slack", "D1", "U9"), configured=("slack:U9",))
        assert not staff.is_staff(session, address=Address("telegram", "43", "43"), configured=())
        assert staff.remove_staff(session, address="telegram:42")
        assert staff.staff_list(session) == []
