"""Sessions, CSRF tokens and the headers every console response carries.

A session is a random token: the browser keeps it in an HttpOnly, SameSite cookie, signed
with the secret kept in the database (so a forged cookie is refused without a query, and
every replica accepts every other's); the database keeps only its hash, so signing out
and leaving the staff end it for good. A form's CSRF token is derived from the session."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Awaitable, Callable, MutableMapping

COOKIE = "cocreate_session"
SESSION_LIFETIME = timedelta(hours=12)
SECRET_NAME = "session-signing-key"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class Signer:
    key: bytes

    def _mac(self, purpose: str, token: str) -> str:
        return hmac.new(self.key, f"{purpose}:{token}".encode(), hashlib.sha256).hexdigest()

    def cookie_value(self, token: str) -> str:
        return f"{token}.{self._mac('session', token)}"

    def token_from(self, cookie: str | None) -> str | None:
        """The session token of a cookie we signed; None for anything else."""
        token, _, mac = (cookie or "").rpartition(".")
        if not token or not hmac.compare_digest(mac, self._mac("session", token)):
            return None
        return token

    def csrf(self, token: str) -> str:
        return self._mac("csrf", token)

    def csrf_ok(self, token: str, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(str(given), self.csrf(token))


def content_security_policy(tile_origin: str | None) -> str:
    """Scripts, styles and images from the console itself (map tiles from their server)."""
    images = "'self' data:" + (f" {tile_origin}" if tile_origin else "")
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; connect-src 'self'; font-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


# Two years, the value browsers' preload lists ask for; subdomains are left to the city's
# own policy (the console may live beside sites of theirs that are not on https).
HSTS = b"max-age=63072000"


def with_security_headers(app: ASGIApp, *, csp: str, https: bool = False) -> ASGIApp:
    """Every response: the CSP, no framing, no sniffing, and no Referer (sign-in links
    carry a token in their path). Served on https (`WEB_BASE_URL`), also
    Strict-Transport-Security, so a browser never sends the session cookie in clear text."""
    headers = [
        (b"content-security-policy", csp.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        *([(b"strict-transport-security", HSTS)] if https else []),
    ]

    async def secured(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await app(scope, receive, send_with_headers)

    return secured
