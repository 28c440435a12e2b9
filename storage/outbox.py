"""The outbox: every outgoing message is a row until it is sent, failed or blocked.

Rows move pending -> sending (claimed) -> sent | failed | blocked, or back to pending with a
later next_attempt_at. A claim older than the lease (its process died mid-send) is taken back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from typing import Any, Sequence

from sqlalchemy import ColumnElement, Select, delete, exists, func, insert, or_, update
from sqlalchemy.orm import aliased
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from conversations.messages import Address, Outbound, in_parts
from storage.models import Citizen, OutboxMessage

# "farewell" is the last reply to someone just forgotten: sent, then deleted with its address.
PRIORITIES = {"reply": 0, "farewell": 0, "notification": 1, "webhook": 1, "broadcast": 2}
# Kinds whose text is emptied once delivered: the delivery guarantee needs it only until then
# (storage/retention.py); the bot's own news keeps it for /mydata until RETENTION_DAYS.
_EMPTIED_ON_DELIVERY = ("reply",)
# A webhook's body (storage/webhooks.py) goes once the partner has it; a failed one stays (until
# RETENTION_DAYS), so `cocreate webhooks retry` can send it again once the partner is back.
_EMPTIED_ONCE_SENT = ("webhook",)
_ENQUEUE = insert(OutboxMessage.__table__)  # type: ignore[attr-defined]  # Core, built once: runs for every message
CLAIM_LEASE = timedelta(minutes=2)
# Updates by id need none of the ORM's bookkeeping (no object in the session is refreshed).
_CORE = {"synchronize_session": False}


def enqueue(
    session: Session,
    *,
    address: Address,
    replies: Sequence[Outbound],
    citizen_id: int | None,
    now: datetime,
    not_before: datetime | None = None,
) -> None:
    """Queue replies for one address, in order; one too long for a single message is queued
    as its parts, a row each. A Core INSERT: this runs for every message. `not_before` holds
    a message the bot starts itself until quiet hours end."""
    if replies:
        session.connection().execute(_ENQUEUE, _rows(address, replies, citizen_id, now, not_before))


def enqueue_each(
    session: Session,
    *,
    messages: Sequence[tuple[Address, Outbound, int | None]],
    now: datetime,
    not_before: datetime | None = None,
) -> None:
    """Queue one message to each of many people (address, message, citizen id) in one
    executemany, as `enqueue` would one by one (a poll's results to everyone who answered)."""
    rows = [row for address, outbound, citizen_id in messages for row in _rows(address, [outbound], citizen_id, now, not_before)]
    if rows:
        session.connection().execute(_ENQUEUE, rows)


def _rows(
    address: Address, replies: Sequence[Outbound], citizen_id: int | None, now: datetime, not_before: datetime | None
) -> list[dict[str, Any]]:
    return [
        {
            "channel": address.channel,
            "chat_id": address.chat_id,
            "user_id": address.user_id,
            "thread_id": address.thread_id,
            "citizen_id": citizen_id,
            "text": outbound.text,
            "choices": [c.to_json() for c in outbound.choices],
            "kind": outbound.kind,
            "document_name": outbound.document.name if outbound.document else None,
            "document": outbound.document.content if outbound.document else None,
            "priority": PRIORITIES.get(outbound.kind, 1),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": max(now, not_before) if not_before else now,
            "created_at": now,
        }
        for reply in replies
        for outbound in in_parts(reply)
    ]


def claim(
    session: Session,
    *,
    channel: str,
    now: datetime,
    limit: int,
    chat_id: str | None = None,
    per_chat: int | None = None,
    by: str | None = None,
) -> list[OutboxMessage]:
    """Take the next due rows (best priority first, then oldest) and mark them sending,
    claimed `by` the delivering leader's lease: only it may record their outcomes.

    `per_chat` takes at most that many of one chat's rows (its first ones) in this claim:
    a chat with a backlog of hundreds, which its rate limit drains at about one a second,
    then gets its turn beside the others instead of ahead of them.

    On PostgreSQL, FOR UPDATE SKIP LOCKED lets several workers claim without waiting on
    each other; SQLite's BEGIN IMMEDIATE already makes the claim exclusive.
    """
    # Nothing goes to someone who blocked the bot (they are reachable again once they write).
    unreachable = select(Citizen.id).where(col(Citizen.unreachable))
    session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.status) == "pending",
            col(OutboxMessage.channel) == channel,
            col(OutboxMessage.citizen_id).in_(unreachable),
        )
        .values(status="blocked", last_error="recipient unreachable")
    )
    due = or_(
        (col(OutboxMessage.status) == "pending") & (col(OutboxMessage.next_attempt_at) <= now),
        (col(OutboxMessage.status) == "sending") & (col(OutboxMessage.claimed_at) <= now - CLAIM_LEASE),
    ) & ~_waits_behind_an_earlier_one(now)
    statement = select(OutboxMessage).where(OutboxMessage.channel == channel, due)
    if chat_id is not None:
        statement = statement.where(OutboxMessage.chat_id == chat_id)
    elif per_chat is not None:
        statement = statement.where(col(OutboxMessage.id).in_(_first_of_each_chat(channel, due, per_chat)))
    statement = statement.order_by(col(OutboxMessage.priority), col(OutboxMessage.id)).limit(limit)
    # The due condition stays on the locking query too: PostgreSQL checks it again on a row
    # another worker changed meanwhile.
    rows = list(session.exec(statement.with_for_update(skip_locked=True)))
    for row in rows:
        row.status = "sending"
        row.claimed_at = now
        row.claimed_by = by
        row.attempts += 1
        session.add(row)
    return rows


