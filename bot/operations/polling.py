"""Polls, from the command line or a staff member's chat: a broadcast with a question
attached and one button per option; people's answers (changeable until the poll closes).
Results and closing are in poll_results.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Callable, Mapping, Sequence

from sqlmodel import Session

from conversations.buttons import MAX_POLL_OPTIONS
from conversations.context import FlowSettings, PollView
from conversations.effects import AnswerPoll, Outcome, QueuePoll, Receipt
from conversations.flows.poll_answer import poll_choices
from conversations.flows.poll_dialog import MAX_OPTION_LABEL, MAX_OUTCOME
from conversations.i18n import Catalogs, T
from conversations.messages import Address, Outbound
from conversations.validation import MAX_BROADCAST_TEXT
from storage import audit, broadcasts, outbox, polls
from storage.broadcasts import Audience
from storage.models import Broadcast, Citizen
from storage.poll_models import Poll, PollCreate

DEFAULT_OPEN_FOR = timedelta(days=7)


class PollTextError(ValueError):
    """Texts of a poll that cannot be used; the message says why."""


@dataclass(frozen=True)
class PollTexts:
    """A poll's words, per language: the question, the options (in the same order in every
    language) and the staff line on what the city will do with the result."""

    question: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Sequence[str]] = field(default_factory=dict)
    outcome: Mapping[str, str] = field(default_factory=dict)

    def merged(self, other: PollTexts) -> PollTexts:
        """These texts, with `other`'s replacing them language by language."""
        return PollTexts({**self.question, **other.question}, {**self.options, **other.options},
                         {**self.outcome, **other.outcome})  # fmt: skip


_SECTION = re.compile(r"^\[([A-Za-z]{2,3})\]\s*$")
_LINE = re.compile(r"^(question|option|then)\s*:\s*(.*)$", re.IGNORECASE)


