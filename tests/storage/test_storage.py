"""Repository functions and migrations on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, Float, LargeBinary, MetaData, Table, Unicode, inspect, text
from sqlmodel import Session, SQLModel, select

from conversations.messages import Address, Choice, Outbound
from storage import citizens, followups, outbox, submissions
from storage.db import SCHEMA_REVISION, DatabaseError, alembic_config, current_revision, ensure_schema, head_revision, upgrade
from storage.models import Citizen, OutboxMessage, ProblemCreate

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def db(database: Engine) -> Engine:
    ensure_schema(database)
    return database


def new_citizen(session: Session, name: str) -> Citizen:
    return citizens.citizen_for(session, address=Address("telegram", f"chat-{name}", f"user-{name}"))


def new_problem(session: Session, citizen_id: int, description: str, category: str = "roads") -> int:
    problem_in = ProblemCreate(description=description, title=description[:80], category=category, language="en")
    problem = submissions.create_problem(session, citizen_id=citizen_id, problem_in=problem_in)
    assert problem.id is not None
    return problem.id


def test_the_migrations_build_exactly_the_tables_the_models_describe(db: Engine) -> None:
    assert current_revision(db) == head_revision()
    with db.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []


def test_an_existing_schema_is_left_alone_and_a_foreign_database_is_refused(db: Engine, database: Engine) -> None:
    ensure_schema(db)  # second start: nothing to do
    with db.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
    with pytest.raises(DatabaseError, match="no migration history"):
        ensure_schema(db)


@pytest.mark.empty_database
def test_a_database_from_the_armed_timer_scheduler_upgrades_keeping_its_follow_ups(database: Engine) -> None:
    """Revision 0003 with the job table APScheduler kept there: the app asks for
    `cocreate db upgrade`, which keeps the pending follow-up and drops the timers."""
    with database.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        old_jobs = Table(
            "apscheduler_jobs", MetaData(), Column("id", Unicode(191), primary_key=True),
            Column("next_run_time", Float, index=True), Column("job_state", LargeBinary, nullable=False),
        )  # fmt: skip  # as APScheduler 3's SQLAlchemyJobStore made it
        old_jobs.create(connection)
        connection.execute(old_jobs.insert().values(id="follow-up:1", next_run_time=0.0, job_state=b"pickled"))
        connection.execute(
            text(
                "INSERT INTO followup (kind, target_id, number, due_at, status, armed)"
                " VALUES ('problem', 7, 1, :due, 'pending', :armed)"
            ),
            {"due": NOW, "armed": True},
        )
    with pytest.raises(DatabaseError, match="run `cocreate db upgrade`"):
        ensure_schema(database)
    upgrade(database)  # what `cocreate db upgrade` does
    ensure_schema(database)
    assert current_revision(database) == head_revision()
    assert "apscheduler_jobs" not in inspect(database).get_table_names()
    with database.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
    with Session(database) as session, session.begin():
        (due,) = followups.claim_due(session, now=NOW, limit=10)
        assert (due.kind, due.target_id, due.status, due.due_at) == ("problem", 7, "pending", NOW)


def test_a_citizen_is_created_once_per_channel_identity_with_nothing_but_ids(db: Engine) -> None:
    with Session(db) as session, session.begin():
        first = new_citizen(session, "ana")
        again = new_citizen(session, "ana")
        assert first.id == again.id
        assert (first.display_name, first.language, first.role, first.consented_at) == (None, None, None, None)


def test_an_event_id_is_seen_only_once_per_channel(db: Engine) -> None:
    with Session(db) as session, session.begin():
        assert citizens.first_time_seen(session, channel="telegram", event_id="1001")
        assert not citizens.first_time_seen(session, channel="telegram", event_id="1001")
        assert citizens.first_time_seen(session, channel="slack", event_id="1001")


def test_supporting_counts_once_and_never_for_your_own(db: Engine) -> None:
    with Session(db) as session, session.begin():
        ana, bob = new_citizen(session, "ana"), new_citizen(session, "bob")
        problem_id = new_problem(session, ana.id, "Pothole on Main Street")
        assert submissions.add_support(session, citizen_id=bob.id, kind="problem", target_id=problem_id) == "added"
        assert submissions.add_support(session, citizen_id=bob.id, kind="problem", target_id=problem_id) == "already"
        assert submissions.add_support(session, citizen_id=ana.id, kind="problem", target_id=problem_id) == "own"
        with pytest.raises(LookupError):
            submissions.add_support(session, citizen_id=bob.id, kind="problem", target_id=problem_id + 100)
        assert submissions.summary_of(session, kind="problem", id=problem_id).supporters == 1


def test_open_problems_list_most_supported_first(db: Engine) -> None:
    with Session(db) as session, session.begin():
        people = [new_citizen(session, name) for name in ("ana", "bob", "cat", "dan")]
        quiet = new_problem(session, people[0].id, "Quiet problem nobody supports")
        popular = new_problem(session, people[0].id, "Popular problem")
        middling = new_problem(session, people[0].id, "Middling problem")
        for person in people[1:]:
            submissions.add_support(session, citizen_id=person.id, kind="problem", target_id=popular)
        submissions.add_support(session, citizen_id=people[1].id, kind="problem", target_id=middling)
        page = submissions.open_problems(session, offset=0, limit=2)
        assert [s.id for s in page.items] == [popular, middling] and page.has_more
        assert [s.supporters for s in page.items] == [3, 1]
        rest = submissions.open_problems(session, offset=2, limit=2)
        assert [s.id for s in rest.items] == [quiet] and not rest.has_more


def test_user_text_is_stored_verbatim(db: Engine) -> None:
    evil = "Robert'); DROP TABLE problem;-- <b>&amp;</b> 🙂 \"quoted\""
    with Session(db) as session, session.begin():
        ana = new_citizen(session, "ana")
        problem_id = new_problem(session, ana.id, evil)
    with Session(db) as session:
        (row,) = submissions.list_submissions(session, kind="problem")
        assert row.description == evil and row.ref == f"P-{problem_id}"


def test_times_come_back_in_utc_whatever_zone_they_went_in_as(db: Engine) -> None:
    madrid_noon = datetime(2026, 11, 28, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    with Session(db) as session, session.begin():
        ana = new_citizen(session, "ana")
        citizens.give_consent(session, citizen=ana, display_name="Ana", language="en", now=madrid_noon)
    with Session(db) as session:
        (stored,) = session.exec(text("SELECT id FROM citizen")).all()
        consented_at = session.get(Citizen, stored[0]).consented_at
        assert consented_at == madrid_noon and consented_at.tzinfo == timezone.utc


def queue(session: Session, kind: str, text_: str, now: datetime = NOW) -> None:
    outbound = Outbound(text_, (Choice("a", "A"),), kind=kind)
    outbox.enqueue(session, address=Address("telegram", "42", "42"), replies=[outbound], citizen_id=None, now=now)


def test_replies_are_claimed_before_older_broadcasts(db: Engine) -> None:
    with Session(db) as session, session.begin():
        queue(session, "broadcast", "news 1")
        queue(session, "broadcast", "news 2")
        queue(session, "reply", "your answer")
    with Session(db) as session, session.begin():
        claimed = outbox.claim(session, channel="telegram", now=NOW, limit=2)
        assert [m.text for m in claimed] == ["your answer", "news 1"]
        assert {m.status for m in claimed} == {"sending"}
        assert claimed[0].choices == [{"value": "a", "label": "A"}]


def test_a_claim_left_by_a_dead_process_is_taken_back_after_the_lease(db: Engine) -> None:
    with Session(db) as session, session.begin():
        queue(session, "reply", "hello")
    with Session(db) as session, session.begin():
        assert len(outbox.claim(session, channel="telegram", now=NOW, limit=10)) == 1
    with Session(db) as session, session.begin():
        assert outbox.claim(session, channel="telegram", now=NOW + timedelta(seconds=30), limit=10) == []
    with Session(db) as session, session.begin():
        (again,) = outbox.claim(session, channel="telegram", now=NOW + outbox.CLAIM_LEASE, limit=10)
        assert again.attempts == 2


def test_blocking_marks_the_person_unreachable_and_their_queue_blocked(db: Engine) -> None:
    with Session(db) as session, session.begin():
        ana_id = new_citizen(session, "ana").id
        replies = [Outbound(f"m{n}") for n in range(3)]
        outbox.enqueue(session, address=Address("telegram", "chat-ana", "user-ana"), replies=replies, citizen_id=ana_id, now=NOW)
    with Session(db) as session, session.begin():
        first = outbox.claim(session, channel="telegram", now=NOW, limit=1)[0]
        outbox.mark_blocked(session, message_id=first.id, error="Forbidden: bot was blocked by the user")
    with Session(db) as session:
        statuses = [m.status for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()]
        assert statuses == ["blocked", "blocked", "blocked"]
        assert session.get(Citizen, ana_id).unreachable
    with Session(db) as session, session.begin():
        # Writing again makes them reachable again.
        assert not new_citizen(session, "ana").unreachable


def test_two_workers_claiming_at_once_never_get_the_same_row(db: Engine) -> None:
    if db.dialect.name != "postgresql":
        pytest.skip("SQLite has one delivering process; SKIP LOCKED claims are PostgreSQL's")
    with Session(db) as session, session.begin():
        for n in range(10):
            queue(session, "reply", f"m{n}")
    with Session(db) as first, first.begin():
        mine = {m.id for m in outbox.claim(first, channel="telegram", now=NOW, limit=4)}
        with Session(db) as second, second.begin():  # while the first still holds its rows
            theirs = {m.id for m in outbox.claim(second, channel="telegram", now=NOW, limit=10)}
    assert len(mine) == 4 and len(theirs) == 6
    assert not mine & theirs


def test_the_revision_a_start_checks_without_alembic_is_the_newest_migration() -> None:
    """A start on a current database compares with SCHEMA_REVISION and never loads Alembic;
    a migration added without moving SCHEMA_REVISION would make every start migrate-check."""
    assert SCHEMA_REVISION == head_revision()
