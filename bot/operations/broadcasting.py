"""Queueing a broadcast, from the command line or a staff member's chat: one rendering of
the message per language, and the buttons diffusers answer with; counting their reach."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Callable, Mapping, Sequence

from sqlmodel import Session

from conversations.buttons import BROADCAST_ACTIONS, BroadcastAction, encode
from conversations.context import FlowSettings
from conversations.effects import Outcome, Receipt
from conversations.flows.broadcast_dialog import IMPLAUSIBLE, MAX_REACH
from conversations.i18n import Catalogs, T
from conversations.messages import Choice, Outbound
from conversations.validation import MAX_BROADCAST_TEXT
from bot.operations import webhook_events
from bot.operations.reach import JoinLinks
from storage import audit, broadcasts, reach_links
from storage.broadcasts import Audience
from storage.models import Broadcast


def message_for(
    catalogs: Catalogs, text: str, translations: Mapping[str, str], *, personal_link: bool = False
) -> Callable[[int, str, bool], Outbound]:
    """Renders the broadcast for one language: its translation where staff gave one, the
    main text (in the default language) otherwise. With `personal_link` a person's copy ends
    with their own link (reach_links.LINK, which storage replaces)."""

    def render(broadcast_id: int, language: str, to_group: bool) -> Outbound:
        text_in_language = translations.get(language, text)
        if to_group:  # a channel gets the news once, without personal buttons
            return Outbound(catalogs.render(language, T("broadcast.group_message", text=text_in_language)), kind="broadcast")
        buttons = tuple(
            Choice(encode(BroadcastAction(broadcast_id, action)), catalogs.render(language, T(f"broadcast.{action}")))
            for action in BROADCAST_ACTIONS
        )
        message = _personal_text(catalogs, language, text_in_language, reach_links.LINK if personal_link else None)
        return Outbound(message, buttons, kind="broadcast")

    return render


def _personal_text(catalogs: Catalogs, language: str, text: str, link: str | None) -> str:
    """The news, its ready-to-forward copy and, when there is one, the person's link."""
    message = catalogs.render(language, T("broadcast.message", text=text))
    return message + "\n" + catalogs.render(language, T("broadcast.join_link", link=link)) if link else message


def preview(catalogs: Catalogs, language: str, text: str, *, links: JoinLinks | None) -> str:
    """The message as a person gets it, with a stand-in for their own link."""
    return _personal_text(catalogs, language, text, links.page("…") if links else None)


def queue(
    session: Session,
    *,
    text: str,
    audience: Audience,
    created_by: str,
    now: datetime,
    catalogs: Catalogs,
    settings: FlowSettings,
    via: str,
    send_after: datetime | None = None,
    translations: Mapping[str, str] | None = None,
    idempotency_key: str | None = None,
    links: JoinLinks | None = None,
) -> Broadcast:
    """Queue a broadcast. `send_after` holds it until quiet hours end; `translations` are
    per-language texts (language -> text), `text` goes to everyone else. `created_by` queued
    it from `via` (cli, chat, console): both go into the audit log. A broadcast with an
    `idempotency_key` is queued once (see `storage.broadcasts.queue_broadcast`). With `links`
    each diffuser's copy ends with their personal link (measured reach)."""
    translations = dict(translations or {})
    queued = broadcasts.queue_broadcast(
        session,
        text=text,
        translations=translations,
        send_after=send_after or now,
        audience=audience,
        created_by=created_by,
        now=now,
        languages=settings.languages,
        default_language=settings.default_language,
        message_for=message_for(catalogs, text, translations, personal_link=links is not None),
        idempotency_key=idempotency_key,
        links=links.prefixes() if links else None,
    )
    audit.record(
        session, actor=created_by, via=via, action="broadcast", target=f"B-{queued.id}",
        detail=f"{queued.recipients} recipients; audience {audience.described()}", now=now,
    )  # fmt: skip
    assert queued.id is not None
    webhook_events.broadcast_queued(
        session, broadcast_id=queued.id, text=text, audience=audience.to_json(), recipients=queued.recipients, now=now
    )
    return queued


