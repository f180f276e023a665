"""Residents' words and voices kept exactly: what reading and pseudonymisation change in real files.

Reads the real French transcripts of tests/fixtures/real/transcripts (the files that
tests/fixtures/real/voix.yaml describes) and the demo corpus, pseudonymises them as a run
does, and counts, per corpus:

- ordinary words rewritten: lower-case words of the original text that pseudonymisation changed
  (a token diff of every segment, before and after);
- capitalised words replaced: capitalised words that changed, split into the persons the gold
  names and the others (places, institutions, titles, ordinary words);
- places given a person's pseudonym: gold place names that are neither kept nor replaced by a
  place tag;
- speakers invented: speaker labels beyond the number of people who speak in each file.

    uv run python benchmarks/eval_fidelity.py [--out benchmarks/results/fidelite.csv]
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "tests" / "fixtures" / "real"
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
PLACE_TAG = re.compile(r"\[LIEU(?:_\d+)?\]")


def changed_words(before: str, after: str) -> list[str]:
    """Words of ``before`` that are not in ``after`` at the same place (token diff)."""
    old, new = WORD.findall(before), WORD.findall(after)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    return [w for op, i1, i2, _, _ in matcher.get_opcodes() if op in ("replace", "delete") for w in old[i1:i2]]


def person_words(persons: list[str]) -> set[str]:
    return {w for p in persons for w in WORD.findall(p) if w[:1].isupper() and w.lower() not in ("mme", "monsieur", "madame")}


def place_fate(text: str, new: str, place: str) -> str:
    """'kept', 'tag' or 'person' for a place name written in ``text`` (pseudonymised as ``new``)."""
    if place in new:
        return "kept"
    where = text.find(place)
    context = new[max(0, where - 20) : where + len(place) + 20]
    return "tag" if PLACE_TAG.search(context) else "person"


def measure(segments: pd.DataFrame, result, gold: dict[str, dict]) -> dict[str, int]:
    persons = {path: person_words(g.get("persons", [])) for path, g in gold.items()}
    counts = dict.fromkeys(("segments", "ordinary_rewritten", "capitalised_replaced", "persons_replaced", "others_replaced",
                            "places", "places_as_person", "speakers", "people", "speakers_invented"), 0)
    counts["segments"] = len(segments)
    examples: list[str] = []
    for path, before in zip(segments["source_path"], segments["text"]):
        after = result.labeller.replace(before)[0]  # what pseudonymisation made of this text
        if before == after:
            continue
        name = Path(path).name
        for word in changed_words(before, after):
            if word[:1].islower():
                counts["ordinary_rewritten"] += 1
                examples.append(word)
            elif word[:1].isupper():
                counts["capitalised_replaced"] += 1
                counts["persons_replaced" if word in persons.get(name, set()) else "others_replaced"] += 1
        for place in gold.get(name, {}).get("places", []):
            if place in before:
                counts["places"] += 1
                counts["places_as_person"] += place_fate(before, after, place) == "person"
    for name, g in gold.items():
        doc = segments[(segments["source_path"].map(lambda p: Path(p).name) == name) & (segments["message_type"] == "turn")]
        if "people" in g and len(doc) + 1:
            found = doc["speaker"].nunique()
            counts["speakers"] += found
            counts["people"] += g["people"]
            counts["speakers_invented"] += max(0, found - g["people"])
    if examples:
        print("  ordinary words rewritten:", ", ".join(sorted(set(examples))[:20]))
    return counts


def run(folder: Path, gold: dict[str, dict]) -> dict[str, int]:
    from enquete.corpus import load_corpus
    from enquete.ingest import ingest_corpus
    from enquete.pseudonymise import pseudonymise

    corpus = load_corpus(folder)
    segments, _ = ingest_corpus(corpus)
    config = corpus.manifest.pseudonymisation
    result = pseudonymise(segments, names=config.names, allow=corpus.manifest.kept_names(), deny=config.deny)
    return measure(segments, result, gold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "fidelite.csv")
    args = parser.parse_args()
    os.environ["ENQUETE_PROGRESS"] = "0"
    gold = yaml.safe_load((REAL / "voix.yaml").read_text(encoding="utf-8"))["transcripts"]
    rows = {}
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as tmp:
        warnings.simplefilter("ignore")
        real = Path(tmp) / "reels"
        real.mkdir()
        for name in gold:
            shutil.copy(REAL / "transcripts" / name, real / name)
        for label, folder, known in (("fixtures réelles", real, gold), ("démo", ROOT / "corpora" / "demo", {})):
            print(label)
            rows[label] = run(folder, known)
    table = pd.DataFrame(rows)
    print(table.to_string())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.rename_axis("mesure").to_csv(args.out)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
