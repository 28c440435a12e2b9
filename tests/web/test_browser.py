"""The console in a real browser (headless Chromium, Playwright): signing in with a link,
working a submission that came in through the terminal chat, a question and its answer, a
broadcast delivered while the page watches, escaping, sessions and CSRF, and axe-core's
accessibility check of every page. Set CONSOLE_SCREENSHOTS=DIR to keep a picture of each."""

from __future__ import annotations

import asyncio
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from bot.app import App
from bot.operations import polling, sign_in
from storage import polls, submissions
from storage.broadcasts import Audience
from storage.models import ProblemCreate
from tests.web.conftest import Browser, LiveConsole, axe_violations
from tests.web.support import BOSS, follow, report, terminal

LIGHT = "The streetlight on Elm Street is out since Monday"
XSS = "Lamp <img src=x onerror=alert(1)> flickers all night long"
SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOTS")


def link(live: LiveConsole) -> str:
    """What `cocreate staff link console:boss` prints."""
    with Session(live.app.database) as session, session.begin():
        return sign_in.issue_link(session, identity=BOSS, configured=live.app.settings.staff, base_url=live.url, now=live.app.clock(), actor="cli:test", via="cli")


async def sign_in_with(page: Any, url: str) -> None:
    await page.goto(url)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", name="Inbox").wait_for()


