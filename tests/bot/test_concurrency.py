"""Two processes handling the same person never interleave: each event sees the state the
previous one left (no lost update), on SQLite (BEGIN IMMEDIATE) and PostgreSQL (FOR UPDATE)."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlmodel import Session, func, select

from bot.app import build_app
from bot.config import Settings
from conversations.messages import Address, Inbound
from storage.db import create_db_engine, ensure_schema
from storage.models import Conversation, OutboxMessage, ProcessedEvent

EVENTS_PER_PROCESS = 40
PERSON = Address("telegram", "777", "777")
pytestmark = pytest.mark.postgres


def _handle_many(database_url: str, worker: int, barrier) -> None:
    app = build_app(Settings(_env_file=None, database_url=database_url, flood_limit=0))  # many events at once, on purpose
    barrier.wait()
    texts = ["/help", "/my", "1", "/back", "A lamp post leans over the road"]
    for n in range(EVENTS_PER_PROCESS):
        app.service.handle(Inbound(PERSON, f"w{worker}-{n}", text=texts[n % len(texts)]))
    app.close()


def test_two_processes_handling_one_person_never_interleave(database_url: str) -> None:
    engine = create_db_engine(database_url)
    ensure_schema(engine)  # before the race, so neither process creates the schema
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [context.Process(target=_handle_many, args=(database_url, w, barrier)) for w in (1, 2)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
    assert [p.exitcode for p in workers] == [0, 0]

    with Session(engine) as session:
        conversation = session.exec(select(Conversation)).one()
        # Every event incremented the version it read: none was lost to a concurrent write.
        assert conversation.version == 2 * EVENTS_PER_PROCESS
        assert session.exec(select(func.count()).select_from(ProcessedEvent)).one() == 2 * EVENTS_PER_PROCESS
        assert session.exec(select(func.count()).select_from(OutboxMessage)).one() >= 2 * EVENTS_PER_PROCESS
    engine.dispose()
