"""What every command shares: reading settings, and turning mistakes a person can fix into
one clear line and exit status 2 (never a traceback)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from bot import app as application
from bot.channels.protocol import ChannelError
from bot.config import Settings, describe_error
from storage import db


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn configuration and database problems into one clear line and exit code 2."""
    try:
        yield
    except ValidationError as error:
        fail(describe_error(error))
    except (db.DatabaseError, ChannelError) as error:
        fail(str(error))
    except OperationalError as error:
        fail(f"Cannot use the database (DATABASE_URL): {error.orig}")


def fail(message: str) -> NoReturn:
    typer.echo(message, err=True)  # not wrapped: one line per problem, whatever the terminal width
    raise typer.Exit(code=2)


def settings() -> Settings:
    return Settings()


@contextmanager
def opened_app() -> Iterator[application.App]:
    """The app for one command (database checked and ready), closed afterwards."""
    with friendly_errors():
        built = application.build_app(settings())
    try:
        with friendly_errors():
            yield built
    finally:
        built.close()
