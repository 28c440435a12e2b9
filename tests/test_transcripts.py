"""Every flow end to end through the console adapter, the conversation service, the outbox
and SQLite, compared line by line with its golden transcript in tests/transcripts/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.app import build_app
from bot.config import Settings
from tests.conftest import Clock
from tests.transcript import replay

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.txt"))


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_transcript(path: Path, sqlite_url: str, clock: Clock) -> None:
    # sam is staff in the transcripts (staff_inbox.txt shows /inbox).
    app = build_app(Settings(_env_file=None, database_url=sqlite_url, staff="console:sam"), clock=clock)
    try:
        actual = replay(app, path)
    finally:
        app.close()
    if os.environ.get("UPDATE_TRANSCRIPTS"):
        path.write_text(actual)
    assert actual.splitlines() == path.read_text().splitlines()
