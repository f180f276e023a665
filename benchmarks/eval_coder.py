"""Quality of the automatic coder on the demo gold (corpora/demo/gold_codes.csv).

Prints per-code precision, recall and F1, and macro-F1, for: a plain keyword list (the
codebook's indicators as substrings), the zero-shot coder (codebook only), and the
coder with `fit` under 5-fold cross-validation (never scoring a segment it trained on).
With --learning-curve, also macro-F1 when each fold trains on only part of its training
segments: how much a few hundred more human-coded segments would bring.

    uv run python benchmarks/eval_coder.py [--codebook facteurs_reussite] [--folds 5] [--learning-curve]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold

ROOT = Path(__file__).resolve().parents[1]


def scores_table(truth: np.ndarray, predicted: np.ndarray, codes: list[str]) -> pd.DataFrame:
    rows = []
    for j, code in enumerate(codes):
        t, p = truth[:, j].astype(bool), predicted[:, j].astype(bool)
        tp, fp, fn = int((t & p).sum()), int((~t & p).sum()), int((t & ~p).sum())
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append((code, int(t.sum()), precision, recall, f1))
    table = pd.DataFrame(rows, columns=["code", "n", "precision", "recall", "f1"])
    macro = table[["precision", "recall", "f1"]].mean()
    table.loc[len(table)] = ["macro", int(truth.sum()), macro["precision"], macro["recall"], macro["f1"]]
    return table


def keyword_baseline(texts: list[str], codebook) -> np.ndarray:
    lowered = [t.lower() for t in texts]
    return np.array([[int(any(k.lower() in t for k in code.indicators)) for code in codebook.codes] for t in lowered])


def cross_validated(gold: pd.DataFrame, codebook, folds: int, share: float = 1.0) -> tuple[np.ndarray, int]:
    """Codes predicted for every gold segment by a coder that never saw it (and the mean training size).

    ``share`` < 1 trains each fold on that share of its training segments only."""
    from enquete.coding import Coder

    predicted, sizes = np.zeros((len(gold), len(codebook.ids)), dtype=int), []
    for train, test in KFold(folds, shuffle=True, random_state=0).split(gold):
        train = train[: max(1, round(share * len(train)))]  # KFold shuffled: a prefix is a random subset
        fitted = Coder(codebook).fit(gold.iloc[train], gold["codes"].iloc[train])
        predicted[test] = fitted.label_matrix(fitted.predict(gold.iloc[test])["codes"])
        sizes.append(len(train))
    return predicted, round(float(np.mean(sizes)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codebook", default="facteurs_reussite")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--gold", default=str(ROOT / "corpora" / "demo" / "gold_codes.csv"))
    parser.add_argument("--learning-curve", action="store_true", help="also train on 1/4, 1/2, 3/4 of each fold")
    args = parser.parse_args()
    os.environ.setdefault("ENQUETE_PROGRESS", "0")
    from enquete.coding import Coder

    gold = pd.read_csv(args.gold, keep_default_na=False)
    coder = Coder(args.codebook)
    truth = coder.label_matrix(gold["codes"])
    pd.set_option("display.float_format", "{:.2f}".format)
    results = {}

    results["mots-clés"] = scores_table(truth, keyword_baseline(gold["text"].tolist(), coder.codebook), coder.codes)
    t0 = time.perf_counter()
    zero = coder.predict(gold)
    results["zéro-shot"] = scores_table(truth, coder.label_matrix(zero["codes"]), coder.codes)
    zero_secs = time.perf_counter() - t0

    t0 = time.perf_counter()
    predicted, _ = cross_validated(gold, coder.codebook, args.folds)
    results[f"fit, validation croisée {args.folds} plis"] = scores_table(truth, predicted, coder.codes)
    cv_secs = time.perf_counter() - t0

    print(f"gold: {len(gold)} segments, {int(truth.sum())} codes applied; codebook {coder.codebook.id}")
    for name, table in results.items():
        print(f"\n== {name}: macro-F1 {table['f1'].iloc[-1]:.3f}")
        print(table.to_string(index=False))
    print(f"\nzero-shot: {zero_secs:.1f} s; cross-validation: {cv_secs:.1f} s")
    if args.learning_curve:
        print("\n== courbe d'apprentissage (fit, même validation croisée, part des segments d'entraînement)")
        for share in (0.25, 0.5, 0.75, 1.0):
            predicted, size = cross_validated(gold, coder.codebook, args.folds, share)
            print(f"{size:5d} segments annotés → macro-F1 {scores_table(truth, predicted, coder.codes)['f1'].iloc[-1]:.3f}", flush=True)


if __name__ == "__main__":
    main()
