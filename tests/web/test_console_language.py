"""The console speaks each staff member's language: the one their chat with the bot has,
else DEFAULT_LANGUAGE, and the one they choose in the console's header above both."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.app import App
from tests.conftest import AppFactory
from tests.web.support import client, csrf_of, report, signed_in, terminal, visible_text

pytestmark = pytest.mark.postgres
LIGHT = "The streetlight on Elm Street is out since Monday"


def pages(app: App, *requests: tuple[str, str, dict[str, str] | None]) -> list[httpx.Response]:
    """Signed in as the staff member console:boss: these requests in order; a form gets
    the CSRF token of the inbox."""

    async def scenario() -> list[httpx.Response]:
        async with client(app) as http:
            await signed_in(http, app)
            token = csrf_of((await http.get("/")).text)
            return [
                await (http.post(path, data={"csrf": token, **form}) if form is not None else http.get(path))
                for method, path, form in requests
            ]

    return asyncio.run(scenario())


def test_a_spanish_speaking_staff_member_sees_the_inbox_in_spanish(app: App) -> None:
    report(app, "ana", LIGHT)
    terminal(app, "boss", "/language", "2")  # the staff member speaks Spanish with the bot
    inbox, submission = pages(app, ("GET", "/", None), ("GET", "/submissions/P-1", None))
    text = visible_text(inbox.text)
    assert "escrito en inglés" in visible_text(submission.text)  # the language's name, not its code
    assert '<html lang="es">' in inbox.text
    assert "Bandeja de entrada" in text and "Todos 1 nuevo 1 en revisión 0" in text and "1 envíos coinciden." in text
    assert "Alumbrado público" in text and LIGHT in text  # the category in Spanish, the citizen's words as written
    assert "Idioma de la consola" in text and "Inbox" not in text and "Sign out" not in text


def test_without_a_language_from_chat_the_console_speaks_the_default_language(app_factory: AppFactory) -> None:
    app = app_factory(default_language="fr")

    async def before_signing_in() -> httpx.Response:
        async with client(app) as http:
            return await http.get("/signin")

    assert "Se connecter à la console de l’équipe" in visible_text(asyncio.run(before_signing_in()).text)
    (inbox,) = pages(app, ("GET", "/", None))
    assert '<html lang="fr">' in inbox.text and "Boîte de réception" in visible_text(inbox.text)


def test_the_language_chosen_in_the_console_wins_and_stays(app: App) -> None:
    terminal(app, "boss", "/language", "2")
    chosen, inbox, outside = pages(
        app, ("POST", "/language", {"language": "de", "back": "/broadcasts"}), ("GET", "/", None),
        ("POST", "/language", {"language": "pt", "back": "//elsewhere.example/"}),
    )  # fmt: skip
    assert chosen.status_code == 303 and chosen.headers["location"] == "/broadcasts"
    assert '<html lang="de">' in inbox.text and "Eingang" in visible_text(inbox.text)
    assert '<option value="de" lang="de" selected>Deutsch</option>' in inbox.text
    assert '<option value="es" lang="es" >Español</option>' in inbox.text
    assert outside.headers["location"] == "/"  # only a page of the console
    (later,) = pages(app, ("GET", "/broadcasts", None))  # a new session, the same choice
    assert '<html lang="pt">' in later.text and "Difusões" in visible_text(later.text)


def test_a_language_the_console_does_not_speak_changes_nothing(app: App) -> None:
    chosen, inbox = pages(app, ("POST", "/language", {"language": "xx", "back": "/"}), ("GET", "/", None))
    assert chosen.status_code == 303 and '<html lang="en">' in inbox.text
