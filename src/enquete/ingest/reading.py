"""Reading a corpus: each file with the reader its kind calls for, in worker processes, every
unreadable file a row of the rejects report instead of a stop."""

from __future__ import annotations

import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from enquete import schema
from enquete.corpus import SUPPORTED_SUFFIXES, Corpus, Document
from enquete.errors import IngestError
from enquete.ingest.common import Reject, rejects_frame
from enquete.ingest.field import PARAGRAPH_READERS, looks_like_observation, read_field_document, read_observation
from enquete.ingest.social import load_json, read_social, social_format
from enquete.ingest.text import read_text
from enquete.ingest.transcripts import read_transcript
from enquete.ingest.turns import build_turns
from enquete.ingest.whatsapp import looks_like_chat, read_whatsapp
from enquete.progress import track
from enquete.settings import DEFAULTS, Settings


def detect_kind(path: Path) -> str:
    """'whatsapp', 'social', 'document', 'observation' or 'interview' for a file, from its
    extension and its content.

    A .txt is a chat when its first lines hold message headers (in any format WhatsApp
    writes, or date, time and a name in a form it does not know: the WhatsApp reader
    then rejects it with the reason), never by the share of such lines: a chat of long
    multi-line messages is still a chat. A .json is a social-network export when its messages
    or entries are Telegram's, Messenger's, Instagram's or Facebook's, else a transcript; a
    .pdf is a document. Notes without speaker labels whose paragraphs open dated entries
    are observation notes.
    """
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return "whatsapp"
    if suffix == ".pdf":
        return "document"
    if suffix == ".json":
        return "social" if social_format(load_json(path)) else "interview"
    if suffix == ".txt":
        text, _ = read_text(path)
        if looks_like_chat(text.split("\n", 400)[:400]):
            return "whatsapp"
    if suffix in PARAGRAPH_READERS:
        lines = PARAGRAPH_READERS[suffix](path)
        if looks_like_observation(lines) and build_turns(lines, [])[1].layout == "none":
            return "observation"
    return "interview"


def read_document(
    document: Document, settings: Settings = DEFAULTS, rejects: list[Reject] | None = None
) -> pd.DataFrame:
    """Read one corpus document with the reader its kind (or extension) calls for."""
    path = document.path
    if not path.exists():
        raise IngestError(path, "fichier introuvable")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(path, f"format non pris en charge ({suffix or 'sans extension'})")
    kind = document.kind or detect_kind(path)
    if kind == "whatsapp":
        return read_whatsapp(path, document, settings, rejects)
    if kind == "social":
        return read_social(path, document, settings)
    if kind == "observation":
        return read_observation(path, document)
    if kind == "document":
        return read_field_document(path, document)
    return read_transcript(path, document)


def _read_one(document: Document, settings: Settings):
    """(segments or None, rejects, warning messages) for one document; never raises.

    The segments' ``attrs["reading"]`` says how the document was read.
    """
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
    return frame, rejects, [(str(w.message), w.category) for w in caught]


def _read_all(
    documents: list[Document], settings: Settings, label: str, reading: list[dict] | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    workers = settings.worker_count(len(documents))
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(track(pool.map(_read_one, documents, [settings] * len(documents), chunksize=4), label, len(documents)))
    else:
        results = [_read_one(d, settings) for d in track(documents, label)]
    frames, rejects = [], []
    for document, (frame, found, messages) in zip(documents, results):
        for message, category in messages:
            warnings.warn(message, category, stacklevel=3)
        rejects.extend(found)
        if frame is not None:
            if reading is not None:
                reading.append({"document_id": document.id, "source_path": document.relpath, **frame.attrs.get("reading", {})})
            frame.attrs.clear()  # the table travels through every stage: no per-document baggage
            frames.append(frame)
    segments = pd.concat(frames, ignore_index=True) if frames else schema.empty_segments()
    return schema.validate_segments(schema.coerce(segments)), rejects_frame(rejects)


def ingest_corpus(
    corpus: Corpus, settings: Settings | None = None, reading: list[dict] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every document of a corpus; return (segments, rejects).

    Parameters
    ----------
    corpus : the corpus (:func:`enquete.corpus.load_corpus`).
    settings : reading settings (default: the corpus's).
    reading : if a list is given, one dict per document read is appended to it: how it
        was read (transcripts: layout, times, speakers, role decision; WhatsApp: header
        format, date order, language). :func:`describe_reading` puts it in words.
    """
    return _read_all(corpus.documents, settings or corpus.settings(), "Lecture du corpus", reading)


def ingest_paths(
    paths: list[str | Path], settings: Settings = DEFAULTS, reading: list[dict] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read loose files (or every supported file of the folders given); return (segments, rejects).

    A folder's files keep their path below it ("exports/a/_chat.txt"); document ids are
    unique and stable even when file names collide (:func:`enquete.corpus.document_ids`).

    Parameters
    ----------
    paths : files and folders.
    settings : reading settings (date order, zip limits...).
    reading : as for :func:`ingest_corpus`.
    """
    from enquete.corpus import discover_files, document_ids

    files: list[tuple[Path, str]] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend((f, (Path(p.name) / f.relative_to(p)).as_posix()) for f in discover_files(p))
        else:
            files.append((p, p.name))
    ids = document_ids([relpath for _, relpath in files])
    documents = [Document(id=i, path=f, relpath=relpath, in_manifest=False) for (f, relpath), i in zip(files, ids)]
    return _read_all(documents, settings, "Lecture des fichiers", reading)
