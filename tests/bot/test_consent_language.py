"""The language is settled before consent too: a language chosen with /language at the
consent step, or the one a newcomer writes in, gives the consent text in that language, and
it sticks after consent. Through the conversation service on a real database, and through
the fake Telegram server with buttons."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from sqlmodel import Session, select

from bot.app import App
from conversations.i18n import T
from conversations.language import language_name
from conversations.messages import Address, Inbound, Outbound
from storage.models import Citizen
from tests.bot.test_telegram_channel import press, reply_to, serving, text_update
from tests.fakes.telegram_api import FakeTelegram

NEWCOMER = Address("telegram", "6001", "6001")
WRITTEN = {
    "fr": "Bonjour, je voudrais signaler un énorme nid-de-poule devant l'école de mon quartier",
    "es": "Hola, quiero avisar de que hay un bache enorme delante del colegio de mi barrio",
    "en": "There is a huge pothole on the main street, right in front of the school",
}
_events = itertools.count(1)


def said(app: App, language: str, key: str, /, **params: object) -> str:
    return app.catalogs.render(language, T(key, **params))


def send(app: App, text: str, *, hint: str = "en") -> Outbound:
    """One message from the newcomer (their app set to `hint`); the one reply it gets."""
    inbound = Inbound(NEWCOMER, f"evt-{next(_events)}", text=text, locale_hint=hint, display_name="Lucie")
    (reply,) = app.service.handle(inbound).replies
    return reply


def stored(app: App) -> tuple[str | None, str | None, bool]:
    """The newcomer's language, how it was settled, and whether they have consented."""
    with Session(app.database) as session:
        (person,) = session.exec(select(Citizen)).all()
    return person.language, person.language_source, person.consented_at is not None


def consent_in(app: App, language: str) -> str:
    return said(app, language, "consent.ask")


@pytest.mark.postgres
def test_a_language_chosen_before_consent_gives_the_consent_text_in_it_and_sticks(app: App) -> None:
    assert send(app, "/start").text == consent_in(app, "en")
    menu = send(app, "/language")
    assert menu.text == said(app, "en", "language.ask")
    chosen = send(app, "Français")
    assert chosen.text == said(app, "fr", "language.changed") + "\n\n" + consent_in(app, "fr")
    assert [c.label for c in chosen.choices] == [said(app, "fr", "consent.agree"), said(app, "fr", "consent.more")]
    assert stored(app) == ("fr", "chosen", False)  # kept with the channel id, before consent
    agreed = send(app, said(app, "fr", "consent.agree"))
    assert agreed.text == said(app, "fr", "consent.thanks") + "\n\n" + said(app, "fr", "role.ask")
    assert stored(app) == ("fr", "chosen", True)
    send(app, "1")  # Explorer
    answer = send(app, WRITTEN["en"])  # writing English afterwards does not undo the choice
    assert answer.text == said(app, "fr", "explorer.ask_category")
    assert stored(app) == ("fr", "chosen", True)


@pytest.mark.postgres
def test_language_as_the_very_first_message_comes_back_to_the_consent_step(app: App) -> None:
    assert send(app, "/language", hint="es").text == said(app, "es", "language.ask")
    chosen = send(app, "Deutsch", hint="es")
    assert chosen.text == said(app, "de", "language.changed") + "\n\n" + consent_in(app, "de")
    assert stored(app) == ("de", "chosen", False)


@pytest.mark.postgres
@pytest.mark.parametrize("language", ["fr", "es"])
def test_a_sentence_written_at_the_consent_step_gives_the_consent_text_in_its_language(app: App, language: str) -> None:
    send(app, "/start")
    answer = send(app, WRITTEN[language])
    detected = said(app, language, "language.detected", language=language_name(language, language))
    assert answer.text == detected + "\n\n" + consent_in(app, language)
    assert stored(app) == (language, "detected", False)
    agreed = send(app, "1")
    assert agreed.text.startswith(said(app, language, "consent.thanks"))
    assert stored(app) == (language, "detected", True)
    send(app, "1")  # Explorer
    assert send(app, WRITTEN["en"]).text == said(app, language, "explorer.ask_category")  # noticed once only


@pytest.mark.postgres
def test_a_newcomer_whose_first_message_is_a_sentence_is_welcomed_in_its_language(app: App) -> None:
    answer = send(app, WRITTEN["fr"])
    detected = said(app, "fr", "language.detected", language=language_name("fr", "fr"))
    assert answer.text == detected + "\n\n" + consent_in(app, "fr")
    assert stored(app) == ("fr", "detected", False)


def test_choosing_francais_by_button_at_the_consent_step_on_telegram(telegram_app: App, fake: FakeTelegram) -> None:
    app = telegram_app

    async def scenario() -> tuple[dict, dict, dict]:
        async with serving(app):
            consent = await reply_to(fake, text_update("/start"))
            menu = await reply_to(fake, text_update("/language"))
            chosen = await reply_to(fake, press(menu, "Français"))
            roles = await reply_to(fake, press(chosen, said(app, "fr", "consent.agree")))
            return consent, chosen, roles

    consent, chosen, roles = asyncio.run(scenario())
    assert consent["text"] == consent_in(app, "en")
    assert chosen["text"] == said(app, "fr", "language.changed") + "\n\n" + consent_in(app, "fr")
    assert roles["text"] == said(app, "fr", "consent.thanks") + "\n\n" + said(app, "fr", "role.ask")
    labels = [b["text"] for row in roles["reply_markup"]["inline_keyboard"] for b in row]
    assert labels[0] == said(app, "fr", "role.explorer.option")
    with Session(app.database) as session:
        (person,) = session.exec(select(Citizen)).all()
    assert (person.language, person.language_source, person.consented_at is not None) == ("fr", "chosen", True)
