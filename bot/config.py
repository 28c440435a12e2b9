"""Configuration from the environment (and `.env`), every variable documented in .env.example."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from conversations.i18n import catalog_languages

DEFAULT_CATEGORIES = ("roads", "lighting", "waste", "parks", "transport", "safety", "other")
_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CHANNEL_ID = re.compile(r"^(console|telegram|slack):\S+$")

CommaList = Annotated[tuple[str, ...], NoDecode]


def _split(value: object) -> object:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def parse_durations(value: str) -> tuple[timedelta, ...]:
    """ "3d,14d" -> (3 days, 14 days). Units: s, m, h, d."""
    durations = []
    for part in (p.strip() for p in value.split(",") if p.strip()):
        match = _DURATION.match(part)
        if match is None:
            raise ValueError(f"{part!r} is not a duration like 3d, 12h, 30m or 45s")
        durations.append(timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}))
    return tuple(sorted(durations))


def parse_quiet_hours(value: str) -> tuple[time, time] | None:
    """ "21:00-08:00" -> (21:00, 08:00); empty means no quiet hours."""
    if not value.strip():
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        raise ValueError(f"{value!r} is not a window like 21:00-08:00") from None
    return start, end


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite:///cocreate.db"
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_port: int = 8443
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_base_url: str = "https://slack.com/api/"
    slack_host: str = "0.0.0.0"
    slack_port: int = 3000
    staff: CommaList = ()
    followup_after: Annotated[tuple[timedelta, ...], NoDecode] = (timedelta(days=3), timedelta(days=14))
    timezone: str = "UTC"
    quiet_hours: Annotated[tuple[time, time] | None, NoDecode] = None
    digest_day: str = "mon"
    digest_time: time = time(9, 0)
    default_language: str = "en"
    languages: CommaList = ("en", "es", "fr", "de", "pt")
    categories: CommaList = DEFAULT_CATEGORIES
    # The staff console (bot/web/): where it listens, the public URL used in sign-in links
    # (default http://WEB_HOST:WEB_PORT), and a tile server for its maps (none: a blank map).
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_base_url: str | None = None
    map_tiles_url: str | None = None

    _split_lists = field_validator("staff", "languages", "categories", mode="before")(_split)

    @field_validator(
        "telegram_bot_token", "telegram_webhook_url", "telegram_webhook_secret",
        "slack_bot_token", "slack_signing_secret", "slack_app_token", mode="before",
    )  # fmt: skip
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`TELEGRAM_BOT_TOKEN=` (as copied from .env.example) means not set."""
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _default_language_is_offered(self) -> "Settings":
        if self.default_language not in self.languages:
            raise ValueError(f"DEFAULT_LANGUAGE {self.default_language!r} must be one of LANGUAGES ({', '.join(self.languages)})")
        return self

    @field_validator("followup_after", mode="before")
    @classmethod
    def _durations(cls, value: object) -> object:
        return parse_durations(value) if isinstance(value, str) else value

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _quiet(cls, value: object) -> object:
        return parse_quiet_hours(value) if isinstance(value, str) else value

    @field_validator("digest_day")
    @classmethod
    def _weekday(cls, value: str) -> str:
        day = value.strip().lower()[:3]
        if day not in WEEKDAYS:
            raise ValueError(f"{value!r} is not a day of the week like mon or friday")
        return day

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name like Europe/Madrid or UTC") from None
        return value

    @field_validator("staff")
    @classmethod
    def _staff(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for identity in value:
            if not _CHANNEL_ID.match(identity):
                raise ValueError(f"{identity!r} is not CHANNEL:ID (for example telegram:12345 or slack:U0123)")
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        available = catalog_languages()
        missing = [language for language in value if language not in available]
        if missing:
            raise ValueError(f"no catalog for {', '.join(missing)} (available: {', '.join(sorted(available))})")
        if not value:
            raise ValueError("needs at least one language")
        return value

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("needs at least one category")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @field_validator("web_base_url", "map_tiles_url", mode="before")
    @classmethod
    def _web_url(cls, value: object) -> object:
        """Empty means unset; otherwise an http(s) URL (a tile URL keeps its {z}/{x}/{y})."""
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str) and not re.match(r"^https?://[^/\s]+", value.strip()):
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value.strip().rstrip("/") if isinstance(value, str) else value

    @field_validator("web_port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 0 < value < 65536:
            raise ValueError(f"{value} is not a TCP port (1-65535)")
        return value

    @property
    def web_url(self) -> str:
        """The console's public URL, without a trailing slash."""
        return self.web_base_url or f"http://{self.web_host}:{self.web_port}"


def describe_error(error: ValidationError) -> str:
    """One line per bad variable, naming it the way it is set: FOLLOWUP_AFTER: ..."""
    lines = []
    for problem in error.errors():
        message = str(problem["msg"]).removeprefix("Value error, ")
        # Checks across variables (no location) already name the variables they concern.
        lines.append(f"{str(problem['loc'][0]).upper()}: {message}" if problem["loc"] else message)
    return "\n".join(lines)
