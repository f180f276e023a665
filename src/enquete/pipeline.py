"""`enquete run`: the stages chained over the segment table, outputs written to a folder.

ingest → pseudonymise → code → analyse → topics → report. Each stage is a plain function
of the segment table (see the stage modules); this module only chains them, times them
and writes what they produce.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from enquete import __version__
from enquete.analysis import analyse, write_analyses, write_figures
from enquete.codebook import Codebook, load_codebook
from enquete.coding import Coder, DecisionStore, agreement, code_segments, export_review
from enquete.corpus import OUTPUT_MARKER, Corpus, CorpusError, load_corpus
from enquete.exports import write_exports
from enquete.ingest import ingest_corpus, worker_count
from enquete.io import read_table, write_json, write_table, write_text
from enquete.pseudonymise import pseudonymise
from enquete.report import ReportData, build_report
from enquete.reproducibility import build_manifest, write_manifest
from enquete.schema import code_counts
from enquete.settings import Settings
from enquete.topics import TopicError, Topics, fit_topics, topic_tables, write_topics

KEY_FILE = "pseudonymes.csv"
REPLACEMENTS_FILE = "remplacements.csv"


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
    pseudonymisation: pd.DataFrame | None = None
    codebook: Codebook | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    topics: Topics | None = None
    agreement: pd.DataFrame | None = None
    mask: Callable[[str], str] = str  # pseudonymises a name (file names in the manifest, say)
    project: dict = field(default_factory=dict)  # REFI-QDA project name, initiative names, document attributes


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


def private_dir(corpus: Corpus, settings: Settings, out_dir: Path) -> Path:
    """Where the pseudonym key is kept: the corpus's private folder, never under out_dir."""
    folder = (corpus.root / settings.private_dir).resolve()
    out = out_dir.resolve()
    if folder == out or out in folder.parents or folder in out.parents:
        raise CorpusError(f"le dossier privé {folder} et le dossier des sorties {out} doivent être séparés")
    return folder


