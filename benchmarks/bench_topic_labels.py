"""Benchmark: how well topic labels say what their segments say.

Fits topics on the residents' speech of a run (default: ``outputs/`` of ``enquete demo``), as
written, and again with transcription notes and fillers put into a seeded third of the
interview answers (« (rires) », « [claquement de langue] », « hum », « pff », « <rire> »: what
real transcripts hold), and measures each topic's label:

- written: share of label terms that the topic's segments hold as written (a lemmatiser's slip
  such as « agencer » for *agence* is not);
- coverage: mean share of the topic's segments holding a label term (as written);
- generic: share of label terms that are generic words, fillers or transcription notes;
- npmi_label / npmi_words: NPMI coherence of the label terms / of the 10 topic words (document
  co-occurrence over all the speech segments, terms found as written);
- catch_all: topics said to be catch-alls.

Run it with another enquete on the path to measure that one (``PYTHONPATH=/path/to/src``);
``--save`` appends the rows to benchmarks/results/etiquettes_themes.csv.

    uv run enquete demo && uv run python benchmarks/bench_topic_labels.py --save
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "etiquettes_themes.csv"
NOTES = ["(rires)", "[claquement de langue]", "hum", "pff", "<rire>", "(rire)", "mmh", "[inaudible]", "hum hum", "(silence)"]
#: Words no label should hold: fillers, transcription notes, and the generic words of the issue.
UNWANTED = {"hum", "pff", "rire", "rires", "mmh", "claquement", "langue", "inaudible", "silence", "euh", "petit", "jamais", "mois", "appeler",
            "demander", "faire", "dire", "agencer", "pendre", "taire", "maintenir", "faut"}


def noisy(speech: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """A seeded third of the interview answers get transcription notes and fillers, as real transcripts have."""
    rng = np.random.default_rng(seed)
    texts = speech["text"].to_numpy(dtype=object).copy()
    for i in np.flatnonzero(speech["source_type"].eq("interview").to_numpy()):
        if rng.random() < 1 / 3:
            words = texts[i].split()
            for _ in range(rng.integers(1, 4)):
                words.insert(int(rng.integers(0, len(words) + 1)), NOTES[int(rng.integers(len(NOTES)))])
            texts[i] = " ".join(words)
    return speech.assign(text=texts)


def label_terms(label: str) -> list[str]:
    inside = re.match(r"^\w+ \((.*)\)$", label)  # "divers (a, b)": a catch-all's words
    return [t.strip() for t in (inside.group(1).split(",") if inside else label.split(" · ")) if t.strip()]


def holds(texts: pd.Series, term: str) -> np.ndarray:
    pattern = re.compile(rf"(?<!\w){re.escape(term.lower())}(?!\w)")
    return texts.str.lower().map(lambda t: bool(pattern.search(t))).to_numpy()


def npmi(texts: pd.Series, terms: list[str], cache: dict) -> float:
    present = [cache.setdefault(t, holds(texts, t)) for t in terms]
    scores = []
    for a, b in itertools.combinations(range(len(terms)), 2):
        p_a, p_b, p_ab = present[a].mean(), present[b].mean(), (present[a] & present[b]).mean()
        scores.append(-1.0 if p_ab == 0 else 1.0 if p_ab == 1 else float(np.log(p_ab / (p_a * p_b)) / -np.log(p_ab)))
    return float(np.mean(scores)) if scores else np.nan


def measure(speech: pd.DataFrame, cache_dir: str) -> dict:
    from enquete.topics import fit_topics

    t0 = time.perf_counter()
    result = fit_topics(speech[["segment_id", "text"]], seed=42, cache_dir=cache_dir)
    seconds = time.perf_counter() - t0
    texts = speech.set_index("segment_id")["text"]
    assigned = result.assignments.assign(text=lambda a: a["segment_id"].map(texts))
    found: dict = {}
    rows = []
    for topic in result.topics.itertuples():
        own = assigned.loc[assigned["topic"] == topic.topic, "text"].reset_index(drop=True)
        terms = label_terms(topic.label)
        shares = [holds(own, t).mean() for t in terms]
        words = [w.strip() for w in topic.words.split(",")]
        rows.append({
            "written": np.mean([s > 0 for s in shares]) if terms else 0.0,
            "coverage": np.mean(shares) if terms else 0.0,
            "generic": np.mean([any(w in UNWANTED for w in t.lower().split()) for t in terms]) if terms else 0.0,
            "npmi_label": npmi(assigned["text"], terms, found),
            "npmi_words": npmi(assigned["text"], words, found),
            "catch_all": bool(getattr(topic, "catch_all", False)),
        })
    table = pd.DataFrame(rows)
    labels = " | ".join(result.topics["label"])
    return {**table[["written", "coverage", "generic", "npmi_label", "npmi_words"]].mean().round(3).to_dict(),
            "catch_all": int(table["catch_all"].sum()), "topics": len(table), "seconds": round(seconds, 1), "labels": labels}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outputs", nargs="?", default=str(ROOT / "outputs"))
    parser.add_argument("--save", action="store_true", help="append the rows to benchmarks/results/etiquettes_themes.csv")
    parser.add_argument("--name", default="", help="what the rows call this enquete (default: its git commit)")
    args = parser.parse_args()
    os.environ["ENQUETE_PROGRESS"] = "0"
    warnings.simplefilter("ignore")
    import enquete
    from enquete.schema import speech_rows
    from enquete.vocabulary import internal

    segments = internal(pd.read_parquet(Path(args.outputs) / "segments.parquet"))
    speech = segments.loc[speech_rows(segments) & segments["codes"].notna().to_numpy(), ["segment_id", "text", "source_type"]]
    source = Path(enquete.__file__).resolve().parents[2]
    commit = args.name or subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        for corpus, table in (("demo", speech), ("demo + notes de transcription", noisy(speech))):
            rows.append({"enquete": commit, "corpus": corpus, "segments": len(table), **measure(table, cache)})
    frame = pd.DataFrame(rows)
    print(frame.drop(columns="labels").to_string(index=False))
    for row in frame.itertuples():
        print(f"\n{row.corpus}: {row.labels}")
    if args.save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(RESULTS, mode="a", header=not RESULTS.exists(), index=False)
        print(f"\n→ {RESULTS}")


if __name__ == "__main__":
    main()
