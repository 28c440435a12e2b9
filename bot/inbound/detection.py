"""Which language a text is written in (langdetect, seeded so the same text always gives the
same answer). The engine decides what to do with it (conversations/language.py).

langdetect keeps every language's n-gram profile in memory: all 55 take about 60 MB, more
than the rest of the bot. Only the profiles of the languages that matter are loaded: the
offered ones, and the ones residents are likely to write in instead (DETECT_ALSO), so the
bot can say it cannot speak them yet. Fifteen take about 10 MB.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.lang_profile import LangProfile

SEED = 0
# langdetect's defaults are 7 trials over up to 10,000 characters. Three trials over the
# first 300 characters agree on real sentences as well and cost a third (about 2 ms): the
# first message of every new person goes through here.
TRIALS = 3
MAX_CHARACTERS = 300
# Besides the offered languages, by default: neighbours of the five catalogs' languages that
# a text in them is most often confused with, and the languages most spoken by newcomers in
# the cities of those languages.
DETECT_ALSO = ("it", "nl", "ca", "ro", "pl", "ru", "uk", "ar", "tr", "zh-cn")


def profile_languages() -> frozenset[str]:
    """The languages langdetect has a profile for (codes such as en, pt, zh-cn)."""
    return frozenset(path.name for path in Path(PROFILES_DIRECTORY).iterdir())


def _load(languages: tuple[str, ...]) -> DetectorFactory:
    """A factory of our own with these profiles only (about a second for all 55; langdetect's
    global factory and seed are left alone)."""
    factory = DetectorFactory()
    for index, language in enumerate(languages):
        # One profile read at a time: holding all of them parsed at once took 3.5 MB more at
        # the peak than the factory keeps (6 MB for the 15 default languages).
        profile = LangProfile(**json.loads((Path(PROFILES_DIRECTORY) / language).read_text(encoding="utf-8")))
        factory.add_profile(profile, index, len(languages))
    factory.seed = SEED
    return factory


@dataclass
class LanguageDetector:
    """Detects among `languages` (at least two, each once: Settings.detected_languages);
    their profiles are read on first use."""

    languages: tuple[str, ...]
    _factory: DetectorFactory | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        unknown = set(self.languages) - profile_languages()
        if unknown:
            raise ValueError(f"langdetect has no profile for {', '.join(sorted(unknown))}")

    def __call__(self, text: str) -> tuple[tuple[str, float], ...]:
        """Candidate languages with their probabilities, most likely first; () when the
        text has nothing to go on."""
        with self._lock:  # the first call loads the profiles; later ones only read them
            if self._factory is None:
                self._factory = _load(self.languages)
            factory = self._factory
        detector = factory.create()
        detector.n_trial = TRIALS
        detector.set_max_text_length(MAX_CHARACTERS)
        detector.append(text)
        try:
            found = detector.get_probabilities()
        except LangDetectException:
            return ()
        return tuple((candidate.lang.split("-")[0], candidate.prob) for candidate in found)
