"""Upgrading while replicas serve: a serving process started on an older schema says so in
one line and waits for `cocreate db upgrade`, then starts; a newer schema than the code
knows is refused with one line, and so is an older one for a command that does not wait."""

from __future__ import annotations

import logging

import pytest
from alembic import command
from sqlalchemy import Engine, text

from bot.app import build_app
from bot.config import Settings
from bot.runtime.schema_wait import wait_for_schema
from storage.db import SCHEMA_REVISION, alembic_config, current_revision, upgrade
from tests.conftest import Cocreate
from tests.fakes.telegram_api import TOKEN

pytestmark = [pytest.mark.empty_database, pytest.mark.postgres]
OLDER = "0008"
WAITING = f"database schema is at {OLDER}, this version needs {SCHEMA_REVISION}: run `cocreate db upgrade`; waiting"


def migrated_to(database: Engine, revision: str) -> None:
    with database.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_serving_on_an_older_schema_waits_for_the_upgrade_then_starts(
    database: Engine, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    migrated_to(database, OLDER)
    looks: list[float] = []

    def meanwhile(seconds: float) -> None:
        """Between two looks at the database: on the third, someone runs `cocreate db upgrade`."""
        looks.append(seconds)
        if len(looks) == 3:
            upgrade(database)

    caplog.set_level(logging.INFO, logger="bot.runtime.schema_wait")
    settings = Settings(_env_file=None, database_url=database_url)
    app = build_app(settings, schema=lambda engine: wait_for_schema(engine, sleep=meanwhile, every=5.0))
    try:
        assert current_revision(app.database) == SCHEMA_REVISION
        assert looks == [5.0, 5.0, 5.0]
        lines = [record.getMessage() for record in caplog.records]
        assert lines == [WAITING, f"database schema is at {SCHEMA_REVISION} now; starting"]  # said once, not at every look
    finally:
        app.close()


def test_a_command_that_does_not_serve_refuses_an_older_schema_in_one_line(database: Engine, cocreate: Cocreate) -> None:
    migrated_to(database, OLDER)
    result = cocreate("stats")
    assert result.exit_code == 2
    assert result.stderr == (
        f"The database schema is at {OLDER}, this version needs {SCHEMA_REVISION}: run `cocreate db upgrade`.\n"
    )
    assert cocreate("db", "upgrade").exit_code == 0
    assert cocreate("stats").exit_code == 0


def test_a_newer_schema_than_this_version_knows_is_refused_in_one_line_even_by_db_upgrade(database: Engine, cocreate: Cocreate) -> None:
    upgrade(database)
    with database.begin() as connection:  # as a later version's migration leaves it
        connection.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    for command_line in (["run"], ["db", "upgrade"], ["stats"]):
        result = cocreate(*command_line, TELEGRAM_BOT_TOKEN=TOKEN)
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1 and result.stderr.startswith(
            f"The database schema is at 0999, newer than this version knows (it needs {SCHEMA_REVISION})"
        )
