"""Residents' words and voices kept exactly: what reading and pseudonymisation change in real files.

Reads the real French transcripts and WhatsApp exports of tests/fixtures/real (the files that
tests/fixtures/real/voix.yaml describes) and the demo corpus, pseudonymises them as a run
does, and counts, per corpus:

- ordinary words rewritten: lower-case words of the language (spaCy's French lemma tables)
  inside a span replaced as a person or a place ("nouvelle", "noël"); lower-case words that
  are no word of the language ("nadia" in a chat) are counted apart;
- capitalised words replaced by a person's pseudonym, split into the persons the gold names
  and the others (places, institutions, titles, ordinary words: only the real fixtures have a
  gold, so on the demo every one counts as "other"); words given a place tag;
- places given a person's pseudonym: gold place names that are neither kept nor replaced by a
  place tag;
- speakers invented: speaker labels beyond the number of people who speak in each file;
- document ids rewritten by pseudonymisation, and members merged (senders the export tells
  apart that got one pseudonym), over the chats of voix.yaml's ``conversations`` too.

    uv run python benchmarks/eval_fidelity.py [--out benchmarks/results/fidelite.csv]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import yaml

from enquete.words import fold

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "tests" / "fixtures" / "real"
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
PLACE_TAG = re.compile(r"\[LIEU(?:_\d+)?\]")


def replaced_words(text: str, spans) -> list[tuple[str, str]]:
    """(word, entity) for every word of ``text`` inside a span replaced as a person or a place."""
    return [
        (w.group(), entity)
        for start, end, entity, replacement in spans
        if entity in ("PERSON", "PLACE")
        for w in WORD.finditer(text[start:end])
        if w.group() not in WORD.findall(replacement)  # a title kept in the pseudonym ("monsieur Perrin" → "monsieur Hamon")
    ]


def person_words(persons: list[str]) -> set[str]:
    return {w for p in persons for w in WORD.findall(p) if w[:1].isupper() and w.lower() not in ("mme", "monsieur", "madame")}


def place_fate(text: str, new: str, place: str) -> str:
    """'kept', 'tag' or 'person' for a place name written in ``text`` (pseudonymised as ``new``)."""
    if place in new:
        return "kept"
    where = text.find(place)
    context = new[max(0, where - 20) : where + len(place) + 20]
    return "tag" if PLACE_TAG.search(context) else "person"


def measure(segments: pd.DataFrame, result, gold: dict[str, dict], language: frozenset[str]) -> dict[str, int]:
    persons = {path: person_words(g.get("persons", [])) for path, g in gold.items()}
    counts = dict.fromkeys(("segments", "ordinary_rewritten", "lowercase_names_replaced", "capitalised_replaced", "persons_replaced",
                            "others_as_person", "place_tags", "places", "places_as_person", "speakers", "people", "speakers_invented",
                            "ids_rewritten", "members_merged"), 0)
    counts["segments"] = len(segments)
    counts["ids_rewritten"] = sum(result.labeller.loose(i) != i for i in segments["document_id"].unique())
    speakers = [int(df.groupby("source_path")["speaker"].nunique().sum()) for df in (segments, result.segments)]
    counts["members_merged"] = max(0, speakers[0] - speakers[1])
    examples: list[str] = []
    others: list[str] = []
    for path, before in zip(segments["source_path"], segments["text"]):
        spans = result.labeller.spans(before)
        name = Path(path).name
        for word, entity in replaced_words(before, spans):
            if word[:1].islower():
                ordinary = word.lower() in language or fold(word) in language
                counts["ordinary_rewritten" if ordinary else "lowercase_names_replaced"] += 1
                if ordinary:
                    examples.append(word)
            elif entity == "PLACE":
                counts["place_tags"] += 1
            else:
                counts["capitalised_replaced"] += 1
                is_person = word in persons.get(name, set())
                counts["persons_replaced" if is_person else "others_as_person"] += 1
                if not is_person and gold:
                    others.append(word)
        after = result.labeller.replace(before)[0] if spans else before
        for place in gold.get(name, {}).get("places", []):  # every segment that names it, replaced or not
            if place in before:
                counts["places"] += 1
                counts["places_as_person"] += place_fate(before, after, place) == "person"
    for name, g in gold.items():
        doc = segments[(segments["source_path"].map(lambda p: Path(p).name) == name) & (segments["message_type"] == "turn")]
        if "people" in g:
            found = doc["speaker"].nunique()
            counts["speakers"] += found
            counts["people"] += g["people"]
            counts["speakers_invented"] += max(0, found - g["people"])
    if examples:
        print("  ordinary words rewritten:", ", ".join(sorted(set(examples))[:20]))
    if others:
        print("  capitalised words given a pseudonym that the gold does not name:", ", ".join(sorted(set(others))[:30]))
    return counts


def run(folder: Path, gold: dict[str, dict]) -> dict[str, int]:
    from enquete import nlp
    from enquete.corpus import load_corpus
    from enquete.ingest import ingest_corpus
    from enquete.pseudonymise import pseudonymise

    corpus = load_corpus(folder)
    segments, _ = ingest_corpus(corpus)
    config = corpus.manifest.pseudonymisation
    result = pseudonymise(segments, names=config.names, allow=corpus.manifest.kept_names(), deny=config.deny)
    return measure(segments, result, gold, nlp.dictionary())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "fidelite.csv")
    args = parser.parse_args()
    os.environ["ENQUETE_PROGRESS"] = "0"
    described = yaml.safe_load((REAL / "voix.yaml").read_text(encoding="utf-8"))
    files = {Path(name).name: REAL / section / name for section in ("transcripts", "whatsapp") for name in described.get(section, {})}
    gold = {Path(name).name: g for section in ("transcripts", "whatsapp") for name, g in described.get(section, {}).items()}
    rows = {}
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as tmp:
        warnings.simplefilter("ignore")
        real = Path(tmp) / "reels"
        real.mkdir()
        for name, path in files.items():
            shutil.copy(path, real / name)
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
