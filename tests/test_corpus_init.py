"""`enquete corpus init` and `corpus info` on a folder of real files with one unreadable file
(the newcomer's findings 2 and 5, issue #31): every file in one place, counts that add up."""

from __future__ import annotations

import re
import shutil
import warnings

import pytest
import yaml
from typer.testing import CliRunner

from enquete.cli import app
from tests.conftest import FIXTURES

REAL = FIXTURES / "real"
runner = CliRunner()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("nouveau")
    (root / "entretiens").mkdir()
    (root / "whatsapp").mkdir()
    shutil.copy(REAL / "transcripts" / "noscribe_fight_club_fr.vtt", root / "entretiens" / "fight_club.vtt")
    shutil.copy(REAL / "transcripts" / "pseudobsidian_entretien_02.cha", root / "entretiens" / "entretien_02.cha")
    shutil.copy(REAL / "whatsapp" / "chat-miner" / "test_ddmmyy_24hrs.txt", root / "whatsapp" / "test_ddmmyy_24hrs.txt")
    (root / "entretiens" / "abime.docx").write_bytes(b"ceci n'est pas un document Word")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = runner.invoke(app, ["corpus", "init", str(root)])
    assert result.exit_code == 0, result.output
    return root


def test_init_puts_an_unreadable_file_under_exclude_only_with_its_reason(folder):
    written = (folder / "corpus.yaml").read_text(encoding="utf-8")
    manifest = yaml.safe_load(written)
    files = [d["file"] for d in manifest["documents"]]
    assert sorted(files) == ["entretiens/entretien_02.cha", "entretiens/fight_club.vtt", "whatsapp/test_ddmmyy_24hrs.txt"]
    assert manifest["exclude"] == ["entretiens/abime.docx"]
    assert re.search(r'- "entretiens/abime\.docx" +# document Word illisible', written)


def test_init_reads_the_three_speakers_of_the_noscribe_file_and_proposes_no_speaker_code_as_a_place(folder):
    written = (folder / "corpus.yaml").read_text(encoding="utf-8")
    assert re.search(r'file: "entretiens/fight_club\.vtt" +# entretien, \d+ segment\(s\), 3 locuteur\(s\)', written)
    allow = yaml.safe_load(written)["pseudonymisation"]["allow"] or []
    assert not {"S00", "S01", "S02", "INV", "PAR"} & set(allow)


def test_corpus_info_counts_the_documents_read_and_says_how_many_were_rejected(folder, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(folder, corpus)
    (corpus / "corpus.yaml").unlink()  # every file read, the unreadable one too: it is counted as rejected
    shutil.copy(folder / "corpus.yaml", tmp_path / "init.yaml")
    manifest = yaml.safe_load((tmp_path / "init.yaml").read_text(encoding="utf-8"))
    manifest.pop("exclude")
    manifest["initiatives"][0]["name"] = "Atelier"
    manifest["documents"].append({"file": "entretiens/abime.docx", "id": "abime", "initiative": "initiative_1"})
    (corpus / "corpus.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = runner.invoke(app, ["corpus", "info", str(corpus)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "3 documents (2 entretien(s), 1 groupe(s) WhatsApp)" in result.output
    assert "1 document(s) rejeté(s)" in result.output
    assert re.search(r"│ Atelier +│[^\n]*│ 3 \(\+ 1 rejeté\(s\)\) +│", result.output)
