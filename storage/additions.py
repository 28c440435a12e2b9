"""What a supporter adds to an existing report (their own sentence, the place, a location,
a photo), kept as a line of its history so staff see it where they see everything else."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.submissions import TABLES, keep_note

NOTE_LIMIT = 2000  # StatusChange.note


def supporter_note(
    *,
    own: bool,
    description: str,
    place: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    photo_file_id: str | None = None,
) -> str:
    """ "Supporter added: <their words>; place: ...; location: lat, lon; photo: <file id>"."""
    details = []
    if place:
        details.append(f"place: {place}")
    if latitude is not None and longitude is not None:
        details.append(f"location: {latitude:.5f}, {longitude:.5f}")
    if photo_file_id:
        details.append(f"photo: {photo_file_id}")
    tail = "".join(f"; {detail}" for detail in details)
    head = "Reporter added: " if own else "Supporter added: "
    room = NOTE_LIMIT - len(head) - len(tail)
    words = description if len(description) <= room else description[: room - 1] + "…"
    return head + words + tail


def record_additions(
    session: Session, *, kind: str, id_: int, citizen_id: int, note: str, now: datetime
) -> bool:
    """Keep what someone added to a submission in its history (the status stays); False
    when there is no such submission."""
    submission = session.get(TABLES[kind], id_)
    if submission is None:
        return False
    keep_note(session, kind=kind, id_=id_, status=submission.status, note=note, by=f"citizen:{citizen_id}", now=now)
    return True
