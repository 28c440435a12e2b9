"""Staff decide what other residents see of a submission: hide it (its author is told
politely why) or approve it (MODERATION=pre, or held for abusive words). Shared by
`cocreate moderate`, the chat's /inbox and the staff console; each change is kept in the
submission's history with who made it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.operations import follow_up_messages
from bot.operations.status_changes import StaffActionError
from bot.outbound.notices import Notices
from conversations.i18n import T
from conversations.moderation import HIDDEN, SHOWN
from conversations.refs import is_ref_shaped, make_ref, parse_ref
from conversations.validation import MAX_DESCRIPTION
from storage import audit, safety, submissions

ACTIONS = {"hide": HIDDEN, "approve": SHOWN}
# How a change reads in the history staff see.
_HISTORY = {"hide": "Hidden from other residents", "approve": "Approved: shown to other residents"}


@dataclass(frozen=True)
class Moderated:
    ref: str
    previous: str  # shown, pending or hidden
    moderation: str
    private: bool  # kept for the city team only whatever staff decide
    author_told: bool


def moderate(
    session: Session, *, ref: str, action: str, note: str | None, by: str, now: datetime, notices: Notices, via: str
) -> Moderated:
    """`by` made it from `via` (cli, chat, console): both go into the audit log."""
    kind, id_ = _checked(ref, action, note)
    summary = submissions.summary_of(session, kind=kind, id=id_)
    if summary is None:
        raise StaffActionError(f"{make_ref(kind, id_)} does not exist")
    moderation = ACTIONS[action]
    item, previous = safety.set_moderation(session, kind=kind, id_=id_, moderation=moderation)
    if previous == moderation:
        raise StaffActionError(f"{summary.ref} is already {'hidden' if moderation == HIDDEN else 'shown'}")
    text = _HISTORY[action] + (f": {note}" if note else "")
    submissions.keep_note(session, kind=kind, id_=id_, status=summary.status, note=text, by=by, now=now)
    audit.record(session, actor=by, via=via, action=action, target=summary.ref, detail=note or "", now=now)
    told = False
    if action == "hide":
        author = submissions.submitter(session, kind=kind, id_=id_)
        if author is not None:
            reason = T("moderation.reason", note=note) if note else ""
            notices.send(session, to=author, text=T("moderation.hidden", ref=summary.ref, title=summary.title, reason=reason), now=now)
            told = True
    elif kind == "idea" and previous == "pending":
        # The idea's problem's reporter hears about it now that residents may see it.
        follow_up_messages.tell_reporter_about_idea(session, idea_id=id_, by_citizen=item.citizen_id, now=now, notices=notices)
    return Moderated(summary.ref, previous, moderation, item.private, told)


def _checked(ref: str, action: str, note: str | None) -> tuple[str, int]:
    parsed = parse_ref(ref)
    if parsed is None and is_ref_shaped(ref):
        raise StaffActionError(f"{ref.strip().upper()} does not exist")
    if parsed is None:
        raise StaffActionError(f"{ref!r} is not a reference like P-12 or I-7")
    if action not in ACTIONS:
        raise StaffActionError(f"{action!r} is not an action; use hide or approve")
    if parsed[0] not in safety.MODERATED:
        raise StaffActionError(f"{make_ref(*parsed)} is a design offer: it has no text other residents see")
    if note and len(note) > MAX_DESCRIPTION:
        raise StaffActionError(f"The note is {len(note):,} characters long; notes are at most {MAX_DESCRIPTION:,}")
    return parsed
