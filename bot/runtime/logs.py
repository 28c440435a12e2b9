"""Logging for the serving commands (`cocreate run`, `cocreate web`): lines of text (the
event's ids at the end), or one JSON object a line (LOG_FORMAT=json, python-json-logger)
for a log collector.

Every record carries `event_id` (the channel's id of the event being handled) and
`citizen_id` (the person's internal id, never a name or a channel identity) while the
service handles an event. They live in context variables, which asyncio keeps per task
and a thread per thread, so two events handled side by side never see each other's;
`handling_event` sets them and puts back what was there before when the event is done.
Log messages themselves name ids, counts and causes only: never people's words, names
or tokens.
"""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator, TextIO

from pythonjsonlogger.json import JsonFormatter

# Context variables are per task and per thread by design (not shared state): the one
# standard way to give every log record of an event its ids without passing them around.
_EVENT_ID: ContextVar[str | None] = ContextVar("cocreate_event_id", default=None)
_CITIZEN_ID: ContextVar[int | None] = ContextVar("cocreate_citizen_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(event_id)s %(citizen_id)s"
# Libraries that say too much for a serving process, and the least level they keep.
QUIETER = {
    "httpx": logging.WARNING,  # every request URL, and Bot API URLs contain the token
    # Every answer that is not JSON, whole, with a traceback: the channel's outage log says it once.
    "telegram.request.BaseRequest": logging.CRITICAL,
    # Two lines per job run, every few seconds for the follow-up claim; its warnings and job
    # errors still show (the jobs log what they queue).
    "apscheduler.executors": logging.WARNING,
    # A line per webhook update; failed requests (4xx, 5xx) are still logged.
    "tornado.access": logging.WARNING,
}


@contextmanager
def handling_event(event_id: str) -> Iterator[None]:
    """Records logged inside carry this event id (and the citizen, once `handling_citizen` says)."""
    event, citizen = _EVENT_ID.set(event_id), _CITIZEN_ID.set(None)
    try:
        yield
    finally:
        _CITIZEN_ID.reset(citizen)
        _EVENT_ID.reset(event)


def handling_citizen(citizen_id: int | None) -> None:
    """The person of the event being handled; undone when `handling_event` ends."""
    _CITIZEN_ID.set(citizen_id)


class EventFields(logging.Filter):
    """Adds event_id and citizen_id to every record (None outside an event); a value given
    with `extra=` wins."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "event_id", None) is None:
            record.event_id = _EVENT_ID.get()
        if getattr(record, "citizen_id", None) is None:
            record.citizen_id = _CITIZEN_ID.get()
        return True


class TextFormatter(logging.Formatter):
    """A readable line, ending in the event's ids while one is handled: `... [event 5001, citizen 7]`."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        event, citizen = getattr(record, "event_id", None), getattr(record, "citizen_id", None)
        ids = ([f"event {event}"] if event is not None else []) + ([f"citizen {citizen}"] if citizen is not None else [])
        return f"{line} [{', '.join(ids)}]" if ids else line


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "name": "logger"}, timestamp="time")
    return TextFormatter(TEXT_FORMAT)


def configure_logging(log_format: str, *, stream: TextIO | None = None) -> logging.Handler:
    """Send INFO and above to stderr (or `stream`) in this format; returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(EventFields())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    for name, level in QUIETER.items():
        logging.getLogger(name).setLevel(level)
    return handler
