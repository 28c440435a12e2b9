"""The Open311 GeoReport v2 API as a partner and the public use it, through Starlette and
httpx: what is public and what never is, the filters, the errors in the spec's shape, and
partners posting problems with their keys."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any, AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from bot.app import App
from bot.operations import moderation, partner_keys, status_changes
from bot.web.console import build_console
from bot.web.server import console_asgi
from conversations.messages import Address
from storage import citizens, submissions
from storage.api_key_models import PartnerRequest
from storage.models import FollowUp, OutboxMessage, Problem, ProblemCreate
from tests.conftest import AppFactory, Clock, Cocreate
from tests.web.support import client, report, signed_in, visible_text

pytestmark = pytest.mark.postgres

API = "/open311/v2"
LIGHT = "The street light on Elm Street is broken"
POTHOLE = "A deep pothole in front of the library"
ANA = Address("console", "ana", "ana")


def key_for(app: App, name: str = "call-centre") -> str:
    with Session(app.database) as session, session.begin():
        return partner_keys.add_key(session, name=name, actor="cli:test", via="cli", now=app.clock())


def revoke(app: App, name: str = "call-centre") -> None:
    with Session(app.database) as session, session.begin():
        partner_keys.revoke_key(session, name=name, actor="cli:test", via="cli", now=app.clock())


def calls(app: App, *requests: tuple[str, str, dict[str, Any] | None]) -> list[httpx.Response]:
    """(method, path under /open311/v2, query or form) in order, as a partner's client sends them."""

    async def run() -> list[httpx.Response]:
        async with client(app) as http:
            answers = []
            for method, path, data in requests:
                if method == "GET":
                    answers.append(await http.get(API + path, params=data))
                else:
                    answers.append(await http.request(method, API + path, data=data))
            return answers

    return asyncio.run(run())


def get(app: App, path: str, **query: str) -> httpx.Response:
    return calls(app, ("GET", path, query))[0]


def post(app: App, **form: str) -> httpx.Response:
    return calls(app, ("POST", "/requests.json", form))[0]


def new_problem(app: App, description: str, *, category: str = "roads", at: datetime | None = None, **system: Any) -> str:
    """A problem as the chat stores it, from Ana Lopez in the terminal."""
    with Session(app.database) as session, session.begin():
        ana = citizens.citizen_for(session, address=ANA)
        citizens.give_consent(session, citizen=ana, display_name="Ana Lopez", language="en", now=app.clock())
        assert ana.id is not None
        problem_in = ProblemCreate(description=description, title=description[:40], category=category, language="en")
        created = submissions.create_problem(session, citizen_id=ana.id, problem_in=problem_in, now=at or app.clock(), **system)
        return f"P-{created.id}"


def change(app: App, ref: str, status: str, note: str | None = None) -> None:
    with Session(app.database) as session, session.begin():
        status_changes.change_status(
            session, ref=ref, status=status, note=note, by="cli:alice", duplicate_of=None, now=app.clock(),
            notices=app.notices, via="cli",
        )  # fmt: skip


def errors_of(response: httpx.Response) -> list[dict[str, Any]]:
    body = response.json()
    assert isinstance(body, list) and set(body[0]) == {"code", "description"} and body[0]["code"] == response.status_code
    return body


def test_discovery_and_services_name_the_categories_in_the_default_language(app_factory: AppFactory) -> None:
    app = app_factory(default_language="es", categories=("roads", "lighting", "street_art"))
    discovery, services = calls(app, ("GET", "/discovery.json", None), ("GET", "/services.json", None))
    assert discovery.status_code == 200
    (endpoint,) = discovery.json()["endpoints"]
    assert endpoint["url"].endswith("/open311/v2") and endpoint["formats"] == ["application/json"]
    assert [(s["service_code"], s["service_name"], s["metadata"]) for s in services.json()] == [
        ("roads", "Calles y aceras", False), ("lighting", "Alumbrado público", False), ("street_art", "Street art", False),
    ]  # fmt: skip


