"""Benchmark: `enquete run` on a generated corpus of N WhatsApp messages plus 200 interviews.

Writes a French corpus to a temporary folder (several WhatsApp groups as Android .txt
exports, 200 interview transcripts as .txt), runs the whole pipeline in a fresh process
per size, and prints per stage the wall time, the processor time (of the process and its
worker processes: a figure a busy machine changes less), the peak memory (PSS of the process
and its workers, sampled every 100 ms) and the load average during the stage (a figure taken
on a busy machine is recognisable), then the cost per 1,000 messages so that sizes can be
compared (linear growth = flat cost). The run must read every message and interview turn.

    uv run python benchmarks/bench_run.py [--messages 100000 1000000] [--interviews 200] [--save]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

FIRST = "Nadia Karim Amélie Lucie Fatou Jean-Pierre Hélène Moussa Sophie Thomas Leila Rémi Odile Kevin Inès Bruno".split()
LAST = "Benali Belkacem Durand Perrot Diallo Morel Vasseur Camara Marchand Garnier Haddou Lambert Besson Lopes Roux Petit".split()
OPENINGS = ["Bonjour à tous", "Coucou", "Salut les voisins", "Merci {first}", "Rappel", "Info", "Bonne nouvelle", "Petite question", "ok", "Bravo"]
BODIES = [
    "réunion demain à {h}h dans la salle commune", "qui peut aider à porter les tables samedi", "le jardin partagé a besoin d'arrosage",
    "la fête des voisins aura lieu le {d} juin dans la cour", "je ramène des gâteaux pour le goûter des enfants",
    "la mairie prête les barnums, il faut aller les chercher vendredi", "cotisation de {n} euros avant l'assemblée générale",
    "{first} {last} propose un atelier vélo", "appelez-moi au 06 {a:02d} {b:02d} {c:02d} {d:02d}", "le local est au {n} rue des Glycines",
    "on cherche des bénévoles pour la distribution", "le bailleur répare enfin l'ascenseur", "merci pour ce beau moment ensemble",
    "qui a les clés du local", "atelier couture mercredi au centre social", "on fait une collecte pour la famille du 3e",
]
TURNS = 80  # per interview: 40 questions, 40 answers
RESULTS = Path(__file__).parent / "results" / "bench_run.jsonl"
ENDINGS = ["", "", " 😊", " !", " 👍", " merci d'avance", " à bientôt", " bisous"]


def message(rng: random.Random) -> str:
    values = {"first": rng.choice(FIRST), "last": rng.choice(LAST), "h": rng.randint(8, 20), "d": rng.randint(1, 28), "n": rng.randint(2, 99),
              "a": rng.randint(0, 99), "b": rng.randint(0, 99), "c": rng.randint(0, 99)}
    parts = [rng.choice(OPENINGS), rng.choice(BODIES)] + ([rng.choice(BODIES)] if rng.random() < 0.4 else [])
    return (", ".join(parts) + rng.choice(ENDINGS)).format(**values)


def write_corpus(root: Path, messages: int, interviews: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    groups = max(4, messages // 50_000)
    senders = [f"{first} {last}" for first in FIRST for last in LAST[:4]]
    for g in range(groups):
        n = messages // groups + (1 if g < messages % groups else 0)
        t = 1_600_000_000 + g * 3600
        lines = []
        for _ in range(n):
            t += rng.randint(30, 3000)
            stamp = time.strftime("%d/%m/%Y %H:%M", time.gmtime(t))
            lines.append(f"{stamp} - {rng.choice(senders)}: {message(rng)}")
        (root / f"Discussion WhatsApp avec Groupe {g:03d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for i in range(interviews):
        turns = []
        for _ in range(TURNS // 2):
            turns.append(f"Enquêtrice : {message(rng)} ?")
            turns.append("Réponse : " + " ".join(message(rng) + "." for _ in range(rng.randint(2, 6))))
        (root / f"E{i:03d}_entretien.txt").write_text("\n\n".join(turns) + "\n", encoding="utf-8")


def _descendants(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [pid for child in map(int, children) for pid in (child, *_descendants(child))]


def pss_mb() -> float:
    """Memory of this process and its worker processes (proportional set size: pages
    shared after a fork are counted once)."""
    total = 0
    for pid in [os.getpid(), *_descendants(os.getpid())]:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total += int(next(line.split()[1] for line in rollup.splitlines() if line.startswith("Pss:")))
    return total / 1e3


def cpu_seconds() -> float:
    """Processor time of this process and of its finished worker processes (user + system)."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


