"""Which language a text is written in (langdetect, seeded so the same text always gives the
same answer). The engine decides what to do with it (conversations/language.py)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cache

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

SEED = 0
# langdetect's defaults are 7 trials over up to 10,000 characters. Three trials over the
# first 300 characters agree on real sentences as well and cost a third (about 2 ms): the
# first message of every new person goes through here.
TRIALS = 3
MAX_CHARACTERS = 300


@cache
def _profiles() -> DetectorFactory:
    """langdetect's language profiles, read once per process (about a second) and only read
    afterwards; a factory of our own keeps the seed off langdetect's global one."""
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.seed = SEED
    return factory


@dataclass(frozen=True)
class LanguageDetector:
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, text: str) -> tuple[tuple[str, float], ...]:
        """Candidate languages with their probabilities, most likely first; () when the
        text has nothing to go on."""
        with self._lock:  # the first call loads the profiles; later ones only read them
            factory = _profiles()
        detector = factory.create()
        detector.n_trial = TRIALS
        detector.set_max_text_length(MAX_CHARACTERS)
        detector.append(text)
        try:
            found = detector.get_probabilities()
        except LangDetectException:
            return ()
        return tuple((candidate.lang.split("-")[0], candidate.prob) for candidate in found)
