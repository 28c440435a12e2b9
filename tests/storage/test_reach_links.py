"""Personal links of broadcasts and the people they brought, on SQLite and (with
TEST_DATABASE_URL) PostgreSQL: the links go out in one INSERT ... SELECT, each person gets
their own, and what is counted is counted once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from conversations.messages import Outbound
from storage import broadcasts, personal_data, reach_links, retention
from storage.broadcasts import Audience
from storage.models import OutboxMessage, Problem
from storage.reach_models import ReachLink, ReachStart
from tests.storage.test_broadcasts import NOW, db, person  # noqa: F401 - db is a fixture

pytestmark = pytest.mark.postgres
PREFIXES = reach_links.LinkPrefixes(
    default="https://city.example/join/", per_channel={"telegram": "https://t.me/bot?start="}
)


def personal_message(broadcast_id: int, language: str, to_group: bool) -> Outbound:
    return Outbound(f"B-{broadcast_id} in {language}\nJoin: {reach_links.LINK}!", kind="broadcast")


def queue(session: Session) -> int:
    queued = broadcasts.queue_broadcast(
        session, text="News", audience=Audience(), created_by="test", now=NOW, send_after=NOW, translations={},
        languages=("en", "es"), default_language="en", message_for=personal_message, links=PREFIXES,
    )  # fmt: skip
    assert queued.id is not None
    return queued.id


def test_each_person_gets_their_own_link_in_their_language(db: Engine) -> None:  # noqa: F811
    with Session(db) as session, session.begin():
        ana, ben = person(session, "ana"), person(session, "ben", language="es")
        broadcast_id = queue(session)
    with Session(db) as session:
        links = {link.citizen_id: link.code for link in session.exec(select(ReachLink))}
        texts = dict(session.exec(select(OutboxMessage.citizen_id, OutboxMessage.text)).all())
    assert len(set(links.values())) == 2 and all(reach_links.CODE.match(code) for code in links.values())
    assert texts[ana] == f"B-{broadcast_id} in en\nJoin: https://t.me/bot?start={links[ana]}!"
    assert texts[ben] == f"B-{broadcast_id} in es\nJoin: https://t.me/bot?start={links[ben]}!"


def test_a_newcomer_counts_once_with_their_submissions_and_goes_if_they_never_agree(db: Engine) -> None:  # noqa: F811
    with Session(db) as session, session.begin():
        ana = person(session, "ana")
        broadcast_id = queue(session)
        newcomer, stranger = person(session, "new", consented=False, topics=()), person(session, "stranger")
        code = session.exec(select(ReachLink.code)).one()
        assert reach_links.attribute(session, code=code, citizen_id=newcomer, now=NOW)
        assert not reach_links.attribute(session, code=code, citizen_id=newcomer, now=NOW)  # once
        assert not reach_links.attribute(session, code=code, citizen_id=ana, now=NOW)  # their own link
        assert not reach_links.attribute(session, code="not-a-link", citizen_id=stranger, now=NOW)
        assert not reach_links.attribute(session, code="bad code!", citizen_id=stranger, now=NOW)
        session.add(
            Problem(
                description="A hole in the road", title="A hole", category="roads", language="en", citizen_id=newcomer
            )
        )
        assert reach_links.record_visit(session, code=code) and not reach_links.record_visit(session, code="nope")
    with Session(db) as session:
        assert reach_links.measured_by_broadcast(session) == {broadcast_id: reach_links.Measured(1, 1, 1)}
        assert reach_links.measured_for_diffuser(session, citizen_id=ana) == reach_links.Measured(1, 1, 1)
        assert reach_links.measured_for_diffuser(session, citizen_id=stranger) is None
        mine, theirs = (personal_data.export(session, citizen_id=c)["reach_measured"] for c in (ana, newcomer))
    assert mine["links"] == [{"broadcast": f"B-{broadcast_id}", "code": code, "people_started": 1, "page_visits": 1}]
    assert mine["came_through_a_link_at"] is None
    assert theirs["links"] == [] and theirs["came_through_a_link_at"] is not None  # never whose link
    with Session(db) as session, session.begin():
        for problem in session.exec(select(Problem)):
            session.delete(problem)
        session.flush()
        assert retention.remove_unconsented(session, before=datetime.now(timezone.utc) + timedelta(days=2)) == 1
    with Session(db) as session:
        assert session.exec(select(ReachStart)).all() == []
