"""Which segments to review first: those whose human decision teaches the coder most, and a
random share that keeps the reviewed set a fair sample for measuring the coder's reliability.

Targeted segments are chosen, greedily, where the coder hesitates: scores nearest a code's
threshold, weighted up for the codes that have fewer than ``min_positives`` human examples.
(Hunting the likely positives of those codes instead, so that they are learned sooner, did
worse than random in the simulated review of ``benchmarks/eval_coder.py``: a code learned
from few examples codes worse than the codebook alone.)
Documents and speakers are spread (each pick from a document or a speaker lowers the next
ones' priority), near-duplicates and very short segments are left out. A seeded random draw
(``random_share``, 20 % by default) among *all* the coded segments not yet reviewed (short
ones included: it must be a fair sample of the corpus, the one that measures the coder and
corrects the factor shares, :mod:`enquete.analysis.reliability`) is interleaved, so that any
first part of the list keeps the share. Every row says why it was chosen (``why``) and how
(``draw``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from enquete.codebook import Codebook
from enquete.coding.coder import MIN_POSITIVES
from enquete.schema import code_indicators, coded_rows
from enquete.settings import DEFAULTS
from enquete.vocabulary import decimal
from enquete.words import text_key

RANDOM_SHARE = 0.2
MIN_WORDS = 4  # shorter segments ("ok merci !") teach nothing
SPREAD = 0.8  # each pick from a document (or a speaker) multiplies the next ones' priority by this
RARITY_WEIGHT = 0.5  # how much more a code without any human example counts than a code with enough


def thresholds_from(coded: pd.DataFrame, codes: list[str]) -> dict[str, float]:
    """Each code's decision threshold, read off a coded table (a code applies from its threshold
    up): the lowest score among the rows that carry it, 0.5 when none does."""
    applied = code_indicators(coded["codes"], codes).to_numpy(dtype=bool)
    out = {}
    for j, code in enumerate(codes):
        scores = coded[f"score_{code}"].to_numpy(dtype=float)[applied[:, j]]
        out[code] = float(scores.min()) if len(scores) else 0.5
    return out


def select_for_review(
    coded: pd.DataFrame,
    codebook: Codebook,
    n: int,
    *,
    human: pd.DataFrame | None = None,
    thresholds: dict[str, float] | None = None,
    seed: int = DEFAULTS.seed,
    random_share: float = RANDOM_SHARE,
    min_positives: int = MIN_POSITIVES,
) -> pd.DataFrame:
    """The ``n`` segments to review first, in the order to review them, with ``why`` and ``draw``.

    Parameters
    ----------
    coded : the coded segment table (``codes``, ``score_<code>``); rows already decided by a
        person (``revision == "human"``) are not proposed again.
    codebook : the codebook of the scores.
    n : how many segments to choose.
    human : human codings already made (``segment_id``, ``codes``: training file, decisions):
        not proposed again, and counted as each code's examples.
    thresholds : each code's threshold (default: read off ``coded``, :func:`thresholds_from`).
    seed : seeds the random share (the same input gives the same selection).
    random_share : the share of the selection drawn at random (0 to 1).
    min_positives : human examples a code needs before it is learned.
    """
    codes = codebook.ids
    thresholds = thresholds or thresholds_from(coded, codes)
    known = human if human is not None else pd.DataFrame({"segment_id": [], "codes": []})
    if "revision" in coded:
        known = pd.concat([known[["segment_id", "codes"]], coded.loc[coded["revision"].eq("human").fillna(False), ["segment_id", "codes"]]])
    population = _unreviewed(coded, set(known["segment_id"].astype(str)))
    n = min(n, len(population))
    rng = np.random.default_rng(seed)
    n_random = int(round(n * random_share))
    drawn = population.index[np.sort(rng.choice(len(population), size=n_random, replace=False))] if n_random else population.index[:0]
    rest = _teaching(population.drop(index=drawn))
    positives = code_indicators(known["codes"], codes).sum().to_numpy() if len(known) else np.zeros(len(codes))
    negatives = len(known) - positives
    targeted, why = _targeted(rest, codebook, n - n_random, thresholds, positives, negatives, min_positives)
    random_why = (f"tiré au hasard ({random_share * 100:.0f}\u202f% de la sélection) : ces segments mesurent, sans biais, "
                  "la fiabilité du codage automatique")
    chosen = _interleave(
        [(i, w, "targeted") for i, w in zip(targeted, why)],
        [(i, random_why, "random") for i in drawn],
    )
    selected = coded.loc[[i for i, _, _ in chosen]].copy()
    selected["why"] = [w for _, w, _ in chosen]
    selected["draw"] = [d for _, _, d in chosen]
    return selected


def _unreviewed(coded: pd.DataFrame, reviewed: set[str]) -> pd.DataFrame:
    """The coded segments (speech with codes) no person has coded yet."""
    rows = coded[coded_rows(coded) & coded["codes"].notna().to_numpy(dtype=bool)]
    return rows[~rows["segment_id"].astype(str).isin(reviewed)]


def _teaching(rows: pd.DataFrame) -> pd.DataFrame:
    """Segments long enough to teach something, one per distinct text."""
    rows = rows[rows["text"].str.split().str.len() >= MIN_WORDS]
    return rows[~rows["text"].map(text_key).duplicated()]


def _targeted(
    pool: pd.DataFrame, codebook: Codebook, k: int, thresholds: dict, positives: np.ndarray, negatives: np.ndarray, min_positives: int
) -> tuple[list, list[str]]:
    """Greedy picks by priority, spreading documents and speakers; the reason of each."""
    codes = codebook.ids
    scores = pool[[f"score_{c}" for c in codes]].to_numpy(dtype=float)
    cut = np.array([thresholds[c] for c in codes])
    short = np.clip(min_positives - np.minimum(positives, negatives), 0, None) / max(min_positives, 1)
    hesitation = 1 - np.minimum(1, np.abs(scores - cut) / 0.5)
    weighted = hesitation * (1 + RARITY_WEIGHT * short)
    priority, best = weighted.max(axis=1), weighted.argmax(axis=1)
    document = pool.get("document_id", pd.Series("", index=pool.index)).astype(str)
    document_of = pd.factorize(document)[0]
    speaker_of = pd.factorize(document + "|" + pool.get("speaker", pd.Series("", index=pool.index)).fillna("").astype(str))[0]
    per_document, per_speaker = np.zeros(document_of.max() + 1 if len(pool) else 0), np.zeros(speaker_of.max() + 1 if len(pool) else 0)
    words = [set(t.lower().split()) for t in pool["text"]]
    taken = np.zeros(len(pool), dtype=bool)
    picked: list[int] = []
    while len(picked) < k and not taken.all():
        spread = SPREAD ** (per_document[document_of] + per_speaker[speaker_of])
        i = int(np.argmax(np.where(taken, -1.0, priority * spread)))
        taken[i] = True
        if any(len(words[i] & words[j]) / max(1, len(words[i] | words[j])) > 0.8 for j in picked):
            continue  # a near-duplicate of a segment already chosen
        picked.append(i)
        per_document[document_of[i]] += 1
        per_speaker[speaker_of[i]] += 1
    labels = codebook.labels("fr")
    reasons = []
    for i in picked:
        j = best[i]
        side = "juste au-dessus" if scores[i, j] >= cut[j] else "juste en dessous"
        reason = (f"le codeur hésite pour « {labels[codes[j]]} » : probabilité {decimal(scores[i, j])}, {side} du seuil "
                  f"de {decimal(cut[j])} à partir duquel il retient ce facteur")
        if positives[j] < min_positives:
            reason += (f" ; ce facteur n'a encore que {int(positives[j])} exemple(s) codé(s) à la main, sur les {min_positives} "
                       "qu'il faut pour que le codeur l'apprenne")
        reasons.append(reason)
    return [pool.index[i] for i in picked], reasons



def _interleave(targeted: list, drawn: list) -> list:
    """The random picks spread evenly through the targeted ones (any first part keeps the share)."""
    total = len(targeted) + len(drawn)
    out, t, r = [], 0, 0
    for position in range(total):
        due = round((position + 1) * len(drawn) / total) if total else 0
        if r < due and r < len(drawn):
            out.append(drawn[r])
            r += 1
        else:
            out.append(targeted[t])
            t += 1
    return out
