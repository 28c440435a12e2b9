"""Broadcasts to diffusers: their audience, queueing, reports and reach. Keyword-only functions
over a caller-owned Session. Staff identities are in storage/staff.py, community groups in
storage/community_groups.py."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence

from sqlalchemy import and_, case, exists, func, insert, literal, or_, update
from sqlmodel import Session, col, select

from conversations.context import Following
from conversations.messages import Outbound
from storage import reach_links
from storage.community_groups import groups
from storage.models import Broadcast, Citizen, CommunityGroup, OutboxMessage, Reach, Subscription
from storage.outbox import PRIORITIES
from storage.upsert import insert_or_ignore


@dataclass(frozen=True)
class Audience:
    """Who a broadcast goes to: people who follow at least one topic (their subscriptions
    decide, whatever role they are in now), have agreed and can be reached. Every filter
    that is set must match too."""

    topic: str | None = None
    # Words of the area people gave when subscribing, matched whole-word, case- and
    # accent-insensitively ("penarol" finds "Peñarol Norte"). Community groups have no area.
    area: str | None = None
    language: str | None = None
    channel: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"topic": self.topic, "area": self.area, "language": self.language, "channel": self.channel}

    def described(self) -> str:
        """As the audit log gives it: "topic=roads, area=Centro", or "all"."""
        return ", ".join(f"{key}={value}" for key, value in self.to_json().items() if value) or "all"


def area_words(text: str) -> tuple[str, ...]:
    """An area as comparable words: without accents, case-folded, split at anything that is
    not a letter or digit ("Peñarol-Norte " -> ("penarol", "norte"))."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return tuple(re.findall(r"\w+", plain))


def in_area(words: Sequence[str], wanted: Sequence[str]) -> bool:
    """Whether `wanted` occurs as consecutive whole words in `words`."""
    return any(tuple(words[i : i + len(wanted)]) == tuple(wanted) for i in range(len(words) - len(wanted) + 1))


def _areas_matching(session: Session, area: str) -> list[str]:
    """The areas people gave that match `area`, as they typed them. Compared in Python:
    neither SQLite nor a plain PostgreSQL can drop accents, and people give few distinct areas."""
    wanted = area_words(area)
    given = session.exec(select(Subscription.area).where(col(Subscription.area).is_not(None)).distinct()).all()
    return [a for a in given if a is not None and wanted and in_area(area_words(a), wanted)]


def _recipients(session: Session, audience: Audience, default_language: str) -> Any:
    """People who agreed, can be reached, are not blocked by staff and follow a matching topic
    (in the area, when one is given); each once, however many of their subscriptions match."""
    language = func.coalesce(Citizen.language, default_language)
    follows = [Subscription.citizen_id == Citizen.id]
    if audience.topic:
        follows.append(Subscription.topic == audience.topic)
    if audience.area:
        follows.append(col(Subscription.area).in_(_areas_matching(session, audience.area)))
    conditions = [
        col(Citizen.consented_at).is_not(None),
        col(Citizen.unreachable).is_(False),
        col(Citizen.blocked_at).is_(None),
        exists().where(*follows),
    ]
    if audience.language:
        conditions.append(language == audience.language)
    if audience.channel:
        conditions.append(col(Citizen.channel) == audience.channel)
    return and_(*conditions), language


def _groups(session: Session, audience: Audience) -> list[CommunityGroup]:
    if audience.area:  # a group chat has no area: a broadcast to an area reaches people only
        return []
    return [
        g
        for g in groups(session)
        if (not audience.topic or audience.topic in g.topics) and (not audience.channel or g.channel == audience.channel)
    ]


def audience_size(session: Session, *, audience: Audience, default_language: str) -> dict[str, int]:
    """How many people get it, per language, plus "groups" for community group posts."""
    matching, language = _recipients(session, audience, default_language)
    rows = session.exec(select(language, func.count()).where(matching).group_by(language)).all()
    sizes = {str(lang): int(count) for lang, count in rows}
    groups = len(_groups(session, audience)) if audience.language is None else 0
    return {**sizes, "groups": groups} if groups else sizes


def broadcast_with_key(session: Session, *, idempotency_key: str) -> int | None:
    """The broadcast queued with this idempotency key, if there is one."""
    return session.exec(select(Broadcast.id).where(Broadcast.idempotency_key == idempotency_key)).first()


