"""Small word lists that tell where a report is, per language (en, es, fr, de, pt).

No maintained package lists these (stop-word and stemming packages cover grammar words, not
street types or locative prepositions), so they live here, read-only. Words are compared
case-folded; STREET_TYPES, NUMBER_WORDS and CONNECTORS also without accents, LOCATIVES with
accents (French "à" is a place word, "a" is the verb "has")."""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Mapping

# Kinds of street and their abbreviations: they say a name follows or precedes, but two
# reports sharing only "street" share no place.
STREET_TYPES: frozenset[str] = frozenset(
    """street st road rd lane ln avenue ave av close way drive dr square sq place pl
    calle c avenida avda plaza paseo camino carrer
    rue r boulevard bd bld quai chemin allee impasse
    strasse str weg platz allee gasse ring damm
    rua praca largo travessa estrada alameda""".split()
)

# "number 15", "n.º 42": the word for a house number carries no place of its own.
NUMBER_WORDS: frozenset[str] = frozenset({"numero", "number", "n", "no", "nr", "hausnummer"})

# Prepositions that open a place phrase ("behind the leisure centre", "junto a la parada").
LOCATIVES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "en": frozenset("on at in near by behind outside along opposite beside next around under inside across between".split()),
        "es": frozenset("en junto cerca delante detrás frente lado enfrente sobre bajo entre tras largo altura".split()),
        "fr": frozenset("devant derrière près côté long dans sur sous niveau angle coin à au aux entre".split()),
        "de": frozenset("in im am an vor hinter neben bei beim auf unter entlang gegenüber zwischen".split()),
        "pt": frozenset("em na no nas nos junto perto frente atrás lado longo sobre sob entre à ao".split()),
    }
)

# Words that join the nouns of one place ("parada del autobús", "arrêt de bus").
CONNECTORS: frozenset[str] = frozenset({"of", "de", "del", "du", "des", "d", "do", "da", "dos", "das"})

# German writes street names as one word: Lindenstraße, Mühlenstr., Goetheplatz.
GERMAN_STREET = re.compile(r"(strasse|str|platz|allee|gasse)$")
