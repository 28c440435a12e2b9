"""Teams: who is responsible for which categories (in which areas), and which submission is
with which team. Keyword-only functions over a caller-owned Session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from storage.broadcasts import area_words, in_area
from storage.models import DesignOffer, Idea, Problem
from storage.partner_models import Team, TeamAssignment, TeamCreate


@dataclass(frozen=True)
class Subject:
    """What routing reads of a submission: an idea's category and place are its problem's, a
    design offer's its idea's problem's (None for a free-standing idea)."""

    category: str | None
    place: str | None
    problem_id: int | None


def set_team(session: Session, *, team_in: TeamCreate) -> tuple[Team, bool]:
    """Add a team, or change the one of that name; (the team, whether it is new). A default
    team takes the default from any other (there is one at most)."""
    found = team_named(session, name=team_in.name)
    team = found or Team(name=team_in.name)
    for name, value in team_in.model_dump().items():
        setattr(team, name, value)
    if team.is_default:
        session.execute(update(Team).where(col(Team.name) != team.name).values(is_default=False))
    session.add(team)
    session.flush()
    return team, found is None


def remove_team(session: Session, *, name: str) -> int | None:
    """Remove a team; None when there is none of that name, else how many submissions it had.
    They go to the default team (another one), or stay with no team."""
    team = team_named(session, name=name)
    if team is None:
        return None
    fallback = default_team(session)
    had = session.exec(select(TeamAssignment).where(TeamAssignment.team_id == team.id)).all()
    if fallback is not None and fallback.id != team.id:
        session.execute(update(TeamAssignment).where(col(TeamAssignment.team_id) == team.id).values(team_id=fallback.id))
    else:
        session.execute(delete(TeamAssignment).where(col(TeamAssignment.team_id) == team.id))
    session.delete(team)
    return len(had)


def teams(session: Session) -> list[Team]:
    return list(session.exec(select(Team).order_by(col(Team.name))))


def team_named(session: Session, *, name: str) -> Team | None:
    return session.exec(select(Team).where(Team.name == name)).first()


def default_team(session: Session) -> Team | None:
    return session.exec(select(Team).where(col(Team.is_default))).first()


def teams_of_member(session: Session, *, identity: str) -> list[Team]:
    """The teams a staff identity (CHANNEL:ID) is a member of (compared in Python: a JSON list)."""
    return [team for team in teams(session) if identity in team.members]


def subject_of(session: Session, *, kind: str, id_: int) -> Subject | None:
    problem_id: int | None = id_
    if kind == "design":
        offer = session.get(DesignOffer, id_)
        kind, problem_id = "idea", offer.idea_id if offer else None
    if kind == "idea" and problem_id is not None:
        idea = session.get(Idea, problem_id)
        if idea is None:
            return None
        problem_id = idea.problem_id
    problem = session.get(Problem, problem_id) if problem_id is not None else None
    if problem is None:
        return Subject(None, None, None) if kind == "idea" else None
    return Subject(problem.category, problem.place, problem.id)


def matching_team(session: Session, *, category: str | None, place: str | None) -> Team | None:
    """The team responsible: one whose categories include it and one of whose areas is in the
    place (whole words, case and accents ignored) first, then one for the whole city, then
    the default team."""
    words, every = area_words(place or ""), teams(session)  # one read: teams are few
    candidates = [team for team in every if category is not None and category in team.categories]
    in_place = [team for team in candidates if any(_in(words, area) for area in team.areas)]
    citywide = [team for team in candidates if not team.areas]
    return next(iter(in_place or citywide or [team for team in every if team.is_default]), None)


def _in(words: tuple[str, ...], area: str) -> bool:
    wanted = area_words(area)
    return bool(wanted) and in_area(words, wanted)


def assign(session: Session, *, kind: str, target_id: int, team_id: int, now: datetime) -> int | None:
    """Put a submission with a team; the team it was with before (None: none)."""
    found = session.exec(
        select(TeamAssignment).where(TeamAssignment.kind == kind, TeamAssignment.target_id == target_id)
    ).first()
    previous = found.team_id if found else None
    assignment = found or TeamAssignment(kind=kind, target_id=target_id, team_id=team_id)
    assignment.team_id, assignment.assigned_at = team_id, now
    session.add(assignment)
    return previous


def team_of(session: Session, *, kind: str, target_id: int) -> Team | None:
    return session.exec(
        select(Team)
        .join(TeamAssignment, col(TeamAssignment.team_id) == Team.id)
        .where(TeamAssignment.kind == kind, TeamAssignment.target_id == target_id)
    ).first()


def team_names(session: Session, *, kind: str, ids: Sequence[int]) -> dict[int, str]:
    """The team of each of these submissions of one kind (those with none are left out)."""
    if not ids:
        return {}
    rows = session.exec(
        select(TeamAssignment.target_id, Team.name)
        .join(Team, col(Team.id) == TeamAssignment.team_id)
        .where(TeamAssignment.kind == kind, col(TeamAssignment.target_id).in_(ids))
    ).all()
    return dict(rows)


def assigned_to(kind: str, team_ids: Sequence[int]) -> Any:
    """The ids of a kind's submissions with these teams, as a subquery (`id IN (...)`)."""
    return select(TeamAssignment.target_id).where(TeamAssignment.kind == kind, col(TeamAssignment.team_id).in_(team_ids))


def team_choices(session: Session) -> list[tuple[int, str]]:
    """Every team as (id, name), by name: what the console's pickers offer."""
    return [(team.id, team.name) for team in teams(session) if team.id is not None]


def unassign(session: Session, *, kind: str, target_id: int) -> None:
    """A deleted submission is with no team any more."""
    session.execute(delete(TeamAssignment).where(col(TeamAssignment.kind) == kind, col(TeamAssignment.target_id) == target_id))


def forget_member(session: Session, *, identity: str) -> None:
    """A forgotten person is nobody's member any more (/forget)."""
    for team in teams_of_member(session, identity=identity):
        team.members = [member for member in team.members if member != identity]
        session.add(team)
