"""Throwaway PostgreSQL databases on a server (for tests and benchmarks), dropped afterwards."""

from __future__ import annotations

import uuid
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

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


class DatabasePool:
    """Copies of a template database, made ahead of time and dropped afterwards in one
    background thread: each test still gets a database of its own, without waiting the
    half-second PostgreSQL takes to copy one (or to drop it)."""

    def __init__(self, server_url: str, template: str, *, ahead: int = 2, prefix: str = "cocreate_test") -> None:
        self._url, self._admin = _admin(server_url)
        self._template, self._prefix, self._ahead = template, prefix, ahead
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-databases")
        self._coming: deque[Future[str]] = deque()
        self._top_up()

    def _top_up(self) -> None:
        while len(self._coming) < self._ahead:
            made = self._worker.submit(_create, self._admin, self._prefix, template=self._template, durable=False)
            self._coming.append(made)

    @contextmanager
    def database(self) -> Iterator[str]:
        """A fresh copy's URL, for the length of the block."""
        name = self._coming.popleft().result()
        self._top_up()
        try:
            yield self._url.set(database=name).render_as_string(hide_password=False)
        finally:
            self._worker.submit(_drop, self._admin, name)

    def close(self) -> None:
        for made in self._coming:
            self._worker.submit(_drop, self._admin, made.result())
        self._worker.shutdown(wait=True)
        self._admin.dispose()
