"""Where a design team works: a Slack channel (conversations.create, conversations.invite,
chat.postMessage and pins.add through slack_sdk) or an invite link to a Telegram group
(createChatInviteLink through python-telegram-bot). Each call's result is written down by
the caller at once (storage/design_teams.py), so a second run repeats none of them."""

from __future__ import annotations

import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Collection, Iterator, Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from telegram import Bot
from telegram.error import TelegramError

from adapters import slack as slack_adapter
from conversations.messages import Outbound

MAX_CHANNEL_NAME = 80  # Slack: lowercase letters, digits, - and _, at most 80 characters
# Answers that mean "already done": a retry after a cut-off run.
ALREADY = {"already_in_channel", "already_pinned", "cant_invite_self"}


class SpaceError(RuntimeError):
    """Slack or Telegram refused a step; the message says which and why (what was done stays)."""


def channel_name(ref: str, title: str, attempt: int = 1) -> str:
    """ "I-7", "Shade for the bus stop" -> "team-i-7-shade-for-the-bus-stop" (accents dropped);
    a second attempt, when the name is taken, ends in -2."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", title.casefold()) if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    suffix = f"-{attempt}" if attempt > 1 else ""
    name = f"team-{ref.lower()}-{slug}".rstrip("-")
    return name[: MAX_CHANNEL_NAME - len(suffix)].rstrip("-") + suffix


@dataclass(frozen=True)
class SlackChannel:
    id: str
    name: str


@dataclass(frozen=True)
class SlackSpace:
    client: WebClient

    def create_channel(self, ref: str, title: str) -> SlackChannel:
        """A new public channel for the team; a taken name is tried again with -2, -3 ..."""
        for attempt in range(1, 10):
            name = channel_name(ref, title, attempt)
            with _answered("conversations.create", also_fine={"name_taken"}) as said:
                answer = self.client.conversations_create(name=name)
            if said.error is None:
                return SlackChannel(answer["channel"]["id"], answer["channel"]["name"])
        raise SpaceError(f"Slack: every channel name like {channel_name(ref, title)} is taken")

    def invite(self, channel_id: str, user_ids: Sequence[str]) -> None:
        """Invite the designers; `force` invites the valid ones when one id is no longer valid
        (someone who left the workspace)."""
        if user_ids:
            with _answered("conversations.invite", also_fine=ALREADY):
                self.client.conversations_invite(channel=channel_id, users=list(user_ids), force=True)

    def post(self, channel_id: str, text: str) -> str:
        """Post the message (plain text, escaped for mrkdwn by the Slack adapter: people's
        words cannot ping @channel or make links); its ts."""
        message = slack_adapter.to_channel(Outbound(text))
        with _answered("chat.postMessage"):
            return str(self.client.chat_postMessage(channel=channel_id, text=message.text, blocks=message.blocks)["ts"])

    def pin(self, channel_id: str, ts: str) -> None:
        with _answered("pins.add", also_fine=ALREADY):
            self.client.pins_add(channel=channel_id, timestamp=ts)


@dataclass
class _Answer:
    error: str | None = None  # the Slack error the call got, when it is one the caller expects


@contextmanager
def _answered(method: str, *, also_fine: Collection[str] = ()) -> Iterator[_Answer]:
    """Slack's refusals (and an unreachable Slack) as one SpaceError naming the method; the
    errors in `also_fine` are recorded in the answer instead."""
    answer = _Answer()
    try:
        yield answer
    except SlackApiError as error:
        code = str(error.response.get("error"))
        if code not in also_fine:
            raise SpaceError(f"Slack refused {method}: {code}") from None
        answer.error = code
    except OSError as error:  # urllib's URLError, a timeout: the call may not have arrived
        raise SpaceError(f"cannot reach Slack for {method} ({error})") from None


async def telegram_invite_link(bot: Bot, *, chat_id: str, name: str) -> str:
    """A new invite link to the group staff named (the bot must be an admin who may invite)."""
    try:
        async with bot:
            link = await bot.create_chat_invite_link(chat_id=chat_id, name=name[:32])
    except TelegramError as error:
        raise SpaceError(f"Telegram refused createChatInviteLink for chat {chat_id}: {error}") from None
    return link.invite_link
