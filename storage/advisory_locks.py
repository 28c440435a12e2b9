"""PostgreSQL session-level advisory locks, for electing one process to do a job
(bot/runtime/election.py). They belong to the database session of the connection that took
them: the caller keeps that connection open while leading."""

from __future__ import annotations

from sqlalchemy import Connection, text

_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")


def try_lock(connection: Connection, *, key: int) -> bool:
    return bool(connection.execute(_TRY_LOCK, {"key": key}).scalar())


def unlock(connection: Connection, *, key: int) -> None:
    connection.execute(_UNLOCK, {"key": key})
