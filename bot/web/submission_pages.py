"""One submission, and what staff do with it: change its status with a note (the people
concerned are told, as with `cocreate status`), merge it into another as a duplicate, add an
internal note, ask the submitter a question. Every action goes through bot/operations/."""

from __future__ import annotations

from typing import Any, Callable

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.operations import moderation, questions_to_submitters, status_changes
from bot.operations.status_changes import StaffActionError
from bot.web.console import Console, SignedIn, staff_only
from conversations.refs import STATUSES, make_ref, parse_ref
from bot.web import photos
from storage import console_submission, photo_cache, submissions, teams

# What the page says after an action (the key travels in the redirect's query string).
DONE = {"status": "web.done.status", "merged": "web.done.merged", "note": "web.done.note", "question": "web.done.question",
        "hide": "web.done.hide", "approve": "web.done.approve", "team": "web.done.team"}  # fmt: skip
MAX_NOTE = 2000


def _ref(request: Request) -> tuple[str, int] | None:
    return parse_ref(request.path_params["ref"])


async def _show(
    request: Request, console: Console, kind: str, id_: int, *, status_code: int = 200, error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    view = await console.read(console_submission.submission_view, kind=kind, id_=id_)
    if view is None:
        missing = console.say(request, "web.error.no_submission", ref=make_ref(kind, id_))
        return console.page(request, "error.html", status_code=404, message=missing)
    done = DONE.get(request.query_params.get("done", ""))
    settings = console.app.settings
    team_now = await console.read(teams.team_of, kind=kind, target_id=id_)
    return console.page(
        request,
        "submission.html",
        status_code=status_code,
        view=view,
        error=error,
        done=console.say(request, done) if done and error is None else None,
        form=form or {},
        statuses=[s for s in STATUSES if s not in {view.status, "duplicate"}],
        tiles=settings.map_tiles_url or "",
        teams=[name for _, name in await console.read(teams.team_choices)],
        team_now=team_now.name if team_now else None,
    )


@staff_only
async def submission(request: Request, console: Console, _who: SignedIn) -> Response:
    parsed = _ref(request)
    if parsed is None:
        return console.page(request, "error.html", status_code=404, message=console.say(request, "web.error.bad_ref"))
    return await _show(request, console, *parsed)


async def _act(
    request: Request, console: Console, action: Callable[[Session, str, dict[str, str]], Any], done: str,
    check: Callable[[dict[str, str]], str | None] = lambda _form: None,
) -> Response:  # fmt: skip
    """Run an action in one transaction and go back to the submission (Post/Redirect/Get);
    a refused action shows the page again with why, and what was typed."""
    parsed = _ref(request)
    if parsed is None:
        return console.page(request, "error.html", status_code=404, message=console.say(request, "web.error.bad_ref"))
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str) and key != "csrf"}
    problem = check(form)
    if problem is None:
        try:
            ref = make_ref(*parsed)
            await console.write(lambda session: action(session, ref, form))
        except StaffActionError as error:
            problem = str(error)
    if problem is not None:
        return await _show(request, console, *parsed, status_code=400, error=problem, form=form)
    return RedirectResponse(f"/submissions/{make_ref(*parsed)}?done={done}#history", status_code=303)


def _note(form: dict[str, str], name: str = "note") -> str | None:
    return form.get(name, "").replace("\r\n", "\n").strip()[:MAX_NOTE] or None


@staff_only
async def change_status(request: Request, console: Console, who: SignedIn) -> Response:
    texts = console.texts_for(request)

    def check(form: dict[str, str]) -> str | None:
        if form.get("status") not in STATUSES or form.get("status") == "duplicate":
            return texts("web.error.pick_status")
        if form["status"] == "declined" and not _note(form):
            return texts("web.error.decline_needs_note")
        return None

    def act(session: Session, ref: str, form: dict[str, str]) -> Any:
        return status_changes.change_status(
            session, ref=ref, status=form["status"], note=_note(form), by=who.identity, duplicate_of=None,
            now=console.now(), notices=console.app.notices, via="console",
        )  # fmt: skip

    return await _act(request, console, act, "status", check)


