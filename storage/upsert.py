"""INSERT ... ON CONFLICT DO NOTHING for SQLite and PostgreSQL alike."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel


@cache
def _statement(table: Table, dialect: str) -> Insert:
    # Built once per table and dialect (a pure function of both): several of these run for
    # every inbound message, and building a statement costs more than running it on SQLite.
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    first_key = next(iter(table.primary_key.columns))  # `id` for most tables
    return insert(table).on_conflict_do_nothing().returning(first_key)


def insert_or_ignore(session: Session, table: type[SQLModel], values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row went in."""
    statement = _statement(table.__table__, session.get_bind().dialect.name)  # type: ignore[attr-defined]
    # RETURNING tells reliably on both databases whether a row was inserted (rowcount does not).
    return session.connection().execute(statement, values).first() is not None


@cache
def _upsert_statement(table: Table, dialect: str, keys: tuple[str, ...], changed: tuple[str, ...]) -> Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: statement.excluded[name] for name in changed}
    )


def insert_or_update(session: Session, table: type[SQLModel], values: dict[str, Any], *, keys: tuple[str, ...]) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE every other given column: one row per key, the
    latest values win, in one statement (no read-then-write race between two transactions)."""
    changed = tuple(name for name in values if name not in keys)
    statement = _upsert_statement(table.__table__, session.get_bind().dialect.name, keys, changed)  # type: ignore[attr-defined]
    session.connection().execute(statement, values)
