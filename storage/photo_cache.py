"""Photos fetched from a channel once and kept for the staff console (every replica shares
them). Keyword-only functions over a caller-owned Session."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.console_models import CachedPhoto


def cached_photo(session: Session, *, file_id: str) -> tuple[bytes, str] | None:
    """(bytes, content type) of a photo fetched before."""
    found = session.get(CachedPhoto, file_id)
    return (found.data, found.content_type) if found is not None else None


def keep_photo(session: Session, *, file_id: str, content_type: str, data: bytes, now: datetime) -> None:
    if session.get(CachedPhoto, file_id) is None:
        session.add(CachedPhoto(file_id=file_id, content_type=content_type, data=data, fetched_at=now))
