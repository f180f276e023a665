"""Benchmark: ingest of many long interview transcripts in mixed formats.

Generates N transcripts of about 8,000 words each (default 1,000), spread over .docx,
.txt, .vtt and noScribe .html with the demo corpus's renderers, then reads them all
with `enquete.ingest.ingest_corpus` and prints documents per second and MB per second,
for one worker and for all cores.

    uv run python benchmarks/bench_transcripts.py [--documents 1000] [--words 8000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from build_demo import RENDERERS  # noqa: E402

WORDS = (
    "alors euh on a fait la fête des voisins dans la cour avec les enfants et le gardien nous a prêté "
    "les tables voilà c'est Martine qui a tout lancé au départ la mairie nous aide un peu pour le local "
    "mais on manque de place pour stocker le matériel ben on se retrouve le samedi pour le café"
).split()


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(WORDS, k=n)).capitalize() + rng.choice([".", " ?", " !", "…"])


def make_source(i: int, fmt: str, words: int, rng: random.Random) -> dict:
    turns, total = [], 0
    while total < words:
        question = _sentence(rng, rng.randint(6, 15))
        answer = " ".join(_sentence(rng, rng.randint(8, 25)) for _ in range(rng.randint(2, 8)))
        turns += [["Q", question], ["A", answer]]
        total += len(question.split()) + len(answer.split())
    return {
        "id": f"B{i:04d}",
        "format": fmt,
        "title": f"Entretien B{i:04d}",
        "header": "Réalisé le 14 mars 2022.",
        "interviewer_label": "S01" if fmt == "html" else "Enquêtrice",
        "respondent_label": "S02" if fmt == "html" else "Martine",
        "timestamps": fmt == "txt",
        "turns": turns,
    }


def generate(folder: Path, documents: int, words: int) -> None:
    rng = random.Random(0)
    formats = ["docx", "txt", "vtt", "html"]
    for i in range(documents):
        fmt = formats[i % len(formats)]
        RENDERERS[fmt](make_source(i, fmt, words, rng), folder / f"B{i:04d}.{fmt}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--words", type=int, default=8000)
    args = parser.parse_args()
    os.environ["ENQUETE_PROGRESS"] = "0"
    from enquete.corpus import load_corpus
    from enquete.ingest import ingest_corpus
    from enquete.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        generate(folder, args.documents, args.words)
        size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        print(f"generated {args.documents} transcripts x ~{args.words} words ({size_mb:.0f} MB) in {time.perf_counter() - t0:.0f} s")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            corpus = load_corpus(folder)
        for workers in (1, os.cpu_count() or 1):
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                segments, rejects = ingest_corpus(corpus, Settings(workers=workers))
            secs = time.perf_counter() - t0
            print(
                f"workers={workers}: {secs:.1f} s, {args.documents / secs:.1f} documents/s, {size_mb / secs:.1f} MB/s, "
                f"{len(segments):,} turns, {len(rejects)} rejects"
            )


if __name__ == "__main__":
    main()
