"""Problems sent by partners through the Open311 API (`POST requests.json`): what a request
must hold, and saving it the way the chat saves a problem (a reference, status new, its
follow-up dates, the same moderation and privacy rules), in one transaction that also checks
the key (revoked keys are refused at once) and its rate limit."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping
from urllib.parse import urlsplit

from sqlmodel import Session

from conversations.contact_details import has_contact_details
from conversations.context import FlowSettings
from conversations.flows.common import title_of
from conversations.moderation import PENDING, initial_moderation
from conversations.refs import make_ref
from conversations.validation import MAX_DESCRIPTION, has_control_characters, has_words
from bot.operations.sign_in import hashed
from bot.operations.team_routing import Routing
from storage import api_keys, followups, submissions
from storage.models import ProblemCreate

MIN_DESCRIPTION = 10  # as the chat asks (conversations/validation.py)
MAX_ADDRESS = 300  # a place typed in the chat
MAX_MEDIA_URL = 1_900  # its history line ("Photo: <url>") fits a note's 2,000
RATE_WINDOW = timedelta(hours=1)
NO_KEY = "api_key is missing, unknown or revoked"


class Refused(Exception):
    """A request the API turns down: the HTTP status and one sentence for the partner."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after


def _invalid(description: str) -> Refused:
    return Refused(400, description)


@dataclass(frozen=True)
class PartnerProblem:
    """A valid request: the category, the words, where, and a photo's URL."""

    service_code: str
    description: str
    latitude: float | None
    longitude: float | None
    address: str | None
    media_url: str | None


@dataclass(frozen=True)
class Created:
    ref: str
    follow_up: datetime | None  # when the city first looks at where it stands
    private: bool  # contact details in it: the city team only
    held: bool  # waits for staff before the public sees it


def _text(fields: Mapping[str, str], name: str, *, minimum: int, maximum: int) -> str | None:
    raw = fields.get(name)
    if raw is None or not raw.strip():
        return None
    text = raw.replace("\r\n", "\n").strip()
    if has_control_characters(text):
        raise _invalid(f"{name} contains control characters")
    if not has_words(text):
        raise _invalid(f"{name} needs words (letters or digits)")
    if not minimum <= len(text) <= maximum:
        raise _invalid(f"{name} is {len(text):,} characters long; it must be {minimum:,} to {maximum:,}")
    return text


def _coordinate(fields: Mapping[str, str], name: str, limit: float) -> float | None:
    raw = fields.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise _invalid(f"{name} is not a number: {raw[:40]!r}") from None
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise _invalid(f"{name} must be between -{limit:g} and {limit:g}")
    return value


def _media_url(fields: Mapping[str, str]) -> str | None:
    raw = fields.get("media_url", "").strip()
    if not raw:
        return None
    if len(raw) > MAX_MEDIA_URL or any(ch.isspace() or not ch.isprintable() for ch in raw):
        raise _invalid(f"media_url must be one URL of at most {MAX_MEDIA_URL:,} characters")
    try:
        parts = urlsplit(raw)
    except ValueError:
        raise _invalid("media_url is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid("media_url must be an http:// or https:// URL")
    return raw


def parse(fields: Mapping[str, str], *, categories: tuple[str, ...]) -> PartnerProblem:
    """A request's fields checked as the chat checks what a person writes. Fields about the
    person who called (email, first_name, last_name, phone, device_id, account_id) are not
    read: the city's records of people are the partner's, not ours."""
    code = fields.get("service_code", "").strip()
    if not code:
        raise _invalid("service_code is required (services.json lists them)")
    if code not in categories:
        raise _invalid(f"service_code {code[:64]!r} is not a service (services.json lists them)")
    description = _text(fields, "description", minimum=MIN_DESCRIPTION, maximum=MAX_DESCRIPTION)
    if description is None:
        raise _invalid("description is required: what the problem is")
    latitude, longitude = _coordinate(fields, "lat", 90), _coordinate(fields, "long", 180)
    if (latitude is None) != (longitude is None):
        raise _invalid("lat and long go together: send both, or address_string instead")
    address = _text(fields, "address_string", minimum=2, maximum=MAX_ADDRESS)
    if latitude is None and address is None:
        raise _invalid("a location is required: lat and long, or address_string (address_id is not supported)")
    return PartnerProblem(code, description, latitude, longitude, address, _media_url(fields))


def _within_limit(session: Session, *, api_key_id: int, per_hour: int, now: datetime) -> None:
    """Refuse (429) a key that sent its hour's worth, saying when the oldest of them ages out."""
    recent = api_keys.sent_since(session, api_key_id=api_key_id, since=now - RATE_WINDOW)
    if len(recent) >= per_hour:
        wait = recent[len(recent) - per_hour] + RATE_WINDOW - now
        retry_after = max(1, math.ceil(wait.total_seconds()))
        raise Refused(429, f"this key sent {per_hour:,} requests in the last hour; try again later", retry_after)


def create(
    session: Session, *, api_key: str, problem: PartnerProblem, settings: FlowSettings, routing: Routing, per_hour: int,
    now: datetime,
) -> Created:
    """Save a partner's problem, once its key is found unrevoked and within its rate limit:
    like the chat's, it goes to its team (whose chat gets the card) and to partners'
    webhooks, in this transaction."""
    key = api_keys.active_key(session, key_hash=hashed(api_key), lock=True) if api_key else None
    if key is None or key.id is None:
        raise Refused(403, NO_KEY)
    _within_limit(session, api_key_id=key.id, per_hour=per_hour, now=now)
    texts = [problem.description, *([problem.address] if problem.address else [])]
    private = any(has_contact_details(text, region=settings.phone_region) for text in texts)
    moderation = initial_moderation(texts, mode=settings.moderation, terms=settings.abusive_terms)
    problem_in = ProblemCreate(
        description=problem.description, title=title_of(problem.description), category=problem.service_code,
        language=settings.default_language, place=problem.address, latitude=problem.latitude, longitude=problem.longitude,
    )  # fmt: skip
    created = submissions.create_problem(
        session, citizen_id=key.citizen_id, problem_in=problem_in, now=now, moderation=moderation, private=private
    )
    assert created.id is not None
    due = [now + offset for offset in settings.followup_after]
    followups.schedule(session, kind="problem", target_id=created.id, due=due)
    api_keys.record_request(session, problem_id=created.id, api_key_id=key.id, media_url=problem.media_url, now=now)
    routing.submission_created(session, kind="problem", id_=created.id, now=now)
    if problem.media_url:  # so staff see it beside the rest of the history
        submissions.keep_note(
            session, kind="problem", id_=created.id, status=created.status, note=f"Photo: {problem.media_url}",
            by=f"citizen:{key.citizen_id}", now=now,
        )  # fmt: skip
    return Created(make_ref("problem", created.id), due[0] if due else None, private, moderation == PENDING)
