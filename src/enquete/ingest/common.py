"""What every reader shares: document metadata, rejects, and the final segment table."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from enquete import schema
from enquete.corpus import Document, slugify


@dataclass(frozen=True)
class Reject:
    """A file, or a line of a file, that could not become a segment, and why."""

    source_path: str
    reason: str
    line: int | None = None
    content: str = ""


REJECT_COLUMNS = ("source_path", "line", "reason", "content")


def rejects_frame(rejects: list[Reject]) -> pd.DataFrame:
    """Rejects as a table (line is a nullable integer)."""
    df = pd.DataFrame([asdict(r) for r in rejects], columns=list(REJECT_COLUMNS))
    return df.astype({"source_path": "string", "line": "Int64", "reason": "string", "content": "string"})


def document_for(path: str | Path, document: Document | None) -> Document:
    """The given corpus document, or a default one for a file read on its own."""
    if document is not None:
        return document
    path = Path(path)
    return Document(id=slugify(path.stem), path=path, relpath=path.name, in_manifest=False)


def finish(columns: dict[str, list | pd.Series], document: Document, source_type: str) -> pd.DataFrame:
    """Build a document's segment table from per-segment columns.

    Adds the document-level columns (ids, paths, initiative, manifest metadata), the
    positions and segment ids, types every column, and sets the offsets.
    """
    df = pd.DataFrame(columns)
    n = len(df)
    df.insert(0, "document_id", document.id)
    df["source_type"] = source_type
    df["source_path"] = document.relpath
    df["initiative"] = document.initiative or pd.NA
    df["position"] = range(n)
    df["segment_id"] = [schema.make_segment_id(document.id, i) for i in range(n)]
    df["document_kind"] = document.kind or source_type
    df["document_date"] = pd.Timestamp(document.date) if document.date else pd.NaT
    df["respondent_role"] = document.respondent_role or pd.NA
    df["document_title"] = document.title or pd.NA
    for key, value in document.attributes.items():
        df[f"attr_{key}"] = value
    return schema.with_offsets(schema.coerce(df))
