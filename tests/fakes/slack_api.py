"""A fake Slack Web API on 127.0.0.1 for the real slack_sdk client (SLACK_API_BASE_URL).

Serves auth.test, chat.postMessage, chat.update, chat.postEphemeral, conversations.open,
users.info, conversations.create (a taken name is `name_taken`), conversations.invite
(`already_in_channel` for a member) and pins.add (`already_pinned`), shaped as Slack's docs
show them (`channels` keeps what was created, with members and pins), and a file upload as slack_sdk's files_upload_v2 makes it
(files.getUploadURLExternal, the upload itself, files.completeUploadExternal: the files shared
are kept in `files`, with the channel and comment they were shared with); answers can be scripted per method (429 with Retry-After, ok:false errors). It
runs on its own thread and event loop.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.fakes.recording import Recording

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"  # Socket Mode: opens the WebSocket (apps.connections.open)
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def fixture(name: str) -> Any:
    path = FIXTURES / name
    return path.read_text() if path.suffix == ".txt" else json.loads(path.read_text())


@dataclass
class Scripted:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeSlack(Recording):
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    posted: list[dict[str, Any]] = field(default_factory=list)
    scripted: dict[str, list[Scripted]] = field(default_factory=dict)
    port: int = 0
    acks: list[str] = field(default_factory=list)  # envelope ids the app acknowledged over Socket Mode
    locales: dict[str, str] = field(default_factory=dict)  # user id -> the locale users.info reports
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id -> bytes uploaded, not yet shared
    files: list[dict[str, Any]] = field(default_factory=list)  # shared: channel, filename, title, comment, content
    _upload_names: dict[str, str] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> name, members, pins
    _socket: web.WebSocketResponse | None = None

    def start(self) -> FakeSlack:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            web_app = web.Application()
            web_app.router.add_post("/api/{method}", self._handle)
            web_app.router.add_get("/api/{method}", self._handle)  # users.info is a GET
            web_app.router.add_get("/link", self._socket_mode)
            web_app.router.add_post("/upload/{file_id}", self._upload)
            runner = web.AppRunner(web_app)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        threading.Thread(target=serve, name="fake-slack", daemon=True).start()
        ready.wait()
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def fail_next(self, method: str, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        with self._changed:
            self.scripted.setdefault(method, []).append(Scripted(status, body, headers or {}))

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self._changed:
            return [params for name, params in self.calls if name == method]

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self._changed:
            return [m for m in self.posted if channel is None or m["channel"] == channel]

    def send_envelope(self, payload: dict[str, Any], kind: str = "events_api") -> str:
        """Deliver an event over the Socket Mode connection, as Slack does; returns its envelope id."""
        self.wait_until(lambda fake: fake._socket is not None)
        envelope_id = f"env-{len(self.acks)}-{time.monotonic_ns()}"
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload, "accepts_response_payload": False}
        assert self._loop is not None and self._socket is not None
        asyncio.run_coroutine_threadsafe(self._socket.send_json(envelope), self._loop).result(timeout=10)
        return envelope_id

    async def _socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1})
        with self._changed:
            self._socket = socket
            self._changed.notify_all()
        async for message in socket:
            acknowledged = json.loads(message.data).get("envelope_id")
            with self._changed:
                self.acks.append(acknowledged)
                self._changed.notify_all()
        return socket

    def call_names(self) -> list[str]:
        return [name for name, _ in self.calls]

    async def _upload(self, request: web.Request) -> web.Response:
        """Step 2 of files_upload_v2: the bytes, posted to the URL step 1 gave."""
        body = await request.read()
        with self._changed:
            self.uploads[request.match_info["file_id"]] = body
            self.calls.append(("upload", {"file_id": request.match_info["file_id"]}))
            self._changed.notify_all()
        return web.Response(text="OK - uploaded")

    def _share(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Step 3: files.completeUploadExternal shares the uploaded files in a channel."""
        listed = params["files"] if isinstance(params["files"], list) else json.loads(params["files"])
        shared = []
        for item in listed:
            content = self.uploads.pop(item["id"], b"")
            record = {"channel": params.get("channel_id"), "filename": self._upload_names.get(item["id"]),
                      "title": item.get("title"), "comment": params.get("initial_comment"), "content": content.decode()}  # fmt: skip
            self.files.append(record)
            shared.append({"id": item["id"], "title": item.get("title")})
        self._changed.notify_all()
        return shared

    def wait_for_messages(self, count: int, channel: str | None = None, timeout: float = 20) -> list[dict[str, Any]]:
        self.wait_until(lambda fake: len(fake.messages(channel)) >= count, timeout)
        return self.messages(channel)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        with self._changed:
            self.calls.append((method, params))
            queue = self.scripted.get(method)
            scripted = queue.pop(0) if queue else None
            if scripted is None and method == "chat.postMessage":
                params["ts"] = f"{1764331300 + len(self.posted)}.000100"
                self.posted.append(params)
            self._changed.notify_all()
        token = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if request.headers.get("Authorization") != f"Bearer {token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if scripted is not None:
            return web.json_response(scripted.body, status=scripted.status, headers=scripted.headers)
        return web.json_response(self._result(method, params))

    def _result(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self._upload_names) + 1:08d}"
            self._upload_names[file_id] = str(params.get("filename"))
            return {"ok": True, "file_id": file_id, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            with self._changed:
                return {"ok": True, "files": self._share(params)}
        if method == "auth.test":
            return fixture("response_auth_test.json")
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params["users"])[1:]}}
        if method == "users.info":
            answer = fixture("response_users_info.json")
            answer["user"]["id"] = params["user"]
            answer["user"]["locale"] = self.locales.get(params["user"], "en-US")  # the fixture's is es-ES
            return answer
        if method in {"conversations.create", "conversations.invite", "pins.add"}:
            with self._changed:
                return self._channel_call(method, params)
        if method in {"chat.postMessage", "chat.update", "chat.postEphemeral"}:
            ts = params.get("ts") or f"{time.time():.6f}"
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": {"text": params.get("text")}}
        return {"ok": True}


    def _channel_call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "conversations.create":
            if any(c["name"] == params["name"] for c in self.channels.values()):
                return {"ok": False, "error": "name_taken"}
            channel_id = f"C{len(self.channels) + 1:010d}"
            self.channels[channel_id] = {"name": params["name"], "members": ["UBOT"], "pins": []}
            return {"ok": True, "channel": {"id": channel_id, "name": params["name"], "is_channel": True,
                                            "is_private": False, "created": int(time.time()), "creator": "UBOT"}}  # fmt: skip
        channel = self.channels.get(params.get("channel", ""))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if method == "conversations.invite":
            users = str(params["users"]).split(",")
            if all(u in channel["members"] for u in users):
                return {"ok": False, "error": "already_in_channel"}
            channel["members"].extend(u for u in users if u not in channel["members"])
            return {"ok": True, "channel": {"id": params["channel"], "name": channel["name"]}}
        if params["timestamp"] in channel["pins"]:
            return {"ok": False, "error": "already_pinned"}
        channel["pins"].append(params["timestamp"])
        return {"ok": True}


async def _params(request: web.Request) -> dict[str, Any]:
    """slack_sdk sends some arguments in the query string (users.info, conversations.open)
    and others in a form or JSON body."""
    params: dict[str, Any] = dict(request.query)
    body = await request.text()
    if request.content_type == "application/json":
        return {**params, **json.loads(body or "{}")}
    for key, value in parse_qsl(body, keep_blank_values=True):
        params[key] = json.loads(value) if value[:1] in "[{" else value
    return params
