"""Coding reliability and corrected shares: the estimator's intervals hold what they claim."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from enquete.analysis.reliability import corrected_shares, reliability, sample_size
from enquete.codebook import load_codebook
from enquete.coding import learning_set

FACTORS = load_codebook("facteurs_reussite")


def simulated(seed: int, n: int = 800, sample: int = 120, targeted: int = 60) -> tuple[pd.DataFrame, float]:
    """A corpus where the automatic coder over-codes "lieu" (true share 0.3), a person reviewed
    ``targeted`` segments it hesitated on and a random ``sample`` of the others; and the true share."""
    rng = np.random.default_rng(seed)
    truth = rng.random(n) < 0.3
    score = np.clip(np.where(truth, 0.7, 0.35) + rng.normal(0, 0.2, n), 0, 1)
    automatic = score >= 0.5
    hesitant = np.argsort(np.abs(score - 0.5))[:targeted]
    rest = np.setdiff1d(np.arange(n), hesitant)
    drawn = rng.choice(rest, size=sample, replace=False)
    human = np.zeros(n, bool)
    human[hesitant] = human[drawn] = True
    final = np.where(human, truth, automatic)
    table = pd.DataFrame({
        "segment_id": [f"s{i}" for i in range(n)], "text": "un texte", "message_type": "text", "speaker_role": "member",
        "initiative": np.where(np.arange(n) % 2, "a", "b"),
        "codes": np.where(final, "lieu", ""), "codes_auto": np.where(automatic, "lieu", ""),
        "revision": np.where(human, "human", "auto"), "review_draw": "",
    })
    table.loc[drawn, "review_draw"] = "random"
    return table, float(truth.mean())


def test_95_percent_intervals_hold_the_true_share_about_95_times_in_100():
    inside, naive_inside = [], []
    for seed in range(200):
        table, truth = simulated(seed)
        row = corrected_shares(table, FACTORS).set_index("code").loc["lieu"]
        inside.append(row["low"] <= truth <= row["high"])
        naive_inside.append(abs(row["share"] - truth) <= row["high"] - row["corrected"])
    assert 0.91 <= np.mean(inside) <= 0.99, np.mean(inside)
    assert np.mean(naive_inside) < 0.5  # the uncorrected share, with the same width, misses most of the time


def test_groups_get_their_own_interval_and_a_group_without_sample_gets_none():
    table, _ = simulated(0)
    table.loc[(table["initiative"] == "b") & (table["review_draw"] == "random"), ["review_draw", "revision"]] = ["", "auto"]
    by_initiative = corrected_shares(table, FACTORS, by="initiative").set_index(["group", "code"])
    assert by_initiative.loc[("a", "lieu"), "sampled"] > 50 and by_initiative.loc[("a", "lieu"), "low"] < by_initiative.loc[("a", "lieu"), "high"]
    assert pd.isna(by_initiative.loc[("b", "lieu"), "corrected"])


def test_reliability_uses_the_random_sample_and_says_so():
    table, _ = simulated(1)
    measured = reliability(table, FACTORS).set_index("code")
    assert measured.loc["lieu", "sample"] == "random" and measured["segments"].eq(120).all()  # micro too: segments, not decisions
    assert 0.5 < measured.loc["lieu", "precision"] < 1 and measured.loc["lieu", "recall"] > 0.7
    targeted_only = table.assign(review_draw="")
    assert reliability(targeted_only, FACTORS)["sample"].eq("targeted").all()
    assert reliability(table.assign(revision="auto"), FACTORS).empty


@pytest.mark.parametrize(("width", "expected"), [(0.05, 308), (0.10, 77)])
def test_how_many_segments_to_review_for_a_given_width(width, expected):
    assert sample_size(width) == expected


def test_the_random_sample_is_never_learned_from_by_id_or_by_text():
    segments = pd.DataFrame({"segment_id": ["a", "b", "c"], "text": ["On se retrouve au jardin.", "Le bailleur aide.", "Merci !"]})
    training = pd.DataFrame({"segment_id": ["a", "x"], "text": ["", "Le bailleur  aide."], "codes": ["lieu", "facilitateurs"]})
    decisions = pd.DataFrame({"segment_id": ["b", "c"], "codes": ["facilitateurs", ""], "draw": ["random", "targeted"]})
    learned = learning_set(segments, training, decisions)
    assert set(learned.rows["text"]) == {"On se retrouve au jardin.", "Merci !"}  # "b" and its text from elsewhere kept to measure
