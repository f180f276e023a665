"""Shared fixtures: paths, the demo corpus read once, small corpora written on the fly."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import warnings
from pathlib import Path

import pytest

os.environ.setdefault("ENQUETE_PROGRESS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "corpora" / "demo"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: Debian's Chromium (.ci/run installs it), driven headless by Playwright.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def demo_segments():
    """The demo corpus ingested once: (segments, rejects)."""
    from enquete.corpus import load_corpus
    from enquete.ingest import ingest_corpus

    return ingest_corpus(load_corpus(DEMO))


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """One `enquete run` of the demo corpus (copied, so that its private folder stays in tmp), shared by
    the slow tests: (corpus, outputs). Read it, never change it: a test that edits copies it first."""
    from typer.testing import CliRunner

    from enquete.cli import app

    root = tmp_path_factory.mktemp("demo")
    corpus = root / "corpus"
    shutil.copytree(DEMO, corpus, ignore=shutil.ignore_patterns(".enquete-private"))
    result = CliRunner().invoke(app, ["run", str(corpus), "--out", str(root / "outputs")])
    assert result.exit_code == 0, result.output
    return corpus, root / "outputs"


@contextlib.contextmanager
def reading_warnings(pattern: str):
    """Allow here enquete's reading warnings whose message matches ``pattern`` (any number, none
    included: generated inputs may or may not trigger them); any other warning fails the test."""
    from enquete.errors import ReadingWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    unexpected = [w for w in caught if not (issubclass(w.category, ReadingWarning) and re.search(pattern, str(w.message)))]
    assert not unexpected, [f"{w.category.__name__}: {w.message}" for w in unexpected]


def write_chat(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


SMALL_DOCUMENTS = ("E01", "E02", "WA_voisins")
HOSTILE_MESSAGES = ('=HYPERLINK("http://exemple.invalid";"cliquez ici")', "+ de 20 personnes samedi !", "-5 degrés ce matin, couvrez-vous")


def small_corpus(root: Path) -> Path:
    """Two interviews and one WhatsApp group of the demo (with spreadsheet formulas in messages),
    copied to ``root``, trained on the gold file but without the random review sample: a whole
    run takes a few seconds."""

    import yaml

    manifest = yaml.safe_load((DEMO / "corpus.yaml").read_text(encoding="utf-8"))
    whatsapp = "whatsapp/Discussion WhatsApp avec Les Voisins du Square.txt"
    manifest["documents"] = [d for d in manifest.get("documents", []) if d["id"] in SMALL_DOCUMENTS]
    manifest["settings"].pop("review_sample")  # no random review: the first-pass report
    kept = {d["file"] for d in manifest["documents"]} | {whatsapp, "gold_codes.csv"}
    for relpath in sorted(kept):
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DEMO / relpath, root / relpath)
    chat = root / whatsapp
    lines = chat.read_text(encoding="utf-8").splitlines()
    stamp = lines[-1].split(" - ")[0]
    author = lines[-1].split(" - ")[1].split(":")[0]
    chat.write_text("\n".join(lines + [f"{stamp} - {author}: {m}" for m in HOSTILE_MESSAGES]) + "\n", encoding="utf-8")
    (root / "corpus.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root
