"""The audit log: every staff action, who did it, from where, and when.

The API is small on purpose; anything staff do calls `record` in the transaction of the
action itself, so an action and its audit row commit or roll back together:

    audit.record(session, actor="cli:alice", via="cli", action="status", target="P-12",
                 detail="new -> accepted")

- `actor`: who, as the history shows it: `cli:<os user>` for the command line, the staff
  identity (`telegram:5001`, `slack:U0123`) for a chat or the staff console.
- `via`: where from: "cli", "chat" or "console" (VIAS).
- `action`: a short word (status, note, merge, broadcast, staff_add, staff_remove, group_add,
  group_remove, export, forget, sign_in_link, sign_in, sign_out, question, ...).
- `target`: what it was done to (a reference, an identity, `B-3`), "" when nothing.
- `detail`: a line of anything worth knowing (kept short; never a person's text in full).

`entries` lists them (for `cocreate audit`); `forget_identity` removes a person's identity
from the rows that name them, keeping the rows themselves (storage/personal_data.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from storage.models import AuditEntry
from storage.types import utcnow

VIAS = ("cli", "chat", "console")
FORGOTTEN = "(a forgotten person)"
MAX_DETAIL = 2000


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str
    via: str
    action: str
    target: str
    detail: str


def record(
    session: Session, *, actor: str, via: str, action: str, target: str = "", detail: str = "", now: datetime | None = None
) -> None:
    """Add one row to the audit log, in the caller's transaction."""
    if via not in VIAS:
        raise ValueError(f"via must be one of {', '.join(VIAS)}, not {via!r}")
    session.add(
        AuditEntry(
            at=now or utcnow(), actor=actor[:160], via=via, action=action[:32], target=target[:160], detail=detail[:MAX_DETAIL]
        )
    )


def entries(session: Session, *, since: datetime | None = None, who: str | None = None, limit: int = 1000) -> list[Entry]:
    """The newest entries first; `who` matches the actor exactly, or the user behind `cli:`."""
    statement = select(AuditEntry)
    if since is not None:
        statement = statement.where(col(AuditEntry.at) >= since)
    if who:
        statement = statement.where(or_(col(AuditEntry.actor) == who, col(AuditEntry.actor) == f"cli:{who}"))
    statement = statement.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc()).limit(limit)
    return [Entry(r.at, r.actor, r.via, r.action, r.target, r.detail) for r in session.exec(statement)]


def forget_identity(session: Session, *, identities: Sequence[str]) -> None:
    """The rows naming these identities stay, without them: as actor or target they become
    FORGOTTEN, and a detail mentioning one, or about one (a block's reason), is emptied."""
    for identity in (i for i in identities if i):
        session.execute(update(AuditEntry).where(col(AuditEntry.actor) == identity).values(actor=FORGOTTEN))
        session.execute(update(AuditEntry).where(col(AuditEntry.target) == identity).values(target=FORGOTTEN, detail=""))
        session.execute(
            update(AuditEntry).where(col(AuditEntry.detail).contains(identity, autoescape=True)).values(detail="")
        )
