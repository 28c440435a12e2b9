"""The console's tests run an app whose staff is `console:boss` (the `app` fixture, with these
settings). The console served for real on 127.0.0.1 (uvicorn in its own thread and event
loop), and headless Chromium from Debian's `chromium` package driven by Playwright: one
browser per test session, a fresh context per test. Without the browser, those tests skip
and say why."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Coroutine, Iterator, TypeVar

import pytest

from adapters import console
from adapters.base import Queued, SendResult, Sent
from bot.app import App
from bot.outbound.delivery import DeliveryWorker
from bot.outbound.ratelimit import UNLIMITED
from bot.web.server import listening_socket, start_console
from tests.conftest import AppFactory
from tests.web.support import BASE, BOSS

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
AXE = Path(__file__).parent / "assets" / "axe.min.js"
R = TypeVar("R")


@dataclass
class LiveConsole:
    """The console of an App, served on a free port until stopped."""

    app: App
    port: int = 0
    printed: list[str] = field(default_factory=list)  # what delivery to the terminal printed
    _loop: asyncio.AbstractEventLoop | None = None
    _stop: asyncio.Event | None = None
    _worker: DeliveryWorker | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, sock: socket.socket) -> LiveConsole:
        self.port = sock.getsockname()[1]
        ready = threading.Event()

        async def serve() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            running = await start_console(self.app, sock=sock)
            ready.set()
            await self._stop.wait()
            if self._worker is not None:
                self._worker.stop()
            await running.stop()

        self._thread = threading.Thread(target=lambda: asyncio.run(serve()), name="live-console", daemon=True)
        self._thread.start()
        assert ready.wait(30), "the console did not start"
        return self

    def deliver_to_terminals(self) -> None:
        """Start delivering console messages (as `cocreate run` would for a channel)."""

        def begin() -> None:
            hooks = self.app.channel_hooks()
            self._worker = hooks.delivery_worker(PrintedSender(self.printed.append), limits=UNLIMITED)
            self._worker.poll_interval = 0.2
            asyncio.ensure_future(self._worker.run())

        assert self._loop is not None
        self._loop.call_soon_threadsafe(begin)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(30)


@dataclass(frozen=True)
class PrintedSender:
    """Every terminal person's messages, as the terminal prints them, into one list."""

    write: Callable[[str], None]
    channel: str = console.CHANNEL

    async def send(self, message: Queued) -> SendResult:
        self.write(console.to_channel(message.outbound) + "\n")
        return Sent()


@dataclass
class Browser:
    """Playwright's async API on its own thread and event loop: tests hand it coroutines, and
    every other test's asyncio.run stays free of its loop (the sync API would leave a running
    loop behind in the test thread)."""

    loop: asyncio.AbstractEventLoop
    chromium: Any = None

    def run(self, coroutine: Coroutine[Any, Any, R], timeout: float = 180) -> R:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def with_page(self, live: LiveConsole, scenario: Callable[[Any], Awaitable[R]]) -> R:
        """Run a scenario on a page of a fresh context pointed at the live console."""

        async def run() -> R:
            context = await self.chromium.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
            context.set_default_timeout(20_000)
            try:
                return await scenario(await context.new_page())
            finally:
                await context.close()

        return self.run(run())


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if executable is None:
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium): browser tests skipped")
    try:
        from playwright.async_api import async_playwright
    except ImportError as error:  # pragma: no cover - the test extra installs it
        pytest.skip(f"Playwright is not installed ({error}): browser tests skipped")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="playwright", daemon=True)
    thread.start()
    handle = Browser(loop)
    playwright = handle.run(async_playwright().start())
    handle.chromium = handle.run(playwright.chromium.launch(executable_path=executable, args=ARGS))
    yield handle
    handle.run(handle.chromium.close())
    handle.run(playwright.stop())
    loop.call_soon_threadsafe(loop.stop)
    thread.join(30)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"staff": (BOSS,), "web_base_url": BASE}


@pytest.fixture
def live(app_factory: AppFactory) -> Iterator[LiveConsole]:
    sock = listening_socket("127.0.0.1", 0)  # a free port; sign-in links point at it
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    console = LiveConsole(app_factory(web_base_url=url)).start(sock)
    yield console
    console.stop()


async def axe_violations(chromium: Any, urls: dict[str, str], cookies: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """Serious and critical accessibility violations axe-core finds on each page (name ->
    URL). CSP is bypassed in this context only, to inject axe itself."""
    context = await chromium.new_context(bypass_csp=True)
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        await context.add_cookies(cookies)
        page = await context.new_page()
        for name, url in urls.items():
            await page.goto(url)
            await page.wait_for_load_state("load")
            await page.add_script_tag(path=str(AXE))
            violations = await page.evaluate(
                """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
                     .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))"""
            )
            found[name] = [v for v in violations if v["impact"] in ("serious", "critical")]
    finally:
        await context.close()
    return found
