"""A fake Telegram Bot API server on 127.0.0.1, for the real python-telegram-bot to talk to.

It serves POST <base>/bot<token>/<method> with form-encoded (or JSON) bodies, like the real
one: getMe, getUpdates (long polling with offset semantics: an offset confirms every update
below it), sendMessage, sendDocument (multipart; the files it received are kept in
`documents`), editMessageText, editMessageReplyMarkup, answerCallbackQuery,
setMyCommands, deleteWebhook, setWebhook and createChatInviteLink (a ChatInviteLink). Answers can be scripted per method (429 with
retry_after, 403, 400, 409, 401, or a 200 whose body is an HTML page). It runs on its own thread and event loop, so tests can drive it
from synchronous code, from another event loop, or while the bot runs in a subprocess.
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

import tornado.httpserver
import tornado.httputil
import tornado.web
from tornado.netutil import bind_sockets

from tests.fakes.recording import Recording

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "telegram"
TOKEN = "123456:TEST-token"
BOT = {"id": 999000, "is_bot": True, "first_name": "CoCreate", "username": "cocreate_bot"}


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@dataclass(frozen=True)
class Page:
    """A raw answer that is not the Bot API's JSON (what a proxy or an outage serves)."""

    body: str = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    status: int = 200
    content_type: str = "text/html"


