"""`enquete run`: the stages chained over the segment table, outputs written to a folder.

ingest → pseudonymise → code → analyse → topics → report. Each stage is a plain function
of the segment table (see the stage modules); this module only chains them, times them
and writes what they produce.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from enquete import __version__
from enquete.corpus import Corpus, load_corpus
from enquete.ingest import ingest_corpus
from enquete.io import write_json, write_table
from enquete.settings import Settings


@dataclass
class RunResult:
    corpus: Corpus
    settings: Settings
    out_dir: Path
    segments: pd.DataFrame
    rejects: pd.DataFrame
    files: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


def corpus_summary(segments: pd.DataFrame) -> pd.DataFrame:
    """One row per document: kind, initiative, role, segment counts, period covered."""
    grouped = segments.groupby("document_id", sort=True)
    summary = pd.DataFrame(
        {
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


class _Timer:
    def __init__(self, timings: dict[str, float], name: str):
        self.timings, self.name = timings, name

    def __enter__(self):
        self.start = time.perf_counter()

    def __exit__(self, *exc):
        self.timings[self.name] = round(time.perf_counter() - self.start, 3)


def run(corpus_path: str | Path, out_dir: str | Path, **overrides) -> RunResult:
    """Run every available stage on a corpus folder and write the outputs to out_dir."""
    corpus = load_corpus(corpus_path)
    settings = corpus.settings(**overrides)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    with _Timer(timings, "ingest"):
        segments, rejects = ingest_corpus(corpus, settings)
    result = RunResult(corpus, settings, out, segments, rejects, timings=timings)
    _write_outputs(result)
    return result


def _write_outputs(result: RunResult) -> None:
    out, segments = result.out_dir, result.segments
    files = result.files
    files.append(write_table(corpus_summary(segments), out / "corpus_documents.csv"))
    files.append(write_table(result.rejects.drop(columns=["content"]), out / "rejets.csv"))
    if result.settings.pseudonymise:
        result.notices.append(
            "pseudonymisation demandée mais pas encore disponible : les textes ne sont pas écrits dans les sorties"
        )
    else:
        files.append(write_table(segments, out / "segments.parquet"))
    files.append(
        write_json(
            out / "run_summary.json",
            {
                "enquete_version": __version__,
                "documents": int(segments["document_id"].nunique()),
                "segments_by_type": segments["message_type"].value_counts().sort_index().to_dict(),
                "rejects": len(result.rejects),
                "timings_seconds": result.timings,
                "settings": result.settings.model_dump(),
            },
        )
    )
