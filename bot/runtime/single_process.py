"""One `cocreate run` per SQLite database. A second one would take back the first one's
in-flight outbox rows and send them again (on PostgreSQL leases elect one process per
role instead, see election.py).

The guard is an exclusive flock on a lock file beside the database (`cocreate.db.lock`),
held for the life of the process: the operating system releases it when the process ends,
however it ends (kill -9 included), so there is never a stale lock to clean up. The file
records the holder's pid, so the refusal can name it.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from storage.db import OWNER_ONLY, DatabaseError, sqlite_path


class AlreadyRunning(RuntimeError):
    """Another `cocreate run` serves this database; the message names its pid."""


def lock_file_for(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextmanager
def sole_runner(database_url: str) -> Iterator[None]:
    """Hold the database's run lock until the block ends; AlreadyRunning when another
    process holds it. Nothing to hold for PostgreSQL."""
    database = sqlite_path(database_url)
    if database is None:
        yield
        return
    path = lock_file_for(database)
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, OWNER_ONLY)
    except OSError as error:
        raise DatabaseError(f"Cannot create {path} (DATABASE_URL's folder): {error.strerror}") from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "unknown"
            raise AlreadyRunning(
                f"Another `cocreate run` (pid {holder}) is already serving {database}; stop it first "
                f"(two would send the same messages twice). Use PostgreSQL to run several."
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(descriptor)  # releases the lock
