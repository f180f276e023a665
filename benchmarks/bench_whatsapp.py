"""Benchmark: WhatsApp ingest speed and peak memory, enquete vs whatstk, in one run.

Generates a French Android export (default 200,000 messages, ~10% multi-line), then
parses it in fresh subprocesses (so peak memory is each parser's own), three times per
parser in turn (the machine is noisy: the best run is kept), and prints messages per
second and peak memory relative to the file size.

    uv run python benchmarks/bench_whatsapp.py [--messages 200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

SENDERS = ["Amélie Durand", "Karim Belkacem", "Nadia Benali", "Jean-Pierre Morel", "Fatou Diallo", "~ Lucie 🌻", "+33 6 12 34 56 78"]
WORDS = "bonjour merci demain salle réunion apéro jardin clés voisins fête courses enfants école local bailleur".split()


def generate(path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    t = dt.datetime(2020, 3, 1, 8, 0)
    with path.open("w", encoding="utf-8") as fh:
        for _ in range(n):
            t += dt.timedelta(minutes=rng.randint(0, 40))
            text = " ".join(rng.choices(WORDS, k=rng.randint(2, 14)))
            if rng.random() < 0.10:
                text += "\n" + " ".join(rng.choices(WORDS, k=rng.randint(2, 10))) + " : suite"
            fh.write(f"{t:%d/%m/%Y %H:%M} - {rng.choice(SENDERS)}: {text}\n")


CHILD = r"""
import json, resource, sys, time
path, which = sys.argv[1], sys.argv[2]
if which == "enquete":
    from enquete.ingest.whatsapp import read_whatsapp
    parse = lambda: len(read_whatsapp(path))
elif which == "whatstk-auto":
    from whatstk import df_from_whatsapp
    parse = lambda: len(df_from_whatsapp(path))
else:
    from whatstk import df_from_whatsapp
    parse = lambda: len(df_from_whatsapp(path, hformat="%d/%m/%Y %H:%M - %name:"))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
n = parse()
secs = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"messages": n, "seconds": secs, "peak_kb": peak, "base_kb": base}))
"""


def run(path: Path, which: str) -> dict | None:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), which], capture_output=True, text=True)
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()[-1:] or ["?"]
        print(f"  {which}: failed ({last[0]})")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Discussion WhatsApp avec Bench.txt"
        generate(path, args.messages)
        size_mb = path.stat().st_size / 1e6
        print(f"file: {args.messages:,} messages, {size_mb:.1f} MB (French Android, ~10% multi-line)")
        print(f"{'parser':<16}{'messages':>10}{'seconds':>9}{'msg/s':>11}{'peak MB':>9}{'peak/file':>10}")
        runs: dict[str, list[dict]] = {}
        for _ in range(3):
            for which in ("enquete", "whatstk-auto", "whatstk-format"):
                r = run(path, which)
                if r is not None:
                    runs.setdefault(which, []).append(r)
        for which, results in runs.items():
            r = min(results, key=lambda x: x["seconds"])
            peak_mb = (r["peak_kb"] - r["base_kb"]) / 1024
            print(
                f"{which:<16}{r['messages']:>10,}{r['seconds']:>9.2f}{r['messages'] / r['seconds']:>11,.0f}"
                f"{peak_mb:>9.0f}{peak_mb / size_mb:>9.1f}x"
            )


if __name__ == "__main__":
    main()
