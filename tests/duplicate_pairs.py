"""The labelled duplicate pairs (tests/data/duplicate_pairs.json) and how the matcher does on
them: used by tests/conversations/test_duplicates.py and benchmarks/duplicates.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from conversations.context import Report
from conversations.messages import Location
from conversations.similarity import THRESHOLD, similarity

PAIRS = Path(__file__).resolve().parent / "data" / "duplicate_pairs.json"


@dataclass(frozen=True)
class Pair:
    id: str
    same: bool
    new: Report
    existing: Report


@dataclass(frozen=True)
class Figures:
    threshold: float
    true_positives: int
    false_positives: int
    false_negatives: int
    missed: tuple[str, ...]  # same problem, not offered
    wrongly_offered: tuple[str, ...]

    @property
    def precision(self) -> float:
        offered = self.true_positives + self.false_positives
        return self.true_positives / offered if offered else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / (self.true_positives + self.false_negatives)

    @property
    def f1(self) -> float:
        return 2 * self.precision * self.recall / (self.precision + self.recall)

    def line(self) -> str:
        return (
            f"threshold {self.threshold:.2f}: precision {self.precision:.3f}, recall {self.recall:.3f}, "
            f"F1 {self.f1:.3f} ({self.true_positives} found, {self.false_positives} wrongly offered, "
            f"{self.false_negatives} missed)"
        )


def _report(side: dict[str, Any], language: str) -> Report:
    at = side.get("at")
    return Report(side["text"], language, side.get("place"), Location(*at) if at else None)


def load_pairs(path: Path = PAIRS) -> list[Pair]:
    raw = json.loads(path.read_text(encoding="utf-8"))["pairs"]
    return [Pair(p["id"], p["same"], _report(p["new"], p["language"]), _report(p["existing"], p["language"])) for p in raw]


def measure(pairs: Sequence[Pair], threshold: float = THRESHOLD) -> Figures:
    scored = [(pair, similarity(pair.new, pair.existing)) for pair in pairs]
    hits = [(pair, value >= threshold) for pair, value in scored]
    return Figures(
        threshold=threshold,
        true_positives=sum(1 for pair, hit in hits if hit and pair.same),
        false_positives=sum(1 for pair, hit in hits if hit and not pair.same),
        false_negatives=sum(1 for pair, hit in hits if not hit and pair.same),
        missed=tuple(pair.id for pair, hit in hits if not hit and pair.same),
        wrongly_offered=tuple(pair.id for pair, hit in hits if hit and not pair.same),
    )
