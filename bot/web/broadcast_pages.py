"""Broadcasts: compose a text per language, choose the audience, see who gets which language,
confirm, and watch delivery (sent, pending, failed, blocked, 429s, reach) update live. Queued
by bot/operations/broadcasting.py, as `cocreate broadcast` and /broadcast do."""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.app import CAPABILITIES
from bot.operations import broadcasting
from bot.web.console import Console, SignedIn, staff_only
from storage import broadcasts, reach_links
from storage.broadcasts import Audience, BroadcastReport

# The confirm form's one-time key: a second POST of the same form (a double click, a
# replayed request) finds the broadcast the first one queued instead of queueing another.
ONCE = "once"
_ONCE_FORMAT = re.compile(r"[A-Za-z0-9_-]{16,64}")

def routes() -> list[Route]:
    return [
        Route("/broadcasts", broadcast_list),
        Route("/broadcasts/new", compose, methods=["GET", "POST"]),
        Route("/broadcasts/audience", audience_size, methods=["POST"]),
        Route("/broadcasts/preview", preview, methods=["POST"]),
        Route("/broadcasts/send", send, methods=["POST"]),
        Route("/broadcasts/{id:int}", progress_page),
        Route("/broadcasts/{id:int}/progress", progress_fragment),
        Route("/api/broadcasts/{id:int}", progress_json),
    ]


def _audience(form: dict[str, str], console: Console) -> Audience:
    """The audience a form describes (everyone who follows topics, narrowed by what is set);
    values that are not offered count as "any"."""
    settings = console.app.settings
    return Audience(
        topic=form.get("topic") if form.get("topic") in settings.categories else None,
        language=form.get("language") if form.get("language") in settings.languages else None,
        channel=form.get("channel") if form.get("channel") in CAPABILITIES else None,
        area=form.get("area", "").strip()[:100] or None,
    )


def _texts(form: dict[str, str], console: Console) -> dict[str, str]:
    return {lang: form.get(f"text_{lang}", "") for lang in console.app.settings.languages if form.get(f"text_{lang}", "").strip()}


async def _form(request: Request) -> dict[str, str]:
    if request.method != "POST":
        return {}
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str) and key not in ("csrf", ONCE)}


async def _once(request: Request) -> str | None:
    given = (await request.form()).get(ONCE)
    return given if isinstance(given, str) and _ONCE_FORMAT.fullmatch(given) else None


async def _compose_page(request: Request, console: Console, form: dict[str, str], *, error: str | None = None) -> Response:
    """The form, with how many people its audience reaches now (htmx updates it on change)."""
    settings = console.app.settings
    sizes = await console.read(broadcasts.audience_size, audience=_audience(form, console), default_language=settings.default_language)
    return console.page(
        request, "broadcast_compose.html", status_code=400 if error else 200, form=form, error=error,
        languages=settings.languages, default_language=settings.default_language, categories=settings.categories,
        channels=tuple(CAPABILITIES), sizes=sizes, given=_texts(form, console), total=sum(sizes.values()),
    )  # fmt: skip


@staff_only
async def broadcast_list(request: Request, console: Console, _who: SignedIn) -> Response:
    found = await console.read(broadcasts.reports)
    measured = await console.read(reach_links.measured_by_broadcast)
    return console.page(request, "broadcasts.html", reports=list(reversed(found)), measured=measured)


@staff_only
async def compose(request: Request, console: Console, _who: SignedIn) -> Response:
    return await _compose_page(request, console, await _form(request))


@staff_only
async def audience_size(request: Request, console: Console, _who: SignedIn) -> Response:
    """How many people the audience being composed reaches, per language (an htmx fragment)."""
    form = await _form(request)
    sizes = await console.read(
        broadcasts.audience_size, audience=_audience(form, console), default_language=console.app.settings.default_language
    )
    return console.page(request, "_audience.html", sizes=sizes, given=_texts(form, console), total=sum(sizes.values()))


@staff_only
async def preview(request: Request, console: Console, _who: SignedIn) -> Response:
    return await _confirm_page(request, console, await _form(request))