def queue_broadcast(
    session: Session,
    *,
    text: str,
    audience: Audience,
    created_by: str,
    now: datetime,
    send_after: datetime,
    translations: Mapping[str, str],
    languages: Sequence[str],
    default_language: str,
    message_for: Callable[[int, str, bool], Outbound],
    idempotency_key: str | None = None,
    links: reach_links.LinkPrefixes | None = None,
    to_groups: bool = True,
) -> Broadcast:
    """Create the broadcast and one outbox row per recipient, in this transaction, with
    INSERT ... SELECT (100,000 recipients take seconds, not minutes). `message_for(id,
    language, to_group)` renders the message in a language, for a person or a group;
    without `to_groups`, community groups get none (a poll is answered person by person).
    A second broadcast with the same `idempotency_key` violates its unique index. With
    `links`, each person gets a personal link (storage/reach_links.py) where the rendered
    message has `reach_links.LINK`."""
    broadcast = Broadcast(
        text=text, translations=dict(translations), audience=audience.to_json(), created_by=created_by, created_at=now,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    session.add(broadcast)
    session.flush()
    assert broadcast.id is not None
    matching, language = _recipients(session, audience, default_language)
    if links is not None:
        reach_links.create_links(session, broadcast_id=broadcast.id, recipients=matching)
    for lang in languages:
        outbound = message_for(broadcast.id, lang, False)
        personal = links is not None and reach_links.LINK in outbound.text
        columns = {
            "channel": Citizen.channel,
            "chat_id": Citizen.chat_id,
            "user_id": Citizen.channel_user_id,
            "thread_id": Citizen.thread_id,
            "citizen_id": Citizen.id,
            "text": reach_links.personal_text(outbound.text, links) if personal and links else literal(outbound.text),
            "choices": literal([c.to_json() for c in outbound.choices], OutboxMessage.__table__.c.choices.type),
            "kind": literal("broadcast"),
            "priority": literal(PRIORITIES["broadcast"]),
            "status": literal("pending"),
            "attempts": literal(0),
            "throttled": literal(0),
            "next_attempt_at": literal(send_after, OutboxMessage.__table__.c.next_attempt_at.type),
            "created_at": literal(now, OutboxMessage.__table__.c.created_at.type),
            "broadcast_id": literal(broadcast.id),
        }
        # Someone whose language is no longer offered gets the default language's text.
        in_language = language == lang if lang != default_language else or_(language == lang, language.not_in(languages))
        chosen = select(*[value.label(name) for name, value in columns.items()]).where(matching, in_language)
        if personal:  # each person's own link, made above for everyone `matching`
            chosen = chosen.join_from(Citizen, *reach_links.links_joined(broadcast.id))
        session.connection().execute(insert(OutboxMessage.__table__).from_select(list(columns), chosen))
    for group in _groups(session, audience) if audience.language is None and to_groups else []:
        outbound = message_for(broadcast.id, default_language, True)
        session.add(
            OutboxMessage(
                channel=group.channel, chat_id=group.chat_id, user_id="", text=outbound.text, kind="broadcast",
                priority=PRIORITIES["broadcast"], broadcast_id=broadcast.id, next_attempt_at=send_after, created_at=now,
            )
        )  # fmt: skip
    session.flush()
    # Counted afterwards: drivers do not all report rowcount for INSERT ... SELECT.
    queued = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast.id)
    broadcast.recipients = session.exec(queued).one()
    session.add(broadcast)
    return broadcast


@dataclass(frozen=True)
class BroadcastReport:
    id: int
    created_at: datetime
    text: str
    recipients: int
    sent: int
    pending: int
    failed: int
    blocked: int
    throttled: int
    reach: int


