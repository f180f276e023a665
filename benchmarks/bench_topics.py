"""Benchmark: topic quality (BERTopic vs LDA) and topic-model speed.

Quality (default): on the demo corpus's coded segments, fits enquete's BERTopic set-up
(with spaCy vectors, and with TF-IDF+SVD embeddings) and scikit-learn's LDA on the same
vocabulary with the same number of topics, and prints NPMI coherence of the top-10
words (document co-occurrence in the corpus), topic diversity and run time, over 3 seeds.

Speed (--speed N): fits topics on N generated WhatsApp-like segments, embeddings
included (the spaCy pass is timed separately).

    uv run python benchmarks/bench_topics.py
    uv run python benchmarks/bench_topics.py --speed 20000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def npmi(binary, top_terms: list[list[int]]) -> float:
    """Mean NPMI over pairs of top terms (document co-occurrence, P(i,j)=0 counts as -1)."""
    n = binary.shape[0]
    scores = []
    for terms in top_terms:
        columns = binary[:, terms]
        together = (columns.T @ columns).toarray() / n
        single = np.diag(together)
        for a in range(len(terms)):
            for b in range(a + 1, len(terms)):
                p_ab = together[a, b]
                if p_ab == 0:
                    scores.append(-1.0)
                elif p_ab == 1:
                    scores.append(1.0)
                else:
                    scores.append(np.log(p_ab / (single[a] * single[b])) / -np.log(p_ab))
    return float(np.mean(scores))


def diversity(top_terms: list[list[int]]) -> float:
    flat = [t for terms in top_terms for t in terms]
    return len(set(flat)) / len(flat)


def quality(seeds=(0, 1, 2)) -> None:
    from sklearn.decomposition import LatentDirichletAllocation

    from enquete.topics import fit_topics

    gold = pd.read_csv(ROOT / "corpora" / "demo" / "gold_codes.csv", keep_default_na=False)
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        for seed in seeds:
            for embeddings, reduction in (("tfidf", "pca"), ("spacy", "pca"), ("tfidf", "umap"), ("spacy", "umap")):
                t0 = time.perf_counter()
                result = fit_topics(gold, seed=seed, embeddings=embeddings, reduction=reduction, cache_dir=cache)
                secs = time.perf_counter() - t0
                vectorizer = result.model.vectorizer_model
                counts = vectorizer.transform(result.documents)
                binary = (counts > 0).astype(np.float64).tocsc()
                vocabulary = vectorizer.vocabulary_
                k = result.topics["topic"].nunique()
                top = [[vocabulary[w] for w in result.words[t]] for t in sorted(result.words)]
                rows.append((f"BERTopic ({embeddings}, {reduction})", seed, k, npmi(binary, top), diversity(top), secs))
                if (embeddings, reduction) == ("tfidf", "pca"):
                    t0 = time.perf_counter()
                    lda = LatentDirichletAllocation(n_components=k, random_state=seed, learning_method="batch", max_iter=50).fit(counts)
                    lda_top = [list(np.argsort(-component)[:10]) for component in lda.components_]
                    rows.append(("LDA (scikit-learn)", seed, k, npmi(binary, lda_top), diversity(lda_top), time.perf_counter() - t0))
    table = pd.DataFrame(rows, columns=["model", "seed", "topics", "npmi", "diversity", "seconds"])
    print(f"demo corpus: {len(gold)} coded segments")
    print(table.to_string(index=False, float_format="{:.3f}".format))
    summary = table.groupby("model")[["npmi", "diversity", "seconds"]].agg(["mean", "std"])
    print("\nmean ± sd over seeds:")
    print(summary.to_string(float_format="{:.3f}".format))


def speed(n: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_pseudonymise import generate

    from enquete.nlp import analyse
    from enquete.topics import fit_topics

    segments = generate(n)
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        analyse(segments["text"], cache_dir=cache, workers=os.cpu_count() or 1)
        spacy_secs = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = fit_topics(segments, cache_dir=cache)
        secs = time.perf_counter() - t0
    print(f"{n:,} segments: spaCy pass (embeddings) {spacy_secs:.1f} s + topic model {secs:.1f} s = {spacy_secs + secs:.1f} s; "
          f"{result.topics['topic'].nunique()} topics")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=int, default=0, help="number of generated segments for the speed run")
    args = parser.parse_args()
    os.environ["ENQUETE_PROGRESS"] = "0"
    warnings.simplefilter("ignore")
    if args.speed:
        speed(args.speed)
    else:
        quality()


if __name__ == "__main__":
    main()
