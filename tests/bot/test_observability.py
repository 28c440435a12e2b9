"""What operators see of a dialog through Telegram (the real python-telegram-bot against the
fake Bot API): JSON log lines that carry the event id and the person's internal id but
none of their words, name or the token; and /metrics counting the events, the replies, a
429, the reply latency and who leads delivery."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from typing import Any

import pytest

from bot.app import App
from bot.runtime.logs import configure_logging
from tests.bot.test_telegram_channel import ALICE, press, reply_to, serving, text_update
from tests.conftest import Cocreate
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.web.support import terminal
from tests.web.test_operations_pages import fetch, get, labels, samples

pytestmark = pytest.mark.telegram
THROTTLED = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}
WORDS = "The fountain in Ribbon Park leaks all day"


@pytest.fixture
def json_logs() -> io.StringIO:
    """`cocreate run`'s logging with LOG_FORMAT=json, into a buffer (tests/conftest.py puts
    the process's logging back after the test)."""
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    # The fake Bot API runs in this process; its access log (URLs with the token) is not the bot's.
    logging.getLogger("tornado.access").setLevel(logging.CRITICAL)
    return stream


def dialog(app: App, fake: FakeTelegram) -> dict[str, Any]:
    """Alice agrees, becomes an Explorer and describes a problem; one reply meets a 429.
    The samples of /metrics while delivery still runs."""

    async def scenario() -> dict[str, Any]:
        async with serving(app):
            consent = await reply_to(fake, text_update("/start"))
            fake.fail_next("sendMessage", THROTTLED)
            roles = await reply_to(fake, press(consent, "I agree"))
            ask = await reply_to(fake, press(roles, "Explorer — report a problem you've noticed"))
            await reply_to(fake, text_update(WORDS))
            assert ask["text"].startswith("What is the problem?")
            return samples((await fetch(app, "/metrics")).text)

    return asyncio.run(scenario())


def test_json_logs_of_a_dialog_carry_ids_and_nothing_personal(app: App, fake: FakeTelegram, json_logs: io.StringIO) -> None:
    dialog(app, fake)
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]  # every line is one JSON object
    handled = [line for line in lines if line["logger"] == "bot.inbound.service"]
    assert len(handled) == 4
    assert all(line["event_id"] and isinstance(line["citizen_id"], int) for line in handled)
    assert len({line["event_id"] for line in handled}) == 4 and len({line["citizen_id"] for line in handled}) == 1
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    everything = json_logs.getvalue()
    for personal in ("Alice", "alice", "fountain", str(ALICE), TOKEN, TOKEN.split(":")[1]):
        assert personal not in everything


def test_metrics_count_a_telegram_dialog_and_who_leads_delivery(app: App, fake: FakeTelegram) -> None:
    during = dialog(app, fake)
    assert during[("cocreate_inbound_events_total", labels(channel="telegram", outcome="handled"))] == 4
    sent = during[("cocreate_outbox_sends_total", labels(channel="telegram", kind="reply", outcome="sent"))]
    assert sent >= 3  # the last reply may still be on its way
    assert during[("cocreate_outbox_sends_total", labels(channel="telegram", kind="reply", outcome="retried"))] == 1
    assert during[("cocreate_throttled_total", labels(channel="telegram"))] == 1
    assert during[("cocreate_reply_latency_seconds_count", labels(channel="telegram"))] == sent
    assert during[("cocreate_leader", labels(role="delivery:telegram"))] == 1
    after = samples(get(app, "/metrics").text)
    assert after[("cocreate_leader", labels(role="delivery:telegram"))] == 0  # stopped: it leads no more


def test_a_log_format_that_is_not_offered_is_one_line_naming_the_variable(cocreate: Cocreate) -> None:
    result = cocreate("run", LOG_FORMAT="yaml", TELEGRAM_BOT_TOKEN=TOKEN)
    assert (result.exit_code, result.stderr) == (2, "LOG_FORMAT: Input should be 'text' or 'json'\n")


def test_text_logs_end_with_the_event_and_the_citizen(app: App) -> None:
    stream = io.StringIO()
    configure_logging("text", stream=stream)
    terminal(app, "ana", "1")  # the chat's /start, then "I agree"
    handled = [line for line in stream.getvalue().splitlines() if "bot.inbound.service" in line]
    assert len(handled) == 2 and all(re.search(r"event handled: .* \[event [^,]+, citizen \d+\]$", line) for line in handled)
    assert "ana" not in stream.getvalue()
