"""Each submission reaches the people responsible: the matching team is assigned in the
submission's own transaction, and its chat (a Telegram group, a Slack channel) gets a short
card through the outbox. Staff reassign; every team gets a daily card of its overdue work.

Also the one hook point for partners when a submission is saved (`Routing.submission_created`):
the team, its card and the webhooks' submission.created event. Whatever saves a submission
(the conversation service, an API) calls it in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from sqlmodel import Session

from bot.operations import webhook_events
from bot.operations.status_changes import StaffActionError, parsed_ref
from bot.outbound.quiet import QuietHours
from conversations.i18n import Catalogs, T, Text
from conversations.messages import Address, Outbound
from conversations.refs import make_ref
from conversations.visible import for_staff
from storage import audit, console_inbox, outbox, submissions, teams
from storage.console_inbox import InboxFilter
from storage.partner_models import Team

OVERDUE_LISTED = 20  # a daily card lists at most this many; the console link shows them all


@dataclass(frozen=True)
class Reassigned:
    ref: str
    team: str
    previous: str | None


def overdue_cutoff(now: datetime, promised_after: timedelta, zone: tzinfo) -> datetime:
    """Submissions that came in before this moment are overdue (if they never moved on): the
    citizen was told "where it stands by <date> at the latest", the day `promised_after`
    their submission came in, and that day has ended in the city's time zone. So a report
    from Monday 10:00 with 3 days promised is overdue from Friday 00:00, not Thursday 10:00."""
    start_of_today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    return start_of_today.astimezone(timezone.utc) - promised_after


@dataclass(frozen=True)
class Routing:
    """Team cards are in the default language (a team's chat is shared), held by quiet hours
    like everything the bot starts itself, with a link to the staff console when
    WEB_BASE_URL is set."""

    catalogs: Catalogs
    language: str
    quiet: QuietHours
    web_base_url: str | None = None

    def submission_created(self, session: Session, *, kind: str, id_: int, now: datetime) -> None:
        subject = teams.subject_of(session, kind=kind, id_=id_)
        team = teams.matching_team(
            session, category=subject.category if subject else None, place=subject.place if subject else None
        )
        if team is not None:
            assert team.id is not None
            teams.assign(session, kind=kind, target_id=id_, team_id=team.id, now=now)
            self._card(session, team, T("team.card_new", **self._about(session, kind, id_, subject)), now)
        webhook_events.submission_created(session, kind=kind, id_=id_, team=team.name if team else None, now=now)

    def reassign(self, session: Session, *, ref: str, team_name: str, by: str, via: str, now: datetime) -> Reassigned:
        """Give a submission to another team: kept in its history and the audit log, the new
        team gets its card, and webhooks hear submission.assigned."""
        kind, id_ = parsed_ref(ref)
        summary = submissions.summary_of(session, kind=kind, id=id_)
        if summary is None:
            raise StaffActionError(f"{make_ref(kind, id_)} does not exist")
        team = teams.team_named(session, name=team_name)
        if team is None or team.id is None:
            known = ", ".join(t.name for t in teams.teams(session)) or "none yet (cocreate teams add)"
            raise StaffActionError(f"There is no team {team_name!r}; teams: {known}")
        before = teams.team_of(session, kind=kind, target_id=id_)
        if before is not None and before.id == team.id:
            raise StaffActionError(f"{summary.ref} is already with {team.name}")
        teams.assign(session, kind=kind, target_id=id_, team_id=team.id, now=now)
        previous = before.name if before else None
        note = f"assigned to team {team.name}" + (f" (was {previous})" if previous else "")
        submissions.keep_note(session, kind=kind, id_=id_, status=summary.status, note=note, by=by, now=now)
        audit.record(session, actor=by, via=via, action="assign", target=summary.ref, detail=note, now=now)
        subject = teams.subject_of(session, kind=kind, id_=id_)
        self._card(session, team, T("team.card_assigned", by=by, **self._about(session, kind, id_, subject)), now)
        webhook_events.submission_assigned(session, ref=summary.ref, team=team.name, previous=previous, now=now)
        return Reassigned(summary.ref, team.name, previous)

    def overdue_cards(self, session: Session, *, before: datetime, now: datetime, zone: tzinfo) -> int:
        """Each team with a chat and work overdue (open, never moved on, in since before
        `before`) gets one card listing it; how many cards were queued."""
        queued = 0
        for team in teams.teams(session):
            if team.id is None or not (team.telegram_chat or team.slack_channel):
                continue
            filters = InboxFilter(team_id=team.id, overdue_before=before)
            page = console_inbox.inbox_page(session, filters=filters, offset=0, limit=OVERDUE_LISTED)
            if not page.total:
                continue
            items = "\n".join(
                self._render(T("team.overdue_item", ref=row.ref, title=for_staff(row.title),
                               date=row.created_at.astimezone(zone).date().isoformat()))
                for row in page.rows
            )  # fmt: skip
            more = page.total - len(page.rows)
            link = f"{self.web_base_url}/?team={team.id}&overdue=1" if self.web_base_url else ""
            text = T(
                "team.overdue", team=team.name, count=page.total, items=items,
                more=T("team.overdue_more", count=more) if more > 0 else "", link=link,
            )  # fmt: skip
            self._card(session, team, text, now)
            queued += 1
        return queued

    def _about(self, session: Session, kind: str, id_: int, subject: teams.Subject | None) -> dict[str, object]:
        """What a card says of a submission: its reference, title, category, place, link."""
        summary = submissions.summary_of(session, kind=kind, id=id_)
        ref = make_ref(kind, id_)
        place = subject.place if subject and subject.place else None
        return dict(
            ref=ref, title=for_staff(summary.title) if summary else ref,
            category=subject.category if subject and subject.category else "-",
            place=T("team.card_place", place=for_staff(place)) if place else "",
            link=f"{self.web_base_url}/submissions/{ref}" if self.web_base_url else "",
        )  # fmt: skip

    def _render(self, text: Text) -> str:
        return self.catalogs.render(self.language, text)

    def _card(self, session: Session, team: Team, text: Text, now: datetime) -> None:
        """One card per chat the team has: a group chat's address has no user (as community groups')."""
        card = Outbound(self._render(text).strip(), kind="notification")
        chats = (("telegram", team.telegram_chat), ("slack", team.slack_channel))
        for channel, chat_id in chats:
            if chat_id:
                address = Address(channel, chat_id, "")
                outbox.enqueue(session, address=address, replies=[card], citizen_id=None, now=now, not_before=self.quiet.release(now))
