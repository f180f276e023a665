"""Quality of the automatic coder on the demo gold (corpora/demo/gold_codes.csv).

Prints per-code precision, recall and F1, and macro-F1, for: a plain keyword list (the
codebook's indicators as substrings), the zero-shot coder (codebook only), and the
coder with `fit` under 5-fold cross-validation (never scoring a segment it trained on).
With --learning-curve, also macro-F1 when each fold trains on only part of its training
segments: how much a few hundred more human-coded segments would bring.

With --simulate-review, a review simulated within each fold: starting from no human coding,
batches of 25 segments are "reviewed" (their gold codes revealed), chosen either by
`enquete review export --select` (coding.selection) or at random, the coder is refitted, and
the fold's held-out segments are scored; both curves are printed, with the macro-F1 of
training on all of a fold's segments. With --transfer, the coder learns from the gold of half
of the demo's initiatives (as another study's coding, by text) and is scored on the other half.

With --llm-url and --llm-model, the language-model coder (coding.llm) on the same gold instead,
each segment in its context from the demo corpus, the nearest examples drawn from the other
folds only, beside the offline coder (zero-shot) on the same segments; --llm-limit N scores
the first N gold segments only (a quick look at a slow server).

    uv run python benchmarks/eval_coder.py [--codebook facteurs_reussite] [--folds 5] [--learning-curve]
        [--simulate-review] [--transfer]
    uv run python benchmarks/eval_coder.py --llm-url http://127.0.0.1:11434/v1 --llm-model mistral-small [--llm-limit 100]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"  # curves the notebooks plot


def scores_table(truth: np.ndarray, predicted: np.ndarray, codes: list[str]) -> pd.DataFrame:
    rows = []
    for j, code in enumerate(codes):
        t, p = truth[:, j].astype(bool), predicted[:, j].astype(bool)
        tp, fp, fn = int((t & p).sum()), int((~t & p).sum()), int((t & ~p).sum())
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append((code, int(t.sum()), precision, recall, f1, _kappa(t, p)))
    table = pd.DataFrame(rows, columns=["code", "n", "precision", "recall", "f1", "kappa"])
    macro = table[["precision", "recall", "f1", "kappa"]].mean()
    table.loc[len(table)] = ["macro", int(truth.sum()), macro["precision"], macro["recall"], macro["f1"], macro["kappa"]]
    return table


def _kappa(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Cohen's kappa of two 0/1 codings (1 when both are constant and equal)."""
    observed = float(np.mean(truth == predicted))
    expected = truth.mean() * predicted.mean() + (1 - truth.mean()) * (1 - predicted.mean())
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


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


def macro_f1(coder, gold: pd.DataFrame, truth: np.ndarray, rows) -> float:
    predicted = coder.label_matrix(coder.predict(gold.iloc[rows])["codes"])
    return float(scores_table(truth[rows], predicted, coder.codes)["f1"].iloc[-1])


def simulated_review(gold: pd.DataFrame, codebook, folds: int, strategy: str, cache: Path, batch: int = 25) -> pd.DataFrame:
    """Macro-F1 on each fold's held-out segments after each batch of reviewed segments (mean over folds)."""
    from enquete.coding import Coder
    from enquete.coding.selection import select_for_review

    truth = Coder(codebook).label_matrix(gold["codes"])
    curves = []
    for fold, (train, test) in enumerate(KFold(folds, shuffle=True, random_state=0).split(gold)):
        rng = np.random.default_rng(fold)
        reviewed: list[int] = []
        coder = Coder(codebook, cache_dir=cache)
        curve = {"0": macro_f1(coder, gold, truth, test)}
        while len(reviewed) < len(train):
            pool = np.setdiff1d(train, reviewed)
            k = min(batch, len(pool))
            if strategy == "random":
                new = list(rng.choice(pool, size=k, replace=False))
            else:
                scored = coder.predict(gold.iloc[pool]).set_index(gold.index[pool])
                human = gold.iloc[reviewed][["segment_id", "codes"]]
                thresholds = {c: coder.threshold(c) for c in coder.codes}
                chosen = select_for_review(scored, codebook, k, human=human, thresholds=thresholds, seed=fold + len(reviewed))
                new = list(chosen.index)
                if len(new) < k:  # what the selection leaves out (short or duplicate texts) comes last
                    new += list(rng.choice(np.setdiff1d(pool, new), size=k - len(new), replace=False))
            reviewed += new
            coder = Coder(codebook, cache_dir=cache).fit(gold.iloc[reviewed], gold["codes"].iloc[reviewed])
            curve["tous" if len(reviewed) == len(train) else str(len(reviewed))] = macro_f1(coder, gold, truth, test)
        curves.append(pd.Series(curve))
    return pd.concat(curves, axis=1).mean(axis=1).rename(strategy)