async def snap(page: Any, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_staff_find_a_terminal_submission_and_change_its_status_and_the_citizen_hears(browser: Browser, live: LiveConsole) -> None:
    report(live.app, "ana", LIGHT)
    report(live.app, "bob", "Overflowing bins behind the market every weekend", category="3")
    url = link(live)

    async def scenario(page: Any) -> str:
        await sign_in_with(page, url)
        await page.get_by_label("Search").fill("Elm Street")
        await page.get_by_role("button", name="Filter").click()
        rows = page.locator("table.inbox tbody tr")
        assert await rows.count() == 1 and "P-1" in await rows.first.inner_text()
        await page.get_by_role("link", name=LIGHT).click()
        await page.get_by_role("heading", name=f"P-1 — {LIGHT}").wait_for()
        assert await page.locator("blockquote.citizen-text").inner_text() == LIGHT
        await page.get_by_label("New status").select_option(label="accepted")
        await page.get_by_label("Note for the people concerned").first.fill("A crew goes out on Thursday")
        await page.get_by_role("button", name="Change the status").click()
        await page.get_by_text("The status changed; the people concerned will be told.").wait_for()
        await snap(page, "submission-changed")
        return await page.locator("table.history").inner_text()

    assert "new → accepted" in browser.with_page(live, scenario)
    heard = terminal(live.app, "ana")
    assert f"News about P-1 — {LIGHT}: it is now accepted." in heard and "A crew goes out on Thursday" in heard


def test_a_question_goes_to_the_citizen_and_their_answer_shows_in_the_console(browser: Browser, live: LiveConsole) -> None:
    report(live.app, "ana", LIGHT)
    url = link(live)

    async def scenario(page: Any) -> tuple[str, str, str]:
        await sign_in_with(page, url)
        await page.goto("/submissions/P-1")
        await page.get_by_label("Question", exact=True).fill("Which lamp post number is it?")
        await page.get_by_role("button", name="Send the question").click()
        await page.get_by_text("The question is on its way to the submitter.").wait_for()
        waiting = await page.locator("ul.questions").inner_text()
        chat = await asyncio.to_thread(terminal, live.app, "ana", "Number 14, by the bakery")
        await page.reload()
        return waiting, chat, await page.locator("ul.questions").inner_text()

    waiting, chat, answered = browser.with_page(live, scenario)
    assert "No answer yet." in waiting
    assert "“Which lamp post number is it?”" in chat and "your answer is attached to P-1" in chat
    assert "Number 14, by the bakery" in answered


def test_a_broadcast_is_composed_confirmed_and_watched_until_delivered(browser: Browser, live: LiveConsole) -> None:
    for name in ("eve", "finn", "gus"):
        follow(live.app, name)
    url = link(live)

    async def scenario(page: Any) -> tuple[str, str, str, str | None]:
        await sign_in_with(page, url)
        await page.get_by_role("link", name="Broadcasts").click()
        await page.get_by_role("link", name="New broadcast").click()
        await page.get_by_label("Text in en (required)").fill("Line 7 starts on Monday")
        await page.get_by_label("Following the topic").select_option(label="Street lighting")
        await page.locator("#audience-size").get_by_text("3 recipients.").wait_for()
        await page.get_by_role("button", name="Preview").click()
        await page.get_by_role("heading", name="Who gets which language").wait_for()
        await snap(page, "broadcast-confirm")
        await page.get_by_role("button", name="Send to 3 recipients").click()
        await page.get_by_text("Delivering: 0 of 3 done.").wait_for()
        watched = page.url
        live.deliver_to_terminals()
        await page.get_by_text("Complete: 3 of 3 done.").wait_for()  # the page updated itself: htmx polls the progress
        await snap(page, "broadcast-complete")
        polling = await page.locator("#progress").get_attribute("hx-trigger")  # None: the polling stopped with it
        return watched, page.url, await page.locator('[data-figure="sent"]').inner_text(), polling

    watched, now, sent, polling = browser.with_page(live, scenario)
    assert now == watched and sent == "3" and polling is None
    assert sum("Line 7 starts on Monday" in printed for printed in live.printed) == 3


def test_citizen_text_with_markup_shows_its_characters_and_runs_nothing(browser: Browser, live: LiveConsole) -> None:
    report(live.app, "ana", XSS)
    url = link(live)

    async def scenario(page: Any) -> tuple[str, str, int, list[str]]:
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        await sign_in_with(page, url)
        listed = await page.locator("table.inbox").inner_text()
        await page.goto("/submissions/P-1")
        return listed, await page.locator("blockquote.citizen-text").inner_text(), await page.locator("img[src='x']").count(), dialogs

    listed, shown, images, dialogs = browser.with_page(live, scenario)
    assert XSS in listed and shown == XSS and images == 0 and dialogs == []


def test_a_page_without_a_session_goes_to_the_sign_in_page_which_shows_no_data(browser: Browser, live: LiveConsole) -> None:
    report(live.app, "ana", LIGHT)

    async def scenario(page: Any) -> tuple[str, str]:
        await page.goto("/submissions/P-1")
        await snap(page, "signin")
        return page.url, await page.locator("main").inner_text()

    url, body = browser.with_page(live, scenario)
    assert url.endswith("/signin")
    assert "send /web to the bot" in body and "P-1" not in body and "Elm Street" not in body


def test_a_form_without_its_csrf_token_is_refused(browser: Browser, live: LiveConsole) -> None:
    report(live.app, "ana", LIGHT)
    url = link(live)

    async def scenario(page: Any) -> str:
        await sign_in_with(page, url)
        await page.goto("/submissions/P-1")
        await page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(input => input.remove())")
        await page.get_by_label("Note for the city team").fill("Checked with the lighting team")
        await page.get_by_role("button", name="Add the note").click()
        return await page.locator("main").inner_text()

    assert "security token is missing" in browser.with_page(live, scenario)
    with Session(live.app.database) as session:
        assert len(submissions.history(session, kind="problem", target_id=1)) == 1  # only its arrival


def test_a_used_link_shows_how_to_get_a_new_one(browser: Browser, live: LiveConsole) -> None:
    used = link(live)

    async def first(page: Any) -> None:
        await sign_in_with(page, used)

    async def second(page: Any) -> str:
        await page.goto(used)
        await snap(page, "used-link")
        return await page.locator("main").inner_text()

    browser.with_page(live, first)
    text = browser.with_page(live, second)
    assert "This sign-in link was already used" in text and "cocreate staff link CHANNEL:ID" in text


PAGES = {
    "inbox": "/", "submission": "/submissions/P-1", "submission-map": "/submissions/P-2", "broadcasts": "/broadcasts",
    "compose": "/broadcasts/new", "broadcast": "/broadcasts/1", "people": "/people", "insights": "/insights",
    "not-found": "/submissions/P-99", "polls": "/polls", "poll-compose": "/polls/new", "poll": "/polls/1",
}  # fmt: skip


def every_kind_of_page(app: App) -> None:
    """A submission without a place and one with a map, a diffuser to broadcast to, a poll
    they answered."""
    report(app, "ana", LIGHT)
    follow(app, "eve")
    with Session(app.database) as session, session.begin():
        placed = ProblemCreate(description="Pothole at the corner of Oak and 5th, deep enough to break a wheel",
                               title="Pothole at the corner of Oak and 5th", category="roads", language="en",
                               place="Oak Avenue and 5th Street", latitude=40.4168, longitude=-3.7038)  # fmt: skip
        submissions.create_problem(session, citizen_id=1, problem_in=placed, now=app.clock())
        texts = polling.PollTexts({"en": "Move the market to Sundays?"}, {"en": ["Yes", "No"]})
        poll = polling.queue(session, texts=texts, other=True, closes_at=app.clock() + timedelta(days=3), audience=Audience(),
                             created_by="test", now=app.clock(), catalogs=app.catalogs, settings=app.service.settings,
                             zone=app.settings.zone, via="cli")  # fmt: skip
        polls.record_response(session, poll_id=poll.broadcast_id, citizen_id=2, option=0, other_text=None, language="en",
                              area=None, now=app.clock())  # fmt: skip


# One sweep of axe-core per language (and one over the pages seen before signing in), so
# that parallel workers share them: a single test over all of them took some 16 s.
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_page_is_keyboard_usable_and_has_no_serious_accessibility_violations(
    language: str, browser: Browser, live: LiveConsole
) -> None:
    every_kind_of_page(live.app)
    url = link(live)

    async def scenario(page: Any) -> tuple[str, dict[str, list[dict[str, Any]]]]:
        await sign_in_with(page, url)
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.textContent")
        await page.goto("/broadcasts/new")
        await page.get_by_label("Text in en (required)").fill("Line 7 starts on Monday")
        await page.get_by_role("button", name="Preview").click()
        await page.get_by_role("button", name=re.compile("Send to")).click()
        await page.get_by_text(re.compile("Delivering|Complete")).wait_for()
        if language == "es":  # chosen with the header's language selector
            await page.goto("/")
            await page.get_by_label("Console language").select_option("es")
            await page.get_by_role("button", name="Change").click()
            await page.get_by_role("heading", name="Bandeja de entrada").wait_for()
        cookies = await page.context.cookies()
        found = await axe_violations(browser.chromium, {f"{n} ({language})": live.url + p for n, p in PAGES.items()}, cookies)
        for name, path in PAGES.items() if SCREENSHOTS else ():
            await page.goto(path)
            await page.wait_for_load_state("load")
            await snap(page, f"{name}-{language}")
        return focused, found

    focused, found = browser.with_page(live, scenario)
    assert focused == "Skip to the content"  # the first Tab on the inbox, before any language is chosen
    assert {name: v for name, v in found.items() if v} == {}


def test_the_pages_before_signing_in_have_no_serious_accessibility_violations(browser: Browser, live: LiveConsole) -> None:
    every_kind_of_page(live.app)
    used, fresh = link(live), link(live)

    async def scenario(page: Any) -> dict[str, list[dict[str, Any]]]:
        await sign_in_with(page, used)
        found = await axe_violations(browser.chromium, {"signin": live.url + "/signin", "used-link": used}, [])
        return found | await axe_violations(browser.chromium, {"link": fresh}, [])

    found = browser.with_page(live, scenario)
    assert {name: v for name, v in found.items() if v} == {}