def texts_from_file(content: str) -> PollTexts:
    """A file with one section per language, each line `question:`, `option:` (one per
    option, in order) or `then:` (what the city will do with the result):

        [en]
        question: Should the market move to Sundays?
        option: Yes
        option: No
        then: The council decides on 12 May with your answers.
        [es]
        question: ¿Debería el mercado pasar a los domingos?
        ...
    """
    question: dict[str, str] = {}
    options: dict[str, list[str]] = {}
    outcome: dict[str, str] = {}
    language: str | None = None
    for number, raw in enumerate(content.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if header := _SECTION.match(line):
            language = header.group(1).lower()
            continue
        found = _LINE.match(line)
        if language is None or found is None:
            where = "before any [language] header such as [en]" if language is None else "not question:, option: or then:"
            raise PollTextError(f"line {number} is {where}")
        what, text = found.group(1).lower(), found.group(2).strip()
        if what == "option":
            options.setdefault(language, []).append(text)
        else:
            (question if what == "question" else outcome)[language] = text
    return PollTexts(question, options, outcome)


def per_language(values: Sequence[str], *, option: str) -> dict[str, list[str]]:
    """`--option-text es=Sí --option-text es=No` -> {"es": ["Sí", "No"]}, in the order given."""
    found: dict[str, list[str]] = {}
    for value in values:
        language, separator, text = value.partition("=")
        if not separator or not language.strip():
            raise PollTextError(f"{option} {value!r} is not LANGUAGE=TEXT, e.g. {option} es=\"...\"")
        found.setdefault(language.strip().lower(), []).append(text.strip())
    return found


def checked(texts: PollTexts, *, settings: FlowSettings) -> PollTexts:
    """The texts once every language is offered, the default language has a question and
    options, every language has as many options (2 to MAX_POLL_OPTIONS, distinct, short) and
    nothing is empty or too long. A language may give only some of them: the rest of what
    its people read is the default language's."""
    default = settings.default_language
    for language in {*texts.question, *texts.options, *texts.outcome}:
        if language not in settings.languages:
            raise PollTextError(f"{language} is not in LANGUAGES ({', '.join(settings.languages)})")
    if not texts.question.get(default, "").strip():
        raise PollTextError(f"a question in the default language ({default}) is needed")
    wanted = len(texts.options.get(default, ()))
    if not 2 <= wanted <= MAX_POLL_OPTIONS:
        raise PollTextError(f"a poll needs 2 to {MAX_POLL_OPTIONS} options in {default}; it has {wanted}")
    for language, question in texts.question.items():
        _check_text(question, f"the {language} question", MAX_BROADCAST_TEXT)
    for language, labels in texts.options.items():
        if len(labels) != wanted:
            raise PollTextError(f"{language} has {len(labels)} options; the {default} text has {wanted}, in the same order")
        for label in labels:
            _check_text(label, f"the {language} option {label!r}", MAX_OPTION_LABEL)
        if len({label.casefold() for label in labels}) != len(labels):
            raise PollTextError(f"two {language} options read the same; people pick an option by its label")
    checked_outcome(texts.outcome, settings=settings)
    if texts.outcome and not texts.outcome.get(default, "").strip():
        raise PollTextError(f"the line on what the city will do needs the default language ({default}) too (--then)")
    return PollTexts(
        {k: v.strip() for k, v in texts.question.items()},
        {k: [label.strip() for label in v] for k, v in texts.options.items()},
        {k: v.strip() for k, v in texts.outcome.items()},
    )


def checked_outcome(outcome: Mapping[str, str], *, settings: FlowSettings) -> None:
    """The line on what the city will do, in offered languages, neither empty nor too long."""
    for language, line in outcome.items():
        if language not in settings.languages:
            raise PollTextError(f"{language} is not in LANGUAGES ({', '.join(settings.languages)})")
        _check_text(line, f"the {language} line on what the city will do", MAX_OUTCOME)


def _check_text(text: str, what: str, maximum: int) -> None:
    if not text.strip():
        raise PollTextError(f"{what} is empty")
    if len(text.strip()) > maximum:
        raise PollTextError(f"{what} has {len(text.strip()):,} characters; at most {maximum:,}")


def in_language(texts: Mapping[str, str], language: str, default: str) -> str:
    return texts.get(language) or texts.get(default) or ""


def labels_in(poll: Poll, language: str, default: str) -> list[str]:
    """The options in a language: its own labels where staff gave them, the default's otherwise."""
    return [in_language(option, language, default) for option in poll.options]


def message_for(
    catalogs: Catalogs, texts: PollTexts, *, other: bool, closes_at: datetime, default: str, zone: tzinfo
) -> Callable[[int, str, bool], Outbound]:
    """Renders the poll for one language, with one button per option (and "Other")."""

    def render(poll_id: int, language: str, _to_group: bool) -> Outbound:
        labels = texts.options.get(language) or texts.options[default]
        closes = catalogs.date(language, closes_at, zone)
        text = catalogs.render(language, T("poll.message", question=in_language(texts.question, language, default), date=closes))
        other_label = catalogs.render(language, T("poll.other")) if other else None
        return Outbound(text, poll_choices(poll_id, labels, other=other_label), kind="broadcast")

    return render


def queue(
    session: Session,
    *,
    texts: PollTexts,
    other: bool,
    closes_at: datetime,
    audience: Audience,
    created_by: str,
    now: datetime,
    catalogs: Catalogs,
    settings: FlowSettings,
    zone: tzinfo,
    via: str,
    send_after: datetime | None = None,
    idempotency_key: str | None = None,
) -> Poll:
    """Queue a poll as a broadcast to people only (a group chat cannot answer one by one),
    within the broadcasts' limits, caps and quiet hours; `created_by` via `via` is audited.
    With an `idempotency_key` (a console form's) it is queued once, as a broadcast is."""
    default = settings.default_language
    queued = broadcasts.queue_broadcast(
        session, text=texts.question[default], translations={k: v for k, v in texts.question.items() if k != default},
        send_after=send_after or now, audience=audience, created_by=created_by, now=now, languages=settings.languages,
        default_language=default, to_groups=False, idempotency_key=idempotency_key,
        message_for=message_for(catalogs, texts, other=other, closes_at=closes_at, default=default, zone=zone),
    )  # fmt: skip
    assert queued.id is not None
    options = [{language: labels[i] for language, labels in texts.options.items()} for i in range(len(texts.options[default]))]
    created = PollCreate(question=dict(texts.question), options=options, other=other, closes_at=closes_at,
                         outcome=dict(texts.outcome))  # fmt: skip
    poll = polls.create(session, broadcast_id=queued.id, poll=created, now=now)
    audit.record(
        session, actor=created_by, via=via, action="poll", target=f"B-{queued.id}",
        detail=f"{queued.recipients} recipients; audience {audience.described()}; closes {closes_at:%Y-%m-%d %H:%M}", now=now,
    )  # fmt: skip
    return poll


def queue_from_chat(
    session: Session, *, effect: QueuePoll, created_by: str, now: datetime, catalogs: Catalogs, settings: FlowSettings,
    zone: tzinfo, send_after: datetime,
) -> Receipt:  # fmt: skip
    """A poll a staff member composed in /poll, in the default language's place (as a
    broadcast's text from the chat is)."""
    default = settings.default_language
    texts = PollTexts({default: effect.question}, {default: list(effect.options)},
                      {default: effect.outcome} if effect.outcome else {})  # fmt: skip
    poll = queue(
        session, texts=texts, other=effect.other, closes_at=now + effect.open_for, audience=Audience(topic=effect.topic),
        created_by=created_by, now=now, catalogs=catalogs, settings=settings, zone=zone, via="chat", send_after=send_after,
    )  # fmt: skip
    ref = f"B-{poll.broadcast_id}"
    return Receipt("poll", poll.broadcast_id, ref, Outcome.QUEUED, people=recipients(session, poll=poll))


def recipients(session: Session, *, poll: Poll) -> int:
    broadcast = session.get(Broadcast, poll.broadcast_id)
    return broadcast.recipients if broadcast else 0


def view(session: Session, *, poll_id: int, citizen_id: int, language: str, default: str, now: datetime) -> PollView | None:
    """The poll as the engine sees it, if it was sent to this person."""
    found = polls.poll(session, poll_id=poll_id)
    if found is None or not broadcasts.was_sent(session, broadcast_id=poll_id, citizen_id=citizen_id):
        return None
    closed = found.closed_at is not None or found.closes_at <= now
    return PollView(poll_id, tuple(labels_in(found, language, default)), found.other, found.closes_at, closed)


def record_answer(
    session: Session, *, answer: AnswerPoll, citizen: Citizen, address: Address, language: str, now: datetime,
    catalogs: Catalogs, default: str, zone: tzinfo,
) -> bool:  # fmt: skip
    """Keep the person's answer (replacing an earlier one) if the poll was sent to them and
    is open, and confirm it with the poll's buttons, to change it; otherwise say it closed."""
    assert citizen.id is not None
    # Locked first: an answer and staff closing the poll early wait for each other, so no
    # answer is counted after its results were tallied.
    polls.lock(session, poll_id=answer.poll_id)
    shown = view(session, poll_id=answer.poll_id, citizen_id=citizen.id, language=language, default=default, now=now)
    valid = shown is not None and (answer.option is None or 0 <= answer.option < len(shown.options))
    if shown is None or shown.closed or not valid or (answer.option is None and not answer.other_text):
        reply = Outbound(catalogs.render(language, T("poll.closed" if shown and shown.closed else "poll.not_received")))
        outbox.enqueue(session, address=address, replies=[reply], citizen_id=citizen.id, now=now)
        return False
    earlier = polls.response_of(session, poll_id=answer.poll_id, citizen_id=citizen.id)
    area = broadcasts.following(session, citizen_id=citizen.id).area
    polls.record_response(
        session, poll_id=answer.poll_id, citizen_id=citizen.id, option=answer.option,
        other_text=answer.other_text if answer.option is None else None, language=language, area=area, now=now,
    )  # fmt: skip
    given = shown.options[answer.option] if answer.option is not None else answer.other_text
    key = "poll.changed" if earlier is not None else "poll.thanks"
    text = catalogs.render(language, T(key, answer=given, date=catalogs.date(language, shown.closes_at, zone)))
    other_label = catalogs.render(language, T("poll.other")) if shown.other else None
    confirmation = Outbound(text, poll_choices(answer.poll_id, shown.options, other=other_label), kind="notification")
    outbox.enqueue(session, address=address, replies=[confirmation], citizen_id=citizen.id, now=now)
    return True
