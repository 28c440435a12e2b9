"""Problems, ideas and design offers: creating them, supporting them, and the lists people
and staff see. Keyword-only functions over a caller-owned Session."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Sequence, TypeVar

from sqlalchemy import and_, func, or_
from sqlmodel import Session, SQLModel, col, select

from conversations.context import Candidate, Details, Facts, HistoryEntry, Page, Report, Summary
from conversations.messages import Location
from conversations.refs import make_ref
from storage import teams
from storage.citizens import who_changed
from storage.models import (
    OPEN_STATUSES,
    Citizen,
    DesignOffer,
    DesignOfferCreate,
    FollowUp,
    Idea,
    IdeaCreate,
    Problem,
    ProblemCreate,
    StatusChange,
    Support,
)
from storage.citizens import Concerned, as_concerned
from storage.safety import shown_to_residents
from storage.submission_facts import facts_of
from storage.types import utcnow
from storage.upsert import insert_or_ignore

TABLES: dict[str, Any] = {"problem": Problem, "idea": Idea, "design": DesignOffer}
# Duplicate detection looks at this many of the newest open problems in a category.
CANDIDATE_LIMIT = 500


Submission = TypeVar("Submission", Problem, Idea, DesignOffer)


def _create(
    session: Session, table: type[Submission], kind: str, citizen_id: int, data: SQLModel, now: datetime | None,
    **system: Any,
) -> Submission:
    """Insert a submission and the first line of its history ("new", by its citizen), both
    dated `now` (the service's clock; the current time when not given). `system`: columns
    the system owns, such as its moderation."""
    at = now or utcnow()
    submission = table.model_validate(data, update={"citizen_id": citizen_id, "created_at": at, **system})
    session.add(submission)
    session.flush()  # assigns the id the history line and the reference need
    assert submission.id is not None
    by = f"citizen:{citizen_id}"
    session.add(StatusChange(kind=kind, target_id=submission.id, to_status="new", changed_by=by, created_at=at))
    return submission


def create_problem(
    session: Session, *, citizen_id: int, problem_in: ProblemCreate, now: datetime | None = None,
    moderation: str = "shown", private: bool = False,
) -> Problem:  # fmt: skip
    return _create(session, Problem, "problem", citizen_id, problem_in, now, moderation=moderation, private=private)


def create_idea(
    session: Session, *, citizen_id: int, idea_in: IdeaCreate, now: datetime | None = None,
    moderation: str = "shown", private: bool = False,
) -> Idea:  # fmt: skip
    return _create(session, Idea, "idea", citizen_id, idea_in, now, moderation=moderation, private=private)


def create_design_offer(
    session: Session, *, citizen_id: int, offer_in: DesignOfferCreate, now: datetime | None = None
) -> DesignOffer:
    return _create(session, DesignOffer, "design", citizen_id, offer_in, now)


def add_support(session: Session, *, citizen_id: int, kind: str, target_id: int) -> str:
    """"added", "already" (supported before) or "own" (their own submission)."""
    target = session.get(TABLES[kind], target_id)
    if target is None:
        raise LookupError(f"{make_ref(kind, target_id)} does not exist")
    if target.citizen_id == citizen_id:
        return "own"
    values = {"citizen_id": citizen_id, "kind": kind, "target_id": target_id}
    return "added" if insert_or_ignore(session, Support, values) else "already"


def _supporters(kind: str, table: Any) -> Any:
    return (
        select(func.count(col(Support.id)))
        .where(Support.kind == kind, Support.target_id == table.id)
        .correlate(table)
        .scalar_subquery()
    )


def _page(session: Session, kind: str, table: Any, *, offset: int, limit: int) -> Page:
    supporters = _supporters(kind, table).label("supporters")
    rows = session.exec(
        select(table.id, table.title, table.status, supporters)
        .where(col(table.status).in_(OPEN_STATUSES), shown_to_residents(table))
        .order_by(supporters.desc(), table.id.desc())
        .offset(offset)
        .limit(limit + 1)
    ).all()
    items = tuple(Summary(kind, id_, make_ref(kind, id_), title, status, count) for id_, title, status, count in rows)
    return Page(items[:limit], has_more=len(items) > limit)


def open_problems(session: Session, *, offset: int, limit: int) -> Page:
    return _page(session, "problem", Problem, offset=offset, limit=limit)


def open_ideas(session: Session, *, offset: int, limit: int) -> Page:
    return _page(session, "idea", Idea, offset=offset, limit=limit)


def problem_candidates(session: Session, *, category: str) -> list[Candidate]:
    """The newest open problems of a category, with their text, language and place."""
    rows = session.exec(
        select(
            Problem.id, Problem.title, Problem.status, Problem.description, Problem.language,
            Problem.place, Problem.latitude, Problem.longitude,
        )
        .where(Problem.category == category, col(Problem.status).in_(OPEN_STATUSES), shown_to_residents(Problem))
        .order_by(col(Problem.id).desc())
        .limit(CANDIDATE_LIMIT)
    ).all()  # fmt: skip
    return [
        Candidate(
            Summary("problem", id_, make_ref("problem", id_), title, status, category=category),
            Report(description, language, place, Location(lat, lon) if lat is not None and lon is not None else None),
        )
        for id_, title, status, description, language, place, lat, lon in rows
    ]


def _listed(kind: str, table: Any, *more: Any) -> Any:
    """id, title, status, created_at and supporters of one kind (a design offer's title is
    its idea's), plus `more` columns."""
    title = table.title if kind != "design" else Idea.title
    statement = select(table.id, title, table.status, table.created_at, _supporters(kind, table), *more)
    if kind == "design":
        statement = statement.join(Idea, col(Idea.id) == DesignOffer.idea_id)
    return statement


def summary_of(session: Session, *, kind: str, id: int) -> Summary | None:
    table = TABLES[kind]
    row = session.exec(_listed(kind, table).where(table.id == id)).first()
    return None if row is None else Summary(kind, id, make_ref(kind, id), row[1], row[2], row[4])


def problem_of(session: Session, *, idea_id: int) -> int | None:
    """The problem an idea was proposed for (None for a free-standing idea or no such idea)."""
    return session.exec(select(Idea.problem_id).where(Idea.id == idea_id)).first()


def stage_moved() -> Any:
    """History lines where the stage really moved: not the creation line, not a staff note
    or a reporter's answer (those keep the status)."""
    return and_(col(StatusChange.from_status).is_not(None), StatusChange.from_status != StatusChange.to_status)


def last_change(kind: str, table: Any) -> Any:
    """When the stage last moved (or the submission came in); notes and checks do not count."""
    moved = or_(col(StatusChange.from_status).is_(None), stage_moved())
    return (
        select(func.max(StatusChange.created_at))
        .where(StatusChange.kind == kind, StatusChange.target_id == table.id, moved)
        .correlate(table)
        .scalar_subquery()
    )


def _next_follow_up(kind: str, table: Any) -> Any:
    return (
        select(func.min(FollowUp.due_at))
        .where(FollowUp.kind == kind, FollowUp.target_id == table.id, FollowUp.status == "pending")
        .correlate(table)
        .scalar_subquery()
    )


def submissions_of(session: Session, *, citizen_id: int) -> list[Summary]:
    """The person's submissions, newest first, with their last change and next follow-up."""
    found: list[tuple[datetime, Summary]] = []
    for kind, table in TABLES.items():
        statement = _listed(kind, table, last_change(kind, table), _next_follow_up(kind, table))
        for id_, text, status, created_at, count, changed, next_at in session.exec(
            statement.where(table.citizen_id == citizen_id)
        ):
            summary = Summary(
                kind, id_, make_ref(kind, id_), text, status, count,
                last_change=changed, next_follow_up=next_at,
            )  # fmt: skip
            found.append((created_at, summary))
    return [summary for _, summary in sorted(found, key=lambda pair: (pair[0], pair[1].id), reverse=True)]


def inbox(session: Session, *, offset: int, limit: int, team_ids: Sequence[int] | None = None) -> Page:
    """Submissions waiting for staff (new or under review), newest first, across kinds; only
    those with these teams when given."""
    waiting = ("new", "under_review")
    found: list[tuple[datetime, Summary]] = []
    for kind, table in TABLES.items():
        statement = _listed(kind, table).where(col(table.status).in_(waiting))
        if team_ids is not None:
            statement = statement.where(col(table.id).in_(teams.assigned_to(kind, team_ids)))
        rows = session.exec(statement.order_by(col(table.created_at).desc()).limit(offset + limit + 1))
        for id_, text, status, created_at, count in rows:
            found.append((created_at, Summary(kind, id_, make_ref(kind, id_), text, status, count)))
    ordered = [summary for _, summary in sorted(found, key=lambda pair: pair[0], reverse=True)]
    return Page(tuple(ordered[offset : offset + limit]), has_more=len(ordered) > offset + limit)


def details(session: Session, *, kind: str, id_: int) -> Details | None:
    summary = summary_of(session, kind=kind, id=id_)
    item = session.get(TABLES[kind], id_)
    if summary is None or item is None:
        return None
    citizen = session.get(Citizen, item.citizen_id)
    assert citizen is not None  # a submission's citizen is a foreign key
    entries = tuple(
        HistoryEntry(change.created_at, change.from_status, change.to_status, change.note,
                     who_changed(session, changed_by=change.changed_by))  # fmt: skip
        for change in history(session, kind=kind, target_id=id_)
    )
    description = "" if kind == "design" else item.description  # an offer's terms are in its facts
    return Details(summary, description, item.language, item.created_at, entries, facts_of(item, citizen))


def status_counts(session: Session, *, kind: str) -> dict[str, int]:
    """How many submissions of a kind are in each status."""
    table = TABLES[kind]
    return dict(session.exec(select(table.status, func.count()).group_by(table.status)).all())


@dataclass(frozen=True)
class SubmissionRow:
    """One submission as staff exports see it (`cocreate submissions`)."""

    ref: str
    kind: str
    title: str
    description: str  # empty for a design offer: its terms are in `facts.offer`
    category: str | None
    status: str
    language: str
    channel: str
    supporters: int
    created_at: datetime
    facts: Facts
    team: str | None = None  # the team it is with (storage/teams.py)


def list_submissions(
    session: Session, *, kind: str | None = None, status: str | None = None, team_id: int | None = None
) -> list[SubmissionRow]:
    """Every submission (of a kind, in a status, with a team), oldest first."""
    rows: list[SubmissionRow] = []
    for table_kind in [kind] if kind else list(TABLES):
        rows.extend(_rows_of_kind(session, table_kind, status, team_id))
    return sorted(rows, key=lambda row: row.created_at)


def _rows_of_kind(session: Session, kind: str, status: str | None, team_id: int | None) -> Sequence[SubmissionRow]:
    table = TABLES[kind]
    statement = select(table, Citizen, _supporters(kind, table)).join(Citizen, Citizen.id == table.citizen_id)
    if status:
        statement = statement.where(table.status == status)
    if team_id is not None:
        statement = statement.where(col(table.id).in_(teams.assigned_to(kind, [team_id])))
    found = session.exec(statement).all()
    named = teams.team_names(session, kind=kind, ids=[item.id for item, _, _ in found])
    return [replace(_row(session, kind, item, citizen, count), team=named.get(item.id)) for item, citizen, count in found]


def _row(session: Session, kind: str, item: Any, citizen: Citizen, supporters: int) -> SubmissionRow:
    if kind == "problem":
        title, description, category = item.title, item.description, item.category
    elif kind == "idea":
        problem = session.get(Problem, item.problem_id) if item.problem_id else None
        title, description, category = item.title, item.description, problem.category if problem else None
    else:
        idea = session.get(Idea, item.idea_id)
        title, description, category = idea.title if idea else make_ref("idea", item.idea_id), "", None
    return SubmissionRow(
        ref=make_ref(kind, item.id),
        kind=kind,
        title=title,
        description=description,
        category=category,
        status=item.status,
        language=item.language,
        channel=citizen.channel,
        supporters=supporters,
        created_at=item.created_at,
        facts=facts_of(item, citizen),
    )


def record_check(session: Session, *, kind: str, id_: int, citizen_id: int, note: str, now: datetime) -> bool:
    """A submitter's answer to a follow-up, kept in the history (the status stays); False
    when the submission is not theirs (a forged button) or is gone."""
    submission = session.get(TABLES[kind], id_)
    if submission is None or submission.citizen_id != citizen_id:
        return False
    keep_note(session, kind=kind, id_=id_, status=submission.status, note=note, by=f"citizen:{citizen_id}", now=now)
    return True


def keep_note(session: Session, *, kind: str, id_: int, status: str, note: str, by: str, now: datetime) -> None:
    """A history entry that leaves the status as it is: a reporter's answer to a follow-up,
    what a supporter added."""
    session.add(
        StatusChange(kind=kind, target_id=id_, from_status=status, to_status=status, note=note, changed_by=by, created_at=now)
    )


def history(session: Session, *, kind: str, target_id: int) -> list[StatusChange]:
    """Every change of a submission, oldest first (staff see it when they open one)."""
    statement = select(StatusChange).where(StatusChange.kind == kind, StatusChange.target_id == target_id)
    return list(session.exec(statement.order_by(col(StatusChange.created_at), col(StatusChange.id))))


def change_status(
    session: Session,
    *,
    kind: str,
    id_: int,
    status: str,
    note: str | None,
    by: str,
    duplicate_of: int | None = None,
    now: datetime | None = None,
) -> str:
    """Move a submission to a status and keep the change in its history; returns the old
    status. Marking a duplicate moves its supporters (and its submitter) to the original."""
    table = TABLES[kind]
    submission = session.get(table, id_, with_for_update=True)
    if submission is None:
        raise LookupError(f"{make_ref(kind, id_)} does not exist")
    previous = submission.status
    submission.status = status
    session.add(submission)
    change = StatusChange(kind=kind, target_id=id_, from_status=previous, to_status=status, note=note, changed_by=by)
    change.created_at = now or change.created_at
    session.add(change)
    if status == "duplicate" and duplicate_of is not None:
        _merge_supporters(session, kind=kind, from_id=id_, into_id=duplicate_of, submitter=submission.citizen_id)
    return previous


def _merge_supporters(session: Session, *, kind: str, from_id: int, into_id: int, submitter: int) -> None:
    original = session.get(TABLES[kind], into_id)
    if original is None:
        raise LookupError(f"{make_ref(kind, into_id)} does not exist")
    supporters = session.exec(select(Support.citizen_id).where(Support.kind == kind, Support.target_id == from_id)).all()
    for citizen_id in {*supporters, submitter} - {original.citizen_id}:
        insert_or_ignore(session, Support, {"citizen_id": citizen_id, "kind": kind, "target_id": into_id})


def submitter(session: Session, *, kind: str, id_: int) -> Concerned | None:
    """Who gave a submission, if they can still be reached."""
    table = TABLES[kind]
    person = session.exec(
        select(Citizen).join(table, col(table.citizen_id) == Citizen.id).where(
            table.id == id_, col(Citizen.unreachable).is_(False), col(Citizen.consented_at).is_not(None)
        )
    ).first()
    return as_concerned(person) if person is not None else None


def concerned(session: Session, *, kind: str, id_: int, supporters_too: bool = True) -> list[Concerned]:
    """The submitter and (unless not `supporters_too`) the supporters of a submission who can be reached."""
    table = TABLES[kind]
    submitter = select(table.citizen_id).where(table.id == id_)
    supporters = select(Support.citizen_id).where(Support.kind == kind, Support.target_id == id_)
    people = session.exec(
        select(Citizen).where(
            col(Citizen.id).in_(submitter.union(supporters) if supporters_too else submitter),
            col(Citizen.unreachable).is_(False),
            col(Citizen.consented_at).is_not(None),
        )
    ).all()
    return [as_concerned(person) for person in people]
