"""Events for partners' webhooks, queued in the transaction of what they report (so none is
lost): one outbox row per subscribed hook, delivered by bot/outbound/webhook_sender.py.

A body is `{"type": EVENT, "timestamp": ISO 8601, "data": {...}}` (the Standard Webhooks
payload shape). By default it carries no personal data: references, kinds, categories,
statuses, times, and the text and place of a submission unless its author kept contact
details in it for the city team only (`private`); never a name or a channel id. A hook added
with --include-personal-data also gets the submitter's name, and the text and place even of a
private submission. README lists each event's data."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Sequence

from sqlmodel import Session

from conversations.refs import make_ref
from storage import submissions, teams, webhooks
from storage.partner_models import Webhook

SUBMISSION_CREATED = "submission.created"
STATUS_CHANGED = "status.changed"
SUBMISSION_MERGED = "submission.merged"
SUBMISSION_ASSIGNED = "submission.assigned"
BROADCAST_QUEUED = "broadcast.queued"
EVENTS = (SUBMISSION_CREATED, STATUS_CHANGED, SUBMISSION_MERGED, SUBMISSION_ASSIGNED, BROADCAST_QUEUED)


def submission_created(session: Session, *, kind: str, id_: int, team: str | None, now: datetime) -> None:
    listening = webhooks.subscribed(session, event=SUBMISSION_CREATED)
    if not listening:
        return  # nobody listens: not even the read of the submission
    found = submissions.details(session, kind=kind, id_=id_)
    if found is None:
        return
    subject = teams.subject_of(session, kind=kind, id_=id_)
    facts, private = found.facts, found.facts.private
    location = facts.location
    text = {
        "title": found.summary.title,
        "description": found.description if kind != "design" else None,
        "place": facts.place,
        "latitude": location.latitude if location else None,
        "longitude": location.longitude if location else None,
    }
    data = {
        "ref": found.summary.ref,
        "kind": kind,
        "category": subject.category if subject else None,
        "status": found.summary.status,
        "language": found.language,
        "created_at": found.created_at.isoformat(),
        "for_ref": make_ref(*facts.for_item) if facts.for_item else None,
        "team": team,
        "private": private,
        "moderation": facts.moderation,
        **({name: None for name in text} if private else text),
    }
    personal = {**text, "submitter_name": facts.submitter.name if facts.submitter else None}
    _emit(session, SUBMISSION_CREATED, now, data, personal, listening=listening)


def status_changed(
    session: Session, *, ref: str, previous: str, status: str, note: str | None, duplicate_of: str | None, now: datetime
) -> None:
    """A status change (the note is what the people concerned were told); a merge into an
    original is also a submission.merged."""
    data = {"ref": ref, "from": previous, "to": status, "note": note, "changed_at": now.isoformat()}
    _emit(session, STATUS_CHANGED, now, data)
    if status == "duplicate" and duplicate_of:
        _emit(session, SUBMISSION_MERGED, now, {"ref": ref, "into": duplicate_of, "merged_at": now.isoformat()})


def submission_assigned(session: Session, *, ref: str, team: str, previous: str | None, now: datetime) -> None:
    _emit(session, SUBMISSION_ASSIGNED, now, {"ref": ref, "team": team, "previous_team": previous, "assigned_at": now.isoformat()})


def broadcast_queued(
    session: Session, *, broadcast_id: int, text: str, audience: dict[str, Any], recipients: int, now: datetime
) -> None:
    """A broadcast staff queued (its text in the default language: news meant to be passed on)."""
    data = {
        "broadcast": f"B-{broadcast_id}", "text": text, "audience": audience, "recipients": recipients,
        "queued_at": now.isoformat(),
    }  # fmt: skip
    _emit(session, BROADCAST_QUEUED, now, data)


def _emit(
    session: Session, event: str, now: datetime, data: dict[str, Any], personal: dict[str, Any] | None = None,
    *, listening: Sequence[Webhook] | None = None,
) -> None:
    """One row per hook that gets `event` (`listening`, when the caller has read them): those
    that asked for personal data get `personal` merged into the data."""
    bodies: dict[bool, str] = {}
    for hook in webhooks.subscribed(session, event=event) if listening is None else listening:
        assert hook.id is not None
        with_personal = hook.include_personal_data and personal is not None
        if with_personal not in bodies:
            payload = {**data, **(personal or {})} if with_personal else data
            bodies[with_personal] = json.dumps(
                {"type": event, "timestamp": now.isoformat(), "data": payload}, ensure_ascii=False, separators=(",", ":")
            )
        webhooks.queue_event(session, hook_id=hook.id, body=bodies[with_personal], now=now)
