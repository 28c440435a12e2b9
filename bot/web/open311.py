"""The Open311 GeoReport v2 API under /open311/v2/, beside the staff console on the same
server: public reads of the problems other residents may see (never who sent them), and
`POST requests.json` for partners holding an API key (`cocreate apikeys add NAME`).

Its own Starlette app, beside the console's in bot/web/server.py: no console session or CSRF token (the
key is the credential, checked in the transaction that saves), errors in the spec's shape
(`[{"code": 400, "description": "..."}]`) with the matching HTTP status, reads open to
browsers of any origin (CORS, GET only). JSON only: `.xml` gets a 400 that says so. The
OpenAPI document describing exactly these answers is `open311_openapi.json` beside this
file, served at /open311/v2/openapi.json (tests/web/test_open311_schema.py holds the API
to it with schemathesis)."""

from __future__ import annotations

import functools
import json
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, AsyncGenerator, Awaitable, Callable, Mapping

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.operations import partner_requests
from bot.operations.partner_requests import Created, Refused
from bot.web.console import Console
from bot.web.security import ASGIApp, Receive, Scope, Send
from conversations.contact_details import without_contact_details
from conversations.i18n import T
from conversations.refs import CLOSED_STATUSES, is_ref_shaped, parse_ref
from storage import public_requests
from storage.public_requests import PublicRequest, RequestFilter

PREFIX = "/open311/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this API last changed (the discovery document's changeset).
CHANGESET = "2026-12-06T00:00:00+00:00"
OPENAPI = Path(__file__).parent / "open311_openapi.json"
PAGE_SIZE = 1000  # the spec's most requests per answer
MAX_PAGE = 100_000
MAX_REF = 40  # P- and a number of up to ten digits, with room for spaces
# Without dates or ids, the last 90 days, as the spec recommends.
DEFAULT_WINDOW = timedelta(days=90)
MAX_BODY = 64 * 1024  # a form of a description, a place and a URL is far smaller
MAX_FIELDS = 50  # the spec's fields, and room for a client's own


