"""The console's ASGI app and its server: uvicorn in the event loop that serves the channels
(`cocreate run`), or alone (`cocreate web`)."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.app import App, build_app
from bot.channels.protocol import ChannelError
from bot.config import Settings
from bot.runtime.schema_wait import wait_for_schema
from bot.web import auth_pages, broadcast_pages, inbox_pages, insight_pages, join_page, open311, operations_pages
from bot.web import people_pages, poll_pages, submission_pages
from bot.web.console import Console, build_console
from bot.web.security import ASGIApp, content_security_policy, with_security_headers

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


def routes() -> list[Route | Mount]:
    return [
        Route("/", inbox_pages.inbox),
        Route("/api/inbox", inbox_pages.inbox_json),
        Route("/signin", auth_pages.signin_page),
        Route("/signin/{token}", auth_pages.link_page, methods=["GET"]),
        Route("/signin/{token}", auth_pages.use_link, methods=["POST"]),
        Route("/signout", auth_pages.sign_out, methods=["POST"]),
        Route("/language", auth_pages.choose_language, methods=["POST"]),
        Route("/submissions/{ref}", submission_pages.submission),
        Route("/submissions/{ref}/status", submission_pages.change_status, methods=["POST"]),
        Route("/submissions/{ref}/merge", submission_pages.merge, methods=["POST"]),
        Route("/submissions/{ref}/note", submission_pages.add_note, methods=["POST"]),
        Route("/submissions/{ref}/moderate", submission_pages.moderate, methods=["POST"]),
        Route("/submissions/{ref}/question", submission_pages.ask, methods=["POST"]),
        Route("/submissions/{ref}/team", submission_pages.reassign, methods=["POST"]),
        Route("/submissions/{ref}/photo", submission_pages.photo),
        *broadcast_pages.routes(),
        *poll_pages.routes(),
        *people_pages.routes(),
        *insight_pages.routes(),
        *operations_pages.routes(),  # /healthz and /metrics: no session needed
        *join_page.routes(),  # public: where a diffuser's personal link leads
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def console_asgi(console: Console) -> ASGIApp:
    app = Starlette(routes=routes())
    app.state.console = console
    # The Open311 API beside it: its own app, errors and no console session (bot/web/open311.py).
    served = open311.beside(app, open311.open311_asgi(console))
    tiles = console.app.settings.map_tiles_url
    tile_origin = "{0.scheme}://{0.netloc}".format(urlsplit(tiles)) if tiles else None
    return with_security_headers(served, csp=content_security_policy(tile_origin), https=console.secure_cookies)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside our own loop: the process's signal handlers stay ours (bot/app.py)."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class RunningConsole:
    server: uvicorn.Server
    task: asyncio.Task[None]
    url: str

    async def stop(self) -> None:
        self.server.should_exit = True
        await asyncio.gather(self.task, return_exceptions=True)


def listening_socket(host: str, port: int) -> socket.socket:
    """Bound here, so a port in use is one clear line rather than uvicorn's exit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ChannelError(f"WEB_PORT: the staff console cannot listen on {host}:{port} ({error.strerror}).") from None
    sock.set_inheritable(True)
    # Listening from here on: a browser that connects as soon as the console says where it is
    # waits in the backlog until uvicorn accepts, instead of being refused.
    sock.listen(2048)
    return sock


async def start_console(app: App, *, sock: socket.socket | None = None) -> RunningConsole:
    """Serve the console in this event loop until stopped."""
    settings = app.settings
    console = await app.blocking(build_console, app)
    sock = sock or listening_socket(settings.web_host, settings.web_port)
    # log_config=None: uvicorn's records go through the process's own handler (LOG_FORMAT).
    config = uvicorn.Config(
        console_asgi(console), lifespan="off", access_log=False, log_level="warning", proxy_headers=False, log_config=None
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    host, port = sock.getsockname()[:2]
    log.info("staff console on http://%s:%s (links point at %s)", host, port, settings.web_url)
    return RunningConsole(server, task, settings.web_url)


def run_console(settings: Settings) -> None:
    """`cocreate web`: the console alone, until Ctrl-C or SIGTERM."""
    app = build_app(settings, schema=wait_for_schema)
    try:
        asyncio.run(_serve_alone(app))
    except KeyboardInterrupt:
        pass
    finally:
        app.close()


async def _serve_alone(app: App) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    running = await start_console(app)
    print(f"Staff console: {app.settings.web_url} (sign in with `cocreate staff link CHANNEL:ID`). Ctrl-C stops it.", flush=True)
    stopped = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({running.task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if running.task in done:
            running.task.result()
    finally:
        stopped.cancel()
        await running.stop()
