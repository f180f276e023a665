"""Benchmark: loading the words of the language (enquete.nlp.dictionary) at each run.

Pseudonymisation needs the French dictionary (spaCy's lemma tables and the plurals of their
nouns and adjectives, about 320,000 folded words). Built from the model's files, it costs the
spaCy import and the tables' reading; a run keeps it in the corpus's private cache folder
(one word a line), where the next run reads it. Each measure is a fresh process (the median
of ``--repeat``), seconds from the call to the set in memory (imports of enquete excluded).

    uv run python benchmarks/bench_dictionary.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile

CALL = """
import time
from enquete import nlp
start = time.perf_counter()
words = nlp.dictionary(cache_dir={cache!r})
print(time.perf_counter() - start, len(words))
"""


def seconds(cache: str | None) -> tuple[float, int]:
    out = subprocess.run([sys.executable, "-c", CALL.format(cache=cache)], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        seconds(cache)  # fills the cache
        rows = {"built from the model's files (no cache)": None, "read from the private cache": cache}
        for label, folder in rows.items():
            runs = [seconds(folder) for _ in range(args.repeat)]
            print(f"{label:<42} {statistics.median(s for s, _ in runs):6.2f} s  ({runs[0][1]:,} words, median of {args.repeat})")


if __name__ == "__main__":
    main()