class BroadcastTextError(ValueError):
    """Per-language texts that cannot be used; the message says why."""


_SECTION = re.compile(r"^\[([A-Za-z]{2,3}(?:[-_][A-Za-z]{2,4})?)\]\s*$")


def texts_from_file(content: str) -> dict[str, str]:
    """A file with one section per language:

        [en]
        Line 7 starts on Monday.
        [es]
        La línea 7 empieza el lunes.
    """
    texts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for number, line in enumerate(content.splitlines(), start=1):
        header = _SECTION.match(line)
        if header:
            current = texts.setdefault(header.group(1).lower(), [])
        elif current is not None:
            current.append(line)
        elif line.strip():
            raise BroadcastTextError(f"line {number} comes before any [language] header such as [en]")
    return {language: "\n".join(lines).strip() for language, lines in texts.items()}


def texts_from_options(values: Sequence[str]) -> dict[str, str]:
    """ `--text es="La línea 7..."` -> {"es": "La línea 7..."}."""
    texts = {}
    for value in values:
        language, separator, text = value.partition("=")
        if not separator or not language.strip():
            raise BroadcastTextError(f"--text {value!r} is not LANGUAGE=TEXT, e.g. --text es=\"La línea 7...\"")
        texts[language.strip().lower()] = text
    return texts


def checked_texts(texts: Mapping[str, str], *, settings: FlowSettings) -> tuple[str, dict[str, str]]:
    """The default language's text and the translations, once every language is offered,
    no text is empty and the default language has one."""
    for language, text in texts.items():
        if language not in settings.languages:
            raise BroadcastTextError(f"{language} is not in LANGUAGES ({', '.join(settings.languages)})")
        if not text.strip():
            raise BroadcastTextError(f"the {language} text is empty")
        if len(text.strip()) > MAX_BROADCAST_TEXT:
            raise BroadcastTextError(
                f"the {language} text has {len(text.strip()):,} characters; at most {MAX_BROADCAST_TEXT:,}, so the"
                " message with its ready-to-forward copy fits one chat message"
            )
    default = texts.get(settings.default_language, "").strip()
    if not default:
        raise BroadcastTextError(f"a text in the default language ({settings.default_language}) is needed")
    return default, {k: v.strip() for k, v in texts.items() if k != settings.default_language}


def audience_total(session: Session, *, audience: Audience, settings: FlowSettings, groups: bool = True) -> int:
    """How many a broadcast reaches; without `groups`, people only (as a poll does)."""
    sizes = broadcasts.audience_size(session, audience=audience, default_language=settings.default_language)
    return sum(count for key, count in sizes.items() if groups or key != "groups")



def record_reach(session: Session, *, broadcast_id: int, citizen_id: int, people: int, now: datetime) -> Receipt:
    """Count a diffuser's reach once per broadcast, only for a broadcast sent to them and
    within a plausible number. The engine asked the same before asking how many; asked
    again here, in the transaction that writes, so nothing else ever reaches the database
    (a state saved by an older version, a button pressed twice before answering)."""
    ref = f"B-{broadcast_id}"
    if not 1 <= people <= MAX_REACH:
        return Receipt("reach", broadcast_id, ref, Outcome.FAILED, reason=IMPLAUSIBLE)
    if not broadcasts.was_sent(session, broadcast_id=broadcast_id, citizen_id=citizen_id):
        return Receipt("reach", broadcast_id, ref, Outcome.FAILED, reason="not sent to them")
    if broadcasts.record_reach(session, broadcast_id=broadcast_id, citizen_id=citizen_id, people=people, now=now):
        return Receipt("reach", broadcast_id, ref, Outcome.ADDED, people=people)
    earlier = broadcasts.reach_reported(session, broadcast_id=broadcast_id, citizen_id=citizen_id)
    return Receipt("reach", broadcast_id, ref, Outcome.ALREADY, people=earlier or 0)
