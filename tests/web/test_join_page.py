"""The public page a diffuser's personal link opens outside Telegram, and the measured reach
staff see beside the reported one in the console."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from bot.app import App
from bot.web.join_page import preferred_languages
from tests.conftest import Cocreate
from tests.web.support import client, follow, once_of, terminal, visible_text
from tests.web.test_console_pages import staff_session

pytestmark = pytest.mark.postgres
PAGE_LINK = re.compile(r"http://testserver/join/([A-Za-z0-9_-]{12,})")


def broadcast_to_eve(app: App) -> str:
    """Eve follows lighting; staff send a broadcast from the console. Her copy's link code."""
    follow(app, "eve")
    texts = {"text_en": "Line 7 starts on Monday", "topic": "lighting"}
    (preview,) = staff_session(app, ("POST", "/broadcasts/preview", texts))
    assert "Take part too: http://testserver/join/…" in visible_text(preview.text)  # each gets their own
    staff_session(app, ("POST", "/broadcasts/send", {**texts, "once": once_of(preview.text)}))
    printed = terminal(app, "eve")
    found = PAGE_LINK.search(printed)
    assert found is not None, printed
    return found.group(1)


def visit(app: App, path: str, language: str) -> httpx.Response:
    async def scenario() -> httpx.Response:
        async with client(app) as http:
            return await http.get(path, headers={"Accept-Language": language})

    return asyncio.run(scenario())


def test_the_link_opens_a_page_in_the_visitors_language_that_says_nothing_of_the_diffuser(app: App) -> None:
    code = broadcast_to_eve(app)
    page = visit(app, f"/join/{code}", "es-ES,es;q=0.9,en;q=0.5")
    assert page.status_code == 200 and "set-cookie" not in page.headers
    assert page.headers["referrer-policy"] == "no-referrer"
    shown = visible_text(page.text)
    assert shown.startswith("Participa en tu ciudad") and "eve" not in shown.lower()
    assert 'href="/"' not in page.text and "/signin" not in page.text  # no way into the staff console from here
    unknown = visit(app, "/join/not-a-real-code", "fr")
    assert unknown.status_code == 200 and visible_text(unknown.text).startswith("Participez")
    (listed, progress, figures) = staff_session(
        app, ("GET", "/broadcasts", None), ("GET", "/broadcasts/1", None), ("GET", "/api/broadcasts/1", None)
    )
    assert "Started through links" in visible_text(listed.text)
    assert "Link page visits 1" in visible_text(progress.text)  # the unknown code counted nothing
    assert figures.json()["measured"] == {"started": 0, "submitted": 0, "visits": 1}


def test_accept_language_is_read_by_weight_among_the_offered_languages() -> None:
    offered = ("en", "es", "fr", "de", "pt")
    assert preferred_languages("da, pt-BR;q=0.8, de;q=0.9, en;q=0", offered) == ["de", "pt"]
    assert preferred_languages(None, offered) == []
    assert preferred_languages("fr;q=oops, es", offered) == ["es"]


def test_someone_who_starts_with_a_diffusers_code_in_the_terminal_is_counted_with_their_report(
    app: App, cocreate: Cocreate
) -> None:
    code = broadcast_to_eve(app)
    answers = "\n".join(("1", "1", "The streetlight on Elm Street is out since Monday", "2", "1", "2", "1")) + "\n"
    started = cocreate("chat", "--as", "zoe", "--start", code, stdin=answers)
    assert "Thank you! Your report is P-1." in started.output
    assert cocreate("chat", "--as", "zed", "--start", "no spaces").exit_code == 2
    (progress,) = staff_session(app, ("GET", "/api/broadcasts/1", None))
    assert progress.json()["measured"] == {"started": 1, "submitted": 1, "visits": 0}
