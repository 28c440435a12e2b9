"""Teams in the console: the inbox filters by team, and a submission is reassigned from its page."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from bot.app import App
from storage import teams
from storage.partner_models import TeamCreate
from tests.web.support import report, visible_text
from tests.web.test_console_pages import BINS, LIGHT, staff_session

pytestmark = pytest.mark.postgres


def test_the_inbox_filters_by_team_and_staff_reassign_from_the_page(app: App) -> None:
    with Session(app.database) as session, session.begin():
        teams.set_team(session, team_in=TeamCreate(name="Roads", categories=["roads", "lighting"]))
        teams.set_team(session, team_in=TeamCreate(name="Desk", is_default=True))
    report(app, "ana", LIGHT, category="2")  # lighting: Roads (team 1)
    report(app, "bob", BINS, category="3")  # waste: nobody's, so the Desk's (team 2)
    roads, page, moved, after, refused = staff_session(
        app,
        ("GET", "/?team=1", None),
        ("GET", "/submissions/P-1", None),
        ("POST", "/submissions/P-1/team", {"team": "Desk"}),
        ("GET", "/submissions/P-1", None),
        ("POST", "/submissions/P-1/team", {"team": "Desk"}),
    )
    assert "P-1" in visible_text(roads.text) and "P-2" not in visible_text(roads.text)
    assert "With Roads." in visible_text(page.text)
    assert moved.status_code == 303
    shown = visible_text(after.text)
    assert "With Desk." in shown and "assigned to team Desk (was Roads)" in shown
    assert refused.status_code == 400 and "P-1 is already with Desk" in visible_text(refused.text)