def test_a_reported_problem_is_public_without_its_reporter(app: App) -> None:
    report(app, "Ana Lopez", LIGHT)
    (listed,) = get(app, "/requests.json").json()
    (one,) = get(app, "/requests/P-1.json").json()
    assert listed == one
    assert one["service_request_id"] == "P-1" and one["status"] == "open" and one["service_code"] == "lighting"
    assert one["description"] == LIGHT and one["service_name"] == "Street lighting"
    assert one["requested_datetime"].endswith("+00:00") and one["updated_datetime"] == one["requested_datetime"]
    assert "Ana" not in json.dumps(one) and "console" not in json.dumps(one)  # neither name nor identity
    assert get(app, "/requests/1.json").json() == [one]  # the bare number works too


def test_hidden_private_and_held_problems_are_not_public(app: App) -> None:
    shown = new_problem(app, POTHOLE)
    new_problem(app, "Call me at 555-0100 about the bins", private=True)
    new_problem(app, "Waiting for a moderator to look at it", moderation="pending")
    hidden = new_problem(app, "Rude words staff hid from everyone")
    with Session(app.database) as session, session.begin():
        moderation.moderate(session, ref=hidden, action="hide", note=None, by="cli:alice", now=app.clock(), notices=app.notices, via="cli")
    assert [r["service_request_id"] for r in get(app, "/requests.json").json()] == [shown]
    for ref in ("P-2", "P-3", hidden):
        missing = get(app, f"/requests/{ref}.json")
        assert missing.status_code == 404 and "no public service request" in errors_of(missing)[0]["description"]
    ids = get(app, "/requests.json", service_request_id="P-1,P-2,P-3,P-4")
    assert [r["service_request_id"] for r in ids.json()] == [shown]


def test_closed_problems_show_the_note_of_their_last_move_but_never_an_internal_note(app: App) -> None:
    ref = new_problem(app, POTHOLE)
    change(app, ref, "accepted", "Crews are booked for Tuesday")
    with Session(app.database) as session, session.begin():  # a note that keeps the status: staff's own
        status_changes.change_status(
            session, ref=ref, status="accepted", note="Internal: the contractor is Bob", by="cli:alice", duplicate_of=None,
            now=app.clock() + timedelta(hours=1), notices=app.notices, via="cli",
        )  # fmt: skip
    (accepted,) = get(app, f"/requests/{ref}.json").json()
    assert accepted["status"] == "open" and accepted["status_notes"] == "Crews are booked for Tuesday"
    change(app, ref, "done", "Filled on Tuesday; questions to roads@city.example")
    (done,) = get(app, f"/requests/{ref}.json").json()
    assert done["status"] == "closed" and done["status_notes"] == "Filled on Tuesday; questions to […]"
    assert "Bob" not in json.dumps(done)


def test_the_filters_narrow_the_list_newest_first(app: App) -> None:
    now = app.clock()
    old = new_problem(app, "A pothole reported long ago", at=now - timedelta(days=200))
    roads = new_problem(app, POTHOLE, at=now - timedelta(days=10))
    light = new_problem(app, LIGHT, category="lighting", at=now - timedelta(days=5))
    change(app, roads, "done", "Fixed")

    def refs(**query: str) -> list[str]:
        answer = get(app, "/requests.json", **query)
        assert answer.status_code == 200, answer.text
        return [r["service_request_id"] for r in answer.json()]

    assert refs() == [light, roads]  # the last 90 days when no date is given
    assert refs(service_code="roads") == [roads]
    assert refs(service_code="roads,lighting", status="open") == [light]
    assert refs(status="closed") == [roads]
    assert refs(status="open,closed") == [light, roads]
    assert refs(start_date=(now - timedelta(days=365)).isoformat()) == [light, roads, old]
    assert refs(end_date=(now - timedelta(days=7)).isoformat()) == [roads, old]
    assert refs(start_date="2026-01-01T00:00:00Z", end_date=(now - timedelta(days=100)).isoformat()) == [old]
    assert refs(service_request_id=f"{old},{light}") == [light, old]  # overrides every other filter


