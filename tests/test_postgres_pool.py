"""The PostgreSQL test databases are used again after emptying: a test must never see what an
earlier one left, and a database whose schema a test changed is never handed out again."""

from __future__ import annotations

from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from storage.models import Citizen
from tests.conftest import POSTGRES_URL
from tests.postgres import DatabasePool

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set: PostgreSQL tests skipped")


@pytest.fixture
def pool(postgresql_databases: DatabasePool) -> DatabasePool:
    """This test process's own pool, the one every `postgres` test draws from."""
    return postgresql_databases


def the_next_ones(pool: DatabasePool, count: int = 3) -> Iterator[str]:
    """The databases the pool hands out next, each for a moment (it keeps three in turn)."""
    for _ in range(count):
        with pool.database() as url:
            yield url


def new_citizen(url: str, user: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with Session(engine) as session:
            citizen = Citizen(channel="telegram", channel_user_id=user, chat_id=user)
            session.add(citizen)
            session.commit()
            assert citizen.id is not None
            return citizen.id
    finally:
        engine.dispose()


def run(url: str, *statements: str) -> list[object]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            results = [connection.execute(text(statement)) for statement in statements]
            return [result.scalar() if result.returns_rows else None for result in results]
    finally:
        engine.dispose()


def test_a_database_comes_back_empty_with_its_sequences_restarted(pool: DatabasePool) -> None:
    with pool.database() as first:
        assert new_citizen(first, "1") == 1
        left_open = create_engine(first, poolclass=NullPool).connect()  # as a killed process leaves one
        left_open.execute(text("SELECT pg_advisory_lock(42)"))
    for url in the_next_ones(pool):
        if url == first:
            assert run(url, "SELECT count(*) FROM citizen") == [0]
            assert new_citizen(url, "2") == 1
            assert run(url, "SELECT pg_try_advisory_lock(42)") == [True]
            assert run(url, "SELECT count(*) FROM alembic_version") == [1]
            break
    else:
        pytest.fail("the pool made new copies instead of emptying the used one")
    left_open.invalidate()  # its session was ended for the next test: nothing to roll back


@pytest.mark.parametrize(
    ("change", "left"),
    [
        ("ALTER TABLE citizen ADD COLUMN nickname text",
         "SELECT count(*) FROM information_schema.columns WHERE column_name = 'nickname'"),
        ("CREATE FUNCTION poisoned() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'poisoned'; END $$;"
         " CREATE TRIGGER poison BEFORE UPDATE ON conversation FOR EACH ROW EXECUTE FUNCTION poisoned()",
         "SELECT count(*) FROM pg_trigger WHERE tgname = 'poison'"),
    ],
    ids=["a column", "a trigger"],
)
def test_a_database_whose_schema_a_test_changed_is_replaced(pool: DatabasePool, change: str, left: str) -> None:
    with pool.database() as first:
        run(first, change)
    for url in the_next_ones(pool):
        assert url != first
        assert run(url, left) == [0]
