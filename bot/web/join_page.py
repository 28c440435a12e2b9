"""The public page a diffuser's personal link opens on channels without deep links
(WEB_BASE_URL/join/<code>): how to reach the bot, in the visitor's language. Outside the
console's sign-in; it shows nothing about whose link it is, sets no cookie and loads nothing
from elsewhere. An opening of a real link is counted (storage/reach_links.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot.operations.reach import JoinLinks
from bot.web.console import Console
from storage import reach_links


def routes() -> list[Route]:
    return [Route("/join/{code}", join, methods=["GET"])]


def preferred_languages(header: str | None, offered: tuple[str, ...]) -> list[str]:
    """Accept-Language's languages the bot offers, most wanted first ("pt-BR;q=0.8" -> pt)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        language = tag.strip().replace("_", "-").split("-")[0].lower()
        if language in offered and weight > 0:
            ranked.append((-weight, position, language))
    return [language for _, _, language in sorted(ranked)]


async def join(request: Request) -> Response:
    console: Console = request.app.state.console
    settings = console.app.settings
    code = request.path_params["code"]
    known = await console.write(reach_links.record_visit, code=code)
    wanted = preferred_languages(request.headers.get("accept-language"), settings.languages)
    texts = console.texts.speaking(*wanted, settings.default_language)
    links = console.app.service.join_links or JoinLinks(settings.web_url)
    html = console.templates.get_template("join.html").render(
        _=texts,
        telegram=links.telegram_deep_link(code if known else "join"),
        slack=settings.slack_bot_token is not None,
    )
    # No cache keeps the code (no referrer carries it on either: bot/web/security.py says so
    # for every page).
    return HTMLResponse(html, status_code=200, headers={"Cache-Control": "no-store"})
