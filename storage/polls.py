"""Polls and their answers. Keyword-only functions over a caller-owned Session; the poll's
message goes out as its broadcast's outbox rows (storage/broadcasts.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from storage.citizens import Concerned
from storage.models import FORGOTTEN_CHANNEL, Citizen, OutboxMessage
from storage.poll_models import Poll, PollCreate, PollResponse
from storage.upsert import insert_or_update


def create(session: Session, *, broadcast_id: int, poll: PollCreate, now: datetime) -> Poll:
    created = Poll(broadcast_id=broadcast_id, created_at=now, **poll.model_dump())
    session.add(created)
    session.flush()
    return created


def poll(session: Session, *, poll_id: int) -> Poll | None:
    return session.get(Poll, poll_id)


def all_polls(session: Session) -> list[Poll]:
    """Every poll, newest first."""
    return list(session.exec(select(Poll).order_by(col(Poll.broadcast_id).desc())))


def response_of(session: Session, *, poll_id: int, citizen_id: int) -> PollResponse | None:
    statement = select(PollResponse).where(PollResponse.poll_id == poll_id, PollResponse.citizen_id == citizen_id)
    return session.exec(statement).first()


def record_response(
    session: Session,
    *,
    poll_id: int,
    citizen_id: int,
    option: int | None,
    other_text: str | None,
    language: str,
    area: str | None,
    now: datetime,
) -> None:
    """One row per person and poll: a later answer replaces the earlier one. Callers check
    first that the poll is open and was sent to the person."""
    values = {
        "poll_id": poll_id, "citizen_id": citizen_id, "option": option, "other_text": other_text,
        "language": language, "area": area, "answered_at": now,
    }  # fmt: skip
    insert_or_update(session, PollResponse, values, keys=("poll_id", "citizen_id"))


@dataclass(frozen=True)
class Tally:
    """How many answered `option` (None: Other) in one language and area (None: none given)."""

    option: int | None
    language: str
    area: str | None
    people: int


def tallies(session: Session, *, poll_id: int) -> list[Tally]:
    """The answers counted per option, language and area, in one grouped query."""
    statement = (
        select(PollResponse.option, PollResponse.language, PollResponse.area, func.count())
        .where(PollResponse.poll_id == poll_id)
        .group_by(PollResponse.option, PollResponse.language, PollResponse.area)
    )
    return [Tally(option, language, area, int(count)) for option, language, area, count in session.exec(statement)]


def other_texts(session: Session, *, poll_id: int) -> list[str]:
    """What people wrote under "Other", oldest first."""
    statement = (
        select(PollResponse.other_text)
        .where(PollResponse.poll_id == poll_id, col(PollResponse.option).is_(None), col(PollResponse.other_text).is_not(None))
        .order_by(col(PollResponse.answered_at), col(PollResponse.id))
    )
    return [text for text in session.exec(statement) if text]


@dataclass(frozen=True)
class Answerer:
    """Someone who answered, where to reach them, and the area their answer counted in."""

    person: Concerned
    area: str | None


def answerers(session: Session, *, poll_id: int) -> list[Answerer]:
    """Who answered and can still be told: agreed, reachable, not blocked, not forgotten."""
    statement = (
        select(Citizen.id, Citizen.channel, Citizen.chat_id, Citizen.channel_user_id, Citizen.thread_id, Citizen.language,
               PollResponse.area)  # columns, not objects: a poll may have many thousands of answerers
        .join(PollResponse, col(PollResponse.citizen_id) == Citizen.id)
        .where(
            PollResponse.poll_id == poll_id,
            col(Citizen.consented_at).is_not(None),
            col(Citizen.unreachable).is_(False),
            col(Citizen.blocked_at).is_(None),
            Citizen.channel != FORGOTTEN_CHANNEL,
        )
        .order_by(col(PollResponse.id))
    )  # fmt: skip
    return [Answerer(Concerned(*person), area) for *person, area in session.exec(statement)]


def claim_due(session: Session, *, now: datetime, limit: int) -> list[Poll]:
    """Lock the open polls whose closing time has come, until the transaction ends (FOR
    UPDATE SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on SQLite), as follow-ups are claimed:
    the caller closes each in this same transaction, so a poll closes once."""
    statement = (
        select(Poll)
        .where(col(Poll.closed_at).is_(None), Poll.closes_at <= now)
        .order_by(col(Poll.closes_at), col(Poll.broadcast_id))
        .limit(limit)
    )
    return list(session.exec(statement.with_for_update(skip_locked=True)))


def lock(session: Session, *, poll_id: int) -> Poll | None:
    """The poll, locked until the transaction ends (closing it, sending its results)."""
    statement = select(Poll).where(Poll.broadcast_id == poll_id).with_for_update()
    # Read afresh: the row may be in this session already, as it was before the lock was had.
    return session.exec(statement.execution_options(populate_existing=True)).first()


def mark_closed(session: Session, *, poll: Poll, now: datetime) -> None:
    """Closed: answers are no longer taken, and its message still waiting for someone (held
    by the daily cap or quiet hours) is not sent, since its buttons would no longer work."""
    poll.closed_at = now
    session.add(poll)
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.broadcast_id) == poll.broadcast_id, col(OutboxMessage.status) == "pending")
        .values(status="blocked", last_error="the poll closed before it was sent")
    )
    session.flush()


def mark_results_sent(session: Session, *, poll: Poll, now: datetime) -> None:
    poll.results_sent_at = now
    session.add(poll)
    session.flush()


def set_outcome(session: Session, *, poll: Poll, outcome: dict[str, str]) -> None:
    poll.outcome = dict(outcome)
    session.add(poll)
    session.flush()


def responses_of(session: Session, *, citizen_id: int) -> list[PollResponse]:
    """Every answer this person gave (for their /mydata), oldest first."""
    return list(session.exec(select(PollResponse).where(PollResponse.citizen_id == citizen_id).order_by(col(PollResponse.id))))


def latest_notice_buttons(session: Session, *, citizen_id: int) -> list[dict[str, str]]:
    """The buttons of the latest message the bot started itself that reached this person (a
    broadcast or a notification): typing one of their labels answers it, as in the terminal."""
    statement = (
        select(OutboxMessage.choices)
        .where(
            OutboxMessage.citizen_id == citizen_id,
            col(OutboxMessage.kind).in_(("broadcast", "notification")),
            OutboxMessage.status == "sent",
        )
        .order_by(col(OutboxMessage.sent_at).desc(), col(OutboxMessage.id).desc())
        .limit(1)
    )
    return list(session.exec(statement).first() or [])


def forget_responses(session: Session, *, citizen_ids: Sequence[int]) -> None:
    """A forgotten person's answers go (their area and what they wrote are about them)."""
    session.execute(delete(PollResponse).where(col(PollResponse.citizen_id).in_(citizen_ids)))
