"""Likely duplicates among open problems: the same thing wrong, in the same place.

A report is read into what is wrong (stemmed words without stop words) and where (place
names, landmarks of place phrases, a shared location); see conversations/wording.py. Two
reports match when what is wrong overlaps enough and nothing says they are in different
places. Measured on tests/data/duplicate_pairs.json (benchmarks/duplicates.py prints the
figures); THRESHOLD and the weights below were chosen there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from rapidfuzz import fuzz, process, utils

from conversations.context import Candidate, Report, Summary
from conversations.messages import Location
from conversations.wording import Analysis, Reader

# Scores from 0.28 to 0.35 all keep precision >= 0.9 and recall >= 0.8 on the labelled set;
# 0.32 sits inside that range.
THRESHOLD = 0.32
# Two shared locations this close are one place; this far apart, two places (a phone's fix
# is good to some tens of metres; a street block is about 100 m).
SAME_SPOT_METRES = 60.0
ELSEWHERE_METRES = 150.0
SAME_SPOT_BONUS = 0.2
SHARED_NAME_BONUS = 0.15  # per shared place name, at most two ("King St / Park Lane")
SHARED_LANDMARK_BONUS = 0.1
# Reading a report closely takes a fraction of a millisecond in Python, so only the
# candidates closest in plain wording (RapidFuzz, in C) are read: on the labelled set every
# matched pair's original ranks in the top 12 of all 213 other reports.
SHORTLIST = 40


@dataclass(frozen=True)
class Read:
    report: Report
    analysis: Analysis


def likely_duplicates(report: Report, candidates: Sequence[Candidate], *, limit: int = 3) -> list[Summary]:
    """The open problems most likely to be the one reported, best first."""
    reader = Reader()
    new = Read(report, _analyse(reader, report))
    scored = [(score(new, Read(c.report, _analyse(reader, c.report))), c.summary) for c in shortlist(report, candidates)]
    ranked = sorted((pair for pair in scored if pair[0] >= THRESHOLD), key=lambda pair: -pair[0])
    return [summary for _, summary in ranked[:limit]]


def shortlist(report: Report, candidates: Sequence[Candidate]) -> list[Candidate]:
    """The SHORTLIST candidates whose words are closest to the report's, place included."""
    if len(candidates) <= SHORTLIST:
        return list(candidates)
    texts = [_plain(c.report) for c in candidates]
    closest = process.extract(
        _plain(report), texts, scorer=fuzz.token_set_ratio, processor=utils.default_process, limit=SHORTLIST
    )
    return [candidates[index] for _, _, index in closest]


def _plain(report: Report) -> str:
    return f"{report.text} {report.place or ''}"


def similarity(first: Report, second: Report) -> float:
    """How likely two reports are one problem (compare with THRESHOLD)."""
    reader = Reader()
    return score(Read(first, _analyse(reader, first)), Read(second, _analyse(reader, second)))


def _analyse(reader: Reader, report: Report) -> Analysis:
    return reader.analyse(report.text, report.place, report.language)


def score(new: Read, old: Read) -> float:
    place = _place_bonus(new, old)
    if place is None:
        return 0.0
    return _subject_overlap(new.analysis, old.analysis) + place


def _place_bonus(new: Read, old: Read) -> float | None:
    """What agreeing on the place adds; None when the two are in different places."""
    bonus = 0.0
    if new.report.location is not None and old.report.location is not None:
        metres = distance_metres(new.report.location, old.report.location)
        if metres >= ELSEWHERE_METRES:
            return None
        bonus += SAME_SPOT_BONUS if metres <= SAME_SPOT_METRES else 0.0
    a, b = new.analysis, old.analysis
    if a.names and b.names:
        shared = sum(1 for name in a.names if any(_word_match(name, other) >= 0.9 for other in b.names))
        if not shared:
            return None  # Elm Street and Oak Avenue
        return bonus + SHARED_NAME_BONUS * min(shared, 2)
    if a.landmarks and b.landmarks:
        if not (_mentioned(a.landmarks, b) or _mentioned(b.landmarks, a)):
            return None  # behind the leisure centre, behind the library
        bonus += SHARED_LANDMARK_BONUS
    return bonus


def _mentioned(landmarks: Sequence[str], other: Analysis) -> bool:
    words = (*other.subject, *other.landmarks)
    return any(_word_match(mark, word) >= 0.8 for mark in landmarks for word in words)


def _subject_overlap(a: Analysis, b: Analysis) -> float:
    """Dice overlap of what is wrong; a subject word may be found among the other report's
    landmarks too ("dog mess on the grass" / "grass covered in dog mess")."""
    if not a.subject or not b.subject:
        return 0.0
    a_all, b_all = (*a.subject, *a.landmarks), (*b.subject, *b.landmarks)
    found_a = sum(max(_word_match(word, other) for other in b_all) for word in a.subject)
    found_b = sum(max(_word_match(word, other) for other in a_all) for word in b.subject)
    return (found_a + found_b) / (len(a.subject) + len(b.subject))


def _word_match(a: str, b: str) -> float:
    """1 for one word; 0.9 when one holds the other ("streetlight" / "light", "parkbank" /
    "bank"); RapidFuzz's ratio when close in spelling; else 0."""
    if a == b:
        return 1.0
    if min(len(a), len(b)) >= 4 and (a in b or b in a):
        return 0.9
    ratio = fuzz.ratio(a, b) / 100
    return ratio if ratio >= 0.8 else 0.0


def distance_metres(a: Location, b: Location) -> float:
    """Great-circle distance (haversine)."""
    earth = 6_371_000.0
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * earth * math.asin(math.sqrt(h))
