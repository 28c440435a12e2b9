"""/healthz and /metrics on the console's port, for a load balancer and for Prometheus.

Neither needs a console session. /healthz says only which parts are failing. /metrics holds
counts (nothing about anyone); with METRICS_TOKEN set it asks for that bearer token."""

from __future__ import annotations

import hmac

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.runtime.health import check_health
from bot.web.console import Console

NOT_CACHED = {"cache-control": "no-store"}
UNAUTHORIZED = "METRICS_TOKEN is set: send it as Authorization: Bearer <token>\n"


def routes() -> list[Route]:
    return [Route("/healthz", healthz), Route("/metrics", metrics)]


def _console(request: Request) -> Console:
    return request.app.state.console


async def healthz(request: Request) -> Response:
    """200 when the database answers and every watched loop is alive, else 503 naming what fails."""
    app = _console(request).app
    report = await check_health(app.database, app.blocking, app.liveness)
    return JSONResponse(report.as_json(), status_code=200 if report.ok else 503, headers=NOT_CACHED)


async def metrics(request: Request) -> Response:
    app = _console(request).app
    token = app.settings.metrics_token
    if token is not None and not _bearer_is(request, token.get_secret_value()):
        unauthorized = {**NOT_CACHED, "www-authenticate": 'Bearer realm="metrics"'}
        return PlainTextResponse(UNAUTHORIZED, 401, headers=unauthorized)
    exposition = await app.blocking(app.metrics.exposition)  # reads the backlog from the database
    return Response(exposition, media_type=CONTENT_TYPE_LATEST, headers=NOT_CACHED)


def _bearer_is(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
