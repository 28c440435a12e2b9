"""Polls in the console: sending one (in the default language, to an audience as a
broadcast's), each poll with how many answered, and a poll's live results
(counts and percentages overall, by language and by area, never a group of fewer than 5
people), the "Other" texts, and the line on what the city will do with it (which sends the
results of a closed poll waiting for it), as `cocreate polls` shows and does."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sqlalchemy.exc import IntegrityError

from bot.app import CAPABILITIES
from bot.operations import broadcasting, poll_results, polling
from bot.operations.poll_results import MIN_GROUP, Results
from bot.web.broadcast_pages import _audience, _form, _once
from bot.web.console import Console, SignedIn, staff_only
from storage import broadcasts, polls
from storage.poll_models import Poll


OPEN_FOR_DAYS = (3, 7, 14, 30)


def routes() -> list[Route]:
    return [
        Route("/polls", poll_list),
        Route("/polls/new", compose, methods=["GET", "POST"]),
        Route("/polls/{id:int}", poll_page),
        Route("/polls/{id:int}/outcome", give_outcome, methods=["POST"]),
        Route("/polls/{id:int}/close", close_now, methods=["POST"]),
    ]


@dataclass(frozen=True)
class PollRow:
    poll: Poll
    recipients: int
    answered: int


@dataclass(frozen=True)
class PollResults:
    poll: Poll
    results: Results
    others: list[str]
    labels: list[str]


def _rows(session: Session) -> list[PollRow]:
    return [
        PollRow(p, polling.recipients(session, poll=p), poll_results.results(session, poll=p).overall.people)
        for p in polls.all_polls(session)
    ]


def _results(session: Session, *, poll_id: int, default: str) -> PollResults | None:
    found = polls.poll(session, poll_id=poll_id)
    if found is None:
        return None
    labels = polling.labels_in(found, default, default)
    return PollResults(found, poll_results.results(session, poll=found), polls.other_texts(session, poll_id=poll_id), labels)


_STAGES = {"open": "web.polls.state.open", "closing": "web.polls.state.closing", "waiting": "web.polls.state.waiting",
           "sent": "web.polls.state.sent"}  # fmt: skip


def _state(poll: Poll, console: Console) -> str:
    """How a poll stands, as a key of the console's texts."""
    return _STAGES[poll_results.stage(poll, console.now())]


@staff_only
async def poll_list(request: Request, console: Console, _who: SignedIn) -> Response:
    rows = await console.read(_rows)
    default = console.app.settings.default_language
    return console.page(request, "polls.html", rows=rows, state=lambda p: _state(p, console),
                        question=lambda p: polling.in_language(p.question, default, default))  # fmt: skip


async def _poll_page(request: Request, console: Console, *, status_code: int = 200, error: str | None = None) -> Response:
    default = console.app.settings.default_language
    found = await console.read(_results, poll_id=request.path_params["id"], default=default)
    if found is None:
        return console.page(request, "error.html", status_code=404, message=console.say(request, "web.error.no_poll"))
    return console.page(
        request, "poll.html", status_code=status_code, found=found, error=error, minimum=MIN_GROUP,
        state=_state(found.poll, console), question=polling.in_language(found.poll.question, default, default),
        outcome=polling.in_language(found.poll.outcome, default, default), done=request.query_params.get("done"),
    )  # fmt: skip


async def _compose_page(request: Request, console: Console, form: dict[str, str], *, error: str | None = None) -> Response:
    settings = console.app.settings
    return console.page(
        request, "poll_compose.html", status_code=400 if error else 200, form=form, error=error, once=secrets.token_urlsafe(24),
        languages=settings.languages, default_language=settings.default_language, categories=settings.categories,
        channels=tuple(CAPABILITIES), open_for=OPEN_FOR_DAYS,
    )  # fmt: skip


@staff_only
async def compose(request: Request, console: Console, who: SignedIn) -> Response:
    """The form, and sending it: queued once per form (its one-time key is the broadcast's)."""
    form, once = await _form(request), await _once(request)
    if request.method != "POST":
        return await _compose_page(request, console, form)
    app, settings = console.app, console.app.service.settings
    default, now = settings.default_language, console.now()
    labels = [line.strip() for line in form.get("options", "").splitlines() if line.strip()]
    texts = polling.PollTexts({default: form.get("question", "")}, {default: labels},
                              {default: form["outcome"]} if form.get("outcome", "").strip() else {})  # fmt: skip
    days = int(form["days"]) if form.get("days", "").isdigit() and int(form["days"]) in OPEN_FOR_DAYS else 7
    try:
        texts = polling.checked(texts, settings=settings)
    except polling.PollTextError as error:
        return await _compose_page(request, console, form, error=str(error))
    audience = _audience(form, console)

    def queue(session: Session) -> int | None:
        sent_before = broadcasts.broadcast_with_key(session, idempotency_key=once) if once else None
        if sent_before is not None:
            return sent_before
        if broadcasting.audience_total(session, audience=audience, settings=settings, groups=False) == 0:
            return None
        queued = polling.queue(
            session, texts=texts, other=form.get("other") == "yes", closes_at=now + timedelta(days=days),
            audience=audience, created_by=who.identity, now=now, catalogs=app.catalogs, settings=settings,
            zone=app.settings.zone, via="console", send_after=app.notices.quiet.release(now), idempotency_key=once,
        )  # fmt: skip
        return queued.broadcast_id

    try:
        poll_id = await console.write(queue)
    except IntegrityError:  # the same form, sent at the same moment, won the race
        poll_id = await console.read(broadcasts.broadcast_with_key, idempotency_key=once or "")
    if poll_id is None:
        return await _compose_page(request, console, form, error=console.say(request, "web.broadcast.nobody"))
    return RedirectResponse(f"/polls/{poll_id}", status_code=303)


@staff_only
async def poll_page(request: Request, console: Console, _who: SignedIn) -> Response:
    return await _poll_page(request, console)


@staff_only
async def give_outcome(request: Request, console: Console, who: SignedIn) -> Response:
    """The line on what the city will do, in the default language; a closed poll waiting for
    it sends its results now."""
    form = await request.form()
    line = str(form.get("outcome") or "").strip()
    settings, poll_id = console.app.service.settings, request.path_params["id"]
    try:
        polling.checked_outcome({settings.default_language: line}, settings=settings)
    except polling.PollTextError as error:
        return await _poll_page(request, console, status_code=400, error=str(error))
    return await _act(request, console, who, outcome={settings.default_language: line}, close=False)


@staff_only
async def close_now(request: Request, console: Console, who: SignedIn) -> Response:
    return await _act(request, console, who, outcome={}, close=True)


async def _act(request: Request, console: Console, who: SignedIn, *, outcome: dict[str, str], close: bool) -> Response:
    app, poll_id = console.app, request.path_params["id"]
    try:
        await console.write(
            poll_results.staff_action, poll_id=poll_id, outcome=outcome, close=close, actor=who.identity, via="console",
            now=console.now(), notices=app.notices,
        )  # fmt: skip
    except poll_results.PollActionError:
        return await _poll_page(request, console, status_code=409, error=console.say(request, "web.polls.cannot"))
    return RedirectResponse(f"/polls/{poll_id}?done=1", status_code=303)
