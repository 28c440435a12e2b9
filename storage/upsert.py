"""INSERT ... ON CONFLICT DO NOTHING for SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel


def insert_or_ignore(session: Session, table: type[SQLModel], values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row went in."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = table.__table__.c  # type: ignore[attr-defined]
    statement: Insert = insert(table.__table__).values(**values).on_conflict_do_nothing().returning(columns.id)  # type: ignore[attr-defined]
    # RETURNING tells reliably on both databases whether a row was inserted (rowcount does not).
    return session.connection().execute(statement).first() is not None
