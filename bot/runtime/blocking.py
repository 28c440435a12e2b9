"""Running blocking database work from async code.

SQLite allows one writer at a time and makes the others wait in a sleeping busy loop; many
threads queueing on its lock are slower than one thread taking turns. So on SQLite all
database work of a process runs on a single thread, in order; PostgreSQL gets a few.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, TypeVar

from sqlalchemy import Engine

T = TypeVar("T")
POSTGRES_THREADS = 8


@dataclass(frozen=True)
class Blocking:
    executor: ThreadPoolExecutor

    @classmethod
    def for_database(cls, database: Engine) -> Blocking:
        threads = 1 if database.dialect.name == "sqlite" else POSTGRES_THREADS
        return cls(ThreadPoolExecutor(max_workers=threads, thread_name_prefix="db"))

    async def __call__(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, partial(function, *args, **kwargs))

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True)
