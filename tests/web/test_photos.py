"""A submission's photo in the console: fetched from Telegram by the file_id kept with it (the
fake Bot API on 127.0.0.1, through python-telegram-bot), cached in the database, served only
when it is an image."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Callable, Iterator

import httpx
import pytest
from sqlmodel import Session

from bot.app import App, utc_now
from conversations.messages import Address
from storage import citizens, submissions
from storage.models import ProblemCreate
from tests.conftest import FIXED_NOW
from tests.fakes.telegram_api import FakeTelegram
from tests.web.support import client, signed_in

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram().start()
    yield server
    server.stop()


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], fake: FakeTelegram) -> dict[str, Any]:
    """The console's settings (tests/web/conftest.py), and the fake Telegram the photos come from."""
    return {**settings_overrides, **fake.settings()}


@pytest.fixture
def app_clock() -> Callable[[], datetime]:
    return utc_now


def problem_with_photo(app: App, file_id: str) -> None:
    with Session(app.database) as session, session.begin():
        citizen = citizens.citizen_for(session, address=Address("telegram", "501", "501"))
        citizens.give_consent(session, citizen=citizen, display_name="Alice", language="en", now=FIXED_NOW)
        problem = ProblemCreate(description="Broken bench in Elm Park, see the photo", title="Broken bench in Elm Park",
                                category="parks", language="en", photo_file_id=file_id, photo_size=1200)  # fmt: skip
        submissions.create_problem(session, citizen_id=citizen.id, problem_in=problem)  # type: ignore[arg-type]


def fetch(app: App, *paths: str) -> list[httpx.Response]:
    async def scenario() -> list[httpx.Response]:
        async with client(app) as http:
            await signed_in(http, app)
            return [await http.get(path) for path in paths]

    return asyncio.run(scenario())


def test_the_photo_is_fetched_from_telegram_once_and_then_served_from_the_cache(app: App, fake: FakeTelegram) -> None:
    fake.files["AgACAgIAAxkBAAIBlarge"] = JPEG
    problem_with_photo(app, "AgACAgIAAxkBAAIBlarge")
    page, first, again = fetch(app, "/submissions/P-1", "/submissions/P-1/photo", "/submissions/P-1/photo")
    assert '<img class="photo" src="/submissions/P-1/photo" alt="The photo sent with P-1">' in page.text
    assert first.status_code == 200 and first.content == JPEG and first.headers["content-type"] == "image/jpeg"
    assert again.content == JPEG
    assert len(fake.calls_of("getFile")) == 1 and len(fake.calls_of("downloadFile")) == 1


def test_a_photo_telegram_no_longer_has_or_that_is_no_image_is_not_served(app: App, fake: FakeTelegram) -> None:
    fake.files["AgACnotanimage"] = b"<script>alert(1)</script>"
    problem_with_photo(app, "AgACgone")
    problem_with_photo(app, "AgACnotanimage")
    gone, not_an_image, no_photo = fetch(app, "/submissions/P-1/photo", "/submissions/P-2/photo", "/submissions/I-1/photo")
    assert (gone.status_code, not_an_image.status_code, no_photo.status_code) == (404, 404, 404)
