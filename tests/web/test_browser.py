"""The console in a real browser (headless Chromium, Playwright): signing in with a link,
working a submission that came in through the terminal chat, a question and its answer, a
broadcast delivered while the page watches, escaping, sessions and CSRF, and axe-core's
accessibility check of every page. Set CONSOLE_SCREENSHOTS=DIR to keep a picture of each."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from sqlmodel import Session

from bot.operations import sign_in
from storage import submissions
from storage.models import ProblemCreate
from tests.web.conftest import LiveConsole, axe_violations, off_thread
from tests.web.support import BOSS, follow, report, terminal

LIGHT = "The streetlight on Elm Street is out since Monday"
XSS = "Lamp <img src=x onerror=alert(1)> flickers all night long"
SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOTS")


def link(live: LiveConsole) -> str:
    """What `cocreate staff link console:boss` prints."""
    with Session(live.app.database) as session, session.begin():
        return sign_in.issue_link(session, identity=BOSS, configured=live.app.settings.staff, base_url=live.url, now=live.app.clock())


def sign_in_with_link(page: Any, live: LiveConsole) -> None:
    page.goto(link(live))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Inbox").wait_for()


def snap(page: Any, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_staff_find_a_terminal_submission_and_change_its_status_and_the_citizen_hears(page: Any, live: LiveConsole) -> None:
    off_thread(report, live.app, "ana", LIGHT)
    off_thread(lambda: report(live.app, "bob", "Overflowing bins behind the market every weekend", category="3"))
    sign_in_with_link(page, live)
    page.get_by_label("Search").fill("Elm Street")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.inbox tbody tr")
    assert rows.count() == 1 and "P-1" in rows.first.inner_text()
    page.get_by_role("link", name=LIGHT).click()
    page.get_by_role("heading", name=f"P-1 — {LIGHT}").wait_for()
    assert page.locator("blockquote.citizen-text").inner_text() == LIGHT
    page.get_by_label("New status").select_option(label="accepted")
    page.get_by_label("Note for the people concerned").first.fill("A crew goes out on Thursday")
    page.get_by_role("button", name="Change the status").click()
    page.get_by_text("The status changed; the people concerned will be told.").wait_for()
    assert "new → accepted" in page.locator("table.history").inner_text()
    heard = off_thread(terminal, live.app, "ana")
    assert f"News about P-1 — {LIGHT}: it is now accepted." in heard and "A crew goes out on Thursday" in heard


def test_a_question_goes_to_the_citizen_and_their_answer_shows_in_the_console(page: Any, live: LiveConsole) -> None:
    off_thread(report, live.app, "ana", LIGHT)
    sign_in_with_link(page, live)
    page.goto("/submissions/P-1")
    page.get_by_label("Question", exact=True).fill("Which lamp post number is it?")
    page.get_by_role("button", name="Send the question").click()
    page.get_by_text("The question is on its way to the submitter.").wait_for()
    assert "No answer yet." in page.locator("ul.questions").inner_text()
    chat = off_thread(terminal, live.app, "ana", "Number 14, by the bakery")
    assert "“Which lamp post number is it?”" in chat and "your answer is attached to P-1" in chat
    page.reload()
    assert "Number 14, by the bakery" in page.locator("ul.questions").inner_text()


def test_a_broadcast_is_composed_confirmed_and_watched_until_delivered(page: Any, live: LiveConsole) -> None:
    for name in ("eve", "finn", "gus"):
        off_thread(follow, live.app, name)
    sign_in_with_link(page, live)
    page.get_by_role("link", name="Broadcasts").click()
    page.get_by_role("link", name="New broadcast").click()
    page.get_by_label("Text in en (required)").fill("Line 7 starts on Monday")
    page.get_by_label("Following the topic").select_option(label="Street lighting")
    page.locator("#audience-size").get_by_text("3 recipients.").wait_for()
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("heading", name="Who gets which language").wait_for()
    page.get_by_role("button", name="Send to 3 recipients").click()
    page.get_by_text("Delivering: 0 of 3 done.").wait_for()
    watched = page.url
    live.deliver_to_terminals()
    page.get_by_text("Complete: 3 of 3 done.").wait_for()  # the page updated itself: htmx polls the progress
    assert page.url == watched and page.locator('[data-figure="sent"]').inner_text() == "3"
    assert sum("Line 7 starts on Monday" in printed for printed in live.printed) == 3


def test_citizen_text_with_markup_shows_its_characters_and_runs_nothing(page: Any, live: LiveConsole) -> None:
    off_thread(report, live.app, "ana", XSS)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in_with_link(page, live)
    assert XSS in page.locator("table.inbox").inner_text()
    page.goto("/submissions/P-1")
    assert page.locator("blockquote.citizen-text").inner_text() == XSS
    assert page.locator("img[src='x']").count() == 0 and dialogs == []


def test_a_page_without_a_session_goes_to_the_sign_in_page_which_shows_no_data(page: Any, live: LiveConsole) -> None:
    off_thread(report, live.app, "ana", LIGHT)
    page.goto("/submissions/P-1")
    assert page.url.endswith("/signin")
    body = page.locator("main").inner_text()
    assert "send /web to the bot" in body and "P-1" not in body and "Elm Street" not in body


def test_a_form_without_its_csrf_token_is_refused(page: Any, live: LiveConsole) -> None:
    off_thread(report, live.app, "ana", LIGHT)
    sign_in_with_link(page, live)
    page.goto("/submissions/P-1")
    page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(input => input.remove())")
    page.get_by_label("Note for the city team").fill("Checked with the lighting team")
    page.get_by_role("button", name="Add the note").click()
    assert "security token is missing" in page.locator("main").inner_text()
    with Session(live.app.database) as session:
        assert len(submissions.history(session, kind="problem", target_id=1)) == 1  # only its arrival


def test_a_used_link_shows_how_to_get_a_new_one(browser: Any, page: Any, live: LiveConsole) -> None:
    used = link(live)
    page.goto(used)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Inbox").wait_for()
    other = browser.new_context()
    try:
        second = other.new_page()
        second.goto(used)
        text = second.locator("main").inner_text()
    finally:
        other.close()
    assert "This sign-in link was already used" in text and "cocreate staff link CHANNEL:ID" in text
    snap(page, "inbox-empty")


def test_every_page_is_keyboard_usable_and_has_no_serious_accessibility_violations(browser: Any, page: Any, live: LiveConsole) -> None:
    app = live.app
    off_thread(report, app, "ana", LIGHT)
    off_thread(follow, app, "eve")
    with Session(app.database) as session, session.begin():
        placed = ProblemCreate(description="Pothole at the corner of Oak and 5th, deep enough to break a wheel",
                               title="Pothole at the corner of Oak and 5th", category="roads", language="en",
                               place="Oak Avenue and 5th Street", latitude=40.4168, longitude=-3.7038)  # fmt: skip
        submissions.create_problem(session, citizen_id=1, problem_in=placed, now=app.clock())
    used = link(live)
    sign_in_with_link(page, live)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.goto("/broadcasts/new")
    page.get_by_label("Text in en (required)").fill("Line 7 starts on Monday")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name=re.compile("Send to")).click()
    page.get_by_text(re.compile("Delivering|Complete")).wait_for()
    cookies = page.context.cookies()
    pages = {
        "inbox": "/", "submission": "/submissions/P-1", "submission-map": "/submissions/P-2", "broadcasts": "/broadcasts",
        "compose": "/broadcasts/new", "broadcast": "/broadcasts/1", "people": "/people", "insights": "/insights",
        "not-found": "/submissions/P-99", "signin": "/signin", "used-link": used.removeprefix(live.url),
    }  # fmt: skip
    found = {}
    for name, path in pages.items():
        found[name] = axe_violations(browser, live.url + path, cookies if name not in ("signin", "used-link") else [])
        if SCREENSHOTS:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            snap(page, name)
    assert {name: v for name, v in found.items() if v} == {}
