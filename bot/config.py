"""Configuration from the environment (and `.env`), every variable documented in .env.example."""

from __future__ import annotations

import re
from pathlib import Path
from datetime import time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

import phonenumbers

from conversations.buttons import MAX_VALUE_BYTES
from conversations.moderation import MODES
from conversations.contact_details import LANGUAGE_REGIONS
from bot.inbound.detection import DETECT_ALSO, profile_languages
from conversations.i18n import catalog_languages
from storage.db import normalize_url, sqlite_path

DEFAULT_CATEGORIES = ("roads", "lighting", "waste", "parks", "transport", "safety", "other")
_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CHANNEL_ID = re.compile(r"^(console|telegram|slack):\S+$")
# @BotFather's tokens are the bot's numeric id, a colon and a secret: 123456:ABC-DEF1234ghIkl...
_TELEGRAM_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
MAX_FOLLOWUP_OFFSETS = 10
MAX_FOLLOWUP_AFTER = timedelta(days=365)
SUPPORTED_DATABASES = (
    "use a SQLite file (sqlite:///cocreate.db) or PostgreSQL "
    "(postgresql+psycopg://user:password@host:5432/dbname)"
)

CommaList = Annotated[tuple[str, ...], NoDecode]


def _split(value: object) -> object:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def parse_duration(value: str) -> timedelta:
    """ "45s" -> 45 seconds. Units: s, m, h, d."""
    match = _DURATION.match(value.strip())
    if match is None:
        raise ValueError(f"{value.strip()!r} is not a duration like 3d, 12h, 30m or 45s")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_durations(value: str) -> tuple[timedelta, ...]:
    """ "3d,14d" -> (3 days, 14 days). At most 10 offsets of at most a year each: every one
    becomes a row per submission (and a huge number overflows the date arithmetic)."""
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if len(parts) > MAX_FOLLOWUP_OFFSETS:
        raise ValueError(f"{len(parts)} offsets; at most {MAX_FOLLOWUP_OFFSETS}")
    durations = []
    for part in parts:
        match = _DURATION.match(part)
        if match is not None and int(match.group(1)) > MAX_FOLLOWUP_AFTER / timedelta(**{_UNITS[match.group(2)]: 1}):
            raise ValueError(f"{part!r} is more than {MAX_FOLLOWUP_AFTER.days} days")
        durations.append(parse_duration(part))
    return tuple(sorted(durations))


