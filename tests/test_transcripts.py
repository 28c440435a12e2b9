"""Every flow end to end through the console adapter, the conversation service, the outbox
and SQLite, compared line by line with its golden transcript in tests/transcripts/."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from tests.transcript import replay

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.txt"))


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"staff": ("console:sam",)}  # sam is staff in the transcripts (staff_inbox.txt shows /inbox)


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_transcript(path: Path, app: App) -> None:
    actual = replay(app, path)
    if os.environ.get("UPDATE_TRANSCRIPTS"):
        path.write_text(actual)
    assert actual.splitlines() == path.read_text().splitlines()
