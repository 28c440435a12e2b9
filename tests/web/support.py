"""What the console's tests share: an app whose staff is `console:boss`, citizens talking
through the real terminal chat, and a signed-in HTTP client."""

from __future__ import annotations

import asyncio
import io
import re
from html import unescape
from contextlib import asynccontextmanager
from typing import AsyncIterator

import httpx
from sqlmodel import Session

from bot.app import App
from bot.channels import terminal_chat
from bot.operations import sign_in
from bot.web.console import build_console
from bot.web.server import console_asgi

BOSS = "console:boss"
BASE = "http://testserver"


def terminal(app: App, name: str, *lines: str) -> str:
    """`cocreate chat --as NAME` with these lines typed: what the terminal printed."""
    out = io.StringIO()
    stdin = io.StringIO("".join(f"{line}\n" for line in lines))
    asyncio.run(terminal_chat.chat(app.channel_hooks(), name=name, stdin=stdin, stdout=out))
    return out.getvalue()


def report(app: App, name: str, description: str, *, category: str = "2", place: str = "1") -> str:
    """A problem reported in the terminal by someone new (place "1" skips it)."""
    return terminal(app, name, "1", "1", description, category, place, "2", "1")


def follow(app: App, name: str, *, topic: str = "2", area: str = "1") -> str:
    """Someone new becomes a diffuser of a topic (area "1" skips it)."""
    return terminal(app, name, "1", "4", topic, "8", area, "1")


def link_for(app: App, identity: str = BOSS) -> str:
    with Session(app.database) as session, session.begin():
        return sign_in.issue_link(session, identity=identity, configured=app.settings.staff, base_url=BASE, now=app.clock(), actor="cli:test", via="cli")


@asynccontextmanager
async def client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    asgi = console_asgi(await app.blocking(build_console, app))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url=BASE) as http:
        yield http


async def signed_in(http: httpx.AsyncClient, app: App, identity: str = BOSS) -> None:
    response = await http.post(link_for(app, identity).removeprefix(BASE))
    assert response.status_code == 303 and response.headers["location"] == "/"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def visible_text(html: str) -> str:
    """The page's text as a person reads it."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()
