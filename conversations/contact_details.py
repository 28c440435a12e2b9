"""Contact details in what a resident writes: email addresses, phone numbers, and a named
person with a house number ("my neighbour John Smith at 12 ..."). Pure: the engine asks
the person before saving whether to remove what this finds (conversations/flows/common.py).

Phone numbers are read by `phonenumbers` (Google's libphonenumber), in the city's region
so local numbers without a country code count too; a number is only taken when the
library says it is a valid number there, so a year or a count of people is not one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

# The region phone numbers are read in when PHONE_REGION is not set: the default
# language's country.
LANGUAGE_REGIONS = {"en": "GB", "es": "ES", "fr": "FR", "de": "DE", "pt": "PT"}

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Words that introduce a person (a relation or a title), in the five catalog languages.
_PERSON_WORDS = (
    "neighbour", "neighbor", "mr", "mrs", "ms", "miss", "dr", "landlord", "owner", "tenant",
    "vecino", "vecina", "señor", "señora", "sr", "sra", "dueño", "dueña", "inquilino",
    "voisin", "voisine", "monsieur", "madame", "m", "mme", "propriétaire", "locataire",
    "nachbar", "nachbarin", "herr", "frau", "vermieter", "vermieterin", "mieter",
    "vizinho", "vizinha", "senhor", "senhora", "dono", "dona", "inquilina",
)  # fmt: skip
# Words that say where someone lives: "John Smith lives at 12".
_LIVES = ("lives", "living", "vive", "habite", "wohnt", "mora")
_NAME_WORD = r"[^\W\d_][^\W\d_'’-]*(?:[-'’][^\W\d_]+)?"
_CAPITALISED = r"(?:[A-ZÀ-ÖØ-ÞĀ-Ž][^\W\d_'’-]+(?:[-'’][^\W\d_]+)?)"
_NAME = rf"{_CAPITALISED}(?:\s+{_CAPITALISED}){{0,2}}"
# A house number a few words after the name: "at 12", "en el 12", "au 12", "Nr. 12", "no 12".
_NUMBER_AFTER = r"(?:\W+\S+){0,4}?\W+(?:n[ºo°r]\.?\s*)?\d{1,4}[a-zA-Z]?\b"
_NAMED_PERSON = re.compile(
    # Only the introducing words ignore case: a name must be written with capitals.
    rf"\b(?i:{'|'.join(_PERSON_WORDS)})\.?\s+(?P<name>{_NAME}){_NUMBER_AFTER}"
    rf"|(?P<name2>{_NAME})\s+(?i:{'|'.join(_LIVES)})\b{_NUMBER_AFTER}"
)
_NOT_NAMES = frozenset({"street", "road", "avenue", "calle", "rue", "straße", "strasse", "rua", "avenida", "plaza"})


@dataclass(frozen=True)
class Found:
    """One piece of contact details: what it is ("email", "phone", "person") and where."""

    kind: str
    start: int
    end: int


def contact_details(text: str, *, region: str) -> tuple[Found, ...]:
    """Every piece of contact details in the text, in order, without overlaps."""
    found = [Found("email", m.start(), m.end()) for m in _EMAIL.finditer(text)]
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
        found.append(Found("phone", match.start, match.end))
    for match in _NAMED_PERSON.finditer(text):
        group = "name" if match.group("name") else "name2"
        name = match.group(group)
        if _is_person_name(name):
            found.append(Found("person", match.start(group), match.end(group)))
    return _without_overlaps(found)


def has_contact_details(text: str, *, region: str) -> bool:
    return bool(contact_details(text, region=region))


REMOVED = "[…]"


def without_contact_details(text: str, *, region: str) -> str:
    """The text with every piece of contact details replaced by "[…]": what is left still
    reads as a sentence, and is never empty."""
    kept, at = [], 0
    for piece in contact_details(text, region=region):
        kept.append(text[at : piece.start])
        kept.append(REMOVED)
        at = piece.end
    kept.append(text[at:])
    return "".join(kept)


def _is_person_name(name: str) -> bool:
    words = name.split()
    return not any(word.lower() in _NOT_NAMES for word in words) and all(re.fullmatch(_NAME_WORD, w) for w in words)


def _without_overlaps(found: list[Found]) -> tuple[Found, ...]:
    kept: list[Found] = []
    for piece in sorted(found, key=lambda f: (f.start, -f.end)):
        if kept and piece.start < kept[-1].end:
            continue
        kept.append(piece)
    return tuple(kept)