def test_pages_hold_a_thousand_requests_each(app: App) -> None:
    now = app.clock()
    new_problem(app, "Problem number 0")
    with Session(app.database) as session, session.begin():
        for minutes in range(1, 1001):
            problem_in = ProblemCreate(description=f"Problem number {minutes}", title="t", category="roads", language="en")
            submissions.create_problem(session, citizen_id=1, problem_in=problem_in, now=now - timedelta(minutes=minutes))
    first, second, third = (get(app, "/requests.json", page=str(page)).json() for page in (1, 2, 3))
    assert len(first) == 1000 and first[0]["description"] == "Problem number 0"
    assert [r["description"] for r in second] == ["Problem number 1000"] and third == []


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"status": "pending"}, "status is open or closed"),
        ({"service_code": "potholes"}, "'potholes' is not a service"),
        ({"start_date": "yesterday"}, "start_date is not a date"),
        ({"end_date": "0001-01-01T00:00:00+05:00"}, "end_date is out of range"),
        ({"start_date": "2026-12-01", "end_date": "2026-11-01"}, "start_date is after end_date"),
        ({"page": "0"}, "page is a whole number"),
        ({"page": "²"}, "page is a whole number"),
        ({"page": "9" * 5000}, "page is a whole number"),
        ({"service_request_id": "P-" + "9" * 5000}, "is not a service_request_id"),
        ({"service_request_id": "I-3"}, "not a service_request_id like P-12"),
    ],
)
def test_a_filter_that_names_nothing_is_a_400_in_the_spec_s_shape(app: App, query: dict[str, str], says: str) -> None:
    answer = get(app, "/requests.json", **query)
    assert answer.status_code == 400 and says in errors_of(answer)[0]["description"]


def test_errors_for_paths_formats_and_methods_are_in_the_spec_s_shape(app: App) -> None:
    xml, other, nowhere, method, beyond = calls(
        app, ("GET", "/requests.xml", None), ("GET", "/services.csv", None), ("GET", "/nothing", None),
        ("DELETE", "/requests.json", None), ("GET", "/requests/P-99999999999.json", None),
    )  # fmt: skip
    assert xml.status_code == 400 and "XML is not served" in errors_of(xml)[0]["description"]
    assert other.status_code == 404 and "format" in errors_of(other)[0]["description"]
    assert nowhere.status_code == 404 and errors_of(nowhere)
    assert method.status_code == 405 and errors_of(method)
    assert beyond.status_code == 404 and errors_of(beyond)


def test_a_partner_posts_a_problem_that_is_saved_like_one_from_the_chat(app: App, cocreate: Cocreate) -> None:
    key = key_for(app)
    answer = post(app, api_key=key, service_code="roads", description=POTHOLE, lat="-34.9", long="-56.16",
                  media_url="https://partner.example/photos/1.jpg", email="caller@example.com", first_name="Eve")  # fmt: skip
    assert answer.status_code == 201, answer.text
    (created,) = answer.json()
    assert created["service_request_id"] == "P-1" and created["account_id"] is None
    assert "Where it stands by 2026-" in created["service_notice"]
    (public,) = get(app, "/requests/P-1.json").json()
    assert (public["status"], public["lat"], public["long"]) == ("open", -34.9, -56.16)
    assert public["media_url"] == "https://partner.example/photos/1.jpg"
    with Session(app.database) as session:
        problem = session.exec(select(Problem)).one()
        assert problem.status == "new" and problem.place is None
        assert len(session.exec(select(FollowUp).where(FollowUp.target_id == problem.id)).all()) == 2  # 3d, 14d
        assert session.exec(select(PartnerRequest.api_key_id)).one() == 1
    listed = json.loads(cocreate("submissions", "--format", "json").stdout)
    assert listed[0]["submitter"] == "call-centre (partner)" and listed[0]["channel"] == "partner"
    assert "caller@example.com" not in json.dumps(listed) and "Eve" not in json.dumps(listed)  # not kept


def test_a_partner_s_problem_goes_to_its_team_and_to_partners_webhooks_like_the_chat_s(app: App, cocreate: Cocreate) -> None:
    assert cocreate("teams", "add", "Roads", "--categories", "roads", "--telegram-chat", "-1001").exit_code == 0
    assert cocreate("webhooks", "add", "https://partner.example/hook", "--events", "submission.created").exit_code == 0
    assert post(app, api_key=key_for(app), service_code="roads", description=POTHOLE, address_string="Calle 8").status_code == 201
    listed = json.loads(cocreate("submissions", "--team", "Roads", "--format", "json").stdout)
    assert [row["ref"] for row in listed] == ["P-1"]
    with Session(app.database) as session:
        queued = {(row.channel, row.chat_id): row for row in session.exec(select(OutboxMessage))}
    assert queued[("telegram", "-1001")].text.startswith("New P-1 (roads)")  # the team's card
    event = json.loads(queued[("webhook", "1")].text)
    assert (event["type"], event["data"]["ref"], event["data"]["team"]) == ("submission.created", "P-1", "Roads")


