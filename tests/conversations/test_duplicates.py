"""Duplicate matching on the labelled pairs (tests/data/duplicate_pairs.json), at the
threshold the code uses; `pytest -s` prints the figures (so does benchmarks/duplicates.py)."""

from __future__ import annotations

from tests.duplicate_pairs import load_pairs, measure
from conversations.context import Candidate, Report, Summary
from conversations.messages import Location
from conversations.similarity import likely_duplicates, shortlist


def test_the_labelled_pairs_are_enough_and_cover_the_five_languages() -> None:
    pairs = load_pairs()
    assert len(pairs) >= 80
    assert {pair.new.language for pair in pairs} == {"en", "es", "fr", "de", "pt"}
    assert 0.4 <= sum(pair.same for pair in pairs) / len(pairs) <= 0.6


def test_recall_is_at_least_0_8_at_precision_at_least_0_9() -> None:
    figures = measure(load_pairs())
    print(f"\nduplicates: {figures.line()}; missed {figures.missed}; wrongly offered {figures.wrongly_offered}")
    assert figures.precision >= 0.9
    assert figures.recall >= 0.8


def _candidate(id_: int, text: str, **where: object) -> Candidate:
    summary = Summary("problem", id_, f"P-{id_}", text[:40], "new", category="lighting")
    return Candidate(summary, Report(text, "en", **where))  # type: ignore[arg-type]


def test_the_rewording_from_the_issue_is_offered_and_the_same_lamp_elsewhere_is_not() -> None:
    candidates = [
        _candidate(1, "The streetlight outside 42 Elm Street has been broken for two weeks"),
        _candidate(2, "The streetlight outside 42 Oak Avenue has been broken for two weeks"),
        _candidate(3, "Bins overflowing on Elm Street"),
    ]
    new = Report("Street light broken on Elm Street near the bus stop, it's pitch dark", "en")
    assert [s.ref for s in likely_duplicates(new, candidates)] == ["P-1"]


def test_a_shared_location_far_away_rules_a_report_out_and_a_close_one_helps() -> None:
    here, next_door, across_town = Location(41.387, 2.170), Location(41.38712, 2.17015), Location(41.3915, 2.174)
    candidates = [
        _candidate(1, "Broken bench near the playground", location=across_town),
        _candidate(2, "Broken bench near the playground", location=next_door),
    ]
    new = Report("The bench seat is broken", "en", location=here)
    assert [s.ref for s in likely_duplicates(new, candidates)] == ["P-2"]


def test_a_typed_place_counts_like_a_place_in_the_description() -> None:
    candidates = [_candidate(1, "Streetlight outside 42 Elm Street not working")]
    assert likely_duplicates(Report("The streetlight is broken", "en", place="Elm Street 42"), candidates)
    assert not likely_duplicates(Report("The streetlight is broken", "en", place="Oak Avenue 3"), candidates)


def test_the_shortlist_read_closely_keeps_every_matched_original_among_hundreds() -> None:
    """Only SHORTLIST candidates are read closely: each original the matcher finds is still
    on the shortlist when every other report of the set competes with it."""
    pairs = load_pairs()
    everyone = [(f"{pair.id}/existing", pair.existing) for pair in pairs] + [(f"{pair.id}/new", pair.new) for pair in pairs]
    pool = [Candidate(Summary("problem", i, key, key, "new"), report) for i, (key, report) in enumerate(everyone)]
    for pair in pairs:
        if pair.same and pair.id not in measure([pair]).missed:
            others = [c for c in pool if c.summary.ref != f"{pair.id}/new"]
            assert f"{pair.id}/existing" in [c.summary.ref for c in shortlist(pair.new, others)], pair.id
