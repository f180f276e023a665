"""How far the factor figures can be trusted: the automatic codes against a person's, and
each factor's share corrected by a random human-coded sample, with 95 % intervals.

The segments a person coded fall in two kinds. A **random sample** (drawn by ``review export
--select`` or ``enquete revue`` as their random share, or given as ``settings.review_sample``)
is a fair sample of the corpus: the automatic codes are compared with the person's on it, and
it corrects the shares. Segments chosen *because* the coder hesitated are not: they are
corrected, but not used to measure.

The corrected share is the difference estimator of survey sampling, which prediction-powered
inference (Angelopoulos et al., Science 2023) generalises: over the coded segments U that no
person coded outside the random sample S (S ⊂ U), the share of a factor is its automatic share
over U plus the mean correction (human − automatic) over S; segments coded by a person outside
S count with their human code. Its standard error adds the sampling variance of the two means.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd

from enquete.analysis.tables import coded_segments
from enquete.codebook import Codebook
from enquete.coding.agreement import agreement
from enquete.datafiles import package_yaml
from enquete.schema import code_indicators

Z95 = 1.959964
MIN_SAMPLE = 2  # below this many sampled segments in a group, no interval


@lru_cache(maxsize=1)
def benchmark() -> dict:
    """The agreement measured on the demo gold (analysis/reliability.yaml), for corpora with no random sample."""
    return package_yaml("enquete.analysis", "reliability.yaml")


def sample_size(half_width: float, disagreement: float | None = None) -> int:
    """Random segments to code by hand for 95 % intervals of ± ``half_width`` on every share
    (the variance of human − automatic is at most the rate at which they disagree).

    Parameters
    ----------
    half_width : the interval's half width, as a share (0.05 for ± 5 points).
    disagreement : the largest rate at which automatic and human codes differ (default: the benchmark's).
    """
    rate = disagreement if disagreement is not None else max(benchmark()["disagreement"].values())
    return math.ceil(Z95**2 * rate / half_width**2)


def _kinds(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(in the random sample, coded by a person outside it) per row."""
    human = rows["revision"].eq("human").fillna(False).to_numpy(dtype=bool) if "revision" in rows else np.zeros(len(rows), bool)
    drawn = rows["review_draw"].eq("random").fillna(False).to_numpy(dtype=bool) if "review_draw" in rows else np.zeros(len(rows), bool)
    return human & drawn, human & ~drawn


def reliability(segments: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """The automatic codes against a person's, per code (N, precision, recall, F1, kappa...):
    on the random sample when there is one, else on every reviewed segment (``sample`` says
    which: "random" or "targeted"); empty when no segment was reviewed."""
    rows = coded_segments(segments)  # the population the shares are taken over: residents' coded speech
    sampled, chosen = _kinds(rows)
    reviewed, kind = (rows[sampled], "random") if sampled.any() else (rows[chosen], "targeted")
    if not len(reviewed):
        return pd.DataFrame()
    automatic = reviewed[["segment_id", "codes_auto"]].rename(columns={"codes_auto": "codes"})
    table = agreement(reviewed[["segment_id", "codes"]], automatic, codebook.ids).assign(segments=len(reviewed))  # micro pools decisions
    columns = ["code", "sample", "segments", "precision", "recall", "f1", "kappa", "agreement_pct"]
    return table.assign(sample=kind)[columns].round({"precision": 4, "recall": 4, "f1": 4, "kappa": 4, "agreement_pct": 2})


def corrected_shares(segments: pd.DataFrame, codebook: Codebook, by: str | None = None) -> pd.DataFrame:
    """Each code's share of coded segments, automatic and corrected by the random human sample,
    with a 95 % interval, overall (``by=None``) or per group of the column ``by``.

    Columns: group ('' overall), code, segments, sampled, share (the final codes, human where
    decided), corrected, low, high. ``corrected`` is missing in a group with fewer than 2 sampled segments."""
    rows = coded_segments(segments)  # the population the shares are taken over: residents' coded speech
    groups = rows[by].fillna("").astype(str) if by else pd.Series("", index=rows.index)
    out = []
    for group, part in rows.groupby(groups, sort=True):
        sampled, chosen = _kinds(part)
        final = code_indicators(part["codes"], codebook.ids).to_numpy(dtype=float)
        automatic = code_indicators(part["codes_auto"] if "codes_auto" in part else part["codes"], codebook.ids).to_numpy(dtype=float)
        unknown = ~chosen
        n, n_unknown, n_sample = len(part), int(unknown.sum()), int(sampled.sum())
        for j, code in enumerate(codebook.ids):
            row = {"group": group, "code": code, "segments": n, "sampled": n_sample, "share": final[:, j].mean()}
            if n_sample >= MIN_SAMPLE:
                correction = final[sampled, j] - automatic[sampled, j]
                mean_unknown = automatic[unknown, j].mean() + correction.mean()
                estimate = (final[chosen, j].sum() + n_unknown * mean_unknown) / n
                spread = (n_unknown / n) * math.sqrt(automatic[unknown, j].var(ddof=1) / n_unknown + correction.var(ddof=1) / n_sample)
                row.update(corrected=float(np.clip(estimate, 0, 1)), low=float(np.clip(estimate - Z95 * spread, 0, 1)),
                           high=float(np.clip(estimate + Z95 * spread, 0, 1)))
            out.append(row)
    table = pd.DataFrame(out, columns=["group", "code", "segments", "sampled", "share", "corrected", "low", "high"])
    return table.round({"share": 4, "corrected": 4, "low": 4, "high": 4})
