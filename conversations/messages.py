"""Boundary types shared by every channel: where a person is, what they sent, what we say."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal, Mapping


@dataclass(frozen=True)
class Address:
    """Where a person can be reached, kept apart from any content (Hubot's envelope)."""

    channel: str
    chat_id: str
    user_id: str
    thread_id: str | None = None


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Photo:
    """A channel's reference to a photo; the bytes stay with the channel."""

    file_id: str
    size: int | None = None


@dataclass(frozen=True)
class Inbound:
    """One thing a person did: typed text, pressed a button, shared a location or a photo.

    `event_id` is the channel's own id for the event and is used to drop duplicates.
    Anything that is neither text, choice, location nor photo (a sticker, a voice note)
    arrives with all four empty and gets a polite "please answer in words".
    """

    address: Address
    event_id: str
    text: str | None = None
    choice: str | None = None
    location: Location | None = None
    photo: Photo | None = None
    locale_hint: str | None = None
    display_name: str | None = None
    # The code of a diffuser's personal link the person came through (Telegram's
    # `/start <code>`), passed on as the channel gave it; the service decides what it counts.
    referral: str | None = None


Request = Literal["location"]


@dataclass(frozen=True)
class Choice:
    """A button: the value it carries (made by conversations/buttons.py) and its label.

    `request` asks the channel for more than a press: "location" is a "share my location"
    button, which only channels that can send a location show (Telegram's reply keyboard)."""

    value: str
    label: str
    request: Request | None = None

    def to_json(self) -> dict[str, str]:
        """As the outbox keeps it; "request" only when there is one, as rows always were."""
        return {"value": self.value, "label": self.label, **({"request": self.request} if self.request else {})}

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> Choice:
        request: Request | None = "location" if data.get("request") == "location" else None
        return cls(data["value"], data["label"], request)


@dataclass(frozen=True)
class Document:
    """A file that goes with a message (the person's data as JSON, for /mydata)."""

    name: str
    content: str
    media_type: str = "application/json"


@dataclass(frozen=True)
class Outbound:
    """Plain text (never markup) plus optional choices; adapters escape for their channel.
    With a `document`, the text is its caption (keep it short)."""

    text: str
    choices: tuple[Choice, ...] = field(default=())
    kind: str = "reply"
    document: Document | None = None


# The longest text one message may carry on any of our channels: Telegram's 4,096 characters
# (counted after it parses the HTML entities back, so the plain text is what counts).
MAX_MESSAGE_TEXT = 4096


def split_text(text: str, limit: int = MAX_MESSAGE_TEXT) -> list[str]:
    """The text in parts of at most `limit` characters, split at line ends (or anywhere,
    for an overlong line)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = line if not current else f"{current}\n{line}"
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while len(line) > limit:
            parts.append(line[:limit])
            line = line[limit:]
        current = line
    parts.append(current)
    return [part for part in parts if part] or [""]


def in_parts(outbound: Outbound, limit: int = MAX_MESSAGE_TEXT) -> tuple[Outbound, ...]:
    """A message too long for one, as consecutive messages; the choices go with the last.
    Each part is queued as its own outbox row, so a part that went out is never sent again
    when a later one has to be retried (say, after a 429)."""
    if len(outbound.text) <= limit:
        return (outbound,)
    *first, last = split_text(outbound.text, limit)
    return (*(replace(outbound, text=part, choices=(), document=None) for part in first), replace(outbound, text=last))
