"""Alembic environment. The app passes its own connection (storage.db.upgrade); the alembic
command line (see alembic.ini) uses DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - registers the tables on SQLModel.metadata
from storage.db import create_db_engine
from storage.types import UTCDateTime

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_: str, obj: object, _autogen_context: object) -> str | bool:
    """Write our UTC column type as the plain DateTime it is in the database."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


OPTIONS = {
    "target_metadata": target_metadata,
    "render_as_batch": True,
    "render_item": render_item,
}


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL", "sqlite:///cocreate.db")
    context.configure(url=url, literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL", "sqlite:///cocreate.db")
    engine = create_db_engine(url)
    with engine.begin() as own_connection:
        context.configure(connection=own_connection, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
