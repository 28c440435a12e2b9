"""Telegram: Bot API updates <-> boundary types, and sending through python-telegram-bot.

`to_inbound` and `to_channel` are pure functions over the Bot API's own shapes (the dicts
getUpdates and webhooks deliver); they decide nothing. `TelegramSender` is the thin wiring
that sends an outbox row and reports how it went.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Mapping

from telegram import (
    Bot,
    InputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError

from adapters import base
from adapters import text as incoming
from conversations.messages import MAX_MESSAGE_TEXT, Address, Choice, Inbound, Location, Outbound, Photo, split_text

CHANNEL = "telegram"
MAX_TEXT = MAX_MESSAGE_TEXT  # characters of a message after entity parsing
MAX_CALLBACK_DATA = 64  # bytes
MAX_CAPTION = 1024  # characters of a document's caption
# Callback data is "c:" + the button's value (conversations/buttons.py makes and reads it).
CALLBACK_PREFIX = "c:"
GROUP_CHATS = {"group", "supergroup"}
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")


@dataclass(frozen=True)
class Pressed:
    """A button press: the answer it carries, and what to acknowledge and edit."""

    inbound: Inbound
    callback_query_id: str
    chat_id: str | None
    message_id: int | None
    message_text: str | None
    label: str | None


@dataclass(frozen=True)
class BotBlocked:
    """The person blocked the bot (my_chat_member -> kicked)."""

    address: Address


@dataclass(frozen=True)
class GroupCall:
    """Someone asked for the bot in a group: it answers there once, never collects data there."""

    address: Address
    locale_hint: str | None


Translated = Inbound | Pressed | BotBlocked | GroupCall | None


def _address(chat: Mapping[str, Any], user: Mapping[str, Any], thread_id: object = None) -> Address:
    return Address(CHANNEL, str(chat["id"]), str(user["id"]), str(thread_id) if thread_id else None)


def _display_name(user: Mapping[str, Any]) -> str | None:
    name = " ".join(part for part in (user.get("first_name"), user.get("last_name")) if part)
    return incoming.shown(name or user.get("username"))


def to_inbound(update: Mapping[str, Any], *, bot_username: str) -> Translated:
    """Translate one Bot API update. Edited messages and chatter in groups give None."""
    event_id = str(update["update_id"])
    if "callback_query" in update:
        return _pressed(update["callback_query"], event_id)
    if "my_chat_member" in update:
        member = update["my_chat_member"]
        if member["chat"]["type"] == "private" and member["new_chat_member"]["status"] == "kicked":
            return BotBlocked(_address(member["chat"], member["from"]))
        return None
    message = update.get("message")
    if message is None or "from" not in message:
        return None  # edited messages must not replay a step; channel posts are not people
    user, chat = message["from"], message["chat"]
    if chat["type"] in GROUP_CHATS:
        return _group_call(message, bot_username)
    if chat["type"] != "private":
        return None
    photo = message.get("photo")
    location = message.get("location")
    return Inbound(
        address=_address(chat, user),
        event_id=event_id,
        text=incoming.typed(message.get("text")),
        location=Location(location["latitude"], location["longitude"]) if location else None,
        # Telegram lists sizes smallest first; keep the largest's file_id and size, not the bytes.
        photo=Photo(photo[-1]["file_id"], photo[-1].get("file_size")) if photo else None,
        locale_hint=user.get("language_code"),
        display_name=_display_name(user),
        referral=incoming.start_parameter(message.get("text")),
    )


def sender_key(update: Mapping[str, Any]) -> str:
    """Who an update is from (their updates must be handled in order); "" when unknown."""
    for kind in ("message", "edited_message", "callback_query", "my_chat_member"):
        if kind in update:
            return str((update[kind].get("from") or {}).get("id", ""))
    return ""


def _pressed(query: Mapping[str, Any], event_id: str) -> Pressed:
    user = query["from"]
    message = query.get("message") or {}
    chat = message.get("chat") or user
    data = query.get("data") or ""
    # Data without our prefix (from another bot version) reaches the engine as a value it
    # did not make, which it answers like any stale press: with the current question.
    value = data.removeprefix(CALLBACK_PREFIX) if data.startswith(CALLBACK_PREFIX) else ""
    inbound = Inbound(
        _address(chat, user),
        event_id,
        choice=value,
        locale_hint=user.get("language_code"),
        display_name=_display_name(user),
    )
    label = next(
        (
            button.get("text")
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
            if button.get("callback_data") == data
        ),
        None,
    )
    return Pressed(
        inbound=inbound,
        callback_query_id=str(query["id"]),
        chat_id=str(chat["id"]) if message else None,
        message_id=message.get("message_id"),
        message_text=message.get("text"),
        label=label,
    )


def _group_call(message: Mapping[str, Any], bot_username: str) -> GroupCall | None:
    text = message.get("text") or ""
    command = text.split(maxsplit=1)[0].lower() if text else ""
    mentioned = f"@{bot_username.lower()}" in text.lower()
    if command not in {"/start", f"/start@{bot_username.lower()}"} and not mentioned:
        return None
    address = _address(message["chat"], message["from"], message.get("message_thread_id"))
    return GroupCall(address, message["from"].get("language_code"))


@dataclass(frozen=True)
class Chunk:
    """One sendMessage call: HTML-escaped text and the keyboard, if any."""

    text: str
    reply_markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None


def callback_data(choice: Choice) -> str:
    data = CALLBACK_PREFIX + choice.value
    if len(data.encode()) > MAX_CALLBACK_DATA:
        raise ValueError(f"callback data over {MAX_CALLBACK_DATA} bytes: {data!r}")
    return data


def _keyboard(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    if not choices:
        return None
    if any(c.request == "location" for c in choices):
        # Sharing a location needs a reply keyboard; its other buttons send their label as text.
        rows = [[KeyboardButton(c.label, request_location=c.request == "location" or None)] for c in choices]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    return InlineKeyboardMarkup([[InlineKeyboardButton(c.label, callback_data=callback_data(c))] for c in choices])


def to_channel(outbound: Outbound) -> list[Chunk]:
    """Plain text escaped for HTML parse mode, split to fit; the keyboard goes on the last part."""
    parts = split_escaped(outbound.text)
    chunks = [Chunk(part) for part in parts[:-1]]
    chunks.append(Chunk(parts[-1], _keyboard(outbound.choices)))
    return chunks


def split_escaped(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split at line ends (or anywhere, for an overlong line) so that each part stays within
    the limit once Telegram has parsed the entities back, then escape for HTML. The outbox
    already queues a long message as parts; this only guards the limit."""
    return [html.escape(part, quote=False) for part in split_text(text, limit)]