def database_url_problem(url: str) -> str | None:
    """What is wrong with a DATABASE_URL, or None. Never repeats the URL: it may hold a password."""
    try:
        parsed = make_url(normalize_url(url.strip()))
    except ArgumentError:
        return f"not a database URL; {SUPPORTED_DATABASES}"
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        memory = parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"
        if memory:
            return f"an in-memory SQLite database would lose everything at exit; {SUPPORTED_DATABASES}"
        return None
    if parsed.drivername == "postgresql+psycopg":
        return None
    return f"{parsed.drivername} is not supported; {SUPPORTED_DATABASES}"


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
    # The bot's @username, for the deep links in diffusers' copies of broadcasts (t.me/<it>
    # ?start=<code>); unset, Telegram people get the public page's link like everyone else.
    telegram_bot_username: str | None = None
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_base_url: str = "https://slack.com/api/"
    slack_host: str = "0.0.0.0"
    slack_port: int = 3000
    staff: CommaList = ()
    followup_after: Annotated[tuple[timedelta, ...], NoDecode] = (timedelta(days=3), timedelta(days=14))
    # How often the scheduler looks for due follow-ups (and how late one can be at most).
    followup_check_every: Annotated[timedelta, NoDecode] = timedelta(seconds=5)
    timezone: str = "UTC"
    quiet_hours: Annotated[tuple[time, time] | None, NoDecode] = None
    digest_day: str = "mon"
    digest_time: time = time(9, 0)
    default_language: str = "en"
    languages: CommaList = ("en", "es", "fr", "de", "pt")
    # Languages detected besides LANGUAGES, so the bot can tell someone it cannot speak
    # theirs yet (langdetect codes; each costs about 0.7 MB of memory).
    detect_also: CommaList = DETECT_ALSO
    categories: CommaList = DEFAULT_CATEGORIES
    # The staff console (bot/web/): where it listens, the public URL used in sign-in links
    # (default http://WEB_HOST:WEB_PORT), and a tile server for its maps (none: a blank map).
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_base_url: str | None = None
    map_tiles_url: str | None = None
    # Trust and safety: "post" shows submissions at once (staff may hide them), "pre" only
    # after staff approve; inbound events a person may send a minute (0: no limit); things
    # a person may submit a day; the region phone numbers are read in (empty: the default
    # language's country).
    moderation: str = "post"
    flood_limit: int = 20
    submissions_per_day: int = 10
    phone_region: str | None = None
    # Supporters an idea needs (with two design offers whose designers may be contacted)
    # before staff see it as ready to form a design team.
    team_supporters: int = 10
    # How long the texts of messages the bot sent, and event ids, are kept (the daily
    # retention job); people who never agreed are removed after a day.
    retention_days: int = 90
    # Where `cocreate chat`'s /mydata and `cocreate people export` write files (default:
    # beside a SQLite database, else the working directory).
    export_dir: Path | None = None
    # Operations (docs/deploy.md): log lines as text or one JSON object each (for a log
    # collector); a bearer token /metrics asks for (unset: open, like /healthz).
    log_format: Literal["text", "json"] = "text"
    metrics_token: SecretStr | None = None
    # The Open311 API (bot/web/open311.py): problems one partner's key may send an hour.
    open311_posts_per_hour: int = 300

    _split_lists = field_validator("staff", "languages", "detect_also", "categories", mode="before")(_split)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        problem = database_url_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value.strip()

    @field_validator(
        "telegram_bot_token", "telegram_webhook_url", "telegram_webhook_secret",
        "slack_bot_token", "slack_signing_secret", "slack_app_token", "metrics_token", mode="before",
    )  # fmt: skip
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`TELEGRAM_BOT_TOKEN=` (as copied from .env.example) means not set."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_bot_token")
    @classmethod
    def _telegram_token(cls, value: SecretStr | None) -> SecretStr | None:
        # Refused here rather than after a request to Telegram; the value is never repeated.
        if value is not None and not _TELEGRAM_TOKEN.match(value.get_secret_value().strip()):
            raise ValueError(
                "not a bot token; @BotFather gives one like 123456789:AAH...xyz (digits, a colon, the secret)"
            )
        return value

    @model_validator(mode="after")
    def _default_language_is_offered(self) -> "Settings":
        if self.default_language not in self.languages:
            raise ValueError(f"DEFAULT_LANGUAGE {self.default_language!r} must be one of LANGUAGES ({', '.join(self.languages)})")
        return self

    @model_validator(mode="after")
    def _slack_is_complete(self) -> "Settings":
        """Half a Slack configuration names what is missing (not "no channel is configured")."""
        receiving = self.slack_signing_secret or self.slack_app_token
        if self.slack_bot_token and not receiving:
            raise ValueError(
                "SLACK_SIGNING_SECRET is missing: SLACK_BOT_TOKEN needs it (HTTP mode), or SLACK_APP_TOKEN (Socket Mode)"
            )
        if receiving and not self.slack_bot_token:
            given = "SLACK_SIGNING_SECRET" if self.slack_signing_secret else "SLACK_APP_TOKEN"
            raise ValueError(
                f"SLACK_BOT_TOKEN is missing: {given} is set, and Slack needs the bot token (xoxb-...) too"
            )
        return self

    @field_validator("followup_after", mode="before")
    @classmethod
    def _durations(cls, value: object) -> object:
        return parse_durations(value) if isinstance(value, str) else value

    @field_validator("followup_check_every", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("followup_check_every")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than zero, like 5s")
        return value

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

    @field_validator("detect_also")
    @classmethod
    def _detect_also(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - profile_languages())
        if unknown:
            raise ValueError(f"langdetect has no profile for {', '.join(unknown)} (codes such as it, nl, zh-cn)")
        return value

    def detected_languages(self) -> tuple[str, ...]:
        """The languages whose profiles language detection loads."""
        return tuple(dict.fromkeys((*self.languages, *self.detect_also)))

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("needs at least one category")
        for category in value:
            # A category is an option value: it rides on buttons, next to the engine's own "_more".
            if len(category.encode()) > MAX_VALUE_BYTES:
                raise ValueError(f"{category!r} is too long for a button (at most {MAX_VALUE_BYTES} bytes)")
            if category.startswith("_"):
                raise ValueError(f"{category!r} may not start with _ (the bot's own options do)")
        return value

    @field_validator("moderation", mode="before")
    @classmethod
    def _moderation(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() not in MODES:
            raise ValueError(f"{value!r} is not post (shown at once, staff may hide) or pre (shown once staff approve)")
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("flood_limit", "submissions_per_day")
    @classmethod
    def _count(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"{value} is below zero")
        return value

    @field_validator("telegram_bot_username", mode="before")
    @classmethod
    def _bot_username(cls, value: object) -> object:
        """Empty means unset; "@CityBot" and "CityBot" mean the same."""
        if not isinstance(value, str):
            return value
        name = value.strip().removeprefix("@")
        if name and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", name):
            raise ValueError(f"{value!r} is not a Telegram bot username like CityBot (letters, digits, _; 4-32)")
        return name or None

    @field_validator("team_supporters")
    @classmethod
    def _team_supporters(cls, value: int) -> int:
        if not 1 <= value <= 100_000:
            raise ValueError(f"{value} is not a number of supporters from 1 to 100000")
        return value

    @field_validator("phone_region", mode="before")
    @classmethod
    def _region(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str) and value.strip().upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a two-letter country code like GB, ES or UY")
        return value.strip().upper() if isinstance(value, str) else value

    @property
    def region(self) -> str:
        """Where phone numbers without a country code are read as local ones."""
        return self.phone_region or LANGUAGE_REGIONS.get(self.default_language, "GB")

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

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if not 1 <= value <= 3650:
            raise ValueError(f"{value} is not a number of days from 1 to 3650")
        return value

    @field_validator("open311_posts_per_hour")
    @classmethod
    def _posts_per_hour(cls, value: int) -> int:
        if not 1 <= value <= 100_000:
            raise ValueError(f"{value} is not a number of requests from 1 to 100000")
        return value

    @field_validator("web_port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 0 < value < 65536:
            raise ValueError(f"{value} is not a TCP port (1-65535)")
        return value

    @property
    def exports(self) -> Path:
        """Where files with people's data are written."""
        if self.export_dir is not None:
            return self.export_dir
        database = sqlite_path(self.database_url)
        return database.parent if database is not None else Path(".")

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
