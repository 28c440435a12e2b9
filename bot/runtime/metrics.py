"""Prometheus metrics (the official prometheus_client), one registry per App: never the
library's global REGISTRY, so every App (and every test's) counts on its own.

Counters and the latency histogram are incremented where things happen (the service, the
delivery worker, the scheduler, the election); the backlog (outbox depth, the age of its
oldest due row, follow-ups due) is read from the database at each scrape by a collector.
Labels are channels, kinds, outcomes and roles: nothing about anyone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from adapters.base import Blocked, RetryAfter, SendResult, Sent, TemporaryError
from bot.runtime.outage import Outage
from storage import monitoring

log = logging.getLogger(__name__)
# From "answered at once" to "something is wrong": a reply normally goes out within a second.
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)


def outcome_of(result: SendResult) -> str:
    """What became of one send, as the outcomes counter labels it."""
    if isinstance(result, Sent):
        return "sent"
    if isinstance(result, (RetryAfter, TemporaryError)):
        return "retried"
    return "blocked" if isinstance(result, Blocked) else "failed"


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    inbound: Counter
    outcomes: Counter
    throttled: Counter
    reply_latency: Histogram
    follow_ups_sent: Counter
    leader: Gauge

    @classmethod
    def create(cls) -> Metrics:
        registry = CollectorRegistry()  # (no auto_describe: it would query the database at registration)
        return cls(
            registry=registry,
            inbound=Counter(
                "cocreate_inbound_events", "Events people sent, by channel and what became of them "
                "(handled, duplicate: a redelivery, dropped: the flood gate or a block).",
                ["channel", "outcome"], registry=registry,
            ),
            outcomes=Counter(
                "cocreate_outbox_sends", "Sends of outbox messages by channel, kind (reply, notification, "
                "broadcast, farewell) and outcome (sent, retried, failed, blocked).",
                ["channel", "kind", "outcome"], registry=registry,
            ),
            throttled=Counter(
                "cocreate_throttled", "429 answers (rate limited) by channel.", ["channel"], registry=registry
            ),
            reply_latency=Histogram(
                "cocreate_reply_latency_seconds", "From an event's handling to its reply's delivery, by channel.",
                ["channel"], buckets=LATENCY_BUCKETS, registry=registry,
            ),
            follow_ups_sent=Counter("cocreate_follow_ups_sent", "Follow-up messages queued.", registry=registry),
            leader=Gauge("cocreate_leader", "1 where this process leads the role (delivery:CHANNEL, scheduler).",
                         ["role"], registry=registry),
        )  # fmt: skip

    def watch(self, database: Engine, clock: Callable[[], datetime]) -> None:
        """Read the backlog from this database at each scrape."""
        self.registry.register(_Backlog(database, clock))

    def record_lead(self, role: str, leading: bool) -> None:
        self.leader.labels(role=role).set(1 if leading else 0)

    def record_send(self, channel: str, kind: str, result: SendResult, *, latency: float | None) -> None:
        self.outcomes.labels(channel=channel, kind=kind, outcome=outcome_of(result)).inc()
        if isinstance(result, RetryAfter):
            self.throttled.labels(channel=channel).inc()
        if latency is not None and isinstance(result, Sent) and kind == "reply":
            self.reply_latency.labels(channel=channel).observe(max(0.0, latency))

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes. Reads the database: run it on its thread."""
        return generate_latest(self.registry)


@dataclass(frozen=True, eq=False)  # the registry keys collectors by identity
class _Backlog(Collector):
    database: Engine
    clock: Callable[[], datetime]
    # Scrapes come every few seconds: a database that cannot answer them is logged once.
    outage: Outage = field(default_factory=lambda: Outage("the database (metrics)", log))

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("cocreate_database_up", "1 when the database answered this scrape's queries.")
        try:
            families = list(self._read())
        except DBAPIError as error:  # down, locked, or not a database at all: the scrape still answers
            self.outage.note(error)
            up.add_metric([], 0)
            yield up
            return
        self.outage.succeeded()
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self) -> Iterator[GaugeMetricFamily]:
        now = self.clock()
        with Session(self.database) as session:
            depth, oldest = monitoring.outbox_depth(session), monitoring.oldest_due(session, now=now)
            due = monitoring.follow_ups_due(session, now=now)
        rows = GaugeMetricFamily(
            "cocreate_outbox_depth", "Undelivered outbox messages by channel, kind and status (pending, sending).",
            labels=["channel", "kind", "status"],
        )  # fmt: skip
        for found in depth:
            rows.add_metric([found.channel, found.kind, found.status], found.rows)
        yield rows
        age = GaugeMetricFamily(
            "cocreate_outbox_oldest_due_age_seconds",
            "Per channel, how long ago the oldest message that should be going out now was queued "
            "(messages held for later count once due).",
            labels=["channel"],
        )
        for channel, queued_at in oldest.items():
            age.add_metric([channel], max(0.0, (now - queued_at).total_seconds()))
        yield age
        yield GaugeMetricFamily("cocreate_follow_ups_due", "Follow-ups due and not sent yet.", value=due)
