"""Benchmark: coding many segments (default 100,000) against the ten factors.

Prints the spaCy analysis pass on its own (done once per distinct text, then cached on
disk), then the coding itself from the cache: zero-shot, and with a coder fitted on the
demo gold.

    uv run python benchmarks/bench_coder.py [--segments 100000] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pseudonymise import generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    os.environ["ENQUETE_PROGRESS"] = "0"
    from enquete.coding import Coder
    from enquete.nlp import analyse

    segments = generate(args.segments)
    gold = pd.read_csv(ROOT / "corpora" / "demo" / "gold_codes.csv", keep_default_na=False)
    with tempfile.TemporaryDirectory() as cache:
        print(f"{len(segments):,} segments ({segments['text'].nunique():,} distinct texts), workers={args.workers}")
        t0 = time.perf_counter()
        analyse(segments["text"], cache_dir=cache, workers=args.workers)
        print(f"spaCy analysis pass (then cached): {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        analyse(segments["text"], cache_dir=cache)
        print(f"reading the cache: {time.perf_counter() - t0:.1f} s")
        zero = Coder(cache_dir=cache)
        t0 = time.perf_counter()
        zero.predict(segments)
        print(f"zero-shot coding from the cache: {time.perf_counter() - t0:.1f} s")
        fitted = Coder(cache_dir=cache).fit(gold, gold["codes"])
        t0 = time.perf_counter()
        coded = fitted.predict(segments)
        secs = time.perf_counter() - t0
        print(f"fitted coding from the cache: {secs:.1f} s ({len(segments) / secs:,.0f} segments/s)")
        print(coded["codes"].str.split(";").explode().value_counts().head(10).to_dict())


if __name__ == "__main__":
    main()
