"""Polls in the console: each poll with how many answered, and a poll's live results
(counts and percentages overall, by language and by area, never a group of fewer than 5
people), the "Other" texts, and the line on what the city will do with it (which sends the
results of a closed poll waiting for it), as `cocreate polls` shows and does."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.operations import poll_results, polling
from bot.operations.poll_results import MIN_GROUP, Results
from bot.web.console import Console, SignedIn, staff_only
from storage import polls
from storage.poll_models import Poll


def routes() -> list[Route]:
    return [
        Route("/polls", poll_list),
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


def _state(poll: Poll, console: Console) -> str:
    """How a poll stands, as a key of the console's texts."""
    if poll.results_sent_at is not None:
        return "web.polls.state.sent"
    if poll.closed_at is not None or poll.closes_at <= console.now():
        return "web.polls.state.waiting" if not poll.outcome else "web.polls.state.closing"
    return "web.polls.state.open"


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