def error(status: int, description: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """An error as the spec shows them: a list of one code and description."""
    return JSONResponse([{"code": status, "description": description}], status_code=status, headers=headers)


Handler = Callable[[Request, Console], Awaitable[Response]]


def json_only(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """`.json` is served; `.xml` is answered with a clear 400, anything else is not here."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        answer_format = request.path_params.pop("format")
        if answer_format == "xml":
            return error(400, "XML is not served: ask for the same path ending in .json")
        if answer_format != "json":
            return error(404, f"no such format: {answer_format[:20]!r}; this API answers .json")
        try:
            return await handler(request, request.app.state.console)
        except Refused as refused:
            retry = {"Retry-After": str(refused.retry_after)} if refused.retry_after else None
            return error(refused.status, refused.description, retry)

    return endpoint


@json_only
async def discovery(request: Request, console: Console) -> Response:
    return JSONResponse(
        {
            "changeset": CHANGESET,
            "contact": f"The city team behind {console.app.settings.web_url}",
            "key_service": "Ask the city team for an API key: they make one with `cocreate apikeys add NAME`.",
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": console.app.settings.web_url + PREFIX,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["application/json"],
                }
            ],
        }
    )


def service_name(console: Console, category: str) -> str:
    """A category's name in the default language, as the chat shows it."""
    catalogs, key = console.app.catalogs, f"category.{category}"
    if not catalogs.has(key):
        return category.replace("_", " ").capitalize()
    return catalogs.render(console.app.settings.default_language, T(key))


@json_only
async def services(request: Request, console: Console) -> Response:
    return JSONResponse(
        [
            {
                "service_code": category,
                "service_name": service_name(console, category),
                "description": service_name(console, category),
                "metadata": False,
                "type": "realtime",
                "keywords": "",
                "group": "",
            }
            for category in console.app.settings.categories
        ]
    )


def _moment(value: datetime | None, zone: tzinfo) -> str | None:
    return value.astimezone(zone).isoformat(timespec="seconds") if value is not None else None


def as_open311(console: Console, item: PublicRequest) -> dict[str, Any]:
    zone = console.app.settings.zone
    return {
        "service_request_id": f"P-{item.id}",
        "status": "closed" if item.status in CLOSED_STATUSES else "open",
        # Written for the people concerned; the whole world reads it here, so contact details
        # a staff member wrote into it anyway are left out ("[…]"), as residents' own are.
        "status_notes": without_contact_details(item.status_note, region=console.app.settings.region) if item.status_note else None,
        "service_name": service_name(console, item.category),
        "service_code": item.category,
        "description": item.description,
        "agency_responsible": None,
        "service_notice": None,
        "requested_datetime": _moment(item.requested_at, zone),
        "updated_datetime": _moment(item.updated_at or item.requested_at, zone),
        "expected_datetime": None,
        "address": item.place,
        "address_id": None,
        "zipcode": None,
        "lat": item.latitude,
        "long": item.longitude,
        "media_url": item.media_url,
    }


def problem_id(ref: str) -> int | None:
    """A problem's id from its reference (P-12, p12, or just 12); None for one written like a
    reference that no database can hold."""
    if len(ref) > MAX_REF:  # nothing that long is a reference (and int() refuses 4,300 digits)
        raise Refused(400, f"{ref[:40]!r}... is not a service_request_id like P-12")
    text = f"P-{ref.strip()}" if ref.strip().isdigit() else ref
    parsed = parse_ref(text)
    if parsed is None and is_ref_shaped(text) and text.strip()[0] in "Pp":
        return None
    if parsed is None or parsed[0] != "problem":
        raise Refused(400, f"{ref[:40]!r} is not a service_request_id like P-12")
    return parsed[1]


def _date(raw: str, name: str, zone: tzinfo) -> datetime:
    """An ISO 8601 moment, in UTC (one without an offset is in the city's time zone)."""
    try:
        moment = datetime.fromisoformat(raw.strip())
        return (moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)).astimezone(timezone.utc)
    except ValueError:
        raise Refused(400, f"{name} is not a date and time like 2026-12-01T00:00:00Z") from None
    except OverflowError:  # 0001-01-01T00:00:00+05:00 is before the first moment there is
        raise Refused(400, f"{name} is out of range") from None


def _listed(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def request_filter(query: Mapping[str, str], console: Console) -> RequestFilter:
    """What a `GET requests.json` asks for; a value that names nothing is a 400."""
    if ids := _listed(query.get("service_request_id")):
        if len(ids) > PAGE_SIZE:
            raise Refused(400, f"at most {PAGE_SIZE:,} service_request_id at once")
        found = (problem_id(ref) for ref in ids)
        return RequestFilter(ids=tuple(id_ for id_ in found if id_ is not None))
    codes = _listed(query.get("service_code"))
    unknown = [code for code in codes if code not in console.app.settings.categories]
    if unknown:
        raise Refused(400, f"service_code {unknown[0][:64]!r} is not a service (services.json lists them)")
    statuses = set(_listed(query.get("status")))
    if statuses - {"open", "closed"}:
        raise Refused(400, "status is open or closed (or both, comma-separated)")
    zone = console.app.settings.zone
    start = _date(query["start_date"], "start_date", zone) if query.get("start_date") else None
    end = _date(query["end_date"], "end_date", zone) if query.get("end_date") else None
    if start is not None and end is not None and start > end:
        raise Refused(400, "start_date is after end_date")
    if start is None and end is None:
        start = console.now() - DEFAULT_WINDOW
    status = statuses.pop() if len(statuses) == 1 else None
    return RequestFilter(categories=tuple(codes) or None, status=status, start=start, end=end)


def page_number(query: Mapping[str, str]) -> int:
    raw = query.get("page", "1").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_PAGE))) or not 1 <= int(raw) <= MAX_PAGE:
        raise Refused(400, f"page is a whole number from 1 to {MAX_PAGE:,}")
    return int(raw)


