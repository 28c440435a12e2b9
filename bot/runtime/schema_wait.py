"""Serving replicas during an upgrade: the new version's processes may start before
`cocreate db upgrade` has run (it is run once, from one place: docs/deploy.md). A serving
process that finds the database at an older revision says so in one line and waits,
looking again every few seconds, then starts; a revision newer than it knows is refused
(storage.db.SchemaAhead), since running old code on a newer schema could lose data."""

from __future__ import annotations

import logging
import time
from typing import Callable

from sqlalchemy import Engine

from storage.db import SCHEMA_REVISION, SchemaBehind, ensure_schema

log = logging.getLogger(__name__)
LOOK_EVERY = 5.0  # seconds between looks at the database's revision


def wait_for_schema(engine: Engine, *, sleep: Callable[[float], None] = time.sleep, every: float = LOOK_EVERY) -> None:
    """Return once the database is at this version's schema (created in an empty database)."""
    waiting_since: str | None = None
    while True:
        try:
            ensure_schema(engine)
        except SchemaBehind as behind:
            if behind.current != waiting_since:  # once, and again only if it moved but not far enough
                log.warning(
                    "database schema is at %s, this version needs %s: run `cocreate db upgrade`; waiting",
                    behind.current, SCHEMA_REVISION,
                )  # fmt: skip
                waiting_since = behind.current
            sleep(every)
            continue
        if waiting_since is not None:
            log.warning("database schema is at %s now; starting", SCHEMA_REVISION)
        return
