"""Likely duplicates among open problems, by fuzzy token matching (RapidFuzz)."""

from __future__ import annotations

from typing import Sequence

from rapidfuzz import fuzz, process, utils

from conversations.context import Summary

# token_set_ratio forgives word order and extra words ("a big pothole on Main St" vs
# "pothole on main st near the school"); 75 keeps unrelated reports in the same
# category apart in our examples while catching rephrasings.
THRESHOLD = 75.0


def likely_duplicates(
    description: str, candidates: Sequence[tuple[Summary, str]], *, limit: int = 3
) -> list[Summary]:
    if not candidates:
        return []
    texts = [text for _, text in candidates]
    matches = process.extract(
        description,
        texts,
        scorer=fuzz.token_set_ratio,
        processor=utils.default_process,
        score_cutoff=THRESHOLD,
        limit=limit,
    )
    return [candidates[index][0] for _, _, index in matches]
