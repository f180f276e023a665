"""Code stage: every segment against a codebook (multi-label), with scores and evidence.

``code_segments`` is the stage function the pipeline calls; ``Coder`` is the model,
``review`` the human round trip and ``agreement`` the comparison of two codings.
"""

from __future__ import annotations

import pandas as pd

from enquete.coding.agreement import agreement
from enquete.coding.coder import Coder
from enquete.coding.review import DecisionStore, apply_decisions, export_review, import_review

__all__ = [
    "Coder",
    "DecisionStore",
    "agreement",
    "apply_decisions",
    "code_segments",
    "export_review",
    "import_review",
    "training_examples",
]


def training_examples(segments: pd.DataFrame, coded: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Rows of ``segments`` that have human codes in ``coded`` (segment_id, codes), and their codes.

    Parameters
    ----------
    segments : the segment table: the texts come from it (the pseudonymised table in a run).
    coded : the human coding (``segment_id``, ``codes``): a gold file, review decisions, a REFI-QDA import.
    """
    codes = coded.drop_duplicates("segment_id", keep="last").set_index("segment_id")["codes"].fillna("")
    rows = segments[segments["segment_id"].astype(str).isin(codes.index.astype(str))]
    return rows, rows["segment_id"].astype(str).map(codes)


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
    training : human-coded segments (``segment_id``, ``codes``) to learn from, such as a gold file.
    decisions : review decisions (:class:`DecisionStore`): learned from, then applied over the automatic codes.
    """
    human = [t[["segment_id", "codes"]] for t in (training, decisions) if t is not None and len(t)]
    if human:
        rows, codes = training_examples(segments, pd.concat(human, ignore_index=True))
        if len(rows):
            coder.fit(rows, codes)
    coded = coder.predict(segments)
    return apply_decisions(coded, decisions if decisions is not None else pd.DataFrame(), coder.codebook)
