"""What every reader shares: document metadata, rejects, and the final segment table."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from enquete import schema
from enquete.corpus import Document, slugify

MONTHS = {m: i for i, m in enumerate(
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(), start=1)}
FRENCH_DATE = re.compile(r"\b(\d{1,2})(?:er)?\s+(" + "|".join(MONTHS) + r")\s+(\d{4})\b", re.IGNORECASE)
NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def written_date(text: str) -> dt.date | None:
    """The first date written in a text the French way ("14 mars 2022", "14/03/2022") or as ISO."""
    for pattern, order in ((FRENCH_DATE, "dmy"), (NUMERIC_DATE, "dmy"), (ISO_DATE, "ymd")):
        found = pattern.search(text)
        if not found:
            continue
        day, month, year = found.groups() if order == "dmy" else found.groups()[::-1]
        try:
            return dt.date(int(year), MONTHS.get(month.lower()) or int(month), int(day))
        except ValueError:
            continue
    return None


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


def _constant(value: str, n: int) -> pd.arrays.ArrowStringArray:
    """A string column holding one value (missing when the value is empty)."""
    scalar = pa.scalar(value or None, pa.large_string())
    return pd.arrays.ArrowStringArray(pa.repeat(scalar, n) if value else pa.nulls(n, pa.large_string()))


def finish(columns: dict[str, list | pd.Series], document: Document, source_type: str, title: str = "") -> pd.DataFrame:
    """Build a document's segment table from per-segment columns.

    Adds the document-level columns (ids, paths, initiative, manifest metadata), the
    positions and segment ids, types every column, and sets the offsets. ``title`` is the
    export's own name for the document (a chat's); the manifest's ``name:`` wins over it.
    """
    df = pd.DataFrame(columns)
    n = len(df)
    df.insert(0, "document_id", _constant(document.id, n))
    df["source_type"] = _constant(source_type, n)
    df["source_path"] = _constant(document.relpath, n)
    df["initiative"] = _constant(document.initiative, n)
    df["position"] = pd.array(np.arange(n), dtype="Int64")
    df["segment_id"] = schema.make_segment_ids(document.id, n)
    df["document_kind"] = _constant(document.kind or source_type, n)
    df["document_date"] = pd.Timestamp(document.date) if document.date else pd.NaT
    df["respondent_role"] = _constant(document.respondent_role, n)
    df["document_title"] = _constant(document.title or (title or "").strip(), n)
    for key, value in document.attributes.items():
        df[f"attr_{key}"] = value
    return schema.with_offsets(schema.coerce(df))
