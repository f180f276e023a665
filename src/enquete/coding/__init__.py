"""Code stage: every segment against a codebook (multi-label), with scores and evidence.

``code_segments`` is the stage function the pipeline calls; ``Coder`` is the model,
``review`` the human round trip and ``agreement`` the comparison of two codings.
"""

from __future__ import annotations

import pandas as pd

from enquete.coding.agreement import agreement
from enquete.coding.coder import Coder
from enquete.coding.review import DecisionStore, apply_decisions, export_review, import_review
from enquete.coding.training import TrainingSet, training_set

__all__ = [
    "Coder",
    "DecisionStore",
    "agreement",
    "apply_decisions",
    "code_segments",
    "export_review",
    "import_review",
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
    says which codes it learned with ``coder.describe_learning()``.
    """
    coder.training_ = training_set(segments, training, decisions)
    if len(coder.training_):
        coder.fit(coder.training_.rows, coder.training_.codes)
    coded = coder.predict(segments)
    return apply_decisions(coded, decisions if decisions is not None else pd.DataFrame(), coder.codebook)