def reports(session: Session, *, broadcast_id: int | None = None) -> list[BroadcastReport]:
    def counted(status: str | tuple[str, ...]) -> Any:
        statuses = (status,) if isinstance(status, str) else status
        return func.coalesce(func.sum(case((col(OutboxMessage.status).in_(statuses), 1), else_=0)), 0)

    per_broadcast = (
        select(
            OutboxMessage.broadcast_id,
            counted("sent").label("sent"),
            counted(("pending", "sending")).label("pending"),
            counted("failed").label("failed"),
            counted("blocked").label("blocked"),
            func.coalesce(func.sum(OutboxMessage.throttled), 0).label("throttled"),
        )
        .where(col(OutboxMessage.broadcast_id).is_not(None))
        .group_by(OutboxMessage.broadcast_id)
        .subquery()
    )
    reach = select(Reach.broadcast_id, func.sum(Reach.people).label("people")).group_by(Reach.broadcast_id).subquery()
    statement = (
        select(Broadcast, per_broadcast, reach.c.people)
        .join(per_broadcast, per_broadcast.c.broadcast_id == Broadcast.id, isouter=True)
        .join(reach, reach.c.broadcast_id == Broadcast.id, isouter=True)
        .order_by(col(Broadcast.id))
    )
    if broadcast_id is not None:
        statement = statement.where(Broadcast.id == broadcast_id)
    found = []
    for row in session.exec(statement):
        b = row[0]
        sent, pending, failed, blocked, throttled = (int(v or 0) for v in row[2:7])
        found.append(
            BroadcastReport(b.id, b.created_at, b.text, b.recipients, sent, pending, failed, blocked, throttled, int(row[7] or 0))
        )
    return found


def was_sent(session: Session, *, broadcast_id: int, citizen_id: int) -> bool:
    """Whether the broadcast was addressed to this person and not held back from them
    (blocked, or stopped before it went). Whether a message arrived is not always known (a
    timeout can hide a delivery), so any other row counts."""
    statement = select(OutboxMessage.id).where(
        OutboxMessage.broadcast_id == broadcast_id,
        OutboxMessage.citizen_id == citizen_id,
        OutboxMessage.status != "blocked",
    )
    return session.exec(statement.limit(1)).first() is not None


def reach_reported(session: Session, *, broadcast_id: int, citizen_id: int) -> int | None:
    """How many people this person said they passed the broadcast on to, if they said."""
    statement = select(Reach.people).where(Reach.broadcast_id == broadcast_id, Reach.citizen_id == citizen_id)
    return session.exec(statement).first()


def record_reach(session: Session, *, broadcast_id: int, citizen_id: int, people: int, now: datetime) -> bool:
    """A diffuser's answer counts once per broadcast: the first one stands. False when they
    had answered before. Callers check `was_sent` first (the broadcast must exist)."""
    values = {"broadcast_id": broadcast_id, "citizen_id": citizen_id, "people": people, "created_at": now}
    return insert_or_ignore(session, Reach, values)


def following(session: Session, *, citizen_id: int) -> Following:
    """The topics a person follows (in the order they chose them) and the area they gave."""
    rows = session.exec(
        select(Subscription.topic, Subscription.area)
        .where(Subscription.citizen_id == citizen_id)
        .order_by(col(Subscription.id))
    ).all()
    return Following(tuple(topic for topic, _ in rows), next((area for _, area in rows if area), None))


def unsubscribe_all(session: Session, *, citizen_id: int) -> None:
    """Stop every update to this person: no subscriptions means no broadcasts, and those
    still waiting for them (held by the daily cap or quiet hours) are not sent either."""
    for subscription in session.exec(select(Subscription).where(Subscription.citizen_id == citizen_id)):
        session.delete(subscription)
    session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.citizen_id) == citizen_id,
            col(OutboxMessage.kind) == "broadcast",
            col(OutboxMessage.status) == "pending",
        )
        .values(status="blocked", last_error="the person stopped these updates")
    )


def broadcasts_sent_since(session: Session, *, citizen_ids: Sequence[int], since: datetime) -> dict[int, list[datetime]]:
    """When each of these people was sent broadcasts after a time, oldest first (for the daily
    cap), in one query for a whole delivery round; people sent none are left out. Strictly
    after: one sent exactly a day ago no longer counts, so a held one can go."""
    rows = session.exec(
        select(OutboxMessage.citizen_id, OutboxMessage.sent_at)
        .where(
            col(OutboxMessage.citizen_id).in_(citizen_ids),
            OutboxMessage.kind == "broadcast",
            OutboxMessage.status == "sent",
            col(OutboxMessage.sent_at) > since,
        )
        .order_by(col(OutboxMessage.sent_at))
    ).all()
    sent: dict[int, list[datetime]] = {}
    for citizen_id, sent_at in rows:
        if citizen_id is not None and sent_at is not None:
            sent.setdefault(citizen_id, []).append(sent_at)
    return sent

