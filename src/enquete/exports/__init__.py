"""Exports for other tools: REFI-QDA (.qdpx, .qdc), the code × document matrix, IRaMuTeQ.

``write_exports`` is what ``enquete run`` calls; the segment table itself (with codes and
scores) is already ``outputs/segments.parquet``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from enquete.codebook import Codebook
from enquete.corpus import slugify
from enquete.errors import SchemaError
from enquete.exports.refi_qda import QdpxImport, RefiQdaError, attributes_from_json, coded_selections, export_qdc, export_qdpx, import_qdpx
from enquete.io import SPACES, read_table, write_table, write_text
from enquete.schema import code_indicators, coded_rows
from enquete.vocabulary import localise

__all__ = [
    "QdpxImport",
    "RefiQdaError",
    "attributes_from_json",
    "code_document_matrix",
    "export_qdc",
    "export_qdpx",
    "import_qdpx",
    "coded_selections",
    "read_coding",
    "iramuteq_corpus",
    "write_exports",
]


def read_coding(path: str | Path, codebook: Codebook) -> pd.DataFrame:
    """A human coding to learn from: a table (``codes`` with ``segment_id`` and/or ``text``:
    .csv, .xlsx, .parquet) or a REFI-QDA project from any tool (its coded passages)."""
    if Path(path).suffix.lower() == ".qdpx":
        return coded_selections(path, codebook)
    table = read_table(path)
    if "codes" not in table or not ({"segment_id", "text"} & set(table.columns)):
        raise SchemaError(f"{path} : un codage doit avoir une colonne codes, et segment_id ou text")
    return table


def code_document_matrix(coded: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """One row per document: its attributes, then per code the number of segments coded
    (``<code>``) and whether it appears at all (``<code>_present``, 0/1), for R or Excel."""
    rows = coded[coded["codes"].notna()] if "codes" in coded else coded.iloc[0:0]
    documents = coded.groupby("document_id", sort=True).agg(
        initiative=("initiative", "first"), source_type=("source_type", "first"), respondent_role=("respondent_role", "first"),
    )
    documents["codable_segments"] = rows.groupby("document_id").size().reindex(documents.index).fillna(0).astype(int)
    counts = code_indicators(rows["codes"], codebook.ids).groupby(rows["document_id"]).sum()
    counts = counts.reindex(index=documents.index, fill_value=0).astype(int)
    present = (counts > 0).astype(int).add_suffix("_present")
    return pd.concat([documents, counts, present], axis=1).reset_index()


def _modality(value) -> str:
    """An IRaMuTeQ variable modality: letters, digits and underscores only."""
    return slugify(str(value)) if isinstance(value, str) and value.strip() else "nr"


def _clean(texts: pd.Series) -> pd.Series:
    """Texts safe for the Alceste format: no asterisks (they start command lines), one line each."""
    return texts.fillna("").str.replace("*", " ", regex=False).str.replace(SPACES, " ", regex=True).str.strip()


def iramuteq_corpus(coded: pd.DataFrame) -> str:
    """The corpus in IRaMuTeQ's Alceste format: one text per document (what is coded: speech of
    the people interviewed, members' messages, observation notes, document passages), introduced by ``**** *doc_X *initiative_Y *source_Z *role_W``."""
    speech = coded[coded_rows(coded)]
    speech = speech.assign(text=_clean(speech["text"]))
    parts = []
    for document_id, doc in speech.sort_values(["document_id", "position"], kind="stable").groupby("document_id", sort=True):
        first = doc.iloc[0]
        role = {"interview": first.get("respondent_role"), "whatsapp": "membre_whatsapp"}.get(first["source_type"], first["source_type"])
        header = (
            f"**** *doc_{_modality(document_id)} *initiative_{_modality(first.get('initiative'))} "
            f"*source_{_modality(first['source_type'])} *role_{_modality(role)}"
        )
        body = "\n".join(t for t in doc["text"].tolist() if t)
        parts.append(f"{header}\n{body}\n")
    return "\n".join(parts)


def write_exports(
    coded: pd.DataFrame, codebook: Codebook, folder: str | Path, name: str, initiatives: dict[str, str] | None = None,
    language: str = "fr", attributes: dict[str, dict] | None = None,
) -> list[Path]:
    """Every export of a coded corpus into ``folder`` (``attributes``: document id → manifest attributes)."""
    folder = Path(folder)
    matrix = localise(code_document_matrix(coded, codebook), language)
    return [
        export_qdpx(coded, codebook, folder / "projet.qdpx", name, initiatives, language, attributes),
        export_qdc(codebook, folder / f"{codebook.id}.qdc", language),
        write_table(matrix, folder / "matrice_codes_documents.csv", language),
        write_table(matrix, folder / "matrice_codes_documents.xlsx"),
        write_text(folder / "iramuteq.txt", iramuteq_corpus(coded)),
    ]
