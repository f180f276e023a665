"""What changes when a corpus is large: the review file becomes a CSV (and still round-trips), CSV files are written in chunks."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from enquete.cli import app
from enquete.coding import DecisionStore
from tests.conftest import DEMO

pytestmark = pytest.mark.slow  # a full run beyond the workbook limit

runner = CliRunner()


def test_beyond_the_workbook_limit_the_review_file_is_a_csv_that_round_trips(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(DEMO / "entretiens" / "E02_voisins_square_elu.txt", corpus / "E02.txt")
    (corpus / "corpus.yaml").write_text("settings:\n  review_workbook_rows: 5\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(corpus), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert not (out / "revue_codage.xlsx").exists() and "revue en CSV" in " ".join(result.output.split())
    sheet = pd.read_csv(out / "revue_codage.csv", sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)  # as French Excel opens it
    assert len(sheet) > 5 and sheet.loc[0, "lieu"] in ("0", "1")
    sheet.loc[0, "lieu"] = "0" if sheet.loc[0, "lieu"] == "1" else "1"
    sheet.to_csv(tmp_path / "revue.csv", index=False)
    imported = runner.invoke(app, ["review", "import", str(tmp_path / "revue.csv"), "--corpus", str(corpus)])
    assert imported.exit_code == 0, imported.output
    [decision] = DecisionStore(corpus / ".enquete-private" / "revue").load("facteurs_reussite").itertuples()
    assert decision.segment_id == sheet.loc[0, "segment_id"]


def test_csv_written_in_chunks_is_the_same_file(tmp_path, monkeypatch):
    import enquete.io

    table = pd.DataFrame({"text": pd.array(["=1+1", "é", None, "a,b", "l\nm"] * 3, dtype="string"), "n": [i / 3 for i in range(15)]})
    whole = enquete.io.write_table(table, tmp_path / "whole.csv").read_bytes()
    monkeypatch.setattr(enquete.io, "CSV_ROWS", 4)
    assert enquete.io.write_table(table, tmp_path / "chunks.csv").read_bytes() == whole
    assert whole.startswith(b"\xef\xbb\xbftext,n\n'=1+1,0.0\n") and whole.count(b"\xef\xbb\xbf") == 1
    assert enquete.io.write_table(table.iloc[0:0], tmp_path / "empty.csv").read_bytes() == b"\xef\xbb\xbftext,n\n"
