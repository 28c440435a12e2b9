"""Design teams: which ideas have the support and the designers to form one, the designers
who agreed to be contacted, and the team's space once formed (storage/design_team_models.py).
Keyword-only functions over a caller-owned Session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from conversations.refs import OPEN_STATUSES, make_ref
from storage.design_team_models import DesignTeam
from storage.models import FORGOTTEN_CHANNEL, Citizen, DesignOffer, Idea, Problem, Support
from storage.safety import is_shown, shown_to_residents

MIN_OFFERS = 2  # design offers with contact consent a team needs, besides TEAM_SUPPORTERS
# Offers that still stand: one declined or merged away does not make a team.
STANDING_OFFERS = ("new", "under_review", "accepted", "in_progress")


@dataclass(frozen=True)
class IdeaForTeam:
    """An idea with what a design team needs: supporters and designers who may be contacted."""

    id: int
    ref: str
    title: str
    status: str
    supporters: int
    offers: int  # standing design offers whose designers agreed to be contacted
    ready: bool
    formed: bool


@dataclass(frozen=True)
class Designer:
    citizen_id: int
    channel: str
    user_id: str
    chat_id: str
    thread_id: str | None
    first_name: str | None
    language: str | None
    skills: tuple[str, ...]
    hours: str


def _counts() -> tuple[Any, Any]:
    supporters = (
        select(func.count(col(Support.id))).where(Support.kind == "idea", Support.target_id == Idea.id)
        .correlate(Idea).scalar_subquery()
    )  # fmt: skip
    offers = (
        select(func.count(col(DesignOffer.id)))
        .join(Citizen, col(Citizen.id) == DesignOffer.citizen_id)
        .where(DesignOffer.idea_id == Idea.id, col(DesignOffer.contact_ok).is_(True), *_reachable_offer())
        .correlate(Idea).scalar_subquery()
    )  # fmt: skip
    return supporters, offers


def _reachable_offer() -> list[Any]:
    return [
        col(DesignOffer.status).in_(STANDING_OFFERS),
        col(Citizen.channel) != FORGOTTEN_CHANNEL,
        col(Citizen.blocked_at).is_(None),
    ]


def ideas_for_teams(session: Session, *, min_supporters: int, ready_only: bool = False) -> list[IdeaForTeam]:
    """Open ideas, readiest first (ready, then most supporters); formed teams say so."""
    supporters, offers = _counts()
    formed = select(DesignTeam.idea_id).where(col(DesignTeam.formed_at).is_not(None))
    shown = shown_to_residents(Idea)  # a team would see it: held, hidden or private ones wait
    statement = select(  # type: ignore[call-overload]  # sqlmodel's overloads stop at four columns
        Idea.id, Idea.title, Idea.status, supporters, offers, col(Idea.id).in_(formed), shown
    ).where(col(Idea.status).in_(OPEN_STATUSES))
    if ready_only:
        statement = statement.where(supporters >= min_supporters, offers >= MIN_OFFERS, shown)
    found = []
    for id_, title, status, backers, offered, formed_already, visible in session.exec(statement).all():
        ready = bool(visible) and backers >= min_supporters and offered >= MIN_OFFERS
        found.append(
            IdeaForTeam(
                id_, make_ref("idea", id_), title, status, int(backers), int(offered), ready, bool(formed_already)
            )
        )
    return sorted(found, key=lambda i: (not i.ready, i.formed, -i.supporters, -i.id))


def ready_not_formed(session: Session, *, min_supporters: int) -> list[IdeaForTeam]:
    """What staff should see as "ready to form a team": ready, and not formed yet."""
    return [i for i in ideas_for_teams(session, min_supporters=min_supporters, ready_only=True) if not i.formed]


def designers(session: Session, *, idea_id: int) -> list[Designer]:
    """The designers who offered to help build this idea and agreed to be contacted, in the
    order they offered (one person once, with their first offer)."""
    rows = session.exec(
        select(DesignOffer, Citizen)
        .join(Citizen, col(Citizen.id) == DesignOffer.citizen_id)
        .where(DesignOffer.idea_id == idea_id, col(DesignOffer.contact_ok).is_(True), *_reachable_offer())
        .order_by(col(DesignOffer.id))
    ).all()
    found: dict[int, Designer] = {}
    for offer, citizen in rows:
        assert citizen.id is not None
        first_name = (citizen.display_name or "").split()[0] if (citizen.display_name or "").split() else None
        found.setdefault(citizen.id, Designer(
            citizen.id, citizen.channel, citizen.channel_user_id, citizen.chat_id, citizen.thread_id, first_name,
            citizen.language, tuple(offer.skills), offer.hours,
        ))  # fmt: skip
    return list(found.values())


@dataclass(frozen=True)
class IdeaText:
    id: int
    ref: str
    title: str
    description: str
    shown: bool  # whether other residents may see it (moderation, contact details)
    problem: str | None  # the problem's title and description, if it answers one residents may see


def idea_text(session: Session, *, idea_id: int) -> IdeaText | None:
    row = session.exec(
        select(Idea, Problem).join(Problem, col(Problem.id) == Idea.problem_id, isouter=True).where(Idea.id == idea_id)
    ).first()
    if row is None:
        return None
    idea, problem = row
    shown = problem is not None and problem.id is not None and is_shown(session, kind="problem", id_=problem.id)
    about = f"{problem.title}: {problem.description}" if problem is not None and shown else None
    visible = is_shown(session, kind="idea", id_=idea_id)
    return IdeaText(idea_id, make_ref("idea", idea_id), idea.title, idea.description, visible, about)


def team_of(session: Session, *, idea_id: int, lock: bool = False) -> DesignTeam | None:
    """The idea's team; `lock` holds its row until the transaction ends (PostgreSQL; SQLite
    has one writer anyway)."""
    statement = select(DesignTeam).where(DesignTeam.idea_id == idea_id)
    return session.exec(statement.with_for_update() if lock else statement).first()


def start_team(session: Session, *, idea_id: int, owner: str, formed_by: str, now: datetime) -> DesignTeam:
    """The idea's team, begun now unless it was begun before (its recorded steps stay)."""
    team = team_of(session, idea_id=idea_id)
    if team is None:
        team = DesignTeam(idea_id=idea_id, owner=owner, formed_by=formed_by, created_at=now)
    team.owner = owner
    session.add(team)
    session.flush()
    return team


def record(session: Session, *, idea_id: int, **step: str | None) -> None:
    """Write down what a step of forming the team gave (a Slack channel, a pinned post's ts,
    a Telegram invite link), at once, so a second run does not do it again."""
    team = team_of(session, idea_id=idea_id)
    assert team is not None, "start_team first"
    for name, value in step.items():
        if name not in {
            "slack_channel_id",
            "slack_channel_name",
            "slack_pinned_ts",
            "telegram_chat_id",
            "telegram_invite_link",
        }:
            raise ValueError(f"not a step of forming a team: {name}")
        setattr(team, name, value)
    session.add(team)


def mark_formed(session: Session, *, team: DesignTeam, now: datetime) -> None:
    team.formed_at = now
    session.add(team)


def name_of(session: Session, *, identity: str) -> str:
    """A staff member as designers see them: their first name and the channel, or the identity."""
    channel, _, user_id = identity.partition(":")
    name = session.exec(
        select(Citizen.display_name).where(Citizen.channel == channel, Citizen.channel_user_id == user_id)
    ).first()
    first = (name or "").split()
    return f"{first[0]} ({channel})" if first else identity
