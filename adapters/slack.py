"""Slack: Events API and interactivity payloads <-> boundary types, and sending with slack_sdk.

`to_inbound`, `pressed` and `to_channel` are pure functions over Slack's own payload shapes;
they decide nothing. `SlackSender` is the thin wiring that posts an outbox row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from adapters import base
from adapters import text as incoming
from conversations.messages import Address, Choice, Inbound, Outbound

CHANNEL = "slack"
SECTION_LIMIT = 3000  # characters of a section block's text
BUTTONS_PER_BLOCK = 25
BUTTON_LABEL_LIMIT = 75
ACTION_PREFIX = "choice-"  # action ids only tell a message's buttons apart; the value is the answer
# Errors that mean this person cannot be reached (until they write again), not a bad message.
UNREACHABLE = {"account_inactive", "user_not_found", "user_disabled", "cannot_dm_bot", "not_allowed_token_type"}


@dataclass(frozen=True)
class Mention:
    """The bot was mentioned in a channel: it answers in the thread, never collects data there."""

    address: Address
    event_id: str


@dataclass(frozen=True)
class Press:
    """A button press: its answer, and the message to update so it cannot be pressed twice."""

    inbound: Inbound
    channel_id: str
    message_ts: str | None
    message_text: str | None
    label: str | None


def unescape(text: str) -> str:
    """Slack sends &, < and > escaped in message text; keep what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape(text: str) -> str:
    """mrkdwn control characters; escaped text cannot link, ping @channel or break layout."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_inbound(body: Mapping[str, Any], *, bot_user_id: str | None = None) -> Inbound | Mention | None:
    """An Events API callback; None for what the bot ignores (its own or other bots' posts,
    edits and deletions, messages in channels)."""
    event = body.get("event") or {}
    event_id = str(body.get("event_id", ""))
    user = event.get("user")
    if event.get("bot_id") or event.get("subtype") or not user or user == bot_user_id:
        return None
    if event.get("type") == "app_mention":
        thread = event.get("thread_ts") or event.get("ts")
        return Mention(Address(CHANNEL, event["channel"], user, thread), event_id)
    if event.get("type") == "message" and event.get("channel_type") == "im":
        text = incoming.typed(unescape(event.get("text") or ""))
        return Inbound(Address(CHANNEL, event["channel"], user), event_id, text=text)
    return None


def pressed(payload: Mapping[str, Any]) -> Press:
    """A block_actions payload (one button)."""
    action = payload["actions"][0]
    user = payload["user"]["id"]
    channel_id = (payload.get("channel") or {}).get("id") or payload["container"]["channel_id"]
    message = payload.get("message") or {}
    # Slack gives presses no event id; the press's own timestamp is unique per press.
    event_id = f"action:{channel_id}:{action.get('action_ts')}"
    # A button without a value is none of ours: the engine answers it like a stale press.
    inbound = Inbound(Address(CHANNEL, channel_id, user), event_id, choice=action.get("value", ""))
    label = (action.get("text") or {}).get("text")
    return Press(inbound, channel_id, message.get("ts"), message.get("text"), label)


@dataclass(frozen=True)
class Message:
    """One chat.postMessage: mrkdwn fallback text (for notifications) and Block Kit blocks."""

    text: str
    blocks: list[dict[str, Any]]


def _sections(text: str) -> list[str]:
    parts, current = [], ""
    for line in text.split("\n"):
        candidate = line if not current else f"{current}\n{line}"
        if len(escape(candidate)) <= SECTION_LIMIT:
            current = candidate
            continue
        if current:
            parts.append(current)
        while len(escape(line)) > SECTION_LIMIT:
            parts.append(line[: SECTION_LIMIT // 5])  # escaping grows a character to at most 5
            line = line[SECTION_LIMIT // 5 :]
        current = line
    parts.append(current)
    return [p for p in parts if p] or [" "]


def _buttons(choices: tuple[Choice, ...]) -> list[dict[str, Any]]:
    elements = [
        {
            "type": "button",
            "action_id": f"{ACTION_PREFIX}{number}",
            "text": {"type": "plain_text", "text": choice.label[:BUTTON_LABEL_LIMIT], "emoji": True},
            "value": choice.value,
        }
        for number, choice in enumerate(choices)
    ]
    return [
        {"type": "actions", "elements": elements[start : start + BUTTONS_PER_BLOCK]}
        for start in range(0, len(elements), BUTTONS_PER_BLOCK)
    ]


def to_channel(outbound: Outbound) -> Message:
    sections = _sections(outbound.text)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": escape(part)}} for part in sections]
    return Message(text=escape(outbound.text[:SECTION_LIMIT]), blocks=blocks + _buttons(outbound.choices))


def chosen(message_text: str | None, label: str | None) -> Message:
    """The pressed message, updated to show the choice and no buttons."""
    text = f"{message_text or ''}\n\n✓ {label or ''}".strip()
    return Message(text=escape(text), blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": escape(text)}}])


@dataclass(frozen=True)
class SlackSender:
    """Posts outbox rows with slack_sdk and maps its errors to outcomes."""

    client: AsyncWebClient
    channel: str = CHANNEL

    async def send(self, message: base.Queued) -> base.SendResult:
        post = to_channel(message.outbound)
        document = message.outbound.document
        try:
            if document is not None:
                # A file in the person's DM (files.getUploadURLExternal, then the upload, then
                # files.completeUploadExternal), the text as its comment.
                await self.client.files_upload_v2(
                    channel=message.address.chat_id, content=document.content, filename=document.name,
                    title=document.name, initial_comment=post.text,
                )  # fmt: skip
                return base.Sent()
            await self.client.chat_postMessage(
                channel=message.address.chat_id, text=post.text, blocks=post.blocks, thread_ts=message.address.thread_id
            )
        except SlackApiError as error:
            return _outcome(error)
        except (ClientError, TimeoutError, SlackRequestError) as error:
            return base.TemporaryError(f"{type(error).__name__}: {error}")
        return base.Sent()


def error_code(error: SlackApiError) -> str:
    """Slack's error code ("channel_not_found"), or the HTTP status when the body had none."""
    data = error.response.data
    return str(data.get("error")) if isinstance(data, dict) and data.get("error") else f"http_{error.response.status_code}"


def _outcome(error: SlackApiError) -> base.SendResult:
    response = error.response
    code = error_code(error)
    if response.status_code == 429:
        return base.RetryAfter(float(response.headers.get("Retry-After", 1)), code)
    if response.status_code >= 500:
        return base.TemporaryError(code)
    if code in UNREACHABLE:
        return base.Blocked(code)
    return base.Failed(code)
