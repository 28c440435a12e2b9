"""Duplicate matching measured on the labelled pairs in tests/data/duplicate_pairs.json.

Prints precision, recall and F1 at the threshold the code uses (conversations.similarity.
THRESHOLD), the pairs it gets wrong, and the same figures at nearby thresholds.

    python benchmarks/duplicates.py
"""

from __future__ import annotations

import sys
from pathlib import Path

# Import from the repository root, not from benchmarks/ (whose telegram.py would shadow the library).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from conversations.similarity import THRESHOLD  # noqa: E402
from tests.duplicate_pairs import load_pairs, measure  # noqa: E402


def main() -> None:
    pairs = load_pairs()
    same = sum(pair.same for pair in pairs)
    print(f"{len(pairs)} labelled pairs ({same} same, {len(pairs) - same} different), en/es/fr/de/pt")
    figures = measure(pairs)
    print(figures.line())
    print(f"missed: {', '.join(figures.missed) or '-'}")
    print(f"wrongly offered: {', '.join(figures.wrongly_offered) or '-'}")
    print("nearby thresholds:")
    for step in range(-4, 5):
        print("  " + measure(pairs, round(THRESHOLD + step * 0.02, 2)).line())


if __name__ == "__main__":
    main()
