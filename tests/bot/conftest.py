"""Fixtures the channel tests share."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """A fake Telegram Bot API on 127.0.0.1 (the Slack tests define their own `fake`)."""
    server = FakeTelegram().start()
    yield server
    server.stop()
