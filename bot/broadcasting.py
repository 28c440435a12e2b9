"""Queueing a broadcast, from the command line or a staff member's chat: one rendering of
the message per language, and the buttons diffusers answer with."""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Mapping

from sqlmodel import Session

from conversations.commands import BROADCAST_BUTTON
from conversations.context import FlowSettings
from conversations.i18n import Catalogs, T
from conversations.messages import Choice, Outbound
from storage import broadcasts
from storage.broadcasts import Audience
from storage.models import Broadcast


def message_for(catalogs: Catalogs, text: str, translations: Mapping[str, str]) -> Callable[[int, str, bool], Outbound]:
    """Renders the broadcast for one language: its translation where staff gave one, the
    main text (in the default language) otherwise."""

    def render(broadcast_id: int, language: str, to_group: bool) -> Outbound:
        text_in_language = translations.get(language, text)
        if to_group:  # a channel gets the news once, without personal buttons
            return Outbound(catalogs.render(language, T("broadcast.group_message", text=text_in_language)), kind="broadcast")
        buttons = tuple(
            Choice(f"{BROADCAST_BUTTON}{broadcast_id}|{action}", catalogs.render(language, T(f"broadcast.{label}")))
            for action, label in (("shared", "shared"), ("stop", "stop"))
        )
        return Outbound(catalogs.render(language, T("broadcast.message", text=text_in_language)), buttons, kind="broadcast")

    return render


def queue(
    session: Session,
    *,
    text: str,
    audience: Audience,
    created_by: str,
    now: datetime,
    catalogs: Catalogs,
    settings: FlowSettings,
    send_after: datetime | None = None,
    translations: Mapping[str, str] | None = None,
) -> Broadcast:
    """Queue a broadcast. `send_after` holds it until quiet hours end; `translations` are
    per-language texts (language -> text), `text` goes to everyone else."""
    translations = dict(translations or {})
    return broadcasts.queue_broadcast(
        session,
        text=text,
        translations=translations,
        send_after=send_after or now,
        audience=audience,
        created_by=created_by,
        now=now,
        languages=settings.languages,
        default_language=settings.default_language,
        message_for=message_for(catalogs, text, translations),
    )


def audience_total(session: Session, *, audience: Audience, settings: FlowSettings) -> int:
    return sum(broadcasts.audience_size(session, audience=audience, default_language=settings.default_language).values())

