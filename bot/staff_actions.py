"""What staff do to submissions: change a status (with its history) and tell the people
concerned — the submitter and every supporter — in their language, through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from conversations.i18n import Catalogs, T
from conversations.messages import Address, Outbound
from conversations.refs import make_ref, parse_ref
from storage import outbox, submissions
from storage.models import STATUSES


class StaffActionError(ValueError):
    """A change that cannot be made; the message says why."""


@dataclass(frozen=True)
class StatusChanged:
    ref: str
    previous: str
    status: str
    notified: int


def change_status(
    session: Session,
    *,
    ref: str,
    status: str,
    note: str | None,
    by: str,
    duplicate_of: str | None,
    now: datetime,
    catalogs: Catalogs,
    default_language: str,
) -> StatusChanged:
    parsed = parse_ref(ref)
    if parsed is None:
        raise StaffActionError(f"{ref!r} is not a reference like P-12, I-7 or D-3")
    kind, id_ = parsed
    if status not in STATUSES:
        raise StaffActionError(f"{status!r} is not a status; use one of: {', '.join(STATUSES)}")
    if status == "declined" and not (note and note.strip()):
        raise StaffActionError("Declining needs a reason: add --note TEXT (the people concerned will read it)")
    original = parse_ref(duplicate_of) if duplicate_of else None
    if status == "duplicate" and (original is None or original[0] != kind or original[1] == id_):
        raise StaffActionError(f"Marking a duplicate needs --of with another {kind} reference, e.g. --of {make_ref(kind, 1)}")
    summary = submissions.summary_of(session, kind=kind, id=id_)
    if summary is None:
        raise StaffActionError(f"{make_ref(kind, id_)} does not exist")
    if summary.status == status:
        raise StaffActionError(f"{summary.ref} is already {status}")
    try:
        previous = submissions.change_status(
            session, kind=kind, id_=id_, status=status, note=note, by=by, duplicate_of=original[1] if original else None
        )
    except LookupError as error:
        raise StaffActionError(str(error)) from None
    people = submissions.concerned(session, kind=kind, id_=id_)
    for person in people:
        language = person.language or default_language
        text = T(
            "notify.status",
            ref=summary.ref,
            title=summary.title,
            status=T(f"status.{status}"),
            note=T("notify.note", note=note) if note else "",
            next=T(f"notify.next.{status}", original=duplicate_of.upper() if duplicate_of else ""),
        )
        address = Address(person.channel, person.chat_id, person.user_id, person.thread_id)
        message = Outbound(catalogs.render(language, text), kind="notification")
        outbox.enqueue(session, address=address, replies=[message], citizen_id=person.citizen_id, now=now)
    return StatusChanged(summary.ref, previous, status, len(people))
