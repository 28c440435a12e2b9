"""Webhooks: partners' URLs, the events they get, and how their deliveries went.
Keyword-only functions over a caller-owned Session.

Each event to each subscribed hook is an outbox row on channel "webhook" whose chat_id is the
hook's id (so the delivery worker's fair per-chat claim keeps one slow partner from holding up
another), its text the JSON body; bot/outbound/webhook_sender.py signs and POSTs it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, update
from sqlmodel import Session, col, select

from storage.models import OutboxMessage
from storage.partner_models import Webhook, WebhookCreate

CHANNEL = "webhook"
KIND = "webhook"  # the outbox kind: its body is emptied once delivered (storage/outbox.py)
PRIORITY = 1  # with notifications: after people's replies, before broadcasts


@dataclass(frozen=True)
class HookReport:
    """How a hook's deliveries went: counts per outcome, and the latest error it got."""

    delivered: int = 0
    pending: int = 0
    failed: int = 0
    last_error: str | None = None


def add_hook(session: Session, *, hook_in: WebhookCreate, created_by: str, now: datetime) -> Webhook:
    hook = Webhook.model_validate(hook_in, update={"created_by": created_by, "created_at": now})
    session.add(hook)
    session.flush()
    return hook


def remove_hook(session: Session, *, hook_id: int) -> bool:
    """Remove a hook; what it was still to get is marked failed, so nothing disappears unseen."""
    hook = session.get(Webhook, hook_id)
    if hook is None:
        return False
    session.execute(
        update(OutboxMessage)
        .where(_of_hook(hook_id), col(OutboxMessage.status).in_(("pending", "sending")))
        .values(status="failed", last_error="webhook removed", text="", claimed_at=None)
    )
    session.delete(hook)
    return True


def retry_failed(session: Session, *, hook_id: int, now: datetime) -> int:
    """Queue a hook's failed events again, as new (all its tries); how many. Those whose body
    is gone (older than RETENTION_DAYS) cannot be sent again."""
    result = session.execute(
        update(OutboxMessage)
        .where(_of_hook(hook_id), col(OutboxMessage.status) == "failed", col(OutboxMessage.text) != "")
        .values(status="pending", attempts=0, next_attempt_at=now, last_error=None, claimed_at=None)
    )
    return result.rowcount or 0


def hooks(session: Session) -> list[Webhook]:
    return list(session.exec(select(Webhook).order_by(col(Webhook.id))))


def hook(session: Session, *, hook_id: int) -> Webhook | None:
    return session.get(Webhook, hook_id)


def subscribed(session: Session, *, event: str) -> list[Webhook]:
    """The hooks that get this event (compared in Python: a JSON list, and hooks are few)."""
    return [found for found in hooks(session) if event in found.events]


def queue_event(session: Session, *, hook_id: int, body: str, now: datetime) -> None:
    """One event for one hook, in the caller's transaction (the one of what it reports).
    Never split like a chat message: the body is one JSON document."""
    chat = str(hook_id)
    session.add(
        OutboxMessage(
            channel=CHANNEL, chat_id=chat, user_id=chat, text=body, kind=KIND, priority=PRIORITY,
            status="pending", attempts=0, next_attempt_at=now, created_at=now,
        )  # fmt: skip
    )


def reports(session: Session) -> dict[int, HookReport]:
    """Each hook's delivered / pending (sending counts as pending) / failed counts and the
    error of its latest row that had one: two grouped statements for all hooks."""
    counted = session.exec(
        select(OutboxMessage.chat_id, OutboxMessage.status, func.count())
        .where(OutboxMessage.channel == CHANNEL)
        .group_by(col(OutboxMessage.chat_id), col(OutboxMessage.status))
    ).all()
    latest = (
        select(func.max(OutboxMessage.id))
        .where(OutboxMessage.channel == CHANNEL, col(OutboxMessage.last_error).is_not(None))
        .group_by(col(OutboxMessage.chat_id))
    )
    errors = dict(
        session.exec(select(OutboxMessage.chat_id, OutboxMessage.last_error).where(col(OutboxMessage.id).in_(latest))).all()
    )
    totals: dict[str, dict[str, int]] = {}
    for chat_id, status, count in counted:
        bucket = "delivered" if status == "sent" else "failed" if status == "failed" else "pending"
        totals.setdefault(chat_id, {}).setdefault(bucket, 0)
        totals[chat_id][bucket] += count
    return {
        int(chat_id): HookReport(**totals.get(chat_id, {}), last_error=errors.get(chat_id))
        for chat_id in {*totals, *errors}
        if chat_id.isdigit()
    }


def _of_hook(hook_id: int) -> ColumnElement[bool]:
    return (col(OutboxMessage.channel) == CHANNEL) & (col(OutboxMessage.chat_id) == str(hook_id))