def write_private(folder: Path, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """Write private tables (pseudonym key, originals) in a folder git will ignore."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / ".gitignore").exists():
        write_text(folder / ".gitignore", "# données personnelles : ne jamais versionner\n*\n")
    written = [write_table(df, folder / name) for name, df in tables.items()]
    for path in written:
        path.chmod(0o600)
    return written


def run(corpus_path: str | Path, out_dir: str | Path, **overrides) -> RunResult:
    """Run every available stage on a corpus folder and write the outputs to out_dir."""
    corpus = load_corpus(corpus_path)
    settings = corpus.settings(**overrides)
    out = Path(out_dir)
    private = private_dir(corpus, settings, out)
    out.mkdir(parents=True, exist_ok=True)
    (out / OUTPUT_MARKER).touch()
    timings: dict[str, float] = {}
    with _Timer(timings, "ingest"):
        segments, rejects = ingest_corpus(corpus, settings)
    result = RunResult(corpus, settings, out, segments, rejects, timings=timings)
    if settings.pseudonymise:
        with _Timer(timings, "pseudonymise"):
            _pseudonymise(result, private)
    else:
        result.notices.append("PSEUDONYMISATION DÉSACTIVÉE : les sorties contiennent les données personnelles du corpus")
    with _Timer(timings, "code"):
        _code(result, private)
    initiatives = {i.id: i.name for i in corpus.manifest.initiatives}
    with _Timer(timings, "analyse"):
        result.tables.update(analyse(result.segments, result.codebook, initiatives, settings.reply_window_minutes, settings.language))
        result.files += write_analyses(result.tables, out / "tables")
        result.files += write_figures(result.tables, result.codebook, out / "figures", initiatives, settings.language, settings.seed,
                                      workers=worker_count(settings, len(result.tables), per_worker=4))
    with _Timer(timings, "topics"):
        _topics(result, private, initiatives)
    with _Timer(timings, "report"):
        result.files.append(build_report(report_data(result), out / "rapport_restitution.docx",
                                         template=_template(corpus, settings), sections=tuple(settings.report_sections)))
    with _Timer(timings, "exports"):
        attributes = {  # text values pseudonymised like file names: an attribute may name someone
            result.mask(d.id): {k: result.mask(v) if isinstance(v, str) else v for k, v in d.attributes.items()} for d in corpus.documents if d.attributes
        }
        result.project = {"name": corpus.manifest.title or corpus.root.name, "initiatives": initiatives, "document_attributes": attributes}
        result.files += write_exports(result.segments, result.codebook, out / "exports", result.project["name"], initiatives, settings.language, attributes)
    with _Timer(timings, "outputs"):
        _write_outputs(result)  # last: the segment table with its topics, then the manifest
    write_manifest(out, build_manifest(corpus.root, _inputs(result), settings.model_dump(), out, timings, result.files))
    return result


def _inputs(result: RunResult) -> dict[str, Path]:
    """Every file the run read, by (pseudonymised) name relative to the corpus."""
    corpus, settings = result.corpus, result.settings
    files = [corpus.root / "corpus.yaml", *(d.path for d in corpus.documents)]
    for extra in (settings.training_codes, settings.report_template, settings.codebook):
        if extra and (corpus.root / extra).is_file():
            files.append(corpus.root / extra)
    return {result.mask(p.relative_to(corpus.root).as_posix()): p for p in files if p.is_file()}


def _template(corpus: Corpus, settings: Settings) -> Path | None:
    return corpus.root / settings.report_template if settings.report_template else None


def report_data(result: RunResult) -> ReportData:
    """What the report needs from a run: tables, figures, manifest's report settings."""
    manifest = result.corpus.manifest
    initiatives = pd.DataFrame(
        [(i.id, i.name, i.localisation, i.creation, i.description) for i in manifest.initiatives],
        columns=["id", "name", "localisation", "creation", "description"],
    )
    config = manifest.report
    return ReportData(
        segments=result.segments,
        tables=result.tables,
        codebook=result.codebook,
        figures=result.out_dir / "figures",
        title=config.title or manifest.title,
        subtitle=config.subtitle,
        authors=config.authors,
        organisation=config.organisation,
        date=config.date,
        context=config.context,
        initiatives=initiatives,
        pseudonymisation=result.pseudonymisation,
        agreement=result.agreement if result.agreement is not None else result.tables.get("accord_codage"),
        settings=result.settings.model_dump(),
        language=result.settings.language,
    )


def _topics(result: RunResult, private: Path, initiatives: dict[str, str]) -> None:
    settings, segments = result.settings, result.segments
    speech = segments.loc[segments["codes"].notna(), ["segment_id", "text"]]  # what fit_topics reads
    try:
        fitted = fit_topics(speech, n_topics=settings.topics, seed=settings.seed, embeddings=settings.topic_embeddings, reduction=settings.topic_reduction,
                            model=settings.spacy_model, cache_dir=private / "cache", workers=worker_count(settings, len(speech) // 500))
    except TopicError as exc:
        result.notices.append(f"thèmes non calculés : {exc}")
        return
    tables = topic_tables(fitted, segments, result.codebook.ids)
    result.tables.update(tables)
    result.topics = replace(fitted, embeddings=fitted.embeddings[:0])  # the run keeps tables, not a vector per segment
    topic_of = dict(zip(fitted.assignments["segment_id"], fitted.assignments["topic"]))
    result.segments = segments.assign(topic=segments["segment_id"].map(topic_of).astype("Int64"))
    result.files += write_analyses(tables, result.out_dir / "tables", workbook="themes.xlsx")
    result.files += write_topics(fitted, tables, result.segments, result.codebook, result.out_dir / "figures", settings.language, initiatives,
                                 workers=worker_count(settings, 4, per_worker=2))


def _code(result: RunResult, private: Path) -> None:
    corpus, settings = result.corpus, result.settings
    codebook = load_codebook(_codebook_path(corpus, settings.codebook))
    coder = Coder(codebook, model=settings.spacy_model, cache_dir=private / "cache", seed=settings.seed,
                  workers=worker_count(settings, len(result.segments) // 500))
    training = None
    if settings.training_codes:
        path = corpus.root / settings.training_codes
        if not path.is_file():
            raise CorpusError(f"codes d'entraînement introuvables : {path}")
        training = read_table(path)
    decisions = DecisionStore(private / "revue").load(codebook.id)
    result.segments = code_segments(result.segments, coder, training, decisions)
    result.codebook = codebook
    reviewed = result.segments[result.segments["revision"] == "humain"]
    if len(reviewed):
        result.notices.append(f"{len(reviewed)} décision(s) humaine(s) appliquée(s) au codage")
        result.agreement = agreement(reviewed[["segment_id", "codes"]], reviewed[["segment_id", "codes_auto"]].rename(columns={"codes_auto": "codes"}), codebook.ids)
        result.tables["accord_codage"] = result.agreement


def _codebook_path(corpus: Corpus, name: str) -> str | Path:
    """A codebook name, or a path relative to the corpus folder."""
    candidate = corpus.root / name
    return candidate if name.endswith((".yaml", ".yml")) and candidate.is_file() else name


def _pseudonymise(result: RunResult, private: Path) -> None:
    corpus, settings = result.corpus, result.settings
    config = corpus.manifest.pseudonymisation
    key_path = private / KEY_FILE
    previous = read_table(key_path) if settings.keep_pseudonym_key and key_path.is_file() else None
    done = pseudonymise(
        result.segments,
        style=settings.pseudonym_style,
        seed=settings.seed,
        names=config.names,
        allow=config.allow,
        deny=config.deny,
        previous_key=previous,
        model=settings.spacy_model,
        workers=worker_count(settings, len(result.segments) // 500),
        cache_dir=private / "cache" if settings.keep_pseudonym_key else None,  # it holds raw names: never in irreversible mode
    )
    raw_rejects = result.rejects
    result.segments = done.segments
    result.rejects = raw_rejects.assign(
        source_path=raw_rejects["source_path"].map(done.mask).astype("string"),
        reason=raw_rejects["reason"].map(done.mask).astype("string"),
        content=pd.NA,
    )
    result.pseudonymisation = done.summary()
    result.mask = done.mask
    if settings.keep_pseudonym_key:
        write_private(private, {KEY_FILE: done.key, REPLACEMENTS_FILE: done.replacements, "rejets_contenu.csv": raw_rejects})
    else:
        result.notices.append("mode irréversible : aucune table de correspondance n'est conservée")


def _write_outputs(result: RunResult) -> None:
    out, segments = result.out_dir, result.segments
    files = result.files
    files.append(write_table(corpus_summary(segments), out / "corpus_documents.csv"))
    files.append(write_table(result.rejects.drop(columns=["content"]), out / "rejets.csv"))
    files.append(write_table(segments, out / "segments.parquet"))
    if result.codebook is not None:
        columns = ["segment_id", "document_id", "initiative", "source_type", "speaker", "speaker_role", "text", "codes"]
        columns += [f"score_{c}" for c in result.codebook.ids] + ["evidence", "revision"]
        coded = segments[segments["codes"].notna()]
        files.append(write_table(coded[columns], out / "codage.csv"))
        too_many = len(coded) > result.settings.review_workbook_rows
        if too_many:
            result.notices.append(f"{len(coded)} segments codés : revue en CSV (revue_codage.csv), un classeur Excel au-delà de "
                                  f"{result.settings.review_workbook_rows} lignes serait trop lent à écrire et à ouvrir")
        files.append(export_review(segments, result.codebook, out / ("revue_codage.csv" if too_many else "revue_codage.xlsx")))
    if result.pseudonymisation is not None:
        files.append(write_table(result.pseudonymisation, out / "pseudonymisation.csv"))
    files.append(
        write_json(
            out / "run_summary.json",
            {
                "enquete_version": __version__,
                "documents": int(segments["document_id"].nunique()),
                "segments_by_type": segments["message_type"].value_counts().sort_index().to_dict(),
                "rejects": len(result.rejects),
                "pseudonymised": result.settings.pseudonymise,
                "replacements_by_entity": (
                    result.pseudonymisation.groupby("entity")["remplacements"].sum().to_dict()
                    if result.pseudonymisation is not None
                    else {}
                ),
                "codebook": result.codebook.id if result.codebook is not None else None,
                "codes_applied": code_counts(segments["codes"]).sort_index().to_dict() if "codes" in segments else {},
                "settings": result.settings.model_dump(),
                "project": result.project,  # what `enquete export qdpx` needs to rebuild the run's project
            },
        )
    )
