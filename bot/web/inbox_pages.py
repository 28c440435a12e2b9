"""The inbox: every submission, newest first, with filters, counts per status and pages
(also as JSON at /api/inbox)."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.app import CAPABILITIES
from bot.operations.team_routing import overdue_cutoff
from bot.web.console import Console, SignedIn, staff_only
from conversations.refs import STATUSES
from storage import console_inbox, design_teams, teams
from storage.api_key_models import PARTNER_CHANNEL
from storage.console_inbox import InboxFilter
from storage.submissions import TABLES

PAGE_SIZE = 50
# Where submissions come from: the chat channels, and partners through the Open311 API.
CHANNELS = (*CAPABILITIES, PARTNER_CHANNEL)
_FILTERS = ("status", "kind", "category", "language", "channel", "area", "q", "overdue", "team")


def filters_from(request: Request, console: Console) -> InboxFilter:
    """The filters in the query string; values that are not offered are ignored."""
    query = request.query_params
    settings = console.app.settings

    def offered(name: str, values: Any) -> str | None:
        value = query.get(name, "").strip()
        return value if value in values else None

    promised_after = settings.followup_after[0] if settings.followup_after else timedelta(0)
    return InboxFilter(
        status=offered("status", STATUSES),
        kind=offered("kind", TABLES),
        category=offered("category", settings.categories),
        language=offered("language", settings.languages),
        channel=offered("channel", CHANNELS),
        area=query.get("area", "").strip()[:100] or None,
        search=query.get("q", "").strip()[:200] or None,
        overdue_before=overdue_cutoff(console.now(), promised_after, settings.zone) if query.get("overdue") == "1" else None,
        team_id=int(query["team"]) if query.get("team", "").isdigit() and len(query["team"]) < 10 else None,
    )


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, min(int(raw), 100_000)) if raw.isdigit() else 1


@staff_only
async def inbox(request: Request, console: Console, _who: SignedIn) -> Response:
    filters = filters_from(request, console)
    number = _page_number(request)
    page = await console.read(console_inbox.inbox_page, filters=filters, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    kept = {name: request.query_params[name] for name in _FILTERS if request.query_params.get(name)}
    status_links = {
        status: "/?" + urlencode({**{k: v for k, v in kept.items() if k != "status"}, **({"status": status} if status else {})})
        for status in ("", *STATUSES)
    }
    pages = max(1, -(-page.total // PAGE_SIZE))
    ready = await console.read(design_teams.ready_not_formed, min_supporters=console.app.settings.team_supporters)
    return console.page(
        request,
        "inbox.html",
        page=page,
        ready=ready,
        filters=filters,
        kept=kept,
        status_links=status_links,
        number=number,
        pages=pages,
        previous_link="/?" + urlencode({**kept, "page": number - 1}) if number > 1 else None,
        next_link="/?" + urlencode({**kept, "page": number + 1}) if number < pages else None,
        statuses=STATUSES,
        kinds=tuple(TABLES),
        categories=console.app.settings.categories,
        languages=console.app.settings.languages,
        channels=CHANNELS,
        teams=await console.read(teams.team_choices),
        any_filter=replace(filters, status=None) != InboxFilter(),
    )


@staff_only
async def inbox_json(request: Request, console: Console, _who: SignedIn) -> Response:
    filters = filters_from(request, console)
    number = _page_number(request)
    page = await console.read(console_inbox.inbox_page, filters=filters, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    rows = [{**asdict(row), "created_at": row.created_at.isoformat()} for row in page.rows]
    return JSONResponse({"total": page.total, "counts": page.counts, "page": number, "rows": rows})