def _waits_behind_an_earlier_one(now: datetime) -> ColumnElement[bool]:
    """A chat's messages of one priority go in order: one waits while an earlier one is
    still to be retried (a 429, a network error), so the parts of a long message never
    arrive out of order. (Rows claimed together go one after another within their chat; a
    row a dead process left `sending` holds nobody up: it is taken back and sent.)"""
    earlier = aliased(OutboxMessage)
    return exists().where(
        earlier.channel == OutboxMessage.channel,
        earlier.chat_id == OutboxMessage.chat_id,
        earlier.priority == OutboxMessage.priority,
        col(earlier.id) < OutboxMessage.id,
        col(earlier.status) == "pending",
        col(earlier.next_attempt_at) > now,
    )


def _first_of_each_chat(channel: str, due: ColumnElement[bool], per_chat: int) -> Select[tuple[int]]:
    """Ids of each chat's first `per_chat` due rows, in the order they are to be sent. (A
    subquery: PostgreSQL allows no window function in a query that locks rows.)"""
    position = (
        func.row_number()
        .over(partition_by=col(OutboxMessage.chat_id), order_by=(col(OutboxMessage.priority), col(OutboxMessage.id)))
        .label("position")
    )
    ranking = select_columns(col(OutboxMessage.id).label("id"), position).where(col(OutboxMessage.channel) == channel, due)
    ranked = ranking.subquery()
    return select_columns(ranked.c.id).where(ranked.c.position <= per_chat)


def mark_sent(session: Session, *, messages: Sequence[tuple[int, str]], now: datetime, by: str | None = None) -> None:
    """These rows, given as (id, kind), were sent. The delivery worker records a round's
    outcomes together, and a round of replies is one statement (see `_delivered`)."""
    _delivered(session, messages, by, status="sent", sent_at=now, claimed_at=None, last_error=None)


def mark_failed(session: Session, *, message_id: int, kind: str, error: str, by: str | None = None) -> None:
    _delivered(session, [(message_id, kind)], by, status="failed", claimed_at=None, last_error=error[:500])


def _delivered(session: Session, messages: Sequence[tuple[int, str]], by: str | None, **values: object) -> None:
    """Done with these rows (sent, failed or blocked), one statement per kind present: a
    reply's text, buttons and file go (nothing from a cancelled dialog stays), a farewell
    goes whole, address and all, and the bot's own news keeps its text for /mydata.

    Only rows still claimed `by` this worker change (`_claimed`): a row deleted while on the
    wire (/forget deletes a person's messages) may have given its id to a new row, which a
    late outcome must not mark; and a row a new leader took back is the new leader's."""
    by_kind: dict[str, list[int]] = {}
    for message_id, kind in messages:
        emptied = kind in _EMPTIED_ON_DELIVERY or (kind in _EMPTIED_ONCE_SENT and values.get("status") == "sent")
        group = "farewell" if kind == "farewell" else "emptied" if emptied else "kept"
        by_kind.setdefault(group, []).append(message_id)
    if "farewell" in by_kind:
        session.execute(delete(OutboxMessage).where(_claimed(by_kind["farewell"], by)), execution_options=_CORE)
    if "emptied" in by_kind:
        emptied = {"text": "", "choices": [], "document": None, "document_name": None}
        statement = update(OutboxMessage).where(_claimed(by_kind["emptied"], by)).values(**values, **emptied)
        session.execute(statement, execution_options=_CORE)
    if "kept" in by_kind:
        statement = update(OutboxMessage).where(_claimed(by_kind["kept"], by)).values(**values)
        session.execute(statement, execution_options=_CORE)


