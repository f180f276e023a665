import json

import pytest
from typer.testing import CliRunner

from enquete.cli import app
from tests.conftest import write_chat

runner = CliRunner()
COMMANDS = [[], ["corpus"], ["corpus", "info"], ["run"], ["demo"], ["ingest"], ["codebooks"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "enquete")
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Utilisation :" in result.output and len(result.output) > 200


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("enquete ")


def _one_line_error(result, fragment):
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Erreur :") and fragment in lines[0], result.output


def test_corpus_info_on_a_missing_folder_is_one_line(tmp_path):
    _one_line_error(runner.invoke(app, ["corpus", "info", str(tmp_path / "nope")]), "introuvable")


def test_run_with_a_broken_manifest_is_one_line(tmp_path):
    (tmp_path / "corpus.yaml").write_text("documents: [\n", encoding="utf-8")
    _one_line_error(runner.invoke(app, ["run", str(tmp_path), "--out", str(tmp_path / "out")]), "YAML invalide")


def test_run_with_an_unknown_codebook_is_one_line(tmp_path):
    write_chat(tmp_path / "a.txt", ["26/09/2023 22:41 - Amélie: Bonjour"])
    result = runner.invoke(app, ["run", str(tmp_path), "--codebook", "inconnue", "--out", str(tmp_path / "o")])
    _one_line_error(result, "grille inconnue")


def test_missing_argument_is_a_usage_error():
    result = runner.invoke(app, ["agreement"])
    assert result.exit_code == 2


def test_corpus_info_summarises_the_demo():
    result = runner.invoke(app, ["corpus", "info", "corpora/demo"])
    assert result.exit_code == 0, result.output
    assert "Les Voisins du" in result.output and "E01" in result.output
    summary = " ".join(result.output.split())
    assert "20 documents (12 entretien(s), 4 groupe(s) WhatsApp, 1 groupe(s) de réseau social, 1 carnet(s) d'observation, 2 document(s))" in summary
    assert "0 rejet" in summary


def test_ingest_writes_a_table_and_rejects(tmp_path):
    chat = write_chat(tmp_path / "chat.txt", ["26/09/2023 22:41 - Amélie: Bonjour", "26/09/2023 22:42 - Karim: Salut"])
    bad = tmp_path / "cassé.docx"
    bad.write_bytes(b"not a zip at all")
    out = tmp_path / "segments.csv"
    result = runner.invoke(app, ["ingest", str(chat), str(bad), "--out", str(out)])
    assert result.exit_code == 0, result.output
    from enquete.io import read_table

    table = read_table(out)
    assert table["text"].tolist() == ["Bonjour", "Salut"]
    rejects = read_table(tmp_path / "segments.rejets.csv")
    assert rejects["source_path"].tolist() == ["cassé.docx"]


def test_ingest_refuses_an_unknown_output_extension(tmp_path):
    chat = write_chat(tmp_path / "chat.txt", ["26/09/2023 22:41 - Amélie: Bonjour"])
    _one_line_error(runner.invoke(app, ["ingest", str(chat), "--out", str(tmp_path / "x.json")]), "extension")


@pytest.mark.slow
def test_run_without_pseudonymisation_says_so_loudly(tmp_path):
    write_chat(tmp_path / "a.txt", ["26/09/2023 22:41 - Amélie: Bonjour", "26/09/2023 22:42 - Karim: Salut"])
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(tmp_path), "--out", str(out), "--no-pseudonymise"])
    assert result.exit_code == 0, result.output
    assert "PSEUDONYMISATION DÉSACTIVÉE" in result.output
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["documents"] == 1 and summary["settings"]["pseudonymise"] is False


@pytest.mark.slow
def test_strict_mode_exits_3_on_rejects(tmp_path):
    write_chat(tmp_path / "a.txt", ["26/09/2023 22:41 - Amélie: Bonjour"])
    (tmp_path / "b.docx").write_bytes(b"%PDF-1.4 not a docx")
    args = ["run", str(tmp_path), "--out", str(tmp_path / "o")]
    assert runner.invoke(app, args).exit_code == 0
    assert runner.invoke(app, [*args, "--strict"]).exit_code == 3


def test_codebooks_lists_and_shows():
    result = runner.invoke(app, ["codebooks"])
    assert result.exit_code == 0 and "facteurs_reussite" in result.output
    result = runner.invoke(app, ["codebooks", "leviers_action"])
    assert result.exit_code == 0 and "composter" in result.output


def test_help_speaks_french():
    for command in ([], ["run"], ["corpus", "init"]):
        result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "120"})
        assert result.exit_code == 0
        assert "Utilisation :" in result.output and "Afficher cette aide." in result.output
        assert not any(word in result.output for word in ("Usage:", "Show this message", "[default:"))
