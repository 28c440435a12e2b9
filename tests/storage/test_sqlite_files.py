"""What SQLite leaves on disk, and how the daily broadcast cap reads the outbox."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import event
from sqlmodel import Session

from storage.broadcasts import broadcasts_sent_since
from storage.db import create_db_engine, ensure_schema
from tests.conftest import FIXED_NOW


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common default, under which files are created readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> str:
    return oct(path.stat().st_mode & 0o777)


def test_the_database_and_its_wal_files_are_readable_by_their_owner_only(tmp_path: Path, usual_umask: None) -> None:
    path = tmp_path / "cocreate.db"
    engine = create_db_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    with engine.connect() as connection:  # WAL and shared-memory files exist while connected
        connection.exec_driver_sql("SELECT 1")
        files = {p.name: mode(p) for p in tmp_path.iterdir()}
    engine.dispose()
    assert files == {"cocreate.db": "0o600", "cocreate.db-wal": "0o600", "cocreate.db-shm": "0o600"}


def test_wal_files_left_more_open_are_brought_down_to_the_database_mode(tmp_path: Path, usual_umask: None) -> None:
    path = tmp_path / "cocreate.db"
    ensure_schema(first := create_db_engine(f"sqlite:///{path}"))
    with first.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
        connection.commit()  # still connected (so the files stay), without holding the lock
        # As an older version, or a copy, left them while the database was in use.
        for name in ("cocreate.db-wal", "cocreate.db-shm"):
            (tmp_path / name).chmod(0o644)
        engine = create_db_engine(f"sqlite:///{path}")
        with engine.connect() as second:
            second.exec_driver_sql("SELECT 1")
            files = {p.name: mode(p) for p in tmp_path.iterdir()}
        engine.dispose()
    first.dispose()
    assert files == {"cocreate.db": "0o600", "cocreate.db-wal": "0o600", "cocreate.db-shm": "0o600"}


def test_an_existing_database_keeps_the_mode_its_owner_gave_it(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    ensure_schema(engine := create_db_engine(f"sqlite:///{path}"))
    engine.dispose()
    path.chmod(0o640)  # shared with a group on purpose
    ensure_schema(engine := create_db_engine(f"sqlite:///{path}"))
    engine.dispose()
    assert mode(path) == "0o640"


def test_the_daily_cap_check_reads_one_persons_rows_through_an_index(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'cocreate.db'}")
    ensure_schema(engine)
    executed: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        executed.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    with Session(engine) as session:
        assert broadcasts_sent_since(session, citizen_ids=[7], since=FIXED_NOW - timedelta(days=1)) == {}
    event.remove(engine, "before_cursor_execute", record)
    (statement, parameters) = next((s, p) for s, p in executed if "outboxmessage" in s)
    with engine.connect() as connection:
        plan = " ".join(row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
    engine.dispose()
    # Without the index SQLite scans the outbox: 63 ms a check with 300,000 sent rows.
    assert "ix_outbox_broadcast_cap (citizen_id=? AND kind=? AND status=? AND sent_at>?)" in plan, plan
