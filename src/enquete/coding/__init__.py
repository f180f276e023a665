"""Code stage: every segment against a codebook (multi-label), with scores and evidence.

``code_segments`` is the stage function the pipeline calls; ``Coder`` is the model,
``review`` the human round trip and ``agreement`` the comparison of two codings.
"""

from __future__ import annotations

import pandas as pd

from enquete.coding.agreement import agreement
from enquete.coding.coder import Coder
from enquete.coding.review import COMMENT, HASH, DecisionStore, apply_decisions, export_review, import_review
from enquete.coding.training import TrainingSet, training_set
from enquete.words import text_key

__all__ = [
    "Coder",
    "DecisionStore",
    "agreement",
    "apply_decisions",
    "code_segments",
    "export_review",
    "import_review",
    "learning_set",
    "sample_decisions",
    "training_set",
    "TrainingSet",
]


def code_segments(
    segments: pd.DataFrame,
    coder: Coder,
    training: pd.DataFrame | None = None,
    decisions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Code the segment table: fit on human codes when there are some, predict, apply decisions.

    Parameters
    ----------
    segments : the segment table (pseudonymised in a run); only speech rows get codes.
    coder : the :class:`Coder`, fitted here when there are human codes.
    training : human-coded segments to learn from (``codes``, with ``segment_id`` and/or ``text``): a
        gold file, last year's study, a published coding (:func:`training_set` matches them).
    decisions : review decisions (:class:`DecisionStore`): learned from, then applied over the automatic codes.

    The coder keeps what it learned from in ``coder.training_`` (:class:`TrainingSet`) and
    says which codes it learned with ``coder.describe_learning()``. Decisions on a random
    sample (``draw == "random"``) are applied but not learned from: they measure the coder.
    """
    coder.training_ = learning_set(segments, training, decisions)
    if len(coder.training_):
        coder.fit(coder.training_.rows, coder.training_.codes)
    coded = coder.predict(segments)
    return apply_decisions(coded, decisions if decisions is not None else pd.DataFrame(), coder.codebook)


def learning_set(segments: pd.DataFrame, training: pd.DataFrame | None = None, decisions: pd.DataFrame | None = None) -> TrainingSet:
    """What the coder learns from: the training coding and the review decisions, without the
    segments of a random review sample (``draw == "random"``), which are kept to measure it.

    Parameters
    ----------
    segments : the segment table to code.
    training : a human coding to learn from (see :func:`code_segments`).
    decisions : review decisions.
    """
    held_out = _random_draw(decisions)
    texts = set(segments.loc[segments["segment_id"].astype(str).isin(held_out), "text"].map(_same_text))
    return training_set(segments, _without(training, held_out, texts), _without(decisions, held_out, texts))


def sample_decisions(sample: pd.DataFrame, segments: pd.DataFrame, codebook, source: str) -> pd.DataFrame:
    """A random sample coded by a person (``segment_id``, ``codes``: ``settings.review_sample``)
    as review decisions drawn at random, on the segments of the table it names."""
    texts = segments.drop_duplicates("segment_id").set_index(segments["segment_id"].drop_duplicates().astype(str))["text"]
    rows = sample[sample["segment_id"].astype(str).isin(texts.index)]
    return pd.DataFrame(
        {
            "segment_id": rows["segment_id"].astype(str), HASH: rows["segment_id"].astype(str).map(texts).fillna("").map(text_key),
            "codebook": codebook.id, "codes": rows["codes"].fillna(""), COMMENT: f"échantillon de contrôle ({source})", "draw": "random",
        }
    )


def _random_draw(decisions: pd.DataFrame | None) -> set[str]:
    """The segments of a random review sample: held out from learning, so that they measure the coder fairly."""
    if decisions is None or "draw" not in decisions:
        return set()
    return set(decisions.loc[decisions["draw"].eq("random").fillna(False), "segment_id"].astype(str))


def _same_text(text) -> str:
    """A text as compared across tables: spacing and case do not count."""
    return " ".join(str(text).split()).casefold() if isinstance(text, str) else ""


def _without(coding: pd.DataFrame | None, held_out: set[str], texts: set[str]) -> pd.DataFrame | None:
    """The coding without the held-out segments, found by id or, for rows from another table, by text."""
    if coding is None or not held_out:
        return coding
    ids = coding["segment_id"].astype(str) if "segment_id" in coding else pd.Series("", index=coding.index)
    keys = coding["text"].map(_same_text) if "text" in coding else pd.Series("", index=coding.index)
    return coding[~(ids.isin(held_out) | keys.isin(texts - {""}))]
