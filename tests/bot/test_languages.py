"""People are answered in their language: their app's language to start with, then the one
they write in (langdetect, seeded), or the one they choose with /language, which sticks.
Checked against the catalogs, through the fake Telegram server."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.operations.broadcasting import BroadcastTextError, checked_texts, texts_from_file
from conversations.i18n import T
from conversations.language import language_name
from conversations.messages import Address, Inbound
from storage.models import Citizen
from tests.bot.test_broadcast_delivery import diffusers
from tests.bot.test_telegram_channel import press, reply_to, serving, text_update
from tests.conftest import AppFactory, Cocreate
from tests.fakes.telegram_api import TOKEN, FakeTelegram

WRITTEN = {
    "es": "Hay un bache enorme en la calle Mayor, justo delante del colegio",
    "fr": "Il y a un énorme nid-de-poule dans la rue principale, juste devant l'école",
    "de": "Vor der Schule ist ein riesiges Schlagloch mitten auf der Hauptstraße",
    "pt": "Há um buraco enorme na rua principal, mesmo em frente à escola",
    "en": "There is a huge pothole on the main street, right in front of the school",
}

pytestmark = pytest.mark.telegram


def said(app: App, in_language: str, key: str, /, **params: object) -> str:
    return app.catalogs.render(in_language, T(key, **params))


@pytest.mark.parametrize(("language", "app_language"), [("es", "en"), ("fr", "en"), ("de", "en"), ("pt", "en"), ("en", "es")])
def test_a_person_writing_in_a_language_is_answered_in_it(app: App, fake: FakeTelegram, language: str, app_language: str) -> None:
    async def scenario() -> tuple[dict, dict]:
        async with serving(app):
            consent = await reply_to(fake, text_update("/start", language=app_language))
            assert consent["text"] == said(app, app_language, "consent.ask")
            roles = await reply_to(fake, press(consent, said(app, app_language, "consent.agree"), language=app_language))
            explorer = said(app, app_language, "role.explorer.option")
            await reply_to(fake, press(roles, explorer, language=app_language))
            categories = await reply_to(fake, text_update(WRITTEN[language], language=app_language))
            roads = said(app, language, "category.roads")
            where = await reply_to(fake, press(categories, roads, language=app_language))
            return categories, where

    categories, where = asyncio.run(scenario())
    confirmed = said(app, language, "language.detected", language=language_name(language, language))
    assert categories["text"] == f"{confirmed}\n\n{said(app, language, 'explorer.ask_category')}"
    labels = [b["text"] for row in categories["reply_markup"]["inline_keyboard"] for b in row]
    assert labels[:2] == [said(app, language, "category.roads"), said(app, language, "category.lighting")]
    assert where["text"] == said(app, language, "explorer.ask_place_location")
    with Session(app.database) as session:
        (person,) = session.exec(select(Citizen)).all()
    assert (person.language, person.language_source) == (language, "detected")


def handle(app: App, text: str | None = None, *, hint: str = "es", **fields: object):
    handle.counter = getattr(handle, "counter", 0) + 1  # type: ignore[attr-defined]
    inbound = Inbound(Address("telegram", "77", "77"), f"e{handle.counter}", text=text, locale_hint=hint, **fields)  # type: ignore[attr-defined]
    return "\n".join(reply.text for reply in app.service.handle(inbound).replies)


def to_description(app: App, hint: str = "es") -> None:
    handle(app, "/start", hint=hint)
    handle(app, "1", hint=hint)  # I agree
    handle(app, "1", hint=hint)  # Explorer


def language_of(app: App) -> tuple[str | None, str | None]:
    with Session(app.database) as session:
        (person,) = session.exec(select(Citizen)).all()
    return person.language, person.language_source


def test_ok_numbers_and_emoji_never_switch_the_language(app: App) -> None:
    to_description(app, hint="es")
    assert handle(app, "ok").startswith(said(app, "es", "error.too_short", minimum=10, length=2))
    assert handle(app, "123").startswith(said(app, "es", "error.too_short", minimum=10, length=3))
    assert handle(app, "🙂🙂🙂").startswith(said(app, "es", "error.need_words"))
    assert language_of(app) == ("es", None)  # still open to a real sentence
    # A sentence in the language already in use settles it without a word about languages.
    assert handle(app, WRITTEN["es"]) == said(app, "es", "explorer.ask_category")
    assert language_of(app) == ("es", "detected")


def test_language_chosen_with_the_command_sticks(app: App) -> None:
    to_description(app, hint="en")
    assert handle(app, "/language", hint="en").startswith(said(app, "en", "language.ask"))
    chosen = handle(app, "Deutsch", hint="en")
    assert chosen.startswith(said(app, "de", "language.changed"))
    assert said(app, "de", "explorer.ask_description") in chosen  # back where they were, in German
    answer = handle(app, WRITTEN["en"], hint="en")
    assert answer == said(app, "de", "explorer.ask_category")  # writing English does not undo the choice
    assert language_of(app) == ("de", "chosen")


def test_a_language_outside_languages_falls_back_to_the_default_once(app_factory: AppFactory) -> None:
    app = app_factory(languages="en,es")
    to_description(app, hint="en")
    italian = "C'è una buca enorme in mezzo alla strada davanti alla scuola elementare"
    answer = handle(app, italian, hint="en")
    assert answer == (
        said(app, "en", "language.unsupported", language="Italian", current="English")
        + "\n\n"
        + said(app, "en", "explorer.ask_category")
    )
    assert language_of(app) == ("en", "detected")
    handle(app, "/back", hint="en")
    again = handle(app, "Ci sono rifiuti abbandonati ovunque nel parco vicino alla stazione", hint="en")
    assert again == said(app, "en", "explorer.ask_category")  # said once, not on every message


def test_a_broadcast_with_spanish_and_english_texts_reaches_each_person_in_theirs(
    app: App, fake: FakeTelegram, cocreate: Cocreate
) -> None:
    english, spanish, german = diffusers(app, 2), diffusers(app, 2, language="es", first=9100), diffusers(app, 1, language="de", first=9200)
    queued = cocreate(
        "broadcast", "Line 7 starts on Monday", "--text", "es=La línea 7 empieza el lunes", "--yes",
        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.base_url,
    )  # fmt: skip
    assert queued.exit_code == 0, queued.stderr
    assert "en: 2 people get the en text" in queued.stdout and "es: 2 people get their translation" in queued.stdout
    assert "de: 1 person gets the en text" in queued.stdout

    async def deliver() -> None:
        async with serving(app):
            await asyncio.to_thread(fake.wait_for_messages, 5)

    asyncio.run(deliver())
    # Each copy ends with the person's own link, in their language (tests/bot/test_measured_reach.py).
    texts = {int(m["chat_id"]): m["text"] for m in fake.sent()}
    links = {person: text.rsplit("\n", 1)[1] for person, text in texts.items()}
    texts = {person: text.rsplit("\n", 1)[0] for person, text in texts.items()}
    for person in english:
        assert texts[person] == said(app, "en", "broadcast.message", text="Line 7 starts on Monday")
        assert links[person].startswith("Take part too: http://127.0.0.1:8080/join/")
    for person in german:  # no German text: the default one, framed in German
        assert texts[person] == said(app, "de", "broadcast.message", text="Line 7 starts on Monday")
        assert links[person].startswith("Machen Sie auch mit: ")
    for person in spanish:
        assert texts[person] == said(app, "es", "broadcast.message", text="La línea 7 empieza el lunes")
        buttons = [b["text"] for row in fake.sent(person)[0]["reply_markup"]["inline_keyboard"] for b in row]
        assert buttons == [said(app, "es", "broadcast.shared"), said(app, "es", "broadcast.stop")]


def test_broadcast_texts_from_a_file_with_one_section_per_language(app: App) -> None:
    texts = texts_from_file("[en]\nLine 7 starts on Monday.\nTell your neighbours.\n\n[es]\nLa línea 7 empieza el lunes.\n")
    assert texts == {"en": "Line 7 starts on Monday.\nTell your neighbours.", "es": "La línea 7 empieza el lunes."}
    default, translations = checked_texts(texts, settings=app.service.settings)
    assert (default, translations) == (texts["en"], {"es": texts["es"]})
    with pytest.raises(BroadcastTextError, match="a text in the default language \\(en\\) is needed"):
        checked_texts({"es": "Hola a todos"}, settings=app.service.settings)
    with pytest.raises(BroadcastTextError, match="it is not in LANGUAGES"):
        checked_texts({"en": "Hello", "it": "Ciao"}, settings=app.service.settings)
    with pytest.raises(BroadcastTextError, match="line 1 comes before any"):
        texts_from_file("Hello\n[en]\nHello")


