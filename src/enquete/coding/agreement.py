"""Agreement between two codings of the same segments (two coders, or human vs automatic).

Per code: Cohen's kappa (chance agreement = pYes_A·pYes_B + pNo_A·pNo_B), percent
agreement, precision, recall and F1 of B against A as reference, and Krippendorff's alpha
(nominal, the ``krippendorff`` package); then micro (all segment × code decisions pooled)
and macro (mean over codes) summaries.
"""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pandas as pd

from enquete.errors import SchemaError
from enquete.schema import code_indicators


def decisions(table: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """0/1 per code and segment_id, from a ``codes`` column (';'-separated) or 0/1 columns."""
    if "codes" in table.columns:
        values = code_indicators(table["codes"], codes).astype(int)
    elif set(codes) <= set(table.columns):
        values = {c: pd.to_numeric(table[c], errors="coerce").fillna(0).astype(int).clip(0, 1) for c in codes}
    else:
        raise SchemaError("la table doit avoir une colonne « codes » ou une colonne 0/1 par code")
    frame = pd.DataFrame(values)
    frame.index = table["segment_id"].astype(str)
    return frame[~frame.index.duplicated(keep="last")]


def _cohen(a: np.ndarray, b: np.ndarray) -> float:
    n = len(a)
    if n == 0:
        return math.nan
    observed = float(np.mean(a == b))
    pa, pb = float(np.mean(a)), float(np.mean(b))
    expected = pa * pb + (1 - pa) * (1 - pb)
    if expected == 1:
        return 1.0 if observed == 1 else math.nan
    return (observed - expected) / (1 - expected)


def _alpha(a: np.ndarray, b: np.ndarray) -> float:
    data = np.vstack([a, b]).astype(float)
    if len(np.unique(data)) < 2:
        return 1.0 if len(a) else math.nan
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def _row(name: str, a: np.ndarray, b: np.ndarray) -> dict:
    both = int(((a == 1) & (b == 1)).sum())
    only_a, only_b = int(((a == 1) & (b == 0)).sum()), int(((a == 0) & (b == 1)).sum())
    precision = both / (both + only_b) if both + only_b else math.nan
    recall = both / (both + only_a) if both + only_a else math.nan
    f1 = 2 * both / (2 * both + only_a + only_b) if both + only_a + only_b else math.nan
    return {
        "code": name,
        "segments": len(a),
        "oui_A": int(a.sum()),
        "oui_B": int(b.sum()),
        "agreement_pct": 100.0 * float(np.mean(a == b)) if len(a) else math.nan,
        "kappa": _cohen(a, b),
        "alpha": _alpha(a, b),
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def agreement(a: pd.DataFrame, b: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Agreement table: one row per code, then ``micro`` and ``macro`` rows.

    Segments are matched on segment_id; only segments present in both tables count.

    Parameters
    ----------
    a, b : two codings (``segment_id`` with ``codes`` ';'-separated, or a 0/1 column per code).
    codes : the code ids to compare.
    """
    full_a, full_b = decisions(a, codes), decisions(b, codes)
    common = full_a.index.intersection(full_b.index)
    if common.empty:
        raise SchemaError("aucun segment commun entre les deux codages (segment_id)")
    da, db = full_a.loc[common], full_b.loc[common]
    rows = [_row(code, da[code].to_numpy(), db[code].to_numpy()) for code in codes]
    per_code = pd.DataFrame(rows)
    micro = _row("micro", da.to_numpy().ravel(), db.to_numpy().ravel())
    macro = {"code": "macro", "segments": len(common), "oui_A": int(per_code["oui_A"].sum()), "oui_B": int(per_code["oui_B"].sum())}
    macro.update(per_code[["agreement_pct", "kappa", "alpha", "precision", "recall", "f1"]].mean(skipna=True).to_dict())
    table = pd.concat([per_code, pd.DataFrame([micro, macro])], ignore_index=True)
    table.attrs.update(only_a=len(full_a.index.difference(common)), only_b=len(full_b.index.difference(common)))
    return table
