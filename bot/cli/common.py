"""What every command shares: reading settings, and turning mistakes a person can fix into
one clear line and exit status 2 (never a traceback)."""

from __future__ import annotations

import getpass
import os
from contextlib import contextmanager
from typing import Iterator, NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from bot import app as application
from bot.channels.protocol import ChannelError
from bot.config import Settings, describe_error
from bot.runtime.single_process import AlreadyRunning
from storage import db


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn configuration and database problems into one clear line and exit code 2."""
    try:
        yield
    except ValidationError as error:
        fail(describe_error(error))
    except (db.DatabaseError, ChannelError, AlreadyRunning) as error:
        fail(str(error))
    except OperationalError as error:
        # One line: the driver's message can span several (psycopg adds a hint on its own line).
        fail(f"Cannot use the database (DATABASE_URL): {' '.join(str(error.orig).split())}")


def fail(message: str) -> NoReturn:
    typer.echo(message, err=True)  # not wrapped: one line per problem, whatever the terminal width
    raise typer.Exit(code=2)


def settings() -> Settings:
    return Settings()


def cli_user() -> str:
    """Who made a change from the command line, as the history keeps it: cli:alice."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return f"cli:uid-{os.getuid()}"


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
