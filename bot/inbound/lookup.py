"""The engine's read-only view of the world (conversations/context.py `Lookup`), answered
from the inbound event's own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlmodel import Session

from bot.operations import broadcasting, polling
from conversations.context import (
    Candidate, Details, Estimate, FlowSettings, Following, MyReach, OpenQuestion, Page, PollView, ReadyIdea, Summary,
)  # fmt: skip
from conversations.messages import Address, Choice
from conversations.refs import make_ref
from storage import broadcasts, design_teams, estimates, polls, reach_links, safety, staff, staff_questions, submissions, teams
from storage.broadcasts import Audience
from storage.partner_models import Team


@dataclass(frozen=True)
class SessionLookup:
    """The engine's read-only view of the world, over the event's own transaction."""

    session: Session
    citizen_id: int
    settings: FlowSettings
    address: Address
    staff: tuple[str, ...]
    now: datetime  # the event's time: whether a poll has closed

    def open_problems(self, *, offset: int, limit: int) -> Page:
        return submissions.open_problems(self.session, offset=offset, limit=limit)

    def problem_candidates(self, *, category: str) -> Sequence[Candidate]:
        return submissions.problem_candidates(self.session, category=category)

    def open_ideas(self, *, offset: int, limit: int) -> Page:
        return submissions.open_ideas(self.session, offset=offset, limit=limit)

    def my_submissions(self) -> Sequence[Summary]:
        return submissions.submissions_of(self.session, citizen_id=self.citizen_id)

    def submission(self, *, kind: str, id: int) -> Summary | None:
        return submissions.summary_of(self.session, kind=kind, id=id)

    def inbox(self, *, offset: int, limit: int) -> Page:
        """What waits for staff; for a member of teams (`teams add --member`), their teams' work only."""
        mine = [team.id for team in self._teams() if team.id is not None]
        return submissions.inbox(self.session, offset=offset, limit=limit, team_ids=mine or None)

    def my_teams(self) -> tuple[str, ...]:
        return tuple(team.name for team in self._teams())

    def _teams(self) -> list[Team]:
        return teams.teams_of_member(self.session, identity=f"{self.address.channel}:{self.address.user_id}")

    def details(self, *, kind: str, id: int) -> Details | None:
        return submissions.details(self.session, kind=kind, id_=id)

    def is_staff(self) -> bool:
        return staff.is_staff(self.session, address=self.address, configured=self.staff)

    def audience_size(self, *, topic: str | None, groups: bool = True) -> int:
        return broadcasting.audience_total(self.session, audience=Audience(topic=topic), settings=self.settings, groups=groups)

    def following(self) -> Following:
        return broadcasts.following(self.session, citizen_id=self.citizen_id)

    def was_sent(self, *, broadcast_id: int) -> bool:
        return broadcasts.was_sent(self.session, broadcast_id=broadcast_id, citizen_id=self.citizen_id)

    def reach_reported(self, *, broadcast_id: int) -> int | None:
        return broadcasts.reach_reported(self.session, broadcast_id=broadcast_id, citizen_id=self.citizen_id)

    def poll(self, *, poll_id: int, language: str) -> PollView | None:
        return polling.view(
            self.session, poll_id=poll_id, citizen_id=self.citizen_id, language=language,
            default=self.settings.default_language, now=self.now,
        )  # fmt: skip

    def latest_notice_buttons(self) -> Sequence[Choice]:
        return [Choice.from_json(c) for c in polls.latest_notice_buttons(self.session, citizen_id=self.citizen_id)]

    def submitted_since(self, *, since: datetime) -> int:
        return safety.submitted_since(self.session, citizen_id=self.citizen_id, since=since)

    def ready_for_team(self) -> Sequence[ReadyIdea]:
        ready = design_teams.ready_not_formed(self.session, min_supporters=self.settings.team_supporters)
        return [ReadyIdea(i.ref, i.title, i.supporters, i.offers) for i in ready]

    def my_reach(self) -> MyReach | None:
        measured = reach_links.measured_for_diffuser(self.session, citizen_id=self.citizen_id)
        return MyReach(measured.started, measured.submitted) if measured else None

    def open_question(self) -> OpenQuestion | None:
        found = staff_questions.open_question(self.session, citizen_id=self.citizen_id)
        return OpenQuestion(found.id, make_ref(found.kind, found.target_id)) if found else None

    def estimate(self, *, category: str) -> Estimate | None:
        return estimates.estimate_of(self.session, category=category)