def test_staff_see_a_partner_s_problem_in_the_console(app: App) -> None:
    post(app, api_key=key_for(app), service_code="roads", description=POTHOLE, address_string="Main St and 3rd",
         media_url="https://partner.example/p.jpg")  # fmt: skip

    report(app, "Ana Lopez", LIGHT)

    async def page() -> tuple[str, str]:
        async with client(app) as http:
            await signed_in(http, app)
            return (await http.get("/submissions/P-1")).text, (await http.get("/", params={"channel": "partner"})).text

    text, inbox = (visible_text(html) for html in asyncio.run(page()))
    assert "P-1" in inbox and "P-2" not in inbox  # the inbox filtered by channel: partners
    assert "call-centre" in text and "Partner (Open311 API)" in text and "Main St and 3rd" in text
    assert "Photo: https://partner.example/p.jpg" in text  # in its history
    assert "it gets no messages and reads the status from the API" in text and "Cannot be reached" not in text


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"service_code": "potholes", "description": POTHOLE, "address_string": "Main St"}, "not a service"),
        ({"description": POTHOLE, "address_string": "Main St"}, "service_code is required"),
        ({"service_code": "roads", "address_string": "Main St"}, "description is required"),
        ({"service_code": "roads", "description": "Hole", "address_string": "Main St"}, "it must be 10 to 2,000"),
        ({"service_code": "roads", "description": "x" * 2001, "address_string": "Main St"}, "it must be 10 to 2,000"),
        ({"service_code": "roads", "description": POTHOLE}, "a location is required"),
        ({"service_code": "roads", "description": POTHOLE, "lat": "-34.9"}, "lat and long go together"),
        ({"service_code": "roads", "description": POTHOLE, "lat": "91", "long": "0"}, "lat must be between -90 and 90"),
        ({"service_code": "roads", "description": POTHOLE, "lat": "0", "long": "nan"}, "long must be between"),
        ({"service_code": "roads", "description": POTHOLE, "lat": "north", "long": "0"}, "lat is not a number"),
        ({"service_code": "roads", "description": POTHOLE, "address_string": "Main St", "media_url": "ftp://x.org/a.jpg"},
         "http:// or https://"),  # fmt: skip
        ({"service_code": "roads", "description": POTHOLE, "address_string": "Main St", "media_url": "javascript:alert(1)"},
         "http:// or https://"),  # fmt: skip
    ],
)
def test_an_invalid_post_is_a_400_that_names_the_field(app: App, form: dict[str, str], says: str) -> None:
    answer = post(app, api_key=key_for(app), **form)
    assert answer.status_code == 400 and says in errors_of(answer)[0]["description"]
    with Session(app.database) as session:
        assert session.exec(select(Problem)).all() == []


def test_a_post_without_a_valid_key_is_refused_and_a_revoked_key_at_once(app: App) -> None:
    form = {"service_code": "roads", "description": POTHOLE, "address_string": "Main St"}
    assert post(app, **form).status_code == 403
    assert post(app, api_key="co311_not-a-key", **form).status_code == 403
    key = key_for(app)
    assert post(app, api_key=key, **form).status_code == 201
    revoke(app)
    refused = post(app, api_key=key, **form)
    assert refused.status_code == 403 and "revoked" in errors_of(refused)[0]["description"]
    assert len(get(app, "/requests.json").json()) == 1


