"""The webhook sender: POSTs an outbox row's JSON body to its hook's URL, signed as the
Standard Webhooks specification says (`webhook-id`, `webhook-timestamp`, `webhook-signature`,
with the specification's own library), for the delivery worker (bot/outbound/delivery.py).

A 2xx is delivered. A 408, 429, 5xx, a timeout or a connection error is tried again with
backoff (WEBHOOK_ATTEMPTS in all, over about an hour), then the row is marked failed. Any other
answer (4xx, a redirect: never followed, it could lead anywhere) fails at once with its status.
`webhook-id` is the same on every try of one row, so a partner can drop a repeat."""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Awaitable, Callable
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import aiohttp

from adapters.base import Failed, Queued, SendResult, Sent, TemporaryError
from bot.outbound.ratelimit import Limits

# One partner gets at most 5 deliveries a second, in order. A delivery round takes one event
# per partner (no burst): a round waits for its slowest send, so a partner that takes the whole
# TIMEOUT to answer holds the others up by one timeout, not by a batch of them.
WEBHOOK_LIMITS = Limits(overall=None, per_chat=5.0, chat_burst=1.0)
WEBHOOK_ATTEMPTS = 8
WEBHOOK_BACKOFF = 30.0  # seconds: the first retry after 15-30 s, then doubling (about an hour in all)
TIMEOUT = 10.0  # seconds for a partner to answer
_RETRIED = {408, 429}
SECRET_PREFIX = "whsec_"
MAX_URL = 2000  # the column's length (storage/partner_models.py)


class BadWebhook(ValueError):
    """A URL or secret that cannot be used; the message says why."""


@dataclass(frozen=True)
class Target:
    url: str
    secret: str


def checked_url(url: str) -> str:
    url = url.strip()
    if len(url) > MAX_URL:
        raise BadWebhook(f"The URL is {len(url):,} characters long; webhooks take at most {MAX_URL:,}")
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and not any(ch.isspace() for ch in url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        valid = False
    if not valid:
        raise BadWebhook(f"{url!r} is not an http:// or https:// URL with a host")
    return url


def new_secret() -> str:
    """A random signing secret in the specification's form: whsec_ and 32 bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def checked_secret(secret: str) -> str:
    """The specification's form: whsec_ and base64 of 24 to 64 random bytes."""
    raw = secret.strip().removeprefix(SECRET_PREFIX)
    try:
        decoded = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if not 24 <= len(decoded) <= 64:
        raise BadWebhook("--secret must be whsec_ followed by base64 of 24 to 64 random bytes (leave it out to get one)")
    return SECRET_PREFIX + raw


@dataclass
class WebhookSender:
    """A Sender (adapters/base.py) for channel "webhook": an outbox row's chat_id is its hook's id."""

    find: Callable[[int], Awaitable[Target | None]]  # the hook's URL and secret, read as each row goes
    clock: Callable[[], datetime]
    timeout: float = TIMEOUT
    channel: str = "webhook"
    _http: aiohttp.ClientSession | None = field(default=None, init=False)

    async def send(self, message: Queued) -> SendResult:
        # Imported at the first delivery: a bot with no partner's hook never loads aiohttp's
        # client (about 10 MB) or the signing library.
        import aiohttp
        from standardwebhooks import Webhook

        target = await self.find(int(message.address.chat_id))
        if target is None:
            return Failed("webhook removed")
        body = message.outbound.text.encode()
        message_id, at = f"msg_{message.id}", self.clock()
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(target.secret).sign(message_id, at, body),
        }
        try:
            async with self._session().post(target.url, data=body, headers=headers, allow_redirects=False) as response:
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            return TemporaryError(f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)
        if 200 <= status < 300:
            return Sent()
        if status in _RETRIED or status >= 500:
            return TemporaryError(f"HTTP {status}")
        return Failed(f"HTTP {status}")

    def _session(self) -> aiohttp.ClientSession:
        import aiohttp

        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
