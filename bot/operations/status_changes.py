"""What staff do to submissions: change a status (with its history) and tell the people
concerned — the submitter and every supporter — in their language, through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.operations import webhook_events
from bot.outbound.notices import Notices
from conversations.i18n import T
from conversations.refs import CLOSED_STATUSES, STATUSES, is_ref_shaped, make_ref, parse_ref
from conversations.validation import MAX_DESCRIPTION
from storage import audit, followups, safety, submissions


class StaffActionError(ValueError):
    """A change that cannot be made; the message says why."""


@dataclass(frozen=True)
class StatusChanged:
    ref: str
    previous: str
    status: str
    notified: int  # people told about it (0 for a note alone, which only staff see)
    cancelled_follow_ups: tuple[int, ...] = ()  # the follow-ups that will no longer be sent

    @property
    def noted_only(self) -> bool:
        return self.previous == self.status


def change_status(
    session: Session,
    *,
    ref: str,
    status: str,
    note: str | None,
    by: str,
    duplicate_of: str | None,
    now: datetime,
    notices: Notices,
    via: str,
) -> StatusChanged:
    """Move a submission to `status` and tell the people concerned. The same status with a
    note adds the note to the history only (a remark among staff). `by` made it from `via`
    (cli, chat, console): both go into the audit log."""
    kind, id_ = _checked(ref, status, note, duplicate_of)
    summary = submissions.summary_of(session, kind=kind, id=id_)
    if summary is None:
        raise StaffActionError(f"{make_ref(kind, id_)} does not exist")
    if summary.status == status and not note:
        raise StaffActionError(f"{summary.ref} is already {status}")
    original = parse_ref(duplicate_of) if duplicate_of else None
    try:
        previous = submissions.change_status(
            session, kind=kind, id_=id_, status=status, note=note, by=by,
            duplicate_of=original[1] if original else None, now=now,
        )  # fmt: skip
    except LookupError as error:
        raise StaffActionError(str(error)) from None
    action = "note" if previous == status else "merge" if status == "duplicate" else "status"
    detail = f"{previous} -> {status}" + (f" of {make_ref(*original)}" if original else "") + (f": {note[:200]}" if note else "")
    audit.record(session, actor=by, via=via, action=action, target=summary.ref, detail=detail, now=now)
    if previous == status:
        return StatusChanged(summary.ref, previous, status, 0)
    webhook_events.status_changed(
        session, ref=summary.ref, previous=previous, status=status, note=note,
        duplicate_of=make_ref(*original) if original else None, now=now,
    )  # fmt: skip
    cancelled = followups.cancel_remaining(session, kind=kind, target_id=id_) if status in CLOSED_STATUSES else []
    # Supporters of something hidden from residents (or never shown) hear nothing of it.
    shown = safety.is_shown(session, kind=kind, id_=id_)
    people = submissions.concerned(session, kind=kind, id_=id_, supporters_too=shown)
    text = T(
        "notify.status",
        ref=summary.ref,
        title=summary.title,
        status=T(f"status.{status}"),
        note=T("notify.note", note=note) if note else "",
        next=T(f"notify.next.{status}", original=make_ref(*original) if original else ""),
    )
    for person in people:
        notices.send(session, to=person, text=text, now=now)
    return StatusChanged(summary.ref, previous, status, len(people), tuple(cancelled))


def parsed_ref(ref: str) -> tuple[str, int]:
    """The kind and number of a reference staff typed; StaffActionError says why there are
    none (a reference-shaped one too large to exist is said not to exist)."""
    parsed = parse_ref(ref)
    if parsed is None and is_ref_shaped(ref):
        raise StaffActionError(f"{ref.strip().upper()} does not exist")
    if parsed is None:
        raise StaffActionError(f"{ref!r} is not a reference like P-12, I-7 or D-3")
    return parsed


def _checked(ref: str, status: str, note: str | None, duplicate_of: str | None) -> tuple[str, int]:
    kind, id_ = parsed_ref(ref)
    if status not in STATUSES:
        raise StaffActionError(f"{status!r} is not a status; use one of: {', '.join(STATUSES)}")
    if status == "declined" and not (note and note.strip()):
        raise StaffActionError("Declining needs a reason: add --note TEXT (the people concerned will read it)")
    if note and len(note) > MAX_DESCRIPTION:
        raise StaffActionError(f"The note is {len(note):,} characters long; notes are at most {MAX_DESCRIPTION:,}")
    original = parse_ref(duplicate_of) if duplicate_of else None
    if duplicate_of and original is None and is_ref_shaped(duplicate_of):
        raise StaffActionError(f"{duplicate_of.strip().upper()} does not exist")
    if status == "duplicate" and (original is None or original[0] != kind or original[1] == id_):
        raise StaffActionError(f"Marking a duplicate needs --of with another {kind} reference, e.g. --of {make_ref(kind, 1)}")
    return kind, id_
