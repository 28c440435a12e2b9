"""What is kept about one person: everything of it as one document (/mydata, `cocreate
people export`), and forgetting them (/forget, `cocreate people forget`) in one call, in the
caller's transaction.

Forgetting keeps their submissions for the people who support them and for staff, but no
longer as theirs: the person's row becomes a tombstone (channel FORGOTTEN, a random id, no
chat, no name, no language, no consent), so every submission, support and history line still
points at a row and nothing in the database names them. Whoever writes from that account
later is a new person.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, col, select

from conversations.refs import make_ref
from storage import audit, polls, reach_links, teams
from storage.console_models import CachedPhoto, SignInLink, StaffPreference, StaffQuestion, WebSession
from storage.models import (
    A_RESIDENT,
    FORGOTTEN_CHANNEL as FORGOTTEN,
    Broadcast,
    Citizen,
    Conversation,
    DesignOffer,
    FollowUp,
    Idea,
    OutboxMessage,
    ProcessedEvent,
    Problem,
    Reach,
    Staff,
    StatusChange,
    Subscription,
    Support,
)

_TABLES: dict[str, Any] = {"problem": Problem, "idea": Idea, "design": DesignOffer}
_DELIVERED = ("sent", "failed", "blocked")


@dataclass(frozen=True)
class Forgotten:
    kept: tuple[str, ...]  # references of submissions kept, anonymous
    deleted: tuple[str, ...]  # references of submissions deleted with the person


def find_person(session: Session, *, channel: str, user_id: str) -> int | None:
    """The id of the person with this identity, or None."""
    return session.exec(select(Citizen.id).where(Citizen.channel == channel, Citizen.channel_user_id == user_id)).first()


def is_forgotten(citizen: Citizen) -> bool:
    return citizen.channel == FORGOTTEN


def export(session: Session, *, citizen_id: int) -> dict[str, Any]:
    """Everything kept about the person, as JSON-ready data."""
    person = session.get(Citizen, citizen_id)
    if person is None:
        raise LookupError(f"no person {citizen_id}")
    return {
        "identities": [{"channel": person.channel, "user_id": person.channel_user_id, "chat_id": person.chat_id}],
        "name": person.display_name,
        "language": person.language,
        "language_set": person.language_source or "from the app",
        "consented_at": _when(person.consented_at),
        "role": person.role,
        "first_seen": _when(person.created_at),
        "subscriptions": [
            {"topic": s.topic, "area": s.area, "since": _when(s.created_at)}
            for s in session.exec(select(Subscription).where(Subscription.citizen_id == citizen_id).order_by(col(Subscription.id)))
        ],
        "submissions": _submissions(session, citizen_id),
        "supports": [
            {"ref": make_ref(s.kind, s.target_id), "since": _when(s.created_at)}
            for s in session.exec(select(Support).where(Support.citizen_id == citizen_id).order_by(col(Support.id)))
        ],
        "reach_reported": [
            {"broadcast": f"B-{r.broadcast_id}", "people": r.people}
            for r in session.exec(select(Reach).where(Reach.citizen_id == citizen_id))
        ],
        "reach_measured": reach_links.export_of(session, citizen_id=citizen_id),
        "poll_answers": [
            {"poll": f"B-{r.poll_id}", "option": r.option, "other": r.other_text, "language": r.language, "area": r.area,
             "answered_at": _when(r.answered_at)}
            for r in polls.responses_of(session, citizen_id=citizen_id)
        ],
        "messages": [
            {"kind": m.kind, "status": m.status, "queued_at": _when(m.created_at), "sent_at": _when(m.sent_at), "text": m.text}
            for m in session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.citizen_id == citizen_id, OutboxMessage.text != "")
                .order_by(col(OutboxMessage.id))
            )
        ],
    }


def _submissions(session: Session, citizen_id: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for kind, table in _TABLES.items():
        for item in session.exec(select(table).where(table.citizen_id == citizen_id).order_by(col(table.id))):
            data = item.model_dump(exclude={"id", "citizen_id", "photo_file_id", "photo_size"})
            data = {key: _when(value) if isinstance(value, datetime) else value for key, value in data.items()}
            history = session.exec(
                select(StatusChange)
                .where(StatusChange.kind == kind, StatusChange.target_id == item.id)
                .order_by(col(StatusChange.id))
            )
            data["history"] = [
                {"at": _when(h.created_at), "from": h.from_status, "to": h.to_status, "note": h.note} for h in history
            ]
            data["photo"] = bool(getattr(item, "photo_file_id", None))
            found.append({"ref": make_ref(kind, item.id), "kind": kind, **data})
    return found


def deletable(session: Session, *, citizen_id: int) -> list[tuple[str, int]]:
    """The person's submissions nobody else supports and nothing builds on (no idea for the
    problem, no design offer for the idea): those they may delete along with themselves."""
    found: list[tuple[str, int]] = []
    for kind, table in _TABLES.items():
        for id_ in session.exec(select(table.id).where(table.citizen_id == citizen_id)):
            others = session.exec(
                select(func.count()).select_from(Support).where(
                    Support.kind == kind, Support.target_id == id_, Support.citizen_id != citizen_id
                )
            ).one()
            built_on = (
                session.exec(select(func.count()).select_from(Idea).where(Idea.problem_id == id_)).one() if kind == "problem"
                else session.exec(select(func.count()).select_from(DesignOffer).where(DesignOffer.idea_id == id_)).one()
                if kind == "idea" else 0
            )  # fmt: skip
            if not others and not built_on:
                found.append((kind, id_))
    return found


def forget(session: Session, *, citizen_id: int, delete_submissions: bool) -> Forgotten:
    """Forget a person, in the caller's transaction: their identities, name, state,
    subscriptions, messages (pending ones deleted, delivered ones emptied and detached),
    follow-ups, processed event ids naming their chat, staff rights, console sign-ins and
    language, and their identity in the audit log, histories, broadcasts and questions. Their submissions stay, anonymous;
    with `delete_submissions`, those nobody else supports go too."""
    person = session.get(Citizen, citizen_id)
    if person is None or is_forgotten(person):
        raise LookupError(f"no person {citizen_id}")
    identity, chat_id = f"{person.channel}:{person.channel_user_id}", person.chat_id
    gone = deletable(session, citizen_id=citizen_id) if delete_submissions else []
    for kind, id_ in gone:
        _delete_submission(session, kind, id_)
    kept = [make_ref(kind, id_) for kind, table in _TABLES.items() for id_ in session.exec(select(table.id).where(table.citizen_id == citizen_id))]
    own = {kind: [id_ for id_ in session.exec(select(table.id).where(table.citizen_id == citizen_id))] for kind, table in _TABLES.items()}
    for kind, ids in own.items():  # nobody is left to tell
        session.execute(delete(FollowUp).where(col(FollowUp.kind) == kind, col(FollowUp.target_id).in_(ids), col(FollowUp.status) == "pending"))
    session.execute(delete(Subscription).where(col(Subscription.citizen_id) == citizen_id))
    polls.forget_responses(session, citizen_ids=(citizen_id,))
    session.execute(delete(Conversation).where(col(Conversation.citizen_id) == citizen_id))
    _forget_messages(session, citizen_id, person.channel, chat_id, person.channel_user_id)
    _forget_events(session, person.channel, chat_id, person.channel_user_id)
    session.execute(delete(Staff).where(col(Staff.channel) == person.channel, col(Staff.user_id) == person.channel_user_id))
    session.execute(delete(SignInLink).where(col(SignInLink.identity) == identity))
    session.execute(delete(WebSession).where(col(WebSession.identity) == identity))
    session.execute(delete(StaffPreference).where(col(StaffPreference.identity) == identity))
    teams.forget_member(session, identity=identity)
    # What they did as staff stays, by nobody named.
    session.execute(update(StatusChange).where(col(StatusChange.changed_by) == identity).values(changed_by=A_RESIDENT))
    session.execute(update(Broadcast).where(col(Broadcast.created_by) == identity).values(created_by=audit.FORGOTTEN))
    session.execute(update(StaffQuestion).where(col(StaffQuestion.asked_by) == identity).values(asked_by=audit.FORGOTTEN))
    audit.forget_identity(session, identities=(identity,))
    _tombstone(person)
    session.add(person)
    return Forgotten(tuple(kept), tuple(make_ref(kind, id_) for kind, id_ in gone))


def _tombstone(person: Citizen) -> None:
    person.channel, person.channel_user_id = FORGOTTEN, uuid.uuid4().hex
    person.chat_id, person.thread_id, person.display_name = "", None, None
    person.language = person.language_source = person.role = None
    person.consented_at = None
    person.unreachable = True
    # A block is by identity, gone now; its reason is about them.
    person.blocked_at = person.blocked_reason = None
    person.block_notified = False


def _forget_messages(session: Session, citizen_id: int, channel: str, chat_id: str, user_id: str) -> None:
    """Pending messages to them go; delivered ones lose text, buttons, file and address (a
    broadcast's report still counts them)."""
    theirs = or_(
        col(OutboxMessage.citizen_id) == citizen_id,
        (col(OutboxMessage.channel) == channel) & ((col(OutboxMessage.chat_id) == chat_id) | (col(OutboxMessage.user_id) == user_id)),
    )
    session.execute(delete(OutboxMessage).where(theirs, col(OutboxMessage.status).not_in(_DELIVERED)))
    session.execute(
        update(OutboxMessage)
        .where(theirs)
        .values(text="", choices=[], document=None, document_name=None, chat_id="", user_id="", thread_id=None, citizen_id=None)
    )


def _forget_events(session: Session, channel: str, chat_id: str, user_id: str) -> None:
    """Event ids that name their chat (Slack's button presses: "action:<channel>:<ts>")."""
    named = or_(*(col(ProcessedEvent.event_id).contains(value, autoescape=True) for value in {chat_id, user_id} if value))
    session.execute(delete(ProcessedEvent).where(col(ProcessedEvent.channel) == channel, named))


def _delete_submission(session: Session, kind: str, id_: int) -> None:
    table = _TABLES[kind]
    item = session.get(table, id_)
    photo = getattr(item, "photo_file_id", None)
    session.execute(delete(StatusChange).where(col(StatusChange.kind) == kind, col(StatusChange.target_id) == id_))
    session.execute(delete(FollowUp).where(col(FollowUp.kind) == kind, col(FollowUp.target_id) == id_))
    session.execute(delete(StaffQuestion).where(col(StaffQuestion.kind) == kind, col(StaffQuestion.target_id) == id_))
    session.execute(delete(Support).where(col(Support.kind) == kind, col(Support.target_id) == id_))
    teams.unassign(session, kind=kind, target_id=id_)
    if photo:
        session.execute(delete(CachedPhoto).where(col(CachedPhoto.file_id) == photo))
    session.execute(delete(table).where(col(table.id) == id_))


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
