"""A poll's results: counts and percentages overall, by language and by the area people
gave, never for a group of fewer than MIN_GROUP people; closing polls when their time comes
and sending the results back to everyone who answered, in their language."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Literal, Mapping

from sqlmodel import Session

from bot.operations.polling import in_language, labels_in
from bot.outbound.notices import Notices
from conversations.i18n import T, Text
from conversations.messages import Address, Outbound
from storage import audit, outbox, polls
from storage.broadcasts import area_words
from storage.poll_models import Poll
from storage.polls import Tally

log = logging.getLogger(__name__)
# A group of fewer people is never broken down: a handful of answers could say who answered what.
MIN_GROUP = 5
CLAIM_BATCH = 20
RESULTS_BATCH = 1000  # rows an INSERT takes at once when results go out


@dataclass(frozen=True)
class Figures:
    """How one group answered: `people` in it and, when there are at least MIN_GROUP,
    `counts` per option (then "Other" last, when the poll offers it); None below that."""

    people: int
    counts: tuple[int, ...] | None

    def percent(self, index: int) -> int:
        return round(100 * self.counts[index] / self.people) if self.counts and self.people else 0


@dataclass(frozen=True)
class Results:
    overall: Figures
    by_language: tuple[tuple[str, Figures], ...]
    # By area as people typed it (grouped case- and accent-insensitively); "" is no area given.
    by_area: tuple[tuple[str, Figures], ...]


def area_key(area: str | None) -> str:
    return " ".join(area_words(area or ""))


def _figures(tallies: Iterable[Tally], columns: int, other: bool) -> Figures:
    counts = [0] * (columns + (1 if other else 0))
    for tally in tallies:
        index = columns if tally.option is None else tally.option
        if 0 <= index < len(counts):
            counts[index] += tally.people
    people = sum(counts)
    return Figures(people, tuple(counts) if people >= MIN_GROUP else None)


def results(session: Session, *, poll: Poll) -> Results:
    tallies = polls.tallies(session, poll_id=poll.broadcast_id)
    columns, other = len(poll.options), poll.other
    languages = sorted({t.language for t in tallies})
    areas: dict[str, list[Tally]] = {}
    for tally in tallies:
        areas.setdefault(area_key(tally.area), []).append(tally)
    named = {key: min((t.area or "" for t in group), default="") for key, group in areas.items()}
    return Results(
        _figures(tallies, columns, other),
        tuple((lang, _figures((t for t in tallies if t.language == lang), columns, other)) for lang in languages),
        tuple((named[key], _figures(areas[key], columns, other)) for key in sorted(areas)),
    )


def area_figures(found: Results, area: str | None) -> Figures | None:
    key = area_key(area)
    return next((figures for name, figures in found.by_area if area_key(name) == key), None) if key else None


def _lines(poll: Poll, figures: Figures, language: str, default: str) -> tuple[Text, ...]:
    labels: list[str | Text] = [*labels_in(poll, language, default), *([T("poll.other")] if poll.other else [])]
    return tuple(
        T("poll.result_line", label=label, percent=figures.percent(i), count=(figures.counts or ())[i])
        for i, label in enumerate(labels)
    )


def result_text(poll: Poll, found: Results, *, language: str, area: str | None, default: str) -> Text:
    """What one answerer is told: the overall figures, their area's where at least MIN_GROUP
    of their area answered, and what the city will do with it."""
    question = in_language(poll.question, language, default)
    outcome = in_language(poll.outcome, language, default)
    if found.overall.counts is None:
        return T("poll.results_few", question=question, people=found.overall.people, minimum=MIN_GROUP, outcome=outcome)
    local = area_figures(found, area)
    local_text: Text | str = ""
    if local is not None and local.counts is not None:
        local_text = T("poll.results_area", area=area or "", people=local.people, lines=_lines(poll, local, language, default))
    lines = _lines(poll, found.overall, language, default)
    return T("poll.results", question=question, people=found.overall.people, lines=lines, area=local_text, outcome=outcome)


def send_results(session: Session, *, poll: Poll, now: datetime, notices: Notices) -> int:
    """Queue each answerer their result (held by quiet hours) and mark the poll's results
    sent, in this transaction; returns how many were queued."""
    found = results(session, poll=poll)
    default = notices.default_language
    # One text per language and area (everyone in them reads the same), queued in batches.
    texts: dict[tuple[str, str], Outbound] = {}
    messages = []
    for answerer in polls.answerers(session, poll_id=poll.broadcast_id):
        language, person = notices.language_of(answerer.person), answerer.person
        key = (language, area_key(answerer.area))
        if key not in texts:
            text = result_text(poll, found, language=language, area=answerer.area, default=default)
            texts[key] = Outbound(notices.catalogs.render(language, text), kind="notification")
        address = Address(person.channel, person.chat_id, person.user_id, person.thread_id)
        messages.append((address, texts[key], person.citizen_id))
    for start in range(0, len(messages), RESULTS_BATCH):
        outbox.enqueue_each(session, messages=messages[start : start + RESULTS_BATCH], now=now,
                            not_before=notices.quiet.release(now))  # fmt: skip
    polls.mark_results_sent(session, poll=poll, now=now)
    return len(messages)


def close_poll(session: Session, *, poll: Poll, now: datetime, notices: Notices) -> int:
    """Close a poll; with the staff line given, its results go out now (otherwise when staff
    give it: `cocreate polls ID --then`). Returns how many results were queued."""
    if poll.closed_at is None:
        polls.mark_closed(session, poll=poll, now=now)
    if poll.outcome and poll.results_sent_at is None:
        return send_results(session, poll=poll, now=now, notices=notices)
    return 0


def close_due(session: Session, *, now: datetime, notices: Notices, limit: int = CLAIM_BATCH) -> int:
    """Claim the polls whose closing time has come and close them in this transaction, as
    follow-ups are claimed: a crash leaves a poll open to be closed at the next run, and it
    never closes (or sends its results) twice. A poll that fails (a bug) stays open for the
    next run; the others close. Returns how many results were queued."""
    queued = 0
    for poll in polls.claim_due(session, now=now, limit=limit):
        try:
            with session.begin_nested():
                queued += close_poll(session, poll=poll, now=now, notices=notices)
        except Exception:
            log.exception("poll B-%s could not be closed", poll.broadcast_id)
    return queued


def set_outcome(session: Session, *, poll: Poll, outcome: Mapping[str, str], now: datetime, notices: Notices) -> int:
    """Give (or change) the line on what the city will do with the result; a poll closed and
    waiting for it sends its results now. Returns how many results were queued."""
    polls.set_outcome(session, poll=poll, outcome={**poll.outcome, **outcome})
    if poll.closed_at is not None and poll.results_sent_at is None:
        return send_results(session, poll=poll, now=now, notices=notices)
    return 0


class PollActionError(ValueError):
    """A staff action on a poll that cannot be done; the message says why."""


def staff_action(
    session: Session, *, poll_id: int, outcome: Mapping[str, str], close: bool, actor: str, via: str, now: datetime,
    notices: Notices,
) -> int:  # fmt: skip
    """What staff do to a poll from the CLI or the console: give the line on what the city will
    do (until the results went out) and/or close it now; audited. Returns how many results
    were queued."""
    poll = polls.lock(session, poll_id=poll_id)
    if poll is None:
        raise PollActionError(f"There is no poll B-{poll_id} (see `cocreate polls`).")
    if outcome and poll.results_sent_at is not None:
        raise PollActionError(f"The results of B-{poll_id} went out already; its line can no longer change.")
    if outcome and notices.default_language not in {**poll.outcome, **outcome}:
        raise PollActionError(f"The line needs the default language ({notices.default_language}) too: add --then \"...\".")
    queued = set_outcome(session, poll=poll, outcome=outcome, now=now, notices=notices) if outcome else 0
    if close:
        queued += close_poll(session, poll=poll, now=now, notices=notices)
    done = ", ".join(what for what, did in (("line given", bool(outcome)), ("closed", close)) if did)
    audit.record(session, actor=actor, via=via, action="poll", target=f"B-{poll_id}", detail=f"{done}; results to {queued}", now=now)
    return queued


Stage = Literal["open", "closing", "waiting", "sent"]


def stage(poll: Poll, now: datetime) -> Stage:
    """How a poll stands: open; closing (its time passed, the scheduler closes it next);
    waiting (closed, its results wait for the staff line); sent (results went out)."""
    if poll.results_sent_at is not None:
        return "sent"
    if poll.closed_at is not None or poll.closes_at <= now:
        return "closing" if poll.outcome else "waiting"
    return "open"
