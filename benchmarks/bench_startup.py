"""Benchmark: how fast everyday commands answer, against `python -c "import pandas"`.

Runs each command several times in fresh processes, in turn (the machine is noisy: the
median is kept), and prints seconds and the ratio to importing pandas, measured in the
same run. Also a warm `enquete run` of the demo corpus (caches filled by a first run)
with its per-stage times.

    uv run python benchmarks/bench_startup.py [--repeat 5] [--no-demo]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "corpora" / "demo"
ENQUETE = [sys.executable, "-m", "enquete"]


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-demo", action="store_true", help="skip the warm demo run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        chat = DEMO / "whatsapp" / "Discussion WhatsApp avec Les Voisins du Square.txt"
        transcript = DEMO / "entretiens" / "E02_voisins_square_elu.txt"
        commands = {
            'python -c "import pandas"': [sys.executable, "-c", "import pandas"],
            "enquete --version": [*ENQUETE, "--version"],
            "enquete --help": [*ENQUETE, "--help"],
            "enquete codebooks": [*ENQUETE, "codebooks"],
            "enquete corpus info (demo)": [*ENQUETE, "corpus", "info", str(DEMO)],
            "enquete ingest (one WhatsApp export)": [*ENQUETE, "ingest", str(chat), "--out", f"{tmp}/chat.csv"],
            "enquete ingest (one transcript)": [*ENQUETE, "ingest", str(transcript), "--out", f"{tmp}/e02.csv"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():
                times[name].append(seconds(command))
        base = statistics.median(times['python -c "import pandas"'])
        print(f"{'command':<40}{'seconds':>9}{'ratio':>8}")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"{name:<40}{median:>9.2f}{median / base:>8.2f}")
        if not args.no_demo:
            out = Path(tmp) / "demo"
            subprocess.run([*ENQUETE, "run", str(DEMO), "--out", str(out)], capture_output=True, check=True, cwd=ROOT)
            total = seconds([*ENQUETE, "run", str(DEMO), "--out", str(out)])
            stages = json.loads((out / "manifest.json").read_text(encoding="utf-8")).get("timings_seconds", {})
            print(f"\nenquete run (demo, second run, caches warm): {total:.1f} s")
            for stage, secs in stages.items():
                print(f"  {stage:<14}{secs:>6.2f} s")


if __name__ == "__main__":
    main()
