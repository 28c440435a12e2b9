"""Database engines, sessions and migrations.

SQLite (the embedded default) runs in WAL mode and opens every transaction with
BEGIN IMMEDIATE: the write lock is taken up front, which is what serialises two processes
handling the same person (and avoids SQLite's deadlock on read-then-write upgrades).
PostgreSQL locks the person's conversation row with SELECT ... FOR UPDATE instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest migration's revision. A start on a database already there needs no Alembic
# (about 11 MB of memory for the life of the process); tests/storage checks this against
# Alembic's head, so a new migration cannot be forgotten here.
SCHEMA_REVISION = "0015"


class DatabaseError(RuntimeError):
    """A database problem a person can fix; the message says how."""


def normalize_url(url: str) -> str:
    """postgres:// and postgresql:// mean the psycopg 3 driver, which is what we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite database URL; None for other databases (and in-memory ones)."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return None if parsed.database.startswith("file:") else Path(parsed.database)


def create_db_engine(url: str, **options: Any) -> Engine:
    url = normalize_url(url)
    # Errors then show the SQL but not the values: those are people's words and names.
    options.setdefault("hide_parameters", True)
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **options)
    path = sqlite_path(url)
    if path is not None:
        _create_private(path)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **options)
    event.listen(engine, "connect", _sqlite_on_connect)
    if path is not None:
        event.listen(engine, "connect", lambda _connection, _record: _no_more_open_than(path))
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


OWNER_ONLY = 0o600  # people's words, names and chat ids: readable by the bot's user alone


def _create_private(path: Path) -> None:
    """Create a new database file readable by its owner only, before SQLite creates it with
    the umask's (usually world-readable) mode. An existing file keeps the mode it was given."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, OWNER_ONLY))
    except OSError:
        pass  # it exists (and keeps its mode), or its folder is missing: SQLite's error says so


def _no_more_open_than(path: Path) -> None:
    """SQLite gives the -wal and -shm files the database file's mode; ones left by an older
    version (or copied in) may be more open: bring them down to the database's mode."""
    try:
        allowed = path.stat().st_mode & 0o777
    except OSError:
        return
    for companion in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = companion.stat().st_mode & 0o777
            if mode & ~allowed:
                companion.chmod(mode & allowed)
        except OSError:
            pass  # not there (yet), or not ours to change


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


def alembic_config() -> Config:
    """Alembic's configuration, without a URL: the app hands migrations its own connection
    (see `upgrade`). A URL in the configuration would go through configparser's `%`
    interpolation, which fails on a password or path with `%` and prints the whole URL."""
    from alembic.config import Config  # imported only when migrating (see SCHEMA_REVISION)

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated), read as Alembic keeps it."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (what `cocreate db upgrade` does); a
    database a newer version migrated is refused (SchemaAhead), not "upgraded"."""
    from alembic import command

    current = current_revision(engine)
    if current is not None and current not in known_revisions():
        raise SchemaAhead(current)

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class SchemaBehind(DatabaseError):
    """The database is at an older revision: `cocreate db upgrade` brings it to this version's."""

    def __init__(self, current: str) -> None:
        self.current = current
        super().__init__(
            f"The database schema is at {current}, this version needs {SCHEMA_REVISION}: run `cocreate db upgrade`."
        )


class SchemaAhead(DatabaseError):
    """The database was migrated by a newer version than this one; running on it could lose data."""

    def __init__(self, current: str) -> None:
        self.current = current
        super().__init__(
            f"The database schema is at {current}, newer than this version knows (it needs {SCHEMA_REVISION}): "
            "run the newer cocreate, or point DATABASE_URL at a database of this version."
        )


def ensure_schema(engine: Engine) -> None:
    """Create the schema in an empty database; refuse to run on an older one (SchemaBehind)
    or on one a newer version migrated (SchemaAhead)."""
    current = current_revision(engine)
    if current == SCHEMA_REVISION:
        return
    if current is None:
        if inspect(engine).get_table_names():
            raise DatabaseError(
                "The database has tables but no migration history; point DATABASE_URL at an empty "
                "database or at one created by cocreate."
            )
        upgrade(engine)
        return
    if current == head_revision():
        return
    raise SchemaBehind(current) if current in known_revisions() else SchemaAhead(current)


def known_revisions() -> set[str]:
    """Every revision this version's migrations know."""
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
