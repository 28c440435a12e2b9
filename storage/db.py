"""Database engines, sessions and migrations.

SQLite (the embedded default) runs in WAL mode and opens every transaction with
BEGIN IMMEDIATE: the write lock is taken up front, which is what serialises two processes
handling the same person (and avoids SQLite's deadlock on read-then-write upgrades).
PostgreSQL locks the person's conversation row with SELECT ... FOR UPDATE instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class DatabaseError(RuntimeError):
    """A database problem a person can fix; the message says how."""


def normalize_url(url: str) -> str:
    """postgres:// and postgresql:// mean the psycopg 3 driver, which is what we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_db_engine(url: str, **options: Any) -> Engine:
    url = normalize_url(url)
    # Errors then show the SQL but not the values: those are people's words and names.
    options.setdefault("hide_parameters", True)
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **options)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **options)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own would be deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-32000")  # 32 MB of page cache (the default is 2 MB)
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (what `cocreate db upgrade` does)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def ensure_schema(engine: Engine) -> None:
    """Create the schema in an empty database; refuse to run on an old one."""
    current = current_revision(engine)
    if current == head_revision():
        return
    if current is None:
        if inspect(engine).get_table_names():
            raise DatabaseError(
                "The database has tables but no migration history; point DATABASE_URL at an empty "
                "database or at one created by cocreate."
            )
        upgrade(engine)
        return
    raise DatabaseError(f"The database schema is at {current}, older than this version; run `cocreate db upgrade`.")
