"""Throwaway PostgreSQL databases on a server (for tests and benchmarks), dropped afterwards."""

from __future__ import annotations

import uuid
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from storage.db import normalize_url


def _admin(server_url: str) -> tuple[URL, Engine]:
    url = make_url(normalize_url(server_url))
    return url, create_engine(url, isolation_level="AUTOCOMMIT")


def _create(admin: Engine, prefix: str, *, template: str | None = None, durable: bool = True) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        copy_of = f' TEMPLATE "{template}"' if template else ""
        connection.execute(text(f'CREATE DATABASE "{name}"{copy_of}'))
        if not durable:
            # A test database never outlives a server crash, and waiting for each commit's
            # fsync would be most of a short test's time.
            connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
    return name


def _drop(admin: Engine, name: str) -> None:
    with admin.connect() as connection:  # FORCE: a killed test process may have left a session
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def scratch_database(server_url: str, prefix: str = "cocreate_test") -> Iterator[str]:
    """A new empty database, dropped on leaving (benchmarks keep the server's durability, so
    their figures are what a deployment pays)."""
    admin_url, admin = _admin(server_url)
    try:
        name = _create(admin, prefix)
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            _drop(admin, name)
    finally:
        admin.dispose()


# Emptying a used copy, in one round trip: sessions a killed process left are ended first
# (they could hold locks or advisory locks), then every table but Alembic's is emptied with
# foreign keys unchecked (nothing is left to point anywhere) and every sequence restarts, so
# the next test sees what a fresh copy shows, references P-1 included.
_EMPTY = """
DO $$
DECLARE item record;
BEGIN
  PERFORM pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid();
  SET LOCAL session_replication_role = replica;
  FOR item IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version' LOOP
    EXECUTE format('DELETE FROM public.%I', item.tablename);
  END LOOP;
  FOR item IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' LOOP
    EXECUTE format('ALTER SEQUENCE public.%I RESTART', item.sequencename);
  END LOOP;
END $$;
"""

# What a test could change that emptying does not undo: tables and their columns, indexes
# and constraints, triggers and functions (a test that poisons a table with a trigger), the
# schemas, and Alembic's revision.
_SHAPE = """
SELECT md5(concat_ws('|',
  (SELECT string_agg(table_schema || '.' || table_name || '.' || column_name || ':' || data_type, ','
                     ORDER BY table_schema, table_name, column_name)
     FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')),
  (SELECT string_agg(indexdef, ',' ORDER BY indexdef) FROM pg_indexes WHERE schemaname = 'public'),
  (SELECT string_agg(conname || ':' || pg_get_constraintdef(oid), ',' ORDER BY conname, pg_get_constraintdef(oid))
     FROM pg_constraint WHERE connamespace = 'public'::regnamespace),
  (SELECT string_agg(tgname || ':' || tgrelid::regclass::text, ',' ORDER BY tgname) FROM pg_trigger WHERE NOT tgisinternal),
  (SELECT string_agg(proname, ',' ORDER BY proname) FROM pg_proc WHERE pronamespace = 'public'::regnamespace),
  (SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace),
  (SELECT string_agg(version_num, ',') FROM alembic_version)
))
"""


def _shape(url: URL) -> str:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(text(_SHAPE)).scalar_one()
    finally:
        engine.dispose()


class DatabasePool:
    """Databases at the template's state, one per test: copies of the template made ahead of
    time in one background thread, and once a test is done with one, emptied there and used
    again. Each test still starts on a database nobody else is using, with nothing in it from
    an earlier test; emptying takes about 30 ms where a copy takes 250 ms and a drop 50 ms,
    which on two cores was a third of the suite's time. A copy whose schema a test changed
    (a column, an index, a trigger or a function: anything but rows), or that cannot be emptied
    (say, without the rights to skip foreign-key checks), is dropped
    and replaced by a new copy."""

    def __init__(self, server_url: str, template: str, *, ahead: int = 2, prefix: str = "cocreate_test") -> None:
        self._url, self._admin = _admin(server_url)
        self._template, self._prefix = template, prefix
        self._shape = _shape(self._url.set(database=template))
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-databases")
        self._coming: deque[Future[str]] = deque(self._worker.submit(self._copy) for _ in range(ahead))
        self._made: set[str] = set()

    def _copy(self) -> str:
        name = _create(self._admin, self._prefix, template=self._template, durable=False)
        self._made.add(name)
        return name

    def _recycled(self, name: str) -> str:
        url = self._url.set(database=name)
        try:
            engine = create_engine(url, poolclass=NullPool)
            try:
                with engine.begin() as connection:
                    connection.execute(text(_EMPTY))
            finally:
                engine.dispose()
            if _shape(url) == self._shape:
                return name
        except DBAPIError:
            pass
        _drop(self._admin, name)
        self._made.discard(name)
        return self._copy()

    @contextmanager
    def database(self) -> Iterator[str]:
        """A database at the template's state, for the length of the block."""
        name = self._coming.popleft().result()
        try:
            yield self._url.set(database=name).render_as_string(hide_password=False)
        finally:
            self._coming.append(self._worker.submit(self._recycled, name))
            if len(self._coming) < 2:
                self._coming.append(self._worker.submit(self._copy))

    def close(self) -> None:
        for coming in self._coming:
            coming.exception()  # wait: every copy is known before they are dropped
        for name in list(self._made):
            self._worker.submit(_drop, self._admin, name)
        self._worker.shutdown(wait=True)
        self._admin.dispose()
