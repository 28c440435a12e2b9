"""A submission's photo, fetched from its channel by the reference kept with it (Telegram's
file_id) and cached in the database, so the channel is asked once."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.config import Settings

log = logging.getLogger(__name__)
MAX_PHOTO_BYTES = 10 * 1024 * 1024
# Served only when the bytes are one of these (the response also says nosniff).
_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"RIFF", "image/webp"))


def image_type(data: bytes) -> str | None:
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature) and (content_type != "image/webp" or data[8:12] == b"WEBP"):
            return content_type
    return None


def telegram_file_url(api_base_url: str) -> str:
    """Bot API files live beside its methods: https://api.telegram.org/bot -> /file/bot."""
    base = api_base_url.rstrip("/")
    return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"


async def fetch_photo(settings: Settings, *, channel: str, file_id: str) -> tuple[bytes, str] | None:
    """(bytes, content type), or None when the channel cannot give it (no token, gone, not an image)."""
    if channel != "telegram" or settings.telegram_bot_token is None:
        return None
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_api_base_url,
        base_file_url=telegram_file_url(settings.telegram_api_base_url),
    )
    try:
        async with bot:
            file = await bot.get_file(file_id)
            if file.file_size and file.file_size > MAX_PHOTO_BYTES:
                return None
            data = bytes(await file.download_as_bytearray())
    except TelegramError as error:
        log.warning("could not fetch photo %s from Telegram: %s", file_id[:16], error)
        return None
    content_type = image_type(data)
    return (data, content_type) if content_type else None
