"""Measured reach: where a diffuser's personal link points, and counting a person who came
through one. The codes and counts are kept by storage/reach_links.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from storage import reach_links
from storage.reach_links import LinkPrefixes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JoinLinks:
    """Telegram people get the bot's deep link (`t.me/<bot>?start=<code>`) when its username
    is known (TELEGRAM_BOT_USERNAME); everyone else the public page WEB_BASE_URL/join/<code>."""

    web_url: str
    telegram_username: str | None = None

    def prefixes(self) -> LinkPrefixes:
        telegram = {"telegram": f"https://t.me/{self.telegram_username}?start="} if self.telegram_username else {}
        return LinkPrefixes(default=self.page(""), per_channel=telegram)

    def page(self, code: str) -> str:
        return f"{self.web_url}/join/{code}"

    def telegram_deep_link(self, code: str) -> str | None:
        """The bot's deep link with this start parameter; None while the username is unknown."""
        return f"{self.prefixes().per_channel['telegram']}{code}" if self.telegram_username else None


def attribute_newcomer(session: Session, *, code: str | None, citizen_id: int, new: bool, now: datetime) -> None:
    """A person whose very first event came through a personal link is counted for it; a
    person already known, or a code that is no link, counts nothing (and nobody is told)."""
    if code and new and reach_links.attribute(session, code=code, citizen_id=citizen_id, now=now):
        log.info("citizen %s came through a personal link", citizen_id)
