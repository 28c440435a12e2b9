"""Fixtures the channel tests share.

A module marked `telegram` builds its apps to talk to the fake Telegram (`fake`) in real time
(the channel's retries and timers need the real clock); `telegram(real_time=False)` keeps the
test's `clock`, and the marker's other keyword arguments are further settings, say
`telegram(staff=("telegram:403",))`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Iterator

import pytest

from bot.app import App, utc_now
from tests.conftest import AppFactory, Clock
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """A fake Telegram Bot API on 127.0.0.1 (the Slack tests define their own `fake`)."""
    server = FakeTelegram().start()
    yield server
    server.stop()


def _telegram(request: pytest.FixtureRequest) -> pytest.Mark | None:
    return request.node.get_closest_marker("telegram")


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = _telegram(request)
    if marker is None:
        return {}
    settings = {name: value for name, value in marker.kwargs.items() if name != "real_time"}
    return {**request.getfixturevalue("fake").settings(), **settings}


@pytest.fixture
def app_clock(request: pytest.FixtureRequest, clock: Clock) -> Callable[[], datetime]:
    marker = _telegram(request)
    return utc_now if marker is not None and marker.kwargs.get("real_time", True) else clock


@pytest.fixture
def telegram_app(app_factory: AppFactory, fake: FakeTelegram) -> App:
    """An app serving the fake Telegram in real time, in a module whose `app` is the service
    alone on `clock`."""
    return app_factory(clock=utc_now, **fake.settings())