def pressed_text(message_text: str | None, label: str | None) -> str | None:
    """The pressed message's text with the choice under it (the keyboard goes away)."""
    if message_text is None or label is None:
        return None
    edited = f"{message_text}\n\n✓ {label}"
    return html.escape(edited[:MAX_TEXT], quote=False)


@dataclass(frozen=True)
class TelegramSender:
    """Sends outbox rows with python-telegram-bot and maps its errors to outcomes."""

    bot: Bot
    channel: str = CHANNEL

    async def send(self, message: base.Queued) -> base.SendResult:
        address = message.address
        try:
            if message.outbound.document is not None:
                await self._send_document(address, message.outbound)
                return base.Sent()
            for chunk in to_channel(message.outbound):
                await self.bot.send_message(
                    chat_id=address.chat_id,
                    text=chunk.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=chunk.reply_markup,
                    message_thread_id=int(address.thread_id) if address.thread_id else None,
                )
        except RetryAfter as error:
            return base.RetryAfter(_seconds(error.retry_after), str(error))
        except Forbidden as error:
            return base.Blocked(str(error))
        except (BadRequest, InvalidToken) as error:
            return base.Failed(str(error))
        except NetworkError as error:  # includes TimedOut and 5xx answers
            return base.TemporaryError(str(error))
        except TelegramError as error:
            # A plain TelegramError is an answer that could not be read (a 200 that is not
            # JSON: a proxy's or an outage's page): the message may not have gone. Temporary.
            if type(error) is TelegramError:
                return base.TemporaryError(str(error))
            return base.Failed(str(error))
        return base.Sent()

    async def _send_document(self, address: Address, outbound: Outbound) -> None:
        """A file (the person's data) with the text as its caption."""
        document = outbound.document
        assert document is not None
        await self.bot.send_document(
            chat_id=address.chat_id,
            document=InputFile(document.content.encode(), filename=document.name),
            caption=html.escape(outbound.text[:MAX_CAPTION], quote=False),
            parse_mode=ParseMode.HTML,
            message_thread_id=int(address.thread_id) if address.thread_id else None,
        )


def _seconds(retry_after: object) -> float:
    total_seconds = getattr(retry_after, "total_seconds", None)
    return float(total_seconds()) if callable(total_seconds) else float(retry_after)  # type: ignore[arg-type]
