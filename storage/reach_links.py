"""Measured reach: the personal links in diffusers' ready-to-forward copies, the people who
started the bot through one, and what those people submitted. Keyword-only functions over
a caller-owned Session (tables in storage/reach_models.py)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Sequence

from sqlalchemy import String, and_, case, func, insert, literal, update
from sqlmodel import Session, col, select

from storage.models import Citizen, DesignOffer, Idea, Problem
from storage.reach_models import ReachLink, ReachStart
from storage.upsert import insert_or_ignore

# What a code may look like: Telegram's start parameter allows A-Za-z0-9_- up to 64.
CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CODE_BYTES = 9  # 12 characters of token_urlsafe: 72 random bits, unguessable, still short


# Where a person's link goes in a rendered message; replaced in SQL by their own link.
LINK = "\ue000"


@dataclass(frozen=True)
class LinkPrefixes:
    """What comes before the code, per channel (Telegram's deep link), else `default` (the
    public page)."""

    default: str
    per_channel: Mapping[str, str]


@dataclass(frozen=True)
class Measured:
    """What personal links brought: people who started the bot through them, what those
    people submitted, and how often the public page was opened."""

    started: int = 0
    submitted: int = 0
    visits: int = 0


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def create_links(session: Session, *, broadcast_id: int, recipients: Any) -> None:
    """One link per person `recipients` (a condition on Citizen) selects, for this broadcast."""
    ids = session.exec(select(Citizen.id).where(recipients)).all()
    rows = [{"code": new_code(), "broadcast_id": broadcast_id, "citizen_id": id_} for id_ in ids]
    if rows:
        session.connection().execute(insert(ReachLink.__table__), rows)  # type: ignore[attr-defined]


def personal_text(text: str, prefixes: LinkPrefixes) -> Any:
    """The SQL expression of a message with LINK in it replaced by the person's link: their
    channel's prefix and their code. Used with `links_joined`."""
    before, _, after = text.rpartition(LINK)  # the last one: staff's own text could hold the character
    default = literal(prefixes.default, String)
    choices = [
        (col(Citizen.channel) == channel, literal(value, String)) for channel, value in prefixes.per_channel.items()
    ]
    prefix = case(*choices, else_=default) if choices else default
    return literal(before, String) + prefix + col(ReachLink.code) + literal(after, String)


def links_joined(broadcast_id: int) -> tuple[type[ReachLink], Any]:
    """What to join a recipients' SELECT to for `personal_text`: each person's own link."""
    return ReachLink, and_(col(ReachLink.citizen_id) == Citizen.id, col(ReachLink.broadcast_id) == broadcast_id)


def attribute(session: Session, *, code: str, citizen_id: int, now: datetime) -> bool:
    """Count a person who came through a link, once ever; the caller only asks for people new
    to the bot. An unknown code, or someone's own link, counts nothing. True when counted."""
    if not CODE.match(code):
        return False
    link = session.exec(select(ReachLink.id, ReachLink.citizen_id).where(ReachLink.code == code)).first()
    if link is None or link[1] == citizen_id:
        return False
    return insert_or_ignore(session, ReachStart, {"citizen_id": citizen_id, "link_id": link[0], "started_at": now})


def record_visit(session: Session, *, code: str) -> bool:
    """One more opening of the public page; False for a code that is no link."""
    if not CODE.match(code):
        return False
    statement = update(ReachLink).where(col(ReachLink.code) == code).values(visits=col(ReachLink.visits) + 1)
    return bool(session.connection().execute(statement).rowcount)


def measured_by_broadcast(session: Session, *, broadcast_id: int | None = None) -> dict[int, Measured]:
    """Each broadcast's measured reach, or one broadcast's (broadcasts without links are left
    out)."""
    only = [col(ReachLink.broadcast_id) == broadcast_id] if broadcast_id is not None else []
    return _measured(session, col(ReachLink.broadcast_id), only)


def measured_for_diffuser(session: Session, *, citizen_id: int) -> Measured | None:
    """What this person's links brought, over all broadcasts; None when they had no link."""
    found = _measured(session, col(ReachLink.citizen_id), [col(ReachLink.citizen_id) == citizen_id])
    return found.get(citizen_id)


def _measured(session: Session, key: Any, mine: list[Any]) -> dict[Any, Measured]:
    """Per `key` (a column of ReachLink), over the links `mine` selects."""
    visits = dict(session.exec(select(key, func.sum(ReachLink.visits)).where(*mine).group_by(key)).all())
    started = dict(
        session.exec(
            select(key, func.count())
            .join(ReachStart, col(ReachStart.link_id) == ReachLink.id)
            .where(*mine)
            .group_by(key)
        ).all()
    )
    submitted: dict[Any, int] = {}
    for table in (Problem, Idea, DesignOffer):
        rows = session.exec(
            select(key, func.count())
            .select_from(table)
            .join(ReachStart, col(ReachStart.citizen_id) == table.citizen_id)
            .join(ReachLink, col(ReachLink.id) == ReachStart.link_id)
            .where(*mine)
            .group_by(key)
        ).all()
        for found_key, count in rows:
            submitted[found_key] = submitted.get(found_key, 0) + int(count)
    return {k: Measured(int(started.get(k, 0)), submitted.get(k, 0), int(v or 0)) for k, v in visits.items()}


def export_of(session: Session, *, citizen_id: int) -> dict[str, Any]:
    """What measured reach keeps about a person, for their /mydata: their own links (with how
    many people each brought and page openings) and whether they came through someone's link
    (never whose)."""
    started: dict[int | None, int] = dict(
        session.exec(
            select(col(ReachStart.link_id), func.count()).join(ReachLink, col(ReachLink.id) == ReachStart.link_id)
            .where(ReachLink.citizen_id == citizen_id).group_by(col(ReachStart.link_id))
        ).all()
    )  # fmt: skip
    links = session.exec(select(ReachLink).where(ReachLink.citizen_id == citizen_id).order_by(col(ReachLink.id))).all()
    came = session.exec(select(ReachStart.started_at).where(ReachStart.citizen_id == citizen_id)).first()
    mine = [
        {"broadcast": f"B-{link.broadcast_id}", "code": link.code, "people_started": int(started.get(link.id, 0)),
         "page_visits": link.visits}
        for link in links
    ]  # fmt: skip
    return {"links": mine, "came_through_a_link_at": came.isoformat() if came else None}


def forget_started(session: Session, *, citizen_ids: Sequence[int | None]) -> None:
    """Drop the record of how these people came (they are being removed)."""
    session.execute(ReachStart.__table__.delete().where(col(ReachStart.citizen_id).in_(citizen_ids)))  # type: ignore[attr-defined]
