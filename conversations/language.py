"""Noticing a person's language from what they write, and when not to.

A person starts in their channel's language (Telegram's language_code, Slack's locale) when
it is offered, or the default. The first free text of a useful length is checked once: a
confident, different, offered language is switched to and confirmed in that language; one
we do not offer is said once, in the current language. A language chosen with /language
always wins. Short or ambiguous text ("ok", "123", an emoji) never switches anything.

This holds from the first message, before consent too, so the consent text itself comes in
the person's language: the language is kept with the channel id, nothing personal.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from babel import Locale, UnknownLocaleError

from conversations.context import Context
from conversations.effects import SetLanguage
from conversations.i18n import T, Text
from conversations.validation import has_words

MIN_LETTERS = 20
MIN_WORDS = 4
CONFIDENT = 0.8  # every one of langdetect's trials agrees (bot/language.py runs three)
HINT_STILL_LIKELY = 0.2  # the channel's language is among the candidates: keep it


@dataclass(frozen=True)
class Noticed:
    ctx: Context
    say: tuple[Text, ...] = ()
    effects: tuple[SetLanguage, ...] = ()


def useful(text: str) -> bool:
    letters = sum(ch.isalpha() for ch in text)
    return has_words(text) and letters >= MIN_LETTERS and len(text.split()) >= MIN_WORDS


def worth_detecting(text: str | None) -> bool:
    """Whether the service should detect this text's language (commands never are)."""
    return text is not None and not text.lstrip().startswith("/") and useful(text)


def notice(ctx: Context, text: str | None) -> Noticed:
    person = ctx.person
    candidates = ctx.language_candidates
    if person.language_settled or not candidates or text is None or not useful(text):
        return Noticed(ctx)
    likely = dict(candidates)
    best, probability = candidates[0]
    settle = SetLanguage(person.language, source="detected")
    if likely.get(person.language, 0.0) >= HINT_STILL_LIKELY or probability < CONFIDENT:
        return Noticed(ctx, effects=(settle,)) if probability >= CONFIDENT else Noticed(ctx)
    if best not in ctx.settings.languages:
        name, current = language_name(best, person.language), language_name(person.language, person.language)
        return Noticed(ctx, say=(T("language.unsupported", language=name, current=current),), effects=(settle,))
    switched = replace(ctx, person=replace(person, language=best, language_settled=True))
    confirm = T("language.detected", language=language_name(best, best))
    return Noticed(switched, say=(confirm,), effects=(SetLanguage(best, source="detected"),))


def language_name(code: str, in_language: str) -> str:
    """ "es" in Spanish is "español"; in English, "Spanish" (each language's own casing)."""
    try:
        return Locale.parse(code).get_display_name(in_language)
    except (UnknownLocaleError, ValueError):
        return code