CONFLICT = {"ok": False, "error_code": 409,
            "description": "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}  # fmt: skip
UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class FakeTelegram(Recording):
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    confirmed_offset: int = 0
    scripted: dict[str, list[dict[str, Any] | Page | None]] = field(default_factory=dict)  # None: answer as usual
    failing_chats: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Telegram's published limits, enforced with 429s when set: messages in any second
    # overall, and per chat one every `per_chat_interval` seconds after a burst of
    # `per_chat_burst` (a token bucket, as Telegram tolerates short bursts in a chat).
    overall_limit: int | None = None
    per_chat_interval: float | None = None
    per_chat_burst: int = 1
    refuse_over_limit: bool = True  # False: deliver what breaks the limits, only counting it
    rate_limited: int = 0  # sends that broke the limits (answered 429 when refusing)
    _recent: list[float] = field(default_factory=list)
    _chat_tokens: dict[str, tuple[float, float]] = field(default_factory=dict)  # chat -> (tokens, when)
    served_updates: list[int] = field(default_factory=list)  # update ids handed out, in order
    next_update_id: int = 700_000
    next_message_id: int = 100
    webhook_url: str = ""
    port: int = 0
    files: dict[str, bytes] = field(default_factory=dict)  # file_id -> content, for getFile and downloads
    documents: list[dict[str, Any]] = field(default_factory=list)  # sendDocument: chat_id, caption, filename, content
    invite_links: list[str] = field(default_factory=list)  # createChatInviteLink: the chats links were made for
    # Set (on the fake's loop) when updates are pushed: a waiting getUpdates answers at once.
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    # -- running --------------------------------------------------------------------------

    def start(self) -> FakeTelegram:
        sockets = bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            routes = [(r"/bot([^/]+)/(\w+)", _Handler, {"fake": self}), (r"/file/bot([^/]+)/photos/(.+)", _FileHandler, {"fake": self})]
            server = tornado.httpserver.HTTPServer(tornado.web.Application(routes))
            server.add_sockets(sockets)
            loop.call_soon(ready.set)
            loop.run_forever()
            server.stop()
            loop.close()

        threading.Thread(target=serve, name="fake-telegram", daemon=True).start()
        ready.wait()
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def settings(self) -> dict[str, Any]:
        """The settings of a bot that talks to this fake."""
        return {"telegram_bot_token": TOKEN, "telegram_api_base_url": self.base_url}

    # -- what tests do --------------------------------------------------------------------

    def push(self, update: dict[str, Any], *, copies: int = 1) -> int:
        """Queue an update for getUpdates (a fresh update_id unless it has one). `copies` > 1
        hands it out several times in one batch, as Telegram does after a crash left its
        offset unconfirmed."""
        with self._changed:
            if "update_id" not in update:
                update = {**update, "update_id": self.next_update_id}
                self.next_update_id += 1
            self.updates.extend(json.loads(json.dumps(update)) for _ in range(copies))
            self._changed.notify_all()
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._announce_arrival)
            return update["update_id"]

    def _announce_arrival(self) -> None:
        """On the fake's loop: wake the getUpdates calls waiting now; later ones wait anew."""
        arrived, self._arrived = self._arrived, asyncio.Event()
        arrived.set()

    def fail_chat(self, chat_id: int | str, error: dict[str, Any]) -> None:
        """Every sendMessage to this chat gets this error (say, 403: the person blocked the bot)."""
        with self._changed:
            self.failing_chats[str(chat_id)] = error

    def fail_next(self, method: str, error: dict[str, Any] | Page, *, times: int = 1, after: int = 0) -> None:
        """The next `times` calls of `method` get this error answer (a fixture's shape, or
        a Page that is not JSON at all), once `after` more calls have been answered as usual."""
        with self._changed:
            self.scripted.setdefault(method, []).extend([None] * after + [error] * times)

    def scripted_left(self, method: str) -> int:
        """How many scripted answers for `method` are still to be given."""
        with self._changed:
            return len(self.scripted.get(method, []))

    def sent(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        """Messages delivered (sendMessage calls that were not answered with an error)."""
        with self._changed:
            return [m for m in self.delivered if chat_id is None or str(m["chat_id"]) == str(chat_id)]

    def calls_of(self, method: str) -> list[Call]:
        with self._changed:
            return [c for c in self.calls if c.method == method]

    def call_names(self) -> list[str]:
        return [c.method for c in self.calls]

    def wait_for_messages(self, count: int, chat_id: int | str | None = None, timeout: float = 20) -> list[dict[str, Any]]:
        self.wait_until(lambda fake: len(fake.sent(chat_id)) >= count, timeout)
        return self.sent(chat_id)

    # -- serving --------------------------------------------------------------------------

    def record(self, method: str, params: dict[str, Any]) -> dict[str, Any] | Page | None:
        """Record a call; returns a scripted error answer if one is due."""
        with self._changed:
            self.calls.append(Call(method, params))
            self._changed.notify_all()
            if method == "sendMessage" and str(params.get("chat_id")) in self.failing_chats:
                return self.failing_chats[str(params["chat_id"])]
            if method == "sendMessage" and self._over_limit(str(params.get("chat_id"))):
                self.rate_limited += 1
                if not self.refuse_over_limit:
                    return None
                return {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                        "parameters": {"retry_after": 1}}  # fmt: skip
            queue = self.scripted.get(method)
            return queue.pop(0) if queue else None

    def _over_limit(self, chat_id: str) -> bool:
        """Whether this send breaks the limits (and if not, count it against them)."""
        now = time.monotonic()
        if self.overall_limit is not None:
            self._recent = [t for t in self._recent if t > now - 1.0]
            if len(self._recent) >= self.overall_limit:
                return True
        tokens = float(self.per_chat_burst)
        if self.per_chat_interval is not None:
            left, when = self._chat_tokens.get(chat_id, (tokens, now))
            tokens = min(tokens, left + (now - when) / self.per_chat_interval)
            if tokens < 1 - 1e-9:
                return True
            self._chat_tokens[chat_id] = (tokens - 1, now)
        self._recent.append(now)
        return False

    def pending_updates(self, offset: int | None) -> list[dict[str, Any]]:
        with self._changed:
            if offset:
                self.confirmed_offset = max(self.confirmed_offset, offset)
            self.updates = [u for u in self.updates if u["update_id"] >= self.confirmed_offset]
            return list(self.updates)

    def mark_served(self, updates: list[dict[str, Any]]) -> None:
        with self._changed:
            self.served_updates.extend(u["update_id"] for u in updates)
            self._changed.notify_all()

    def message(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        with self._changed:
            self.next_message_id += 1
            message_id = self.next_message_id
            if method == "sendMessage":
                self.delivered.append(params)
                self._changed.notify_all()
            if method == "sendDocument":
                self.documents.append(params)
                self._changed.notify_all()
        chat_id = int(params["chat_id"])
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup", "first_name": "Person"}
        return {"message_id": message_id, "date": int(time.time()), "from": BOT, "chat": chat, "text": params.get("text", "")}


def _params(request: tornado.httputil.HTTPServerRequest) -> dict[str, Any]:
    content_type = request.headers.get("Content-Type", "")
    if content_type.startswith("application/json"):
        return json.loads(request.body or b"{}")
    if content_type.startswith("multipart/form-data"):
        # sendDocument: fields, and the file as `filename` and `content` (decoded text).
        arguments: dict[str, list[bytes]] = {}
        files: dict[str, list[tornado.httputil.HTTPFile]] = {}
        tornado.httputil.parse_body_arguments(content_type, request.body, arguments, files)
        fields: dict[str, Any] = {key: values[0].decode() for key, values in arguments.items()}
        for uploaded in files.values():
            fields["filename"] = uploaded[0].filename
            fields["content"] = uploaded[0].body.decode()
        return fields
    params: dict[str, Any] = {}
    for key, value in parse_qsl(request.body.decode(), keep_blank_values=True):
        # python-telegram-bot sends objects and lists JSON-encoded inside form fields.
        params[key] = json.loads(value) if value[:1] in "[{" else value
    return params


class _Handler(tornado.web.RequestHandler):
    def initialize(self, fake: FakeTelegram) -> None:
        self.fake = fake

    async def post(self, token: str, method: str) -> None:
        if token != self.fake.token:
            self._answer({"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        params = _params(self.request)
        error = self.fake.record(method, params)
        if isinstance(error, Page):
            self.set_status(error.status)
            self.set_header("Content-Type", error.content_type)
            self.write(error.body)
            return
        if error is not None:
            self._answer(error)
            return
        if method == "getUpdates":
            await self._get_updates(params)
            return
        if method == "getFile" and params.get("file_id") not in self.fake.files:
            self._answer({"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"})
            return
        self._answer({"ok": True, "result": self._result(method, params)})

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return fixture("response_getMe")["result"]
        if method in {"sendMessage", "sendDocument", "editMessageText", "editMessageReplyMarkup"}:
            return self.fake.message(method, params)
        if method == "getFile":
            file_id = params["file_id"]
            size = len(self.fake.files[file_id])
            return {"file_id": file_id, "file_unique_id": f"u{file_id[-6:]}", "file_size": size, "file_path": f"photos/{file_id}"}
        if method == "createChatInviteLink":
            self.fake.invite_links.append(str(params["chat_id"]))
            return {"invite_link": f"https://t.me/+fakeInvite{len(self.fake.invite_links)}", "creator": BOT,
                    "creates_join_request": False, "is_primary": False, "is_revoked": False, "name": params.get("name")}  # fmt: skip
        if method == "setWebhook":
            self.fake.webhook_url = params.get("url", "")
        if method == "deleteWebhook":
            self.fake.webhook_url = ""
        return True

    async def _get_updates(self, params: dict[str, Any]) -> None:
        offset = int(params["offset"]) if params.get("offset") not in (None, "") else None
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        arrived = self.fake._arrived  # taken before looking: a push after the look sets it
        updates = self.fake.pending_updates(offset)
        while not updates and (remaining := deadline - time.monotonic()) > 0:
            try:
                await asyncio.wait_for(arrived.wait(), remaining)
            except asyncio.TimeoutError:
                pass  # the long poll ends empty, as Telegram's does
            arrived = self.fake._arrived
            updates = self.fake.pending_updates(offset)
        self._answer({"ok": True, "result": updates})
        await self.finish()
        self.fake.mark_served(updates)

    def _answer(self, body: dict[str, Any]) -> None:
        self.set_status(200 if body.get("ok") else int(body.get("error_code", 400)))
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(body))


class _FileHandler(tornado.web.RequestHandler):
    """Downloads of files getFile described, as https://api.telegram.org/file/bot<token>/<path>."""

    def initialize(self, fake: FakeTelegram) -> None:
        self.fake = fake

    def get(self, token: str, file_id: str) -> None:
        self.fake.record("downloadFile", {"file_id": file_id})
        if token != self.fake.token or file_id not in self.fake.files:
            self.set_status(404)
            return
        self.set_header("Content-Type", "application/octet-stream")
        self.write(self.fake.files[file_id])
