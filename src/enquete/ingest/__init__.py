"""Ingest stage: corpus files to the segment table (one row per turn or message).

``read_whatsapp`` and ``read_transcript`` read one file; ``read_document`` picks the
right one; ``ingest_corpus`` reads a whole corpus, turning every unreadable file into a
row of the rejects report instead of stopping.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from enquete import schema
from enquete.corpus import Corpus, Document
from enquete.ingest.common import Reject, document_for, rejects_frame
from enquete.ingest.errors import IngestError
from enquete.ingest.text import read_text
from enquete.ingest.transcripts import SUFFIXES as TRANSCRIPT_SUFFIXES
from enquete.ingest.transcripts import read_transcript
from enquete.ingest.whatsapp import HEADER_PROBE, read_whatsapp
from enquete.progress import track
from enquete.settings import DEFAULTS, Settings

__all__ = [
    "IngestError",
    "Reject",
    "detect_kind",
    "ingest_corpus",
    "ingest_paths",
    "read_document",
    "read_transcript",
    "read_whatsapp",
]


def detect_kind(path: Path) -> str:
    """'whatsapp' or 'interview' for a file, from its extension and (.txt) its first lines."""
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return "whatsapp"
    if suffix != ".txt":
        return "interview"
    text, _ = read_text(path)
    lines = [line for line in text.split("\n", 200)[:200] if line.strip()]
    headers = sum(1 for line in lines if HEADER_PROBE.match(line))
    return "whatsapp" if headers and headers >= len(lines) / 3 else "interview"


def read_document(
    document: Document, settings: Settings = DEFAULTS, rejects: list[Reject] | None = None
) -> pd.DataFrame:
    """Read one corpus document with the reader its kind (or extension) calls for."""
    path = document.path
    if not path.exists():
        raise IngestError(path, "fichier introuvable")
    suffix = path.suffix.lower()
    if suffix not in TRANSCRIPT_SUFFIXES and suffix != ".zip":
        raise IngestError(path, f"format non pris en charge ({suffix or 'sans extension'})")
    kind = document.kind or detect_kind(path)
    if kind == "whatsapp":
        return read_whatsapp(path, document, settings, rejects)
    return read_transcript(path, document)


def _read_one(document: Document, settings: Settings):
    """(segments or None, rejects, warning messages) for one document; never raises."""
    rejects: list[Reject] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = read_document(document, settings, rejects)
        except IngestError as exc:
            frame = None
            rejects.append(Reject(document.relpath, exc.reason, exc.line))
        except Exception as exc:  # one broken file never sinks the corpus
            frame = None
            rejects.append(Reject(document.relpath, f"erreur inattendue ({type(exc).__name__}: {exc})"))
    return frame, rejects, [str(w.message) for w in caught]


def worker_count(settings: Settings, tasks: int) -> int:
    """Processes to use: the setting, or (0) one per core when there is enough work."""
    if settings.workers:
        return max(1, min(settings.workers, tasks))
    return max(1, min(os.cpu_count() or 1, tasks // 16))


def _read_all(documents: list[Document], settings: Settings, label: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    workers = worker_count(settings, len(documents))
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(track(pool.map(_read_one, documents, [settings] * len(documents), chunksize=4), label, len(documents)))
    else:
        results = [_read_one(d, settings) for d in track(documents, label)]
    frames, rejects = [], []
    for frame, found, messages in results:
        for message in messages:
            warnings.warn(message, UserWarning, stacklevel=3)
        rejects.extend(found)
        if frame is not None:
            frames.append(frame)
    segments = pd.concat(frames, ignore_index=True) if frames else schema.empty_segments()
    return schema.validate_segments(schema.coerce(segments)), rejects_frame(rejects)


def ingest_corpus(corpus: Corpus, settings: Settings | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every document of a corpus; return (segments, rejects)."""
    return _read_all(corpus.documents, settings or corpus.settings(), "Lecture du corpus")


def ingest_paths(paths: list[str | Path], settings: Settings = DEFAULTS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read loose files (or every supported file of the folders given); return (segments, rejects)."""
    from enquete.corpus import discover_files

    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(discover_files(p) if p.is_dir() else [p])
    documents = [document_for(f, None) for f in files]
    return _read_all(documents, settings, "Lecture des fichiers")
