"""Recall and precision of pseudonymisation per entity type, on the planted-data corpus.

The gold is tests/fixtures/pii_corpus/planted.yaml: every planted value, by type. A gold
occurrence is found when a detected span of the same type covers it; a detected span is
correct when it overlaps a gold occurrence of its type. Speaker labels that are names
are counted separately.

    uv run python benchmarks/eval_pseudonymisation.py [CORPUS]
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def gold_spans(text: str, planted: dict[str, list[str]]) -> list[tuple[int, int, str]]:
    """Maximal non-overlapping occurrences of planted values (longest first)."""
    candidates = []
    for entity, values in planted.items():
        for value in values:
            for m in re.finditer(rf"(?<!\w){re.escape(value)}(?!\w)", text):
                candidates.append((m.start(), m.end(), entity))
    chosen: list[tuple[int, int, str]] = []
    for start, end, entity in sorted(candidates, key=lambda c: c[0] - c[1]):
        if all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, entity))
    return chosen


def main() -> None:
    os.environ.setdefault("ENQUETE_PROGRESS", "0")
    from enquete.corpus import load_corpus
    from enquete.ingest import ingest_corpus
    from enquete.labels import is_role_label
    from enquete.pseudonymise import pseudonymise
    from enquete.vocabulary import value_label

    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "fixtures" / "pii_corpus"
    planted = yaml.safe_load((folder / "planted.yaml").read_text(encoding="utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corpus = load_corpus(folder)
        segments, _ = ingest_corpus(corpus)
    config = corpus.manifest.pseudonymisation
    result = pseudonymise(segments, style="tags", names=config.names, allow=config.allow, deny=config.deny)
    found, total, correct, predicted = Counter(), Counter(), Counter(), Counter()
    for text in segments["text"]:
        gold = gold_spans(text, planted)
        spans = [(s, e, value_label("entity", entity, "fr"), r) for s, e, entity, r in result.labeller.spans(text)]  # planted.yaml names types in French
        for start, end, entity in gold:
            total[entity] += 1
            found[entity] += any(e == entity and s <= start and end <= t for s, t, e, _ in spans)
        for s, t, entity, _ in spans:
            predicted[entity] += 1
            correct[entity] += any(e == entity and s < end and start < t for start, end, e in gold)
    print(f"{'entity':<16}{'gold':>6}{'found':>7}{'recall':>8}{'detected':>10}{'correct':>9}{'precision':>11}")
    for entity in sorted(set(total) | set(predicted)):
        recall = found[entity] / total[entity] if total[entity] else float("nan")
        precision = correct[entity] / predicted[entity] if predicted[entity] else float("nan")
        print(f"{entity:<16}{total[entity]:>6}{found[entity]:>7}{recall:>8.2f}{predicted[entity]:>10}{correct[entity]:>9}{precision:>11.2f}")
    names = [s for s in segments["speaker"].dropna().unique() if s.strip() and not is_role_label(s)]
    kept = [s for s in names if s in set(result.segments["speaker"].dropna())]
    print(f"speaker labels that are names or numbers: {len(names)}, replaced: {len(names) - len(kept)}")


if __name__ == "__main__":
    main()
