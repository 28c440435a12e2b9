"""People's rights over their data, shared by the chat commands (/mydata, /forget) and the
CLI (`cocreate people export|forget`): the export as a document and its summary, and
forgetting. The SQL is in storage/personal_data.py."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Any

from babel import Locale
from sqlmodel import Session

from conversations.i18n import Catalogs, T, Text
from conversations.messages import Document, Outbound
from storage import personal_data

SOURCES = ("chosen", "detected")  # how a language was set; anything else: the app's


def document(data: dict[str, Any], *, now: datetime) -> Document:
    """The export as a JSON file (readable, UTF-8, keys in a stable order)."""
    content = json.dumps({"exported_at": now.isoformat(), **data}, ensure_ascii=False, indent=2)
    return Document(f"cocreate-mydata-{now:%Y%m%d-%H%M%S}.json", content + "\n")


def summary(data: dict[str, Any], *, catalogs: Catalogs, language: str, zone: tzinfo) -> str:
    """A few lines in the person's language: what the file holds."""
    consented = datetime.fromisoformat(data["consented_at"]) if data["consented_at"] else None
    source = data["language_set"] if data["language_set"] in SOURCES else "app"
    role = T(f"role.{data['role']}.name") if data["role"] in ("explorer", "ideator", "designer", "diffuser") else "—"
    topics = ", ".join(s["topic"] for s in data["subscriptions"]) or "—"
    text: Text = T(
        "mydata.summary",
        name=data["name"] or "—",
        language=Locale.parse(data["language"]).get_display_name(language) if data["language"] else "—",
        how=T(f"mydata.language.{source}"),
        consented=catalogs.date(language, consented, zone) if consented else "—",
        role=role,
        topics=topics,
        submissions=len(data["submissions"]),
        supports=len(data["supports"]),
        messages=len(data["messages"]),
    )
    return catalogs.render(language, text)


def my_data_messages(
    session: Session, *, citizen_id: int, catalogs: Catalogs, language: str, now: datetime, zone: tzinfo
) -> list[Outbound]:
    """What /mydata sends: the summary, then the file with its caption."""
    data = personal_data.export(session, citizen_id=citizen_id)
    caption = catalogs.render(language, T("mydata.file"))
    return [
        Outbound(summary(data, catalogs=catalogs, language=language, zone=zone)),
        Outbound(caption, document=document(data, now=now)),
    ]