async def _confirm_page(request: Request, console: Console, form: dict[str, str]) -> Response:
    """What the broadcast will be, and the Send button: its form carries a fresh one-time key."""
    settings = console.app.service.settings
    try:
        default_text, translations = broadcasting.checked_texts(_texts(form, console), settings=settings)
    except broadcasting.BroadcastTextError as error:
        return await _compose_page(request, console, form, error=str(error))
    sizes = await console.read(broadcasts.audience_size, audience=_audience(form, console), default_language=settings.default_language)
    rendered = {
        lang: broadcasting.preview(console.app.catalogs, lang, translations.get(lang, default_text), links=console.app.service.join_links)
        for lang in sizes
        if lang != "groups"
    }
    return console.page(
        request, "broadcast_confirm.html", form=form, sizes=sizes, total=sum(sizes.values()), given=translations,
        rendered=rendered, default_language=settings.default_language, audience=_audience(form, console),
        once=secrets.token_urlsafe(24),
    )  # fmt: skip


@staff_only
async def send(request: Request, console: Console, who: SignedIn) -> Response:
    form, once = await _form(request), await _once(request)
    if once is None:  # not from the confirm page: show it, with its key
        return await _confirm_page(request, console, form)
    app = console.app
    try:
        default_text, translations = broadcasting.checked_texts(_texts(form, console), settings=app.service.settings)
    except broadcasting.BroadcastTextError as error:
        return await _compose_page(request, console, form, error=str(error))
    audience, now = _audience(form, console), console.now()

    def queue(session: Session) -> int | None:
        sent_before = broadcasts.broadcast_with_key(session, idempotency_key=once)
        if sent_before is not None:
            return sent_before
        if broadcasting.audience_total(session, audience=audience, settings=app.service.settings) == 0:
            return None
        queued = broadcasting.queue(
            session, text=default_text, audience=audience, created_by=who.identity, now=now, catalogs=app.catalogs,
            settings=app.service.settings, send_after=app.notices.quiet.release(now), translations=translations,
            via="console",
            idempotency_key=once, links=app.service.join_links,
        )  # fmt: skip
        return queued.id

    try:
        broadcast_id = await console.write(queue)
    except IntegrityError:  # the same form, sent at the same moment, won the race: show its broadcast
        broadcast_id = await console.read(broadcasts.broadcast_with_key, idempotency_key=once)
    if broadcast_id is None:
        return await _compose_page(request, console, form, error=console.say(request, "web.broadcast.nobody"))
    return RedirectResponse(f"/broadcasts/{broadcast_id}", status_code=303)


async def _report(console: Console, broadcast_id: int) -> BroadcastReport | None:
    found = await console.read(broadcasts.reports, broadcast_id=broadcast_id)
    return found[0] if found else None


async def _measured(console: Console, broadcast_id: int) -> reach_links.Measured | None:
    """What the broadcast's personal links brought (None: it was sent without them)."""
    return (await console.read(reach_links.measured_by_broadcast, broadcast_id=broadcast_id)).get(broadcast_id)


def _not_found(request: Request, console: Console) -> Response:
    return console.page(request, "error.html", status_code=404, message=console.say(request, "web.error.no_broadcast"))


@staff_only
async def progress_page(request: Request, console: Console, _who: SignedIn) -> Response:
    report = await _report(console, request.path_params["id"])
    if report is None:
        return _not_found(request, console)
    return console.page(request, "broadcast.html", report=report, measured=await _measured(console, report.id))


@staff_only
async def progress_fragment(request: Request, console: Console, _who: SignedIn) -> Response:
    report = await _report(console, request.path_params["id"])
    if report is None:
        return _not_found(request, console)
    return console.page(request, "_progress.html", report=report, measured=await _measured(console, report.id))


@staff_only
async def progress_json(request: Request, console: Console, _who: SignedIn) -> Response:
    report = await _report(console, request.path_params["id"])
    if report is None:
        return JSONResponse({"error": "no such broadcast"}, status_code=404)
    measured = await _measured(console, report.id)
    body: dict[str, Any] = {
        **asdict(report), "created_at": report.created_at.isoformat(), "done": report.pending == 0,
        "measured": asdict(measured) if measured else None,
    }  # fmt: skip
    return JSONResponse(body)
