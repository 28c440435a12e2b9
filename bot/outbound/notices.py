"""Messages the bot starts itself (notifications, follow-ups, digests): rendered in the
person's language and held until quiet hours end. Replies never come through here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.outbound.quiet import QuietHours
from conversations.i18n import Catalogs, Text
from conversations.messages import Address, Choice, Outbound
from storage import outbox
from storage.citizens import Concerned


@dataclass(frozen=True)
class Notices:
    catalogs: Catalogs
    default_language: str
    quiet: QuietHours

    def language_of(self, person: Concerned) -> str:
        return person.language or self.default_language

    def render(self, person: Concerned, text: Text) -> str:
        return self.catalogs.render(self.language_of(person), text)

    def send(
        self, session: Session, *, to: Concerned, text: Text, now: datetime, choices: tuple[Choice, ...] = ()
    ) -> None:
        address = Address(to.channel, to.chat_id, to.user_id, to.thread_id)
        message = Outbound(self.render(to, text), choices, kind="notification")
        outbox.enqueue(
            session,
            address=address,
            replies=[message],
            citizen_id=to.citizen_id,
            now=now,
            not_before=self.quiet.release(now),
        )
