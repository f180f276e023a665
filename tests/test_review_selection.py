"""`review export --select`: the segments to review first, explained, with a random share."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from enquete.cli import app
from enquete.codebook import load_codebook
from enquete.coding import Coder, DecisionStore, import_review
from enquete.coding.selection import select_for_review, thresholds_from
from tests.conftest import DEMO

FACTORS = load_codebook("facteurs_reussite")
runner = CliRunner()


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    """The demo's interview turns and messages, coded zero-shot, with their documents and speakers."""
    gold = pd.read_csv(DEMO / "gold_codes.csv", keep_default_na=False)
    table = gold.assign(
        document_id=gold["segment_id"].str.rsplit("-", n=1).str[0], speaker="X", speaker_role="respondent", message_type="turn"
    )
    return Coder(cache_dir=tmp_path_factory.mktemp("cache")).predict(table)


def test_the_selection_is_explained_seeded_and_keeps_its_random_share(coded):
    first = select_for_review(coded, FACTORS, 100, seed=3)
    again = select_for_review(coded, FACTORS, 100, seed=3)
    other = select_for_review(coded, FACTORS, 100, seed=4)
    assert first["segment_id"].tolist() == again["segment_id"].tolist()  # the same input and seed: the same list
    assert first["segment_id"].tolist() != other["segment_id"].tolist()
    assert len(first) == 100 and first["segment_id"].is_unique
    assert (first["draw"] == "random").sum() == 20 and set(first["draw"]) == {"random", "targeted"}
    assert (first["draw"].iloc[:10] == "random").sum() == 2  # any first part keeps the share
    assert first.loc[first["draw"] == "random", "why"].str.startswith("tiré au hasard (20\u202f% de la sélection)").all()
    labels = "|".join(FACTORS.labels("fr").values()).replace("(", r"\(").replace(")", r"\)")
    targeted = first.loc[first["draw"] == "targeted", "why"]
    assert targeted.str.match(rf"le codeur hésite pour « (?:{labels}) » : probabilité [01],\d\d, juste (?:au-dessus|en dessous) du seuil de [01],\d\d").all()
    assert first["document_id"].value_counts().max() <= 12  # spread over the demo's 16 documents
    none_random = select_for_review(coded, FACTORS, 50, random_share=0)
    assert (none_random["draw"] == "targeted").all()


def test_targeted_segments_are_those_the_coder_hesitates_on(coded):
    chosen = select_for_review(coded, FACTORS, 60, random_share=0)
    cut = thresholds_from(coded, FACTORS.ids)
    scores = coded[[f"score_{c}" for c in FACTORS.ids]].to_numpy()
    distance = abs(scores - [cut[c] for c in FACTORS.ids]).min(axis=1)
    picked = coded["segment_id"].isin(chosen["segment_id"]).to_numpy()
    assert distance[picked].mean() < distance[~picked].mean() / 2


def test_segments_a_person_already_coded_and_short_ones_are_not_proposed(coded):
    human = coded.iloc[:300][["segment_id", "codes"]]
    chosen = select_for_review(coded, FACTORS, 500, human=human)
    assert not set(chosen["segment_id"]) & set(human["segment_id"])
    targeted = chosen[chosen["draw"] == "targeted"]
    assert (targeted["text"].str.split().str.len() >= 4).all() and targeted["text"].is_unique


def test_the_command_writes_the_selection_and_its_random_draw_is_remembered(coded, tmp_path):
    source = tmp_path / "codage.csv"
    coded.to_csv(source, index=False)
    workbook = tmp_path / "revue.xlsx"
    result = runner.invoke(app, ["review", "export", str(source), "--out", str(workbook), "--select", "30", "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert "30 segment(s) à relire d'abord, dont 6 tiré(s) au hasard" in " ".join(result.output.split())
    sheet = pd.read_excel(workbook, sheet_name="revue", dtype=str).fillna("")
    assert {"pourquoi", "tirage"} <= set(sheet.columns) and set(sheet["tirage"]) == {"aléatoire", "ciblé"}
    sheet["revu"] = "x"  # the person reviews all of them
    sheet.to_excel(tmp_path / "relu.xlsx", sheet_name="revue", index=False)
    decisions = import_review(tmp_path / "relu.xlsx", FACTORS)
    store = DecisionStore(tmp_path / "revue")
    stored = store.add(decisions, FACTORS.id)
    assert (stored["draw"] == "random").sum() == 6 and (stored["draw"] == "targeted").sum() == 24
    later = decisions.assign(draw="targeted", codes="sens")  # all coded again from a targeted workbook
    again = store.add(later, FACTORS.id)
    assert (again["draw"] == "random").sum() == 6 and again["codes"].eq("sens").all()  # drawn at random stays so