@staff_only
async def merge(request: Request, console: Console, who: SignedIn) -> Response:
    def check(form: dict[str, str]) -> str | None:
        return None if parse_ref(form.get("original", "")) else console.say(request, "web.error.original")

    def act(session: Session, ref: str, form: dict[str, str]) -> Any:
        original = make_ref(*parse_ref(form["original"]))  # type: ignore[misc]
        return status_changes.change_status(
            session, ref=ref, status="duplicate", note=_note(form), by=who.identity, duplicate_of=original,
            now=console.now(), notices=console.app.notices, via="console",
        )  # fmt: skip

    return await _act(request, console, act, "merged", check)


@staff_only
async def moderate(request: Request, console: Console, who: SignedIn) -> Response:
    """Hide from other residents (the author is told, with the note) or approve to be shown."""
    action = ""

    def check(form: dict[str, str]) -> str | None:
        nonlocal action
        action = form.get("action", "")
        return None if action in moderation.ACTIONS else console.say(request, "web.error.pick_moderation")

    def act(session: Session, ref: str, form: dict[str, str]) -> Any:
        return moderation.moderate(
            session, ref=ref, action=form["action"], note=_note(form), by=who.identity, now=console.now(),
            notices=console.app.notices, via="console",
        )  # fmt: skip

    response = await _act(request, console, act, "moderated", check)
    if isinstance(response, RedirectResponse):  # say which was done
        response.headers["location"] = response.headers["location"].replace("done=moderated", f"done={action}")
    return response


@staff_only
async def add_note(request: Request, console: Console, who: SignedIn) -> Response:
    """An internal note: the history line of a status that does not move (nobody is told)."""

    def check(form: dict[str, str]) -> str | None:
        return None if _note(form) else console.say(request, "web.error.empty_note")

    def act(session: Session, ref: str, form: dict[str, str]) -> Any:
        kind, id_ = parse_ref(ref)  # type: ignore[misc]
        current = submissions.summary_of(session, kind=kind, id=id_)
        if current is None:
            raise StaffActionError(f"{ref} does not exist")
        return status_changes.change_status(
            session, ref=ref, status=current.status, note=_note(form), by=who.identity, duplicate_of=None,
            now=console.now(), notices=console.app.notices, via="console",
        )  # fmt: skip

    return await _act(request, console, act, "note", check)


@staff_only
async def reassign(request: Request, console: Console, who: SignedIn) -> Response:
    """Give the submission to another team (its history and the audit log keep it; the team's chat gets its card)."""

    def check(form: dict[str, str]) -> str | None:
        return None if form.get("team") else console.say(request, "web.error.pick_team")

    def act(session: Session, ref: str, form: dict[str, str]) -> Any:
        return console.app.routing.reassign(
            session, ref=ref, team_name=form["team"], by=who.identity, via="console", now=console.now()
        )

    return await _act(request, console, act, "team", check)


@staff_only
async def ask(request: Request, console: Console, who: SignedIn) -> Response:
    def check(form: dict[str, str]) -> str | None:
        return None if _note(form, "question") else console.say(request, "web.error.empty_question")

    def act(session: Session, ref: str, form: dict[str, str]) -> Any:
        return questions_to_submitters.ask_submitter(
            session, ref=ref, question=form["question"], by=who.identity, now=console.now(), notices=console.app.notices
        )

    return await _act(request, console, act, "question", check)


@staff_only
async def photo(request: Request, console: Console, _who: SignedIn) -> Response:
    """The submission's photo: from the cache, or fetched from its channel and kept."""
    parsed = _ref(request)
    found = await console.read(console_submission.photo_reference, kind=parsed[0], id_=parsed[1]) if parsed else None
    if found is None:
        return Response(status_code=404)
    channel, file_id = found
    kept = await console.read(photo_cache.cached_photo, file_id=file_id)
    if kept is None:
        kept = await photos.fetch_photo(console.app.settings, channel=channel, file_id=file_id)
        if kept is None:
            return Response(status_code=404)
        await console.write(photo_cache.keep_photo, file_id=file_id, content_type=kept[1], data=kept[0], now=console.now())
    return Response(kept[0], media_type=kept[1], headers={"Cache-Control": "private, max-age=86400"})