def transfer(gold: pd.DataFrame, codebook, cache: Path) -> tuple[float, float, int, int]:
    """(zero-shot, trained on the other initiatives' coding by text) macro-F1 on half the initiatives."""
    from enquete.coding import Coder, code_segments

    documents = ROOT / "corpora" / "demo" / "corpus.yaml"
    import yaml

    initiative_of = {d["id"]: d.get("initiative") for d in yaml.safe_load(documents.read_text(encoding="utf-8"))["documents"]}
    initiative = gold["segment_id"].str.rsplit("-", n=1).str[0].map(initiative_of)
    halves = sorted(initiative.dropna().unique())
    source = initiative.isin(halves[::2]).to_numpy()
    truth = Coder(codebook).label_matrix(gold["codes"])
    target = np.flatnonzero(~source)
    zero = macro_f1(Coder(codebook, cache_dir=cache), gold, truth, target)
    foreign = gold[source].assign(segment_id=lambda t: "autre-etude-" + t["segment_id"])  # other ids: learned by text
    coder = Coder(codebook, cache_dir=cache)
    code_segments(gold.iloc[target][["segment_id", "text"]], coder, foreign)
    return zero, macro_f1(coder, gold, truth, target), int(source.sum()), len(target)


def llm_evaluation(gold: pd.DataFrame, codebook, args, folds: int) -> dict[str, pd.DataFrame]:
    """The language-model coder and the offline zero-shot coder on the same gold segments, each
    in its context; the examples shown to the model come from the other folds."""
    from enquete.coding import Coder
    from enquete.coding.llm import LLMCoder
    from enquete.corpus import load_corpus
    from enquete.ingest import ingest_corpus
    from enquete.settings import LLMSettings, Settings

    corpus = ingest_corpus(load_corpus(ROOT / "corpora" / "demo"), Settings())[0]
    settings = LLMSettings(url=args.llm_url, model=args.llm_model, key_env=args.llm_key_env or "", votes=args.llm_votes,
                           examples=args.llm_examples, only_uncertain=args.llm_only_uncertain, allow_remote=args.llm_allow_remote)
    scored = gold.iloc[: args.llm_limit] if args.llm_limit else gold
    cache = Path(tempfile.mkdtemp(prefix="enquete-eval-llm-"))
    truth = Coder(codebook).label_matrix(scored["codes"])
    predicted = np.zeros_like(truth)
    offline = Coder(codebook, cache_dir=cache)
    zero = offline.label_matrix(offline.predict(scored)["codes"])
    reports = []
    for train, test in KFold(folds, shuffle=True, random_state=0).split(gold):
        test = test[test < len(scored)]
        if not len(test):
            continue
        coder = LLMCoder(codebook, settings, offline=Coder(codebook, cache_dir=cache), cache_dir=cache)
        coder.examples_ = gold.iloc[train][["text", "codes"]].reset_index(drop=True)  # other folds only, never the segment itself
        asked = corpus["segment_id"].isin(gold["segment_id"].iloc[test]).to_numpy()
        coded = coder.predict(corpus, rows=asked).set_index("segment_id")["codes"]
        predicted[test] = coder.label_matrix(coded.reindex(gold["segment_id"].iloc[test]).fillna("").tolist())
        reports.append(coder.report_)
    print(f"modèle {args.llm_model} sur {reports[0]['host']} : {sum(r['sent'] for r in reports)} requête(s) envoyée(s), "
          f"{sum(r['invented_quotes'] for r in reports)} code(s) écarté(s) pour citation inventée, "
          f"{sum(r['failed'] for r in reports)} segment(s) sans réponse lisible")
    return {"zéro-shot hors ligne (mêmes segments)": scores_table(truth, zero, codebook.ids),
            f"modèle de langue {args.llm_model}": scores_table(truth, predicted, codebook.ids)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codebook", default="facteurs_reussite")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--gold", default=str(ROOT / "corpora" / "demo" / "gold_codes.csv"))
    parser.add_argument("--learning-curve", action="store_true", help="also train on 1/4, 1/2, 3/4 of each fold")
    parser.add_argument("--simulate-review", action="store_true", help="review by batches of 25: selection vs random")
    parser.add_argument("--transfer", action="store_true", help="train on half of the initiatives, score the other half")
    parser.add_argument("--llm-url", help="an OpenAI-compatible server: evaluate the language-model coder instead")
    parser.add_argument("--llm-model")
    parser.add_argument("--llm-key-env")
    parser.add_argument("--llm-votes", type=int, default=1)
    parser.add_argument("--llm-examples", type=int, default=4)
    parser.add_argument("--llm-only-uncertain", action="store_true")
    parser.add_argument("--llm-allow-remote", action="store_true")
    parser.add_argument("--llm-limit", type=int, default=0, help="score only the first N gold segments")
    args = parser.parse_args()
    os.environ.setdefault("ENQUETE_PROGRESS", "0")
    from enquete.coding import Coder

    gold = pd.read_csv(args.gold, keep_default_na=False)
    coder = Coder(args.codebook)
    truth = coder.label_matrix(gold["codes"])
    pd.set_option("display.float_format", "{:.2f}".format)
    if args.llm_url:
        for name, table in llm_evaluation(gold, coder.codebook, args, args.folds).items():
            print(f"\n== {name}: macro-F1 {table['f1'].iloc[-1]:.3f}, kappa {table['kappa'].iloc[-1]:.3f}")
            print(table.to_string(index=False))
        return
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
    cache = Path(tempfile.mkdtemp(prefix="enquete-eval-"))
    if args.simulate_review:
        full = scores_table(truth, cross_validated(gold, coder.codebook, args.folds)[0], coder.codes)["f1"].iloc[-1]
        t0 = time.perf_counter()
        curves = pd.concat([simulated_review(gold, coder.codebook, args.folds, s, cache) for s in ("selection", "random")], axis=1)
        print(f"\n== relecture simulée ({args.folds} plis, lots de 25 ; macro-F1 sur les segments tenus à part du pli)")
        print(f"   entraîné sur tout le pli : {full:.3f}")
        RESULTS.mkdir(exist_ok=True)
        curves.assign(tout_le_pli=full).rename_axis("relus").to_csv(RESULTS / "relecture_simulee.csv", float_format="%.4f")
        print(curves.assign(ecart=curves["selection"] - curves["random"]).rename_axis("relus").to_string(float_format="{:.3f}".format))
        reached = curves.index[curves["selection"] >= full]
        print(f"   la sélection atteint {full:.3f} après {reached[0] if len(reached) else 'jamais'} segments relus ;"
              f" au moins l'aléatoire à {int((curves['selection'] >= curves['random'] - 1e-9).sum())}/{len(curves)} budgets"
              f" ({time.perf_counter() - t0:.0f} s)")
    if args.transfer:
        zero, trained, n_source, n_target = transfer(gold, coder.codebook, cache)
        print(f"\n== transfert : appris sur le codage de la moitié des initiatives ({n_source} segments, par leur texte),"
              f" évalué sur l'autre moitié ({n_target}) : zéro-shot {zero:.3f} → entraîné {trained:.3f}")


if __name__ == "__main__":
    main()
