"""How the console writes moments, ages, statuses and categories (in the city's time zone and
the console's language; status and category names come from the bot's own catalogs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.web.texts import WebTexts
from conversations.i18n import Catalogs, T
from conversations.language import language_name


@dataclass(frozen=True)
class Formatter:
    catalogs: Catalogs
    texts: WebTexts
    zone: tzinfo
    now: datetime

    @property
    def language(self) -> str:
        return self.texts.language if self.texts.language in self.catalogs.languages else "en"

    def moment(self, at: datetime | None) -> str:
        return at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M") if at else "—"

    def day(self, at: datetime | None) -> str:
        return at.astimezone(self.zone).strftime("%Y-%m-%d") if at else "—"

    def iso(self, at: datetime | None) -> str:
        return at.isoformat() if at else ""

    def age(self, at: datetime) -> str:
        """How long ago: minutes, hours or days."""
        seconds = max(0, int((self.now - at).total_seconds()))
        if seconds < 3600:
            return self.texts("web.age.minutes", count=seconds // 60)
        if seconds < 86400:
            return self.texts("web.age.hours", count=seconds // 3600)
        return self.texts("web.age.days", count=seconds // 86400)

    def status(self, status: str) -> str:
        return self.catalogs.render(self.language, T(f"status.{status}"))

    def category(self, category: str | None) -> str:
        if not category:
            return "—"
        key = f"category.{category}"
        return self.catalogs.render(self.language, T(key)) if self.catalogs.has(key) else category.replace("_", " ").capitalize()

    def worded(self, prefix: str, code: str | None) -> str:
        """A stored answer code in the bot's own words ("neighbourhood" -> "their
        neighbourhood", as /inbox says it); a code without a text as it is."""
        if not code:
            return "—"
        key = f"{prefix}.{code}"
        return self.catalogs.render(self.language, T(key)) if self.catalogs.has(key) else code

    def language_name(self, code: str | None) -> str:
        """A language code in the console's language ("en" -> "inglés"); unknown codes as they are."""
        return language_name(code, self.texts.language) if code else "—"

    def number(self, value: int | float) -> str:
        return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
