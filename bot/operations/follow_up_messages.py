"""A follow-up: what happened to a submission since the person gave it (or since the last
follow-up), said honestly, "no news yet" included. For problems it asks whether the problem
is still there; the answer goes into the problem's history for staff."""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo

from sqlmodel import Session

from bot.outbound.notices import Notices
from conversations.buttons import CHECK_ANSWERS, CheckAnswer, FollowUpAnswer, encode
from conversations.context import Summary
from conversations.i18n import T, Text
from conversations.messages import Choice
from conversations.refs import CLOSED_STATUSES, make_ref
from storage import activity, followups, safety, submissions
from storage.citizens import Concerned
from storage.models import FollowUp

log = logging.getLogger(__name__)
MAX_LISTED_IDEAS = 5
# Follow-ups claimed per transaction: a bounded pause for others on SQLite's single writer.
CLAIM_BATCH = 100


def send_due_follow_ups(
    session: Session, *, now: datetime, notices: Notices, zone: tzinfo, limit: int = CLAIM_BATCH
) -> int:
    """Claim the follow-ups due by `now` and queue their messages in this transaction;
    returns how many were queued. Each row is marked sent with its message, so a crash
    before commit leaves both undone, and a second claimer skips what this one holds.

    A follow-up that fails (a bug) is rolled back to its savepoint and stays pending for the
    next claim; the others go out."""
    queued = 0
    for follow_up in followups.claim_due(session, now=now, limit=limit):
        try:
            with session.begin_nested():
                queued += send_follow_up(session, follow_up=follow_up, now=now, notices=notices, zone=zone)
        except Exception:  # a bug: logged, and the row is retried at the next claim
            log.exception("follow-up %s (%s %s) could not be sent", follow_up.id, follow_up.kind, follow_up.target_id)
    return queued


def send_follow_up(session: Session, *, follow_up: FollowUp, now: datetime, notices: Notices, zone: tzinfo) -> bool:
    """Mark a claimed follow-up sent and queue its message; False when there is nothing to
    say (the submission closed or gone, or its submitter unreachable): it counts as sent."""
    followups.mark_sent(session, follow_up=follow_up, now=now)
    kind, target_id = follow_up.kind, follow_up.target_id
    summary = submissions.summary_of(session, kind=kind, id=target_id)
    submitter = submissions.submitter(session, kind=kind, id_=target_id)
    if summary is None or submitter is None or summary.status in CLOSED_STATUSES:
        return False
    since = followups.previous_sent(session, kind=kind, target_id=target_id, before=follow_up.number)
    next_due = followups.next_due(session, kind=kind, target_id=target_id)
    if next_due is not None:
        next_check = T("followup.next_check", date=notices.catalogs.date(notices.language_of(submitter), next_due, zone))
    else:
        next_check = T("followup.last")
    params = {
        "ref": summary.ref,
        "title": summary.title,
        "status": T(f"status.{summary.status}"),
        "next": next_check,
        "question": T("followup.ask_still") if summary.kind == "problem" else "",
    }
    moved = activity.stage_moves(session, kind=kind, target_id=target_id, since=since)
    if moved or activity.new_links(session, kind=kind, target_id=target_id, since=since):
        text = T("followup.news", supporters=summary.supporters, linked=_linked(session, summary), **params)
    else:
        text = T("followup.no_news", **params)
    notices.send(session, to=submitter, text=text, now=now, choices=_check_buttons(summary, notices, submitter))
    return True


def _linked(session: Session, summary: Summary) -> Text | str:
    if summary.kind == "problem":
        ideas = activity.live_ideas_for(session, problem_id=summary.id, limit=MAX_LISTED_IDEAS)
        if not ideas:
            return T("followup.no_ideas")
        lines = tuple(T("followup.idea", ref=make_ref("idea", id_), title=title) for id_, title in ideas)
        return T("followup.ideas", ideas=lines)
    if summary.kind == "idea":
        return T("followup.designers", count=activity.design_offer_count(session, idea_id=summary.id))
    return ""


def _check_buttons(summary: Summary, notices: Notices, person: Concerned) -> tuple[Choice, ...]:
    """ "Still a problem / Solved / Worse": only problems are asked."""
    if summary.kind != "problem":
        return ()
    labels = {answer: notices.render(person, T(f"followup.answer.{answer}")) for answer in CHECK_ANSWERS}
    return tuple(Choice(encode(FollowUpAnswer(summary.kind, summary.id, answer)), labels[answer]) for answer in CHECK_ANSWERS)


# How a reporter's answer to "Is it still a problem?" reads in the history staff see.
CHECK_NOTES: dict[CheckAnswer, str] = {
    "still": "Reporter says it is still a problem",
    "solved": "Reporter says it is solved",
    "worse": "Reporter says it is getting worse",
}


def tell_reporter_about_idea(session: Session, *, idea_id: int, by_citizen: int, now: datetime, notices: Notices) -> bool:
    """Someone proposed an idea for a problem: its reporter hears about it, with an invitation
    to support the idea or help design it. Not sent to people about their own ideas, nor
    about an idea other residents may not see (yet: approving it sends this)."""
    if not safety.is_shown(session, kind="idea", id_=idea_id):
        return False
    idea = submissions.summary_of(session, kind="idea", id=idea_id)
    problem_id = submissions.problem_of(session, idea_id=idea_id)
    if idea is None or problem_id is None:
        return False
    reporter = submissions.submitter(session, kind="problem", id_=problem_id)
    problem = submissions.summary_of(session, kind="problem", id=problem_id)
    if reporter is None or problem is None or reporter.citizen_id == by_citizen:
        return False
    text = T("notify.new_idea", problem=problem.ref, problem_title=problem.title, idea=idea.ref, idea_title=idea.title)
    notices.send(session, to=reporter, text=text, now=now)
    return True
