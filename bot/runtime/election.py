"""Leader election on PostgreSQL: of all processes, the one holding an advisory lock does a
job that must run once (a channel's delivery, the scheduler). SQLite has one process.

`record(name, leading)` hears when this process starts and stops leading (the
cocreate_leader gauge of /metrics, bot/runtime/metrics.py)."""

from __future__ import annotations

import asyncio
import zlib
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable

from sqlalchemy import Connection, Engine

from storage import advisory_locks

Leadership = Callable[[str, bool], None]


def _unrecorded(_name: str, _leading: bool) -> None:
    pass


@asynccontextmanager
async def elected(
    database: Engine,
    name: str,
    *,
    stopping: asyncio.Event,
    blocking: Callable[..., Awaitable[Any]],
    retry_every: float = 5.0,
    record: Leadership = _unrecorded,
) -> AsyncIterator[None]:
    """Wait until this process leads `name` (or is stopping), and lead until the block ends.
    A standby retries every `retry_every` seconds; a leader that dies loses the lock with
    its connection, so a standby takes over."""
    if database.dialect.name != "postgresql":
        record(name, True)
        try:
            yield
        finally:
            record(name, False)
        return
    key = zlib.crc32(f"cocreate-{name}".encode())
    connection = await blocking(database.connect)
    leading = False
    try:
        while not stopping.is_set():
            if await blocking(advisory_locks.try_lock, connection, key=key):
                leading = True
                record(name, True)
                break
            try:
                await asyncio.wait_for(stopping.wait(), timeout=retry_every)
            except TimeoutError:
                pass
        yield
    finally:
        if leading:
            record(name, False)
        # The lock belongs to the database session, which outlives close() in the pool:
        # unlock explicitly. (A process that dies loses its session, and the lock with it.)
        await blocking(_release, connection, key if leading else None)


def _release(connection: Connection, key: int | None) -> None:
    try:
        if key is not None:
            advisory_locks.unlock(connection, key=key)
    finally:
        connection.close()
