"""The console's inbox over all three kinds: an idea is found by its problem's category and
place, a design offer by its idea's words and its idea's problem; counts per status add the
kinds up; pages are newest first across kinds, with each row's supporters."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from conversations.messages import Address
from storage import citizens, console_inbox
from storage.console_inbox import InboxFilter
from storage.db import ensure_schema
from storage.models import DesignOffer, Idea, Problem, Support

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def db(database: Engine) -> Engine:
    ensure_schema(database)
    with Session(database) as session, session.begin():
        ana = citizens.citizen_for(session, address=Address("telegram", "1", "1")).id
        bob = citizens.citizen_for(session, address=Address("slack", "2", "2")).id
        assert ana is not None and bob is not None
        at = lambda hours: NOW - timedelta(hours=hours)  # noqa: E731
        session.add(Problem(description="Lamp out", title="Lamp out", category="lighting", language="en",
                            place="Elm Street", citizen_id=ana, created_at=at(5)))  # fmt: skip
        session.add(Problem(description="Bins full", title="Bins full", category="waste", language="en",
                            place="Market square", citizen_id=bob, status="under_review", created_at=at(4)))  # fmt: skip
        session.flush()
        session.add(Idea(description="Solar lamps", title="Solar lamps", benefit="all", language="es", problem_id=1,
                         citizen_id=bob, created_at=at(3)))  # fmt: skip
        session.add(Idea(description="A compost corner", title="Compost", benefit="all", language="en", problem_id=2,
                         citizen_id=ana, status="accepted", created_at=at(2)))  # fmt: skip
        session.flush()
        session.add(DesignOffer(idea_id=1, skills=["electrics"], hours="2-4", language="en", citizen_id=ana, created_at=at(1)))
        session.add(Support(citizen_id=ana, kind="idea", target_id=1))
        session.add(Support(citizen_id=bob, kind="problem", target_id=1))
    return database


def refs(db: Engine, **filters: object) -> list[str]:
    with Session(db) as session:
        page = console_inbox.inbox_page(session, filters=InboxFilter(**filters), offset=0, limit=50)  # type: ignore[arg-type]
    return [row.ref for row in page.rows]


def test_pages_are_newest_first_across_kinds_with_supporters_and_counts(db: Engine) -> None:
    with Session(db) as session:
        page = console_inbox.inbox_page(session, filters=InboxFilter(), offset=1, limit=3)
    assert [(row.ref, row.category, row.place, row.supporters) for row in page.rows] == [
        ("I-2", "waste", "Market square", 0), ("I-1", "lighting", "Elm Street", 1), ("P-2", "waste", "Market square", 0),
    ]  # fmt: skip
    assert page.total == 5 and page.counts == {"new": 3, "under_review": 1, "accepted": 1}


def test_ideas_and_design_offers_are_found_by_their_problems_category_and_place(db: Engine) -> None:
    assert refs(db, category="lighting") == ["D-1", "I-1", "P-1"]
    assert refs(db, area="market") == ["I-2", "P-2"]
    assert refs(db, category="lighting", status="new", kind="idea") == ["I-1"]


def test_search_finds_words_of_a_design_offers_idea_and_references(db: Engine) -> None:
    assert refs(db, search="solar") == ["D-1", "I-1"]
    assert refs(db, search="d-1") == ["D-1"]
    assert refs(db, language="es") == ["I-1"] and refs(db, channel="slack") == ["I-1", "P-2"]


def test_counts_keep_every_filter_but_the_status(db: Engine) -> None:
    with Session(db) as session:
        page = console_inbox.inbox_page(session, filters=InboxFilter(status="accepted", category="waste"), offset=0, limit=50)
    assert [row.ref for row in page.rows] == ["I-2"]
    assert page.total == 1 and page.counts == {"under_review": 1, "accepted": 1}
