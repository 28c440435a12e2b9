"""Signing in to the staff console: one-time links (from the command line and from /web in a
chat), sessions, signing out, and what a request without a session or a CSRF token gets."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session

from bot.app import App
from storage import staff, submissions
from tests.conftest import AppFactory, Clock, Cocreate
from tests.web.support import BASE, BOSS, client, csrf_of, link_for, report, signed_in, terminal, visible_text

XSS = "Lamp <img src=x onerror=alert(1)> flickers all night long"
pytestmark = pytest.mark.postgres


def test_a_link_signs_in_once_and_a_used_link_says_how_to_get_a_new_one(app: App) -> None:
    path = link_for(app).removeprefix(BASE)

    async def scenario() -> tuple[str, int, str, int, str, str]:
        async with client(app) as http:
            opened = await http.get(path)  # what a chat app's link preview fetches: it must not use the link
            used = await http.post(path)
            inbox = await http.get("/")
        async with client(app) as other:
            again = await other.post(path)
            still_out = await other.get("/", follow_redirects=False)
        return opened.text, used.status_code, inbox.text, again.status_code, again.text, still_out.headers["location"]

    opened, used, inbox, again, again_text, still_out = asyncio.run(scenario())
    assert "This link signs you in as console:boss" in visible_text(opened)
    assert used == 303 and f"Signed in as {BOSS}" in visible_text(inbox)
    assert again == 410 and "This sign-in link was already used" in visible_text(again_text)
    assert "send /web to the bot" in visible_text(again_text) and "cocreate staff link CHANNEL:ID" in again_text
    assert still_out == "/signin"


def test_a_link_expires_after_15_minutes(app: App, clock: Clock) -> None:
    path = link_for(app).removeprefix(BASE)
    clock.now += timedelta(minutes=15, seconds=1)

    async def scenario() -> tuple[int, str]:
        async with client(app) as http:
            response = await http.post(path)
            return response.status_code, response.text

    status, text = asyncio.run(scenario())
    assert status == 410 and "This sign-in link has expired" in visible_text(text)
    assert "set-cookie" not in text


def test_without_a_session_pages_show_no_data_and_json_answers_401(app: App) -> None:
    report(app, "ana", XSS)

    async def scenario() -> dict[str, object]:
        async with client(app) as http:
            page = await http.get("/submissions/P-1", follow_redirects=False)
            signin = await http.get("/signin")
            api = await http.get("/api/inbox")
            fragment = await http.get("/broadcasts/1/progress", headers={"HX-Request": "true"})
            form = await http.post("/submissions/P-1/status", data={"status": "accepted"}, follow_redirects=False)
            http.cookies.set("cocreate_session", "made-up.0000")
            forged = await http.get("/", follow_redirects=False)
            return {"page": page, "signin": signin, "api": api, "fragment": fragment, "form": form, "forged": forged}

    got = asyncio.run(scenario())
    assert got["page"].status_code == 303 and got["page"].headers["location"] == "/signin"  # type: ignore[attr-defined]
    assert "P-1" not in got["signin"].text and "flickers" not in got["signin"].text  # type: ignore[attr-defined]
    assert got["api"].status_code == 401 and got["api"].json() == {"error": "not signed in"}  # type: ignore[attr-defined]
    assert got["fragment"].status_code == 401 and got["fragment"].headers["HX-Redirect"] == "/signin"  # type: ignore[attr-defined]
    assert got["form"].status_code == 303 and got["forged"].status_code == 303  # type: ignore[attr-defined]
    with Session(app.database) as session:
        assert submissions.summary_of(session, kind="problem", id=1).status == "new"  # type: ignore[union-attr]


def test_a_form_without_its_csrf_token_changes_nothing(app: App) -> None:
    report(app, "ana", "The streetlight on Elm Street is out since Monday")

    async def scenario() -> tuple[int, str, int]:
        async with client(app) as http:
            await signed_in(http, app)
            refused = await http.post("/submissions/P-1/status", data={"status": "accepted", "note": "x"})
            await http.get("/submissions/P-1")
            wrong = await http.post("/submissions/P-1/status", data={"status": "accepted", "csrf": "0" * 64})
            return refused.status_code, refused.text, wrong.status_code

    status, text, wrong = asyncio.run(scenario())
    assert status == 403 and wrong == 403
    assert "security token is missing" in visible_text(text)
    with Session(app.database) as session:
        assert submissions.summary_of(session, kind="problem", id=1).status == "new"  # type: ignore[union-attr]


def test_signing_out_ends_the_session_even_for_a_copied_cookie(app: App) -> None:
    async def scenario() -> tuple[str, int, str]:
        async with client(app) as http:
            await signed_in(http, app)
            cookie = http.cookies["cocreate_session"]
            token = csrf_of((await http.get("/")).text)
            out = await http.post("/signout", data={"csrf": token})
        async with client(app) as thief:
            thief.cookies.set("cocreate_session", cookie)
            replayed = await thief.get("/", follow_redirects=False)
        return out.headers["location"], replayed.status_code, replayed.headers["location"]

    location, replayed, replayed_to = asyncio.run(scenario())
    assert location == "/signin?signed_out=1"
    assert (replayed, replayed_to) == (303, "/signin")


def test_a_session_lasts_12_hours_and_ends_when_the_person_leaves_the_staff(app: App, clock: Clock) -> None:
    with Session(app.database) as session, session.begin():
        staff.add_staff(session, address="telegram:77")

    async def scenario() -> list[int]:
        statuses = []
        async with client(app) as boss, client(app) as colleague:
            await signed_in(boss, app)
            await signed_in(colleague, app, "telegram:77")
            token = csrf_of((await boss.get("/people")).text)
            await boss.post("/people/staff/remove", data={"csrf": token, "identity": "telegram:77"})
            statuses.append((await colleague.get("/", follow_redirects=False)).status_code)
            clock.now += timedelta(hours=11, minutes=59)
            statuses.append((await boss.get("/", follow_redirects=False)).status_code)
            clock.now += timedelta(minutes=2)
            statuses.append((await boss.get("/", follow_redirects=False)).status_code)
        return statuses

    assert asyncio.run(scenario()) == [303, 200, 303]


def test_staff_removed_on_the_command_line_are_refused_at_their_next_request_and_stay_out(app: App, cocreate: Cocreate) -> None:
    """Removed while signed in: the next form is refused (with a valid CSRF token), and being
    made staff again does not bring the old session back."""
    report(app, "ana", "The streetlight on Elm Street is out since Monday")
    assert cocreate("staff", "add", "telegram:77").exit_code == 0

    async def sign_in_and_open_a_form() -> tuple[str, str]:
        async with client(app) as http:
            await signed_in(http, app, "telegram:77")
            token = csrf_of((await http.get("/submissions/P-1")).text)
            return http.cookies["cocreate_session"], token

    async def as_them(cookie: str, token: str) -> tuple[httpx.Response, httpx.Response]:
        async with client(app) as http:
            http.cookies.set("cocreate_session", cookie)
            form = await http.post("/submissions/P-1/status", data={"csrf": token, "status": "accepted"}, follow_redirects=False)
            return form, await http.get("/", follow_redirects=False)

    cookie, token = asyncio.run(sign_in_and_open_a_form())
    assert cocreate("staff", "remove", "telegram:77").exit_code == 0
    form, page = asyncio.run(as_them(cookie, token))
    assert (form.status_code, form.headers["location"]) == (303, "/signin") and page.status_code == 303
    with Session(app.database) as session:
        assert submissions.summary_of(session, kind="problem", id=1).status == "new"  # type: ignore[union-attr]
    assert cocreate("staff", "add", "telegram:77").exit_code == 0
    _, again = asyncio.run(as_them(cookie, token))
    assert again.status_code == 303 and again.headers["location"] == "/signin"


async def session_cookie(app: App, identity: str) -> str:
    """The session cookie `identity` gets by signing in with a link."""
    async with client(app) as http:
        await signed_in(http, app, identity)
        return http.cookies["cocreate_session"]


async def visit(app: App, cookie: str) -> int:
    """The status of the inbox for a browser holding this session cookie."""
    async with client(app) as http:
        http.cookies.set("cocreate_session", cookie)
        return (await http.get("/", follow_redirects=False)).status_code


def test_a_session_of_someone_the_staff_setting_no_longer_names_ends_at_their_next_request(app_factory: AppFactory) -> None:
    before = app_factory(staff=(BOSS, "telegram:78"))
    cookie = asyncio.run(session_cookie(before, "telegram:78"))
    after = app_factory(staff=(BOSS,))  # the same database, restarted without them
    assert asyncio.run(visit(after, cookie)) == 303
    assert asyncio.run(visit(before, cookie)) == 303  # named again: the session stays over


def test_a_session_survives_a_restart_and_every_replica_accepts_it(app_factory: AppFactory) -> None:
    first = app_factory()
    cookie = asyncio.run(session_cookie(first, BOSS))
    first.close()  # restarted: the key that signs sessions is in the database, not in the process
    assert asyncio.run(visit(app_factory(), cookie)) == 200
    assert asyncio.run(visit(app_factory(), cookie)) == 200  # a second replica on the same database


def test_a_link_of_someone_removed_from_the_staff_before_using_it_signs_nobody_in(app: App, cocreate: Cocreate) -> None:
    assert cocreate("staff", "add", "telegram:77").exit_code == 0
    path = link_for(app, "telegram:77").removeprefix(BASE)
    assert cocreate("staff", "remove", "telegram:77").exit_code == 0

    async def scenario() -> httpx.Response:
        async with client(app) as http:
            return await http.post(path)

    refused = asyncio.run(scenario())
    assert refused.status_code == 403 and "set-cookie" not in refused.headers
    assert "this link belongs to someone who is no longer staff" in visible_text(refused.text)


def test_someone_who_is_not_staff_gets_no_link(app: App) -> None:
    from bot.operations.sign_in import NotStaff

    with pytest.raises(NotStaff, match="telegram:5 is not staff"):
        link_for(app, "telegram:5")


def test_cookies_are_httponly_samesite_and_secure_behind_https(app_factory: AppFactory) -> None:
    built = app_factory(web_base_url="https://console.city.example")

    async def scenario() -> tuple[str, str]:
        async with client(built) as http:
            response = await http.post(link_for(built).removeprefix(BASE))
            page = await http.get("/signin")
            return response.headers["set-cookie"], page.headers["content-security-policy"]

    cookie, csp = asyncio.run(scenario())
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie and "Max-Age=43200" in cookie
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp


@pytest.mark.parametrize("base_url", ["https://console.city.example", "http://127.0.0.1:8080"])
def test_behind_https_every_response_tells_browsers_to_use_https_only(app_factory: AppFactory, base_url: str) -> None:
    built = app_factory(web_base_url=base_url)

    async def scenario() -> list[httpx.Response]:
        async with client(built) as http:
            signing_in = await http.post(link_for(built).removeprefix(BASE))
            return [signing_in, await http.get("/"), await http.get("/static/console.css"), await http.get("/no-such-page")]

    for response in asyncio.run(scenario()):
        hsts = response.headers.get("strict-transport-security")
        assert hsts == ("max-age=63072000" if base_url.startswith("https") else None), response.url
        assert response.headers["x-frame-options"] == "DENY" and response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer" and "default-src 'self'" in response.headers["content-security-policy"]


def test_staff_get_a_link_in_their_chat_with_web_and_others_are_refused(app: App) -> None:
    boss = terminal(app, "boss", "1", "/web")
    ana = terminal(app, "ana", "1", "/web")
    links = re.findall(r"http://testserver/signin/\S+", boss)
    assert len(links) == 1 and "works once, for 15 minutes" in boss
    assert "only for the city team" in ana and "/signin/" not in ana

    async def scenario() -> int:
        async with client(app) as http:
            return (await http.post(links[0].removeprefix(BASE))).status_code

    assert asyncio.run(scenario()) == 303


def test_cocreate_staff_link_prints_one_line_for_staff_only(cocreate: Cocreate) -> None:
    env = {"STAFF": "telegram:42", "WEB_BASE_URL": "https://console.city.example"}
    given = cocreate("staff", "link", "telegram:42", **env)
    refused = cocreate("staff", "link", "telegram:43", **env)
    assert given.exit_code == 0, given.stderr
    assert re.fullmatch(r"https://console\.city\.example/signin/[A-Za-z0-9_-]{43}\n", given.stdout)
    assert refused.exit_code == 2 and "telegram:43 is not staff" in refused.stderr and refused.stdout == ""
