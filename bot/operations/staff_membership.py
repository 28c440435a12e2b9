"""Who is staff, changed the same way by `cocreate staff add|remove` and the console's People
page: the change, its audit row, and (on removal) the end of the person's console sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlmodel import Session

from storage import audit, staff, web_access


def add_staff(session: Session, *, identity: str, actor: str, via: str, now: datetime) -> bool:
    """Make CHANNEL:ID staff; False when they already were (in the database)."""
    added = staff.add_staff(session, address=identity)
    detail = "" if added else "already staff"
    audit.record(session, actor=actor, via=via, action="staff_add", target=identity, detail=detail, now=now)
    return added


def remove_staff(
    session: Session, *, identity: str, configured: Sequence[str], actor: str, via: str, now: datetime
) -> bool:
    """Take staff rights away (False when they were not staff in the database). Unless the
    STAFF setting still names them, their console sessions end here for good: being added
    again later must not bring an old session back."""
    removed = staff.remove_staff(session, address=identity)
    detail = "" if removed else "was not staff"
    audit.record(session, actor=actor, via=via, action="staff_remove", target=identity, detail=detail, now=now)
    if identity not in configured:
        web_access.end_sessions_of(session, identity=identity, now=now)
    return removed
