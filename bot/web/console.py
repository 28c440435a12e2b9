"""What every console page works with: the App (database, catalogs, clock, notices), the
templates, the texts, the signer; and who is signed in.

Database work runs off the event loop (`App.blocking`), each call in its own Session: a
read, or a write in one transaction. The pages call storage/ and bot/operations/ functions
only; the web layer holds no SQL."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Awaitable, Callable, TypeVar
from urllib.parse import urlsplit

import jinja2
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from bot.app import App
from bot.operations import sign_in
from bot.web import formatting
from bot.web.security import COOKIE, SECRET_NAME, Signer
from bot.web.texts import WebTexts, load_web_texts
from conversations.visible import for_staff
from storage import console_preferences, web_access

TEMPLATES = Path(__file__).parent / "templates"
R = TypeVar("R")


@dataclass(frozen=True)
class SignedIn:
    """The staff member behind a request, their session token (for CSRF), and the language
    the console speaks to them."""

    identity: str
    token: str
    language: str


@dataclass(frozen=True)
class Console:
    app: App
    templates: jinja2.Environment
    texts: WebTexts
    signer: Signer

    @property
    def secure_cookies(self) -> bool:
        return urlsplit(self.app.settings.web_url).scheme == "https"

    def now(self) -> datetime:
        return self.app.clock()

    async def read(self, function: Callable[..., R], /, **arguments: Any) -> R:
        """A storage read in its own Session, on the database thread."""

        def run() -> R:
            with Session(self.app.database) as session:
                return function(session, **arguments)

        return await self.app.blocking(run)

    async def write(self, function: Callable[..., R], /, **arguments: Any) -> R:
        """Work in one transaction (committed, or rolled back when it raises)."""

        def run() -> R:
            with Session(self.app.database, expire_on_commit=False) as session, session.begin():
                return function(session, **arguments)

        return await self.app.blocking(run)

    async def signed_in(self, request: Request) -> SignedIn | None:
        """Who this request's session belongs to, while it is open and they are staff, and
        the language to speak to them: the one they chose here, else their chat's, else
        DEFAULT_LANGUAGE."""
        token = self.signer.token_from(request.cookies.get(COOKIE))
        if token is None:
            return None
        configured, now = self.app.settings.staff, self.now()

        token_hash = sign_in.hashed(token)

        def check(session: Session) -> SignedIn | str | None:
            identity = web_access.session_identity(session, token_hash=token_hash, now=now)
            if identity is None:
                return None
            if not sign_in.is_staff_identity(session, identity=identity, configured=configured):
                return identity  # no longer staff (by any way: console, CLI, the STAFF setting)
            chosen, in_chat = console_preferences.staff_languages(session, identity=identity)
            return SignedIn(identity, token, self.texts.speaking(chosen, in_chat, self.texts.language).language)

        found = await self.read(check)
        if isinstance(found, str):
            # Ended for good, not only refused: were they made staff again, this session stays over.
            await self.write(web_access.end_session, token_hash=token_hash, now=now)
            return None
        return found

    def texts_for(self, request: Request) -> WebTexts:
        """The texts in the language of whoever is signed in (DEFAULT_LANGUAGE for anyone else)."""
        who: SignedIn | None = getattr(request.state, "signed_in", None)
        return self.texts.speaking(who.language) if who else self.texts

    def say(self, request: Request, key: str, **params: object) -> str:
        """One text in the language of whoever is signed in."""
        return self.texts_for(request)(key, **params)

    def page(self, request: Request, name: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        who: SignedIn | None = getattr(request.state, "signed_in", None)
        texts = self.texts_for(request)
        html = self.templates.get_template(name).render(
            request=request,
            signed_in=who,
            csrf=self.signer.csrf(who.token) if who else "",
            _=texts,
            fmt=formatting.Formatter(self.app.catalogs, texts, self.app.settings.zone, self.now()),
            **context,
        )
        return HTMLResponse(html, status_code=status_code)


def staff_only(
    handler: Callable[[Request, Console, SignedIn], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """Pages and forms for signed-in staff only. Without a session: pages go to the sign-in
    page (which shows no data), JSON endpoints and htmx requests answer 401. A form must
    carry its CSRF token (in the `csrf` field or the X-CSRF-Token header)."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        console: Console = request.app.state.console
        who = await console.signed_in(request)
        if who is None:
            if request.url.path.startswith("/api/"):
                return JSONResponse({"error": "not signed in"}, status_code=401)
            if request.headers.get("HX-Request"):
                return Response(status_code=401, headers={"HX-Redirect": "/signin"})
            return RedirectResponse("/signin", status_code=303)
        request.state.signed_in = who
        if request.method == "POST":
            form = await request.form()
            given = form.get("csrf") or request.headers.get("X-CSRF-Token")
            if not console.signer.csrf_ok(who.token, given if isinstance(given, str) else None):
                return console.page(request, "error.html", status_code=403, message=console.say(request, "web.error.csrf"))
        return await handler(request, console, who)

    return endpoint


def signing_key(app: App) -> bytes:
    """The session signing key from the database, created on the first start."""
    with Session(app.database) as session, session.begin():
        value = web_access.secret(session, name=SECRET_NAME, create=lambda: secrets.token_urlsafe(48))
    return value.encode()


@functools.cache
def templates() -> jinja2.Environment:
    """The console's templates, one environment per process: it holds no per-app state, and
    compiling a page's templates (about 15 ms each) is then done once rather than for every
    console built (each test builds its own)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # citizen text is data on every page
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # People's text as staff see it everywhere else (CLI, /inbox): a right-to-left override
    # cannot reorder the page around it, a zero-width character cannot hide (what is stored
    # and what forms send back stay as they are).
    environment.filters["for_staff"] = for_staff
    return environment


def build_console(app: App) -> Console:
    # DEFAULT_LANGUAGE for pages before signing in; each staff member's own once signed in.
    return Console(app, templates(), load_web_texts(app.settings.default_language), Signer(signing_key(app)))
