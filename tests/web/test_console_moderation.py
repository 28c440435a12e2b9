"""Staff hide and approve submissions in the console, through the same operation as
`cocreate moderate`: the form carries a CSRF token, the author is told, other residents
stop seeing it."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session, select

from bot.app import App
from storage import submissions
from storage.models import Problem
from tests.web.support import client, report, signed_in, terminal, visible_text
from tests.web.test_console_pages import LIGHT, staff_session

pytestmark = pytest.mark.postgres


def open_problem_refs(app: App) -> list[str]:
    with Session(app.database) as session:
        return [s.ref for s in submissions.open_problems(session, offset=0, limit=10).items]


def test_hiding_in_the_console_tells_the_author_and_takes_it_from_other_residents(app: App) -> None:
    report(app, "ana", LIGHT)
    assert open_problem_refs(app) == ["P-1"]
    hidden, page = staff_session(
        app,
        ("POST", "/submissions/P-1/moderate", {"action": "hide", "note": "It names a neighbour"}),
        ("GET", "/submissions/P-1", None),
    )
    assert hidden.status_code == 303 and hidden.headers["location"] == "/submissions/P-1?done=hide#history"
    text = visible_text(page.text)
    assert "Hidden: other residents do not see it." in text
    assert "Hidden from other residents: It names a neighbour" in text  # in the history, with who did it
    assert open_problem_refs(app) == []
    heard = terminal(app, "ana")
    assert "The city team has hidden this from other residents" in heard and "It names a neighbour" in heard
    (approved,) = staff_session(app, ("POST", "/submissions/P-1/moderate", {"action": "approve"}))
    assert approved.status_code == 303 and open_problem_refs(app) == ["P-1"]


def test_a_moderation_form_without_its_csrf_token_or_action_changes_nothing(app: App) -> None:
    report(app, "ana", LIGHT)

    async def forged() -> int:
        async with client(app) as http:
            await signed_in(http, app)
            return (await http.post("/submissions/P-1/moderate", data={"action": "hide"})).status_code

    assert asyncio.run(forged()) == 403
    (wrong,) = staff_session(app, ("POST", "/submissions/P-1/moderate", {"action": "delete"}))
    assert wrong.status_code == 400 and "Choose Hide or Approve." in visible_text(wrong.text)
    with Session(app.database) as session:
        assert session.exec(select(Problem.moderation)).one() == "shown"


def test_a_moderation_form_without_its_action_is_explained_in_the_staff_members_language(app: App) -> None:
    report(app, "ana", LIGHT)
    _, wrong = staff_session(
        app, ("POST", "/language", {"language": "es", "back": "/"}), ("POST", "/submissions/P-1/moderate", {"action": "delete"})
    )
    assert wrong.status_code == 400 and "Elige Ocultar o Aprobar." in visible_text(wrong.text)
