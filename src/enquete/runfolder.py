"""The output folder of a run: what `enquete run` writes there, under which names, and how a
finished run is read back (to rewrite its report, export it, review it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from enquete import __version__
from enquete.errors import OutputError
from enquete.io import read_table, write_json, write_table
from enquete.private import REVIEW_FILE
from enquete.schema import code_counts, document_names
from enquete.settings import Settings, make_settings
from enquete.vocabulary import internal, label, localise

if TYPE_CHECKING:
    from enquete.codebook import Codebook
    from enquete.corpus import Corpus
    from enquete.study import Study
    from enquete.topics import Topics

REPORT_FILE = "rapport_restitution.docx"
RUN_SUMMARY = "run_summary.json"
SEGMENTS_FILE = "segments.parquet"
CODING_FILE = "codage.csv"
DOCUMENTS_FILE = "corpus_documents.csv"
REJECTS_FILE = "rejets.csv"
PSEUDONYMISATION_FILE = "pseudonymisation.csv"
REVIEW_WORKBOOK, REVIEW_CSV = "revue_codage.xlsx", "revue_codage.csv"
TABLES, FIGURES, EXPORTS = "tables", "figures", "exports"


@dataclass
class RunResult:
    """A run: what it read, the tables it made, the files it wrote (:meth:`enquete.Study.run`, :func:`load_run`)."""

    corpus: Corpus | None  # None when a run is read back without its corpus (exports)
    settings: Settings
    out_dir: Path
    segments: pd.DataFrame
    rejects: pd.DataFrame
    files: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    pseudonymisation: pd.DataFrame | None = None
    review: pd.DataFrame | None = None  # the replaced forms to check, without originals
    codebook: Codebook | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    topics: Topics | None = None
    coding: dict = field(default_factory=dict)  # how the codes were made: training, codes learned, segments reviewed
    mask: Callable[[str], str] = str  # pseudonymises a name (file names in the manifest, say)
    project: dict = field(default_factory=dict)  # REFI-QDA project name, initiative names, document attributes


def corpus_summary(segments: pd.DataFrame) -> pd.DataFrame:
    """One row per document: its readable name, kind, initiative, role, segment counts, period covered."""
    grouped = segments.groupby("document_id", sort=True)
    summary = pd.DataFrame(
        {
            "name": document_names(segments),
            "source_type": grouped["source_type"].first(),
            "initiative": grouped["initiative"].first(),
            "respondent_role": grouped["respondent_role"].first(),
            "document_date": grouped["document_date"].first(),
            "segments": grouped.size(),
            "speakers": grouped["speaker"].nunique(),
            "first": grouped["timestamp"].min(),
            "last": grouped["timestamp"].max(),
            "characters": grouped["text"].apply(lambda t: int(t.str.len().sum())),
        }
    )
    return summary.reset_index()


def load_run(out_dir: str | Path, corpus: str | Path | Corpus | Study | None = None) -> RunResult:
    """A finished run read back from its output folder: segments, analysis tables, codebook,
    pseudonymisation counts, settings (the corpus's, in the run's language) and project.

    Parameters
    ----------
    out_dir : the run's output folder.
    corpus : the corpus (a folder, a loaded corpus or a study): needed to rewrite the report, not for exports.
    """
    from enquete.codebook import load_codebook
    from enquete.corpus import Corpus, load_corpus

    out = Path(out_dir)
    if not (out / RUN_SUMMARY).is_file() or not (out / SEGMENTS_FILE).is_file():
        raise OutputError(f"{out} : pas les sorties d'un run (lancez d'abord enquete run)")
    summary = json.loads((out / RUN_SUMMARY).read_text(encoding="utf-8"))
    language = summary.get("settings", {}).get("language")  # the run's tables and figures are in it
    if corpus is None:
        loaded, settings = None, make_settings(language=language)
    elif isinstance(corpus, (str, Path, Corpus)):
        loaded = corpus if isinstance(corpus, Corpus) else load_corpus(corpus)
        settings = loaded.settings(language=language)
    else:  # a Study: its overrides hold, in the run's language
        loaded, settings = corpus.corpus, corpus.settings.model_copy(update={"language": language or corpus.settings.language})
    tables = {path.stem: internal(_read_analysis(path)) for path in sorted((out / TABLES).glob("*.csv"))}
    segments = internal(pd.read_parquet(out / SEGMENTS_FILE))
    result = RunResult(loaded, settings, out, segments, read_table(out / REJECTS_FILE), tables=tables, project=summary.get("project", {}))
    result.codebook = load_codebook(summary.get("codebook") or settings.codebook)
    result.coding = summary.get("coding", {})
    pseudo = out / PSEUDONYMISATION_FILE
    result.pseudonymisation = read_table(pseudo) if pseudo.is_file() else None
    result.review = read_table(out / REVIEW_FILE) if (out / REVIEW_FILE).is_file() else None
    return result


def is_run_folder(out_dir: str | Path) -> bool:
    """Whether a folder holds the outputs of a run."""
    return (Path(out_dir) / RUN_SUMMARY).is_file()


def _read_analysis(path: Path) -> pd.DataFrame:
    """An analysis table as the run made it: its date columns (written 'YYYY-MM-DD hh:mm:ss', or 'YYYY-MM-DD'
    when every time is midnight) read back as dates."""
    table = read_table(path)
    for column in table.select_dtypes(include=["object", "string"]).columns:
        values = table[column].dropna()
        if len(values) and values.astype(str).str.fullmatch(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2})?").all():
            table[column] = pd.to_datetime(table[column])
    return table


def write_outputs(result: RunResult) -> None:
    """Write the run's own files (documents, rejects, segment table, coding, review file,
    pseudonymisation counts, run summary) and add them to ``result.files``."""
    from enquete.coding import export_review

    out, segments, settings = result.out_dir, result.segments, result.settings
    files = result.files
    language = settings.language
    files.append(write_table(localise(corpus_summary(segments), language), out / DOCUMENTS_FILE, language))
    files.append(write_table(result.rejects.drop(columns=["content"]), out / REJECTS_FILE, language))
    files.append(write_table(segments, out / SEGMENTS_FILE))  # the code's names and values, whatever the language
    if result.codebook is not None:
        columns = ["segment_id", "document_id", "initiative", "source_type", "speaker", "speaker_role", "text", "codes"]
        columns += [f"score_{c}" for c in result.codebook.ids] + ["evidence", "revision"]
        coded = localise(segments.loc[segments["codes"].notna(), columns], language)  # revision: "humain" in French
        files.append(write_table(coded, out / CODING_FILE, language))
        too_many = len(coded) > settings.review_workbook_rows
        if too_many:
            result.notices.append(f"{len(coded)} segments codés : revue en CSV ({REVIEW_CSV}), un classeur Excel au-delà de "
                                  f"{settings.review_workbook_rows} lignes serait trop lent à écrire et à ouvrir")
        files.append(export_review(segments, result.codebook, out / (REVIEW_CSV if too_many else REVIEW_WORKBOOK), language))
    if result.pseudonymisation is not None:
        files.append(write_table(result.pseudonymisation, out / PSEUDONYMISATION_FILE, language))
        if result.review is not None:
            files.append(write_table(result.review, out / REVIEW_FILE, language))
    files.append(write_json(out / RUN_SUMMARY, _summary(result)))


def _summary(result: RunResult) -> dict:
    segments, settings = result.segments, result.settings
    return {
        "enquete_version": __version__,
        "documents": int(segments["document_id"].nunique()),
        "segments_by_type": segments["message_type"].value_counts().sort_index().to_dict(),
        "rejects": len(result.rejects),
        "pseudonymised": settings.pseudonymise,
        "replacements_by_entity": (
            result.pseudonymisation.groupby("entity")[label("replacements", settings.language)].sum().to_dict()
            if result.pseudonymisation is not None
            else {}
        ),
        "codebook": result.codebook.id if result.codebook is not None else None,
        "coding": result.coding,
        "codes_applied": code_counts(segments["codes"]).sort_index().to_dict() if "codes" in segments else {},
        "settings": settings.model_dump(),
        "project": result.project,  # what `enquete export qdpx` needs to rebuild the run's project
    }
