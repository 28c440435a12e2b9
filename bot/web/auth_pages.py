"""Signing in with a one-time link, and signing out.

Opening a link shows a page with a Sign in button; only pressing it (a POST) uses the link.
Chat apps fetch links to show previews, and such a fetch must not burn the link."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from sqlmodel import Session

from bot.operations import sign_in
from bot.web.console import Console, SignedIn, staff_only
from bot.web.security import COOKIE, SESSION_LIFETIME
from storage import audit, web_access
from storage.web_access import LinkState

# How a link that cannot be used is explained, and its HTTP status.
_UNUSABLE = {"used": ("web.link.used", 410), "expired": ("web.link.expired", 410), "unknown": ("web.link.unknown", 404)}


async def signin_page(request: Request) -> Response:
    console: Console = request.app.state.console
    if await console.signed_in(request) is not None:
        return RedirectResponse("/", status_code=303)
    signed_out = request.query_params.get("signed_out") == "1"
    return console.page(request, "signin.html", signed_out=signed_out, refused=False)


async def link_page(request: Request) -> Response:
    console: Console = request.app.state.console
    token = request.path_params["token"]
    found = await console.read(web_access.peek_link, token_hash=sign_in.hashed(token), now=console.now())
    if found.state != "valid":
        return _unusable(request, console, found)
    return console.page(request, "signin_link.html", identity=found.identity, token=token)


async def use_link(request: Request) -> Response:
    console: Console = request.app.state.console
    link_hash = sign_in.hashed(request.path_params["token"])
    session_token, now, configured = sign_in.new_token(), console.now(), console.app.settings.staff

    def use(session: Session) -> LinkState:
        found = web_access.use_link(session, token_hash=link_hash, now=now)
        if found.state != "valid" or found.identity is None:
            return found
        if not sign_in.is_staff_identity(session, identity=found.identity, configured=configured):
            return LinkState("not_staff")
        web_access.open_session(
            session, token_hash=sign_in.hashed(session_token), identity=found.identity, now=now, expires_at=now + SESSION_LIFETIME
        )
        audit.record(session, actor=found.identity, via="console", action="sign_in", now=now)
        return found

    found = await console.write(use)
    if found.state != "valid":
        return _unusable(request, console, found)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE,
        console.signer.cookie_value(session_token),
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",  # the link is opened from a chat app: the redirect after it must carry the cookie
        secure=console.secure_cookies,
        path="/",
    )
    return response


def _unusable(request: Request, console: Console, found: LinkState) -> Response:
    if found.state == "not_staff":
        return console.page(request, "signin.html", status_code=403, refused=True, signed_out=False)
    key, status = _UNUSABLE.get(found.state, _UNUSABLE["unknown"])
    return console.page(request, "link_unusable.html", status_code=status, message=console.texts(key))


@staff_only
async def sign_out(request: Request, console: Console, who: SignedIn) -> Response:
    now = console.now()

    def end(session: Session) -> None:
        web_access.end_session(session, token_hash=sign_in.hashed(who.token), now=now)
        audit.record(session, actor=who.identity, via="console", action="sign_out", now=now)

    await console.write(end)
    response = RedirectResponse("/signin?signed_out=1", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=console.secure_cookies)
    return response