class Sampler(threading.Thread):
    """Every 100 ms: the memory of the run (PSS of the process and its workers) and the load average."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak, self.loads, self.stop = pss_mb(), [], threading.Event()

    def run(self):
        while not self.stop.wait(0.1):
            self.peak = max(self.peak, pss_mb())
            self.loads.append(os.getloadavg()[0])

    def window(self) -> tuple[float, int]:
        """Start a stage: (peak so far, where its load figures start); the peak restarts from now."""
        peak, self.peak = self.peak, pss_mb()
        return peak, len(self.loads)


def measure(messages: int, interviews: int) -> dict:
    """Generate, run, and return per-stage seconds, processor seconds, peak PSS and load."""
    os.environ.setdefault("ENQUETE_PROGRESS", "0")
    from enquete import Study

    sampler = Sampler()
    stages: dict[str, dict] = {}

    class MeasuredStudy(Study):
        @contextlib.contextmanager
        def stage(self, name: str):
            sampler.window()
            cpu, first = cpu_seconds(), len(sampler.loads)
            with super().stage(name):
                yield
            loads = sampler.loads[first:] or [os.getloadavg()[0]]
            stages[name] = {"seconds": round(self.timings[name], 1), "cpu_s": round(cpu_seconds() - cpu, 1),
                            "peak_mb": round(max(sampler.peak, pss_mb())), "load": round(sum(loads) / len(loads), 1)}

    sampler.start()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        t0 = time.perf_counter()
        write_corpus(corpus, messages, interviews)
        generated = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in corpus.iterdir())
        t0, cpu, first = time.perf_counter(), cpu_seconds(), len(sampler.loads)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the generated corpus has no corpus.yaml: said once per run
            study = MeasuredStudy(corpus)
            result = study.run(Path(tmp) / "out")
        total, cpu = time.perf_counter() - t0, cpu_seconds() - cpu
    sampler.stop.set()
    expected = messages + interviews * TURNS
    if len(result.segments) != expected or len(result.rejects):
        sys.exit(f"{len(result.segments)} segments for {expected} expected, {len(result.rejects)} rejects: {result.rejects.to_dict('records')}")
    loads = sampler.loads[first:] or [os.getloadavg()[0]]
    return {"messages": messages, "interviews": interviews, "corpus_mb": round(size / 1e6, 1), "generate_s": round(generated, 1),
            "segments": len(result.segments), "total_s": round(total, 1), "cpu_s": round(cpu, 1), "load": round(sum(loads) / len(loads), 1),
            "stages": stages, "peak_mb": max(v["peak_mb"] for v in stages.values()), "cores": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d %H:%M"), "commit": _commit()}


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent)
    return out.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--interviews", type=int, default=200)
    parser.add_argument("--save", action="store_true", help=f"append each result to {RESULTS.relative_to(Path(__file__).parent.parent)}")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.interviews)))
        return
    results = []
    for n in args.messages:
        out = subprocess.run([sys.executable, __file__, "--one", str(n), "--interviews", str(args.interviews)], capture_output=True, text=True)
        if out.returncode:
            sys.exit(out.stderr[-3000:])
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = results[-1]
        if args.save:
            with RESULTS.open("a", encoding="utf-8") as f:
                f.write(json.dumps(r) + "\n")
        print(f"\n== {r['messages']:,} messages + {r['interviews']} interviews ({r['corpus_mb']} MB, {r['segments']:,} segments), "
              f"{r['date']}, commit {r['commit']}, {r['cores']} cores: {r['total_s']:.0f} s (processor {r['cpu_s']:.0f} s), "
              f"peak {r['peak_mb']:,} MB, load average {r['load']} during the run")
        print(f"{'stage':<14}{'seconds':>10}{'cpu s':>10}{'peak MB':>10}{'load':>7}{'s / 1k msg':>12}")
        for stage, v in r["stages"].items():
            print(f"{stage:<14}{v['seconds']:>10.1f}{v['cpu_s']:>10.1f}{v['peak_mb']:>10,}{v['load']:>7.1f}{1000 * v['seconds'] / r['messages']:>12.3f}")
    if len(results) > 1:
        a, b = results[0], results[-1]
        ratio = (b["total_s"] / b["messages"]) / (a["total_s"] / a["messages"])
        print(f"\ncost per message at {b['messages']:,} / at {a['messages']:,}: {ratio:.2f} (1.0 = linear)")


if __name__ == "__main__":
    main()