@json_only
async def request_list(request: Request, console: Console) -> Response:
    wanted, page = request_filter(request.query_params, console), page_number(request.query_params)
    found = await console.read(public_requests.public_requests, wanted=wanted, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    return JSONResponse([as_open311(console, item) for item in found])


@json_only
async def one_request(request: Request, console: Console) -> Response:
    ref = request.path_params["ref"]
    id_ = problem_id(ref)
    found = await console.read(public_requests.public_request, id_=id_) if id_ is not None else None
    if found is None:
        return error(404, f"there is no public service request {ref[:40]!r}")
    return JSONResponse([as_open311(console, found)])


async def _capped(request: Request) -> AsyncGenerator[bytes, None]:
    """The body as it arrives, refused once past MAX_BODY (a chunked one has no length to check first)."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise Refused(413, f"the request is larger than {MAX_BODY // 1024} KB")
        yield chunk


async def form_fields(request: Request) -> dict[str, str]:
    """The POST's fields: a form, as the spec sends them (urlencoded or multipart, without
    files), or a JSON object of strings and numbers."""
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        raise Refused(413, f"the request is larger than {MAX_BODY // 1024} KB")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            body = json.loads(b"".join([chunk async for chunk in _capped(request)]))
        except ValueError:
            raise Refused(400, "the body is not JSON") from None
        scalar = (str, int, float)
        if not isinstance(body, dict) or any(isinstance(v, bool) or not isinstance(v, scalar) for v in body.values()):
            raise Refused(400, "the body must be a JSON object of strings and numbers")
        return {str(name): str(value) for name, value in body.items()}
    parser: FormParser | MultiPartParser
    if content_type == "multipart/form-data":
        parser = MultiPartParser(request.headers, _capped(request), max_files=0, max_fields=MAX_FIELDS, max_part_size=MAX_BODY)
    else:  # the spec's application/x-www-form-urlencoded, also when a client forgets to say so
        parser = FormParser(request.headers, _capped(request), max_fields=MAX_FIELDS, max_part_size=MAX_BODY)
    try:
        form = await parser.parse()
    except MultiPartException as problem:
        raise Refused(400, f"the form cannot be read: {problem.message}") from None
    return {name: value for name, value in form.items() if isinstance(value, str)}


def service_notice(created: Created, console: Console) -> str:
    notice = f"Received as {created.ref}; the city team reviews it."
    if created.follow_up is not None:
        notice += f" Where it stands by {created.follow_up.astimezone(console.app.settings.zone).date().isoformat()}."
    if created.private:
        notice += " It looks like it contains contact details, so only the city team sees it."
    elif created.held:
        notice += " It is shown publicly once the city team approves it."
    return notice


@json_only
async def post_request(request: Request, console: Console) -> Response:
    fields = await form_fields(request)
    if not fields.get("api_key", "").strip():  # before anything else: what a valid request holds is for partners
        raise Refused(403, partner_requests.NO_KEY)
    problem = partner_requests.parse(fields, categories=console.app.settings.categories)
    created = await console.write(
        partner_requests.create, api_key=fields.get("api_key", "").strip(), problem=problem,
        settings=console.app.service.settings, routing=console.app.routing,
        per_hour=console.app.settings.open311_posts_per_hour, now=console.now(),
    )  # fmt: skip
    answer = [{"service_request_id": created.ref, "service_notice": service_notice(created, console), "account_id": None}]
    return JSONResponse(answer, status_code=201)


@functools.cache
def openapi_document() -> dict[str, Any]:
    """Read once per process; only read afterwards."""
    return json.loads(OPENAPI.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404s and 405s, in the API's shape."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    text = {404: "there is nothing at this path", 405: "this method is not allowed here"}.get(status, "the request failed")
    return error(status, text, getattr(exc, "headers", None))


async def server_error(request: Request, exc: Exception) -> Response:
    """A failure of ours (a bug, the database down) in the API's shape too; Starlette logs it."""
    return error(500, "the server could not answer; try again later")


def open311_asgi(console: Console) -> Starlette:
    api = Starlette(
        routes=[
            Route(PREFIX + "/openapi.json", openapi),
            Route(PREFIX + "/discovery.{format}", discovery),
            Route(PREFIX + "/services.{format}", services),
            Route(PREFIX + "/requests.{format}", request_list, methods=["GET"]),
            Route(PREFIX + "/requests.{format}", post_request, methods=["POST"]),
            Route(PREFIX + "/requests/{ref}.{format}", one_request),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        # Public reads for any web page; posting needs a key, which no browser should hold.
        middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET"])],
    )
    api.state.console = console
    return api


def beside(console_app: ASGIApp, api: ASGIApp) -> ASGIApp:
    """Every path under /open311/v2/ goes to the API, whatever it holds (a Mount would leave
    one with a newline in it to the console's plain-text 404); the rest to the console."""

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        wanted = api if scope["type"] == "http" and scope["path"].startswith(PREFIX + "/") else console_app
        await wanted(scope, receive, send)

    return dispatch
