"""Shared fixtures: paths, the demo corpus read once, small corpora written on the fly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("ENQUETE_PROGRESS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "corpora" / "demo"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def demo_segments():
    """The demo corpus ingested once: (segments, rejects)."""
    from enquete.corpus import load_corpus
    from enquete.ingest import ingest_corpus

    return ingest_corpus(load_corpus(DEMO))


def write_chat(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path
