"""A hostile corpus: good files mixed with broken, dangerous and odd ones. The run completes,
reads every good file fully, reports each bad file and why, writes only where it should,
and exits non-zero only in strict mode."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from enquete.cli import app
from enquete.errors import ReadingWarning
from enquete.ingest import ingest_paths
from enquete.io import read_table
from tests.conftest import DEMO

pytestmark = pytest.mark.slow  # a full run of a hostile corpus, a zip bomb

runner = CliRunner()
LONG = 200_000


def chat_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def hostile_corpus(root: Path) -> tuple[Path, dict[str, str], list[str]]:
    """(folder, bad file → words expected in its reject reason, good files)."""
    root.mkdir()
    good = {
        "E01.docx": DEMO / "entretiens" / "E01_voisins_square_martine.docx",
        "Discussion WhatsApp avec Les Voisins du Square.txt": DEMO / "whatsapp" / "Discussion WhatsApp avec Les Voisins du Square.txt",
        "WhatsApp Chat - Résidence Mistral.zip": DEMO / "whatsapp" / "WhatsApp Chat - Résidence Mistral.zip",
    }
    for name, source in good.items():
        shutil.copy(source, root / name)
    (root / "E13_cp1252.txt").write_bytes(
        "Enquêtrice : Qu'est-ce qui a changé dans la résidence ?\n\nRéponse : Les fêtes, les goûters, l'été dernier à côté du square.\n".encode("cp1252")
    )
    header = "12/05/2023 18:0{} - Membre {}: "
    lines = [header.format(i, i) + ("très long message " * (LONG // 18) if i in (1, 3) else f"message {i}") for i in range(6)]
    (root / "Discussion WhatsApp avec Lignes longues.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    mistral = (DEMO / "whatsapp" / "WhatsApp Chat - Résidence Mistral.zip").read_bytes()
    (root / "WhatsApp Chat - Tronque.zip").write_bytes(mistral[: len(mistral) // 2])
    chat = b"12/05/2023 18:00 - Ana: bonjour\n"
    chat_zip(root / "WhatsApp Chat - Evasion.zip", {"_chat.txt": chat, "../../../evasion.txt": b"pwned"})
    chat_zip(root / "WhatsApp Chat - Bombe.zip", {"_chat.txt": chat + b"a" * 60_000_000})
    (root / "notes.txt").write_bytes(bytes(range(256)) * 64)
    (root / "vide.docx").write_bytes(b"")
    (root / "rapport.docx").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n")
    bad = {
        "WhatsApp Chat - Tronque.zip": "tronqué",
        "WhatsApp Chat - Evasion.zip": "chemin dangereux",
        "WhatsApp Chat - Bombe.zip": "bombe",
        "notes.txt": "binaire",
        "vide.docx": "vide",
        "rapport.docx": "PDF",
    }
    secret = root / "secret.txt"
    secret.write_text("E : question\n\nR : réponse\n", encoding="utf-8")
    secret.chmod(0)
    if not os.access(secret, os.R_OK):  # as root every file is readable: then it is a good file
        bad["secret.txt"] = "illisible"
    return root, bad, [n for n in os.listdir(root) if n not in bad]


def tree(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file (size, modification time) and folder under ``folder``."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else ("dossier",)
        for p in folder.rglob("*")
    }


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    corpus, bad, good = hostile_corpus(base / "corpus")
    before = tree(base)
    result = runner.invoke(app, ["run", str(corpus), "--out", str(base / "out")])
    yield base, corpus, bad, good, before, result
    (corpus / "secret.txt").chmod(0o600)


def test_run_completes_and_reports_every_bad_file_with_its_reason(hostile_run):
    _, _, bad, _, _, result = hostile_run
    assert result.exit_code == 0, result.output
    summary = " ".join(result.output.split())
    assert f"{len(bad)} rejet(s) (voir rejets.csv)" in summary and "codes appliqués à" in summary
    assert "entretien(s)," in summary and "groupe(s) WhatsApp)" in summary and "fichiers écrits dans" in summary
    assert "feuille revue : 2 cellule(s) de la colonne text coupée(s) à 32767 caractères" in summary  # said, not silent
    rejects = read_table(hostile_run[0] / "out" / "rejets.csv")
    reasons = dict(zip(rejects["source_path"], rejects["reason"]))
    assert set(reasons) == set(bad)
    for name, words in bad.items():
        assert words.lower() in reasons[name].lower(), (name, reasons[name])


def test_every_good_file_is_read_fully(hostile_run):
    base, corpus, _, good, _, _ = hostile_run
    segments = pd.read_parquet(base / "out" / "segments.parquet")
    with pytest.warns(ReadingWarning, match="Lignes longues.txt : ordre des dates ambigu"):
        alone, rejects = ingest_paths([corpus / name for name in good])
    assert rejects.empty
    assert len(segments) == len(alone)
    assert segments.groupby("source_path").size().sort_index().tolist() == alone.groupby("source_path").size().sort_index().tolist()
    long_chat = alone[alone["source_path"].str.contains("Lignes longues")]
    assert len(long_chat) == 6 and long_chat["text"].str.len().max() > LONG * 0.9
    cp1252 = alone[alone["source_path"] == "E13_cp1252.txt"]
    assert "goûters" in " ".join(cp1252["text"])


def test_nothing_is_written_outside_the_output_and_private_folders(hostile_run):
    base, corpus, _, _, before, _ = hostile_run
    after = tree(base)
    outside = {k: v for k, v in after.items() if not k.startswith(("out/", "corpus/.enquete-private")) and k not in ("out", "corpus/.enquete-private")}
    assert outside == before
    assert not list(base.rglob("evasion.txt")) and not (base.parent / "evasion.txt").exists()


def test_strict_mode_exits_with_its_own_code(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(DEMO / "entretiens" / "E02_voisins_square_elu.txt", corpus / "E02.txt")
    (corpus / "vide.docx").write_bytes(b"")
    result = runner.invoke(app, ["run", str(corpus), "--out", str(tmp_path / "strict"), "--strict"])
    assert result.exit_code == 3 and "Mode strict" in result.output
    assert (tmp_path / "strict" / "rejets.csv").is_file() and (tmp_path / "strict" / "rapport_restitution.docx").is_file()


def test_a_text_longer_than_a_workbook_cell_is_cut_visibly_and_kept_whole_elsewhere(tmp_path):
    from enquete.errors import OutputWarning
    from enquete.io import read_table, write_table

    table = pd.DataFrame({"segment_id": ["a", "b"], "text": ["mot " * 10_000, "court"]})
    with pytest.warns(OutputWarning, match="1 cellule.*coupée"):
        write_table(table, tmp_path / "t.xlsx")
    cut = read_table(tmp_path / "t.xlsx")["text"]
    assert len(cut[0]) <= 32_767 and cut[0].endswith("(texte coupé : 40000 caractères au total)") and cut[1] == "court"
    write_table(table, tmp_path / "t.csv")  # no warning: a CSV cell has no limit
    assert read_table(tmp_path / "t.csv")["text"][0] == table["text"][0]