def test_a_key_posts_at_most_its_hourly_limit(app_factory: AppFactory, clock: Clock) -> None:
    app = app_factory(open311_posts_per_hour=2)
    key, other = key_for(app), key_for(app, "another-app")
    form = {"api_key": key, "service_code": "roads", "description": POTHOLE, "address_string": "Main St"}
    answers = calls(app, *[("POST", "/requests.json", form)] * 3)
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2].headers["retry-after"] == "3600" and "2 requests in the last hour" in errors_of(answers[2])[0]["description"]
    assert post(app, **{**form, "api_key": other}).status_code == 201  # each key its own limit
    clock.now += timedelta(hours=1)  # the first two age out of the hour
    assert post(app, **form).status_code == 201


def test_a_post_with_contact_details_is_kept_for_the_city_team_only(app_factory: AppFactory) -> None:
    app = app_factory(moderation="pre")
    key = key_for(app)
    private = post(app, api_key=key, service_code="waste", description="Bins overflowing, call me on +44 20 7946 0958",
                   address_string="Park Road")  # fmt: skip
    held = post(app, api_key=key, service_code="waste", description="Bins overflowing again on Park Road", lat="1", long="2")
    assert "only the city team sees it" in private.json()[0]["service_notice"]
    assert "once the city team approves it" in held.json()[0]["service_notice"]
    assert get(app, "/requests.json").json() == []


def test_a_post_as_json_works_like_a_form(app: App) -> None:
    key = key_for(app)

    async def send() -> tuple[httpx.Response, httpx.Response]:
        async with client(app) as http:
            good = {"api_key": key, "service_code": "parks", "description": "The swings are broken", "lat": -34.9, "long": -56.2}
            return (await http.post(API + "/requests.json", json=good),
                    await http.post(API + "/requests.json", json={"api_key": key, "lat": [1]}))  # fmt: skip

    created, nested = asyncio.run(send())
    assert created.status_code == 201 and nested.status_code == 400


def test_the_api_keeps_the_console_s_headers_and_lets_any_site_read(app: App) -> None:
    async def send() -> tuple[httpx.Response, httpx.Response]:
        async with client(app) as http:
            return await http.get(API + "/services.json", headers={"Origin": "https://map.example"}), await http.get("/signin")

    api, console = asyncio.run(send())
    assert api.headers["access-control-allow-origin"] == "*"
    assert "frame-ancestors 'none'" in console.headers["content-security-policy"]
    assert "access-control-allow-origin" not in console.headers
    assert api.headers["x-content-type-options"] == "nosniff"


def test_the_openapi_document_is_served(app: App) -> None:
    document = get(app, "/openapi.json").json()
    assert document["openapi"].startswith("3.") and "/requests.json" in document["paths"]


def test_a_body_too_large_or_not_a_form_is_refused_without_a_server_error(app: App) -> None:
    key = key_for(app)

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: refused as it arrives
        yield f"api_key={key}&description=".encode()
        for _ in range(100):
            yield b"x" * 1024

    broken_form = f'--x\r\nContent-Disposition: form-data; name="api_key"\r\n\r\n{key}\r\n--x\r\nnonsense'.encode()

    async def send() -> list[httpx.Response]:
        async with client(app) as http:
            url = API + "/requests.json"
            return [
                await http.post(url, content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}),
                await http.post(url, data={"api_key": key}, files={"photo": ("a.jpg", b"jpeg")}),
                await http.post(url, content=broken_form, headers={"content-type": "multipart/form-data; boundary=x"}),
                await http.post(url, content=b"{not json", headers={"content-type": "application/json"}),
            ]

    large, with_file, broken, not_json = asyncio.run(send())
    assert large.status_code == 413 and "64 KB" in errors_of(large)[0]["description"]
    assert with_file.status_code == 400 and "form cannot be read" in errors_of(with_file)[0]["description"]
    assert broken.status_code == 400 and errors_of(broken)
    assert not_json.status_code == 400 and errors_of(not_json)


def test_a_failure_of_ours_is_a_500_in_the_spec_s_shape(app: App) -> None:
    with app.database.begin() as connection:  # the database lost a table: every read fails
        connection.execute(text("DROP TABLE partner_request"))

    async def send() -> httpx.Response:
        asgi = console_asgi(await app.blocking(build_console, app))
        transport = httpx.ASGITransport(app=asgi, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return await http.get(API + "/requests.json")

    failed = asyncio.run(send())
    assert failed.status_code == 500 and "try again later" in errors_of(failed)[0]["description"]
