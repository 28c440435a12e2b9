"""Which language the staff console speaks to a staff member: the one they chose in the
console, or else the one their citizen record has (the language they use with the bot in
chat). Keyword-only functions over a caller-owned Session."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from storage.console_models import StaffPreference
from storage.models import Citizen


def staff_languages(session: Session, *, identity: str) -> tuple[str | None, str | None]:
    """(the language chosen in the console, the language of their chat) for CHANNEL:ID."""
    chosen = session.get(StaffPreference, identity)
    channel, _, user_id = identity.partition(":")
    in_chat = session.exec(
        select(Citizen.language).where(Citizen.channel == channel, Citizen.channel_user_id == user_id)
    ).first()
    return (chosen.language if chosen else None), in_chat


def choose_language(session: Session, *, identity: str, language: str, now: datetime) -> None:
    chosen = session.get(StaffPreference, identity) or StaffPreference(identity=identity, language=language)
    chosen.language, chosen.chosen_at = language, now
    session.add(chosen)
