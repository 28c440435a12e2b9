"""What a report says, split into what is wrong and where: stemmed words (Snowball's
stemmers through PyStemmer) without stop words (the stop-words package), place names, and
the landmarks of place phrases.

Pure: the stop-word lists are read once at import into frozensets; stemmers are made per
`Reader` (each keeps a cache of the words it has seen, so they are not shared)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping, NamedTuple

import Stemmer
from stop_words import get_stop_words

from conversations.place_words import CONNECTORS, GERMAN_STREET, LOCATIVES, NUMBER_WORDS, STREET_TYPES

SNOWBALL = MappingProxyType({"en": "english", "es": "spanish", "fr": "french", "de": "german", "pt": "portuguese"})
TOKEN = re.compile(r"[^\W_]+|[.!?:;/,()]|\s-\s")
SENTENCE_END = frozenset(".!?:;")
# A place phrase keeps at most this many words ("supermarket car park").
MAX_LANDMARK_WORDS = 3


def fold(word: str) -> str:
    """Case- and accent-free: "Réverbère" and "reverbere" are one word."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


STOP_WORDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {language: frozenset(fold(w) for w in get_stop_words(language)) for language in SNOWBALL}
)


class Token(NamedTuple):  # a NamedTuple: reports are read by the hundred
    text: str
    capitalised_inside: bool  # capitalised but not first in its sentence: a name in en/es/fr/pt
    punctuation: bool = False


@dataclass(frozen=True)
class Analysis:
    names: frozenset[str]  # place names: "elm", "lindenstr", "victor"
    subject: tuple[str, ...]  # stems of what is wrong: "streetlight", "broken"
    landmarks: tuple[str, ...]  # stems in place phrases: "leisur", "centr"


def tokens(text: str) -> list[Token]:
    found: list[Token] = []
    starts_sentence, previous = True, ""
    for match in TOKEN.finditer(text):
        word = match.group().strip()
        if not word[0].isalnum():
            found.append(Token(word, False, punctuation=True))
            abbreviation = word == "." and (fold(previous) in STREET_TYPES or len(previous) <= 2)  # "Av. Liberdade"
            starts_sentence = starts_sentence or (word in SENTENCE_END and not abbreviation)
            continue
        found.append(Token(word, word[0].isupper() and not starts_sentence))
        starts_sentence, previous = False, word
    return found


@dataclass
class Reader:
    """Analyses reports in the five languages; one per duplicate check."""

    _stemmers: dict[str, Stemmer.Stemmer] = field(default_factory=dict)

    def stem(self, language: str, word: str) -> str:
        if language not in SNOWBALL:
            return word
        if language not in self._stemmers:
            self._stemmers[language] = Stemmer.Stemmer(SNOWBALL[language])
        return self._stemmers[language].stemWord(word)

    def analyse(self, text: str, place: str | None, language: str) -> Analysis:
        names = set(_place_names(place or "", language))
        subject: list[str] = []
        landmarks: list[str] = []
        phrase = _Phrase()
        words = tokens(text)
        for index, token in enumerate(words):
            if token.punctuation:
                phrase.close()
                continue
            if token.text.casefold() in LOCATIVES.get(language, ()):
                phrase.open()
                continue
            word = fold(token.text)
            if word.isdigit():
                continue
            before_number = index + 1 < len(words) and words[index + 1].text.isdigit() and token.text[0].isupper()
            if _is_name(token, word, language) or before_number:
                name = _name_key(word, language)
                if name not in STREET_TYPES:
                    names.add(name)
                phrase.saw_name()
                continue
            if language == "de" and not token.text[0].isupper() and word not in STOP_WORDS["de"]:
                phrase.close()  # German landmarks are nouns, capitalised: a verb ends the phrase
            if word in STOP_WORDS.get(language, ()) or word in STREET_TYPES or word in NUMBER_WORDS:
                if word not in CONNECTORS:
                    phrase.pause()
                continue
            stem = self.stem(language, word)
            (landmarks if phrase.takes_word() else subject).append(stem)
        return Analysis(frozenset(names), tuple(subject), tuple(landmarks))


@dataclass
class _Phrase:
    """Where a place phrase ("behind the leisure centre") starts and stops."""

    active: bool = False
    words: int = 0
    started: bool = False

    def open(self) -> None:
        self.active, self.words, self.started = True, 0, False

    def close(self) -> None:
        self.active = False

    def saw_name(self) -> None:
        self.started = self.started or self.active

    def pause(self) -> None:
        """A stop word after the phrase's first word ends it ("near the bus stop, it's ...")."""
        if self.started:
            self.active = False

    def takes_word(self) -> bool:
        if not self.active:
            return False
        if self.started and self.words == 0:  # a name was the place: the next word is not
            self.active = False
            return False
        self.words += 1
        self.started = True
        if self.words >= MAX_LANDMARK_WORDS:
            self.active = False
        return True


def _is_name(token: Token, word: str, language: str) -> bool:
    if language == "de":  # every German noun is capitalised: only street-like words are names
        return len(word) > 6 and GERMAN_STREET.search(word) is not None
    return token.capitalised_inside


def _name_key(word: str, language: str) -> str:
    """ "Mühlenstraße" and "Mühlenstr." are one street."""
    return GERMAN_STREET.sub("str", word) if language == "de" and word.endswith(("strasse", "str")) else word


def _place_names(place: str, language: str) -> list[str]:
    """Every word of a typed place is a name, but street types, numbers and stop words."""
    stop = STOP_WORDS.get(language, frozenset())
    return [
        _name_key(word, language)
        for token in tokens(place)
        if not token.punctuation
        for word in [fold(token.text)]
        if not (word.isdigit() or word in STREET_TYPES or word in NUMBER_WORDS or word in stop)
    ]