def _claimed(message_ids: Sequence[int], by: str | None) -> ColumnElement[bool]:
    claimer = col(OutboxMessage.claimed_by).is_(None) if by is None else col(OutboxMessage.claimed_by) == by
    return col(OutboxMessage.id).in_(message_ids) & (col(OutboxMessage.status) == "sending") & claimer


def retry_later(
    session: Session,
    *,
    message_id: int,
    at: datetime,
    error: str,
    throttled: bool = False,
    attempt: bool = True,
    by: str | None = None,
) -> None:
    """Back to pending until `at`. `throttled` counts a 429; `attempt=False` (held back, not
    tried) gives back the attempt the claim counted."""
    values: dict[str, object] = {
        "status": "pending", "next_attempt_at": at, "claimed_at": None, "claimed_by": None, "last_error": error[:500]
    }  # fmt: skip
    if throttled:
        values["throttled"] = OutboxMessage.throttled + 1
    if not attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    _set(session, message_id, by, **values)


def reclaim(session: Session, *, channel: str, by: str | None = None) -> int:
    """Rows an earlier leader left claimed go back to pending: the worker claiming `by` its
    new lease is the only one delivering this channel now, and every earlier holder's
    lease ran out (it stopped sending when it could no longer renew). A message that was on
    the wire at the stop (or answered, its outcome not yet written) may thus be sent twice;
    nothing else can."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.channel) == channel,
            col(OutboxMessage.status) == "sending",
            col(OutboxMessage.claimed_by).is_distinct_from(by),
        )
        .values(status="pending", claimed_at=None, claimed_by=None)
    )
    return result.rowcount or 0


def release(session: Session, *, message_ids: Sequence[int], by: str | None = None) -> None:
    """Give back claimed rows that were not sent (shutting down, or a round interrupted by a
    new reply), without counting an attempt: one statement for the lot."""
    session.execute(
        update(OutboxMessage)
        .where(_claimed(message_ids, by))
        .values(status="pending", claimed_at=None, claimed_by=None, attempts=OutboxMessage.attempts - 1),
        execution_options=_CORE,
    )


def mark_blocked(session: Session, *, message_id: int, error: str, by: str | None = None) -> None:
    """The person blocked the bot: this row is blocked, and so is everything else unsent to them."""
    message = session.get(OutboxMessage, message_id)
    if message is None or message.status != "sending" or message.claimed_by != by:
        return  # gone while on the wire (see _delivered), its id perhaps another row's now
    _delivered(session, [(message_id, message.kind)], by, status="blocked", claimed_at=None, last_error=error[:500])
    if message.citizen_id is not None:
        block_recipient(session, citizen_id=message.citizen_id)


def block_recipient(session: Session, *, citizen_id: int) -> None:
    """Mark the person unreachable and block their unsent rows (pending, or claimed in the
    same batch); they get messages again once they write to the bot."""
    citizen = session.get(Citizen, citizen_id)
    if citizen is not None:
        citizen.unreachable = True
        session.add(citizen)
    session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.citizen_id) == citizen_id,
            col(OutboxMessage.status).in_(("pending", "sending")),
        )
        .values(status="blocked", last_error="recipient unreachable")
    )
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.citizen_id) == citizen_id, col(OutboxMessage.status) == "blocked")
        .where(col(OutboxMessage.kind).in_(_EMPTIED_ON_DELIVERY))
        .values(text="", choices=[], document=None, document_name=None)
    )


def _set(session: Session, message_id: int, by: str | None, **values: object) -> None:
    statement = update(OutboxMessage).where(_claimed([message_id], by)).values(**values)
    session.execute(statement, execution_options=_CORE)


def counts(session: Session) -> dict[str, int]:
    """How many messages are in each status (for `cocreate stats`)."""
    rows = session.exec(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    return {status: count for status, count in rows}
