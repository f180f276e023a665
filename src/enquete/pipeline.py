"""`enquete run`: the stages chained over the segment table, outputs written to a folder.

ingest → pseudonymise → code → analyse → topics → report. Each stage is a plain function
of the segment table (see the stage modules); this module only chains them, times them
and writes what they produce.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from enquete import __version__
from enquete.analysis import analyse, write_analyses, write_figures
from enquete.codebook import Codebook, load_codebook
from enquete.coding import Coder, DecisionStore, code_segments, export_review, learning_set, sample_decisions
from enquete.corpus import OUTPUT_MARKER, Corpus, load_corpus
from enquete.errors import ConfigError, OutputError, PrivacyError
from enquete.exports import read_coding, write_exports
from enquete.ingest import ingest_corpus, worker_count
from enquete.io import read_table, write_json, write_table
from enquete.private import KEY_FILE, REJECTED_CONTENT_FILE, REPLACEMENTS_FILE, cache_dir, private_dir, review_dir, write_private
from enquete.pseudonymise import pseudonymise
from enquete.report import ReportData, build_report
from enquete.reproducibility import build_manifest, write_manifest
from enquete.schema import code_counts, speech_rows
from enquete.settings import REPORT_SECTIONS, Settings, make_settings
from enquete.topics import TopicError, Topics, fit_topics, topic_tables, with_topics, write_topics
from enquete.vocabulary import internal, label, localise

REPORT_FILE = "rapport_restitution.docx"
RUN_SUMMARY = "run_summary.json"


@dataclass
class RunResult:
    """A run: what it read, the tables it made, the files it wrote (see :func:`run`, :func:`load_run`)."""

    corpus: Corpus | None  # None when a run is read back without its corpus (exports)
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
    coding: dict = field(default_factory=dict)  # how the codes were made: training, codes learned, segments reviewed
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


def run(corpus_path: str | Path, out_dir: str | Path, **overrides) -> RunResult:
    """Run every available stage on a corpus folder and write the outputs to out_dir.

    Parameters
    ----------
    corpus_path : the corpus folder (with or without corpus.yaml).
    out_dir : the output folder (never the corpus's private folder, nor holding it).
    overrides : settings given over the corpus's (``language="en"``, ``pseudonymise=False``...).
    """
    corpus = load_corpus(corpus_path)
    settings = corpus.settings(**overrides)
    out = Path(out_dir)
    private = private_dir(corpus.root, settings, out)
    check_llm(settings)
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
        result.files += write_analyses(result.tables, out / "tables", language=settings.language)
        result.files += write_figures(result.tables, result.codebook, out / "figures", initiatives, settings.language, settings.seed,
                                      workers=worker_count(settings, len(result.tables), per_worker=4), min_base=settings.min_base)
    with _Timer(timings, "topics"):
        _topics(result, private, initiatives)
    with _Timer(timings, "report"):
        report = write_report(result)
        result.files += [report, report.with_suffix(".pdf")] if settings.report_pdf else [report]
    with _Timer(timings, "exports"):
        attributes = {  # text values pseudonymised like file names: an attribute may name someone
            result.mask(d.id): {k: result.mask(v) if isinstance(v, str) else v for k, v in d.attributes.items()} for d in corpus.documents if d.attributes
        }
        result.project = {"name": corpus.manifest.title or corpus.root.name, "initiatives": initiatives, "document_attributes": attributes}
        result.files += write_exports(result.segments, result.codebook, out / "exports", result.project["name"], initiatives, settings.language, attributes)
    with _Timer(timings, "outputs"):
        _write_outputs(result)  # last: the segment table with its topics, then the manifest
    sent_to = {k: result.coding["llm"][k] for k in ("host", "model", "prompt_hash")} if "llm" in result.coding else None
    write_manifest(out, build_manifest(corpus.root, _inputs(result), settings.model_dump(), out, timings, result.files, sent_to))
    return result


def _inputs(result: RunResult) -> dict[str, Path]:
    """Every file the run read, by (pseudonymised) name relative to the corpus."""
    corpus, settings = result.corpus, result.settings
    files = [corpus.root / "corpus.yaml", *(d.path for d in corpus.documents)]
    for extra in (settings.training_codes, settings.review_sample, settings.report_template, settings.codebook):
        if extra and (corpus.root / extra).is_file():
            files.append(corpus.root / extra)
    return {result.mask(p.relative_to(corpus.root).as_posix()): p for p in files if p.is_file()}


def write_report(result: RunResult, template: str | Path | None = None, title: str | None = None, without: tuple[str, ...] = (),
                 pdf: bool | None = None) -> Path:
    """Write the run's report (rapport_restitution.docx) in its output folder.

    Parameters
    ----------
    result : a run (:func:`run`, or :func:`load_run` with its corpus).
    template : the agency's .docx template (default: the corpus's setting, else enquete's).
    title : a title over the corpus's.
    without : sections left out (names of ``settings.report_sections``).
    pdf : also write rapport_restitution.pdf through LibreOffice (default: ``settings.report_pdf``).
    """
    unknown = set(without) - set(REPORT_SECTIONS)
    if unknown:
        raise ConfigError(f"sections inconnues : {', '.join(sorted(unknown))} (attendu : {', '.join(REPORT_SECTIONS)})")
    data = report_data(result)
    data.title = title or data.title
    settings = result.settings
    template = template or (result.corpus.root / settings.report_template if settings.report_template else None)
    sections = tuple(s for s in settings.report_sections if s not in without)
    return build_report(data, result.out_dir / REPORT_FILE, template=template, sections=sections,
                        pdf=settings.report_pdf if pdf is None else pdf)


def load_run(out_dir: str | Path, corpus: str | Path | Corpus | None = None) -> RunResult:
    """A finished run read back from its output folder: segments, analysis tables, codebook,
    pseudonymisation counts, settings (the corpus's, in the run's language) and project.

    Parameters
    ----------
    out_dir : the run's output folder.
    corpus : the corpus (a folder or a loaded one): needed to rewrite the report, not for exports.
    """
    out = Path(out_dir)
    if not (out / RUN_SUMMARY).is_file() or not (out / "segments.parquet").is_file():
        raise OutputError(f"{out} : pas les sorties d'un run (lancez d'abord enquete run)")
    summary_path = out / RUN_SUMMARY
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    language = summary.get("settings", {}).get("language")  # the run's tables and figures are in it
    loaded = load_corpus(corpus) if isinstance(corpus, (str, Path)) else corpus
    settings = loaded.settings(language=language) if loaded else make_settings(language=language)
    tables = {path.stem: internal(_read_analysis(path)) for path in sorted((out / "tables").glob("*.csv"))}
    segments = internal(pd.read_parquet(out / "segments.parquet"))
    result = RunResult(loaded, settings, out, segments, read_table(out / "rejets.csv"), tables=tables, project=summary.get("project", {}))
    result.codebook = load_codebook(summary.get("codebook") or settings.codebook)
    result.coding = summary.get("coding", {})
    pseudo = out / "pseudonymisation.csv"
    result.pseudonymisation = read_table(pseudo) if pseudo.is_file() else None
    return result


def _read_analysis(path: Path) -> pd.DataFrame:
    """An analysis table as the run made it: its date columns (written 'YYYY-MM-DD hh:mm:ss') read back as dates."""
    table = pd.read_csv(path, encoding="utf-8-sig")
    for column in table.select_dtypes(include=["object", "string"]).columns:
        values = table[column].dropna()
        if len(values) and values.astype(str).str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}").all():
            table[column] = pd.to_datetime(table[column])
    return table


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
        coding=result.coding,
        settings=result.settings.model_dump(),
        language=result.settings.language,
    )


def _topics(result: RunResult, private: Path, initiatives: dict[str, str]) -> None:
    try:
        fitted, tables, files = topics_stage(result.segments, result.codebook, result.settings, result.out_dir / "tables",
                                             result.out_dir / "figures", cache_dir(private), initiatives)
    except TopicError as exc:
        result.notices.append(f"thèmes non calculés : {exc}")
        return
    result.tables.update(tables)
    result.files += files
    result.topics = replace(fitted, embeddings=fitted.embeddings[:0])  # the run keeps tables, not a vector per segment
    result.segments = with_topics(result.segments, fitted)


def topics_stage(
    segments: pd.DataFrame,
    codebook: Codebook,
    settings: Settings,
    tables_dir: Path,
    figures_dir: Path,
    cache: Path | None = None,
    initiatives: dict[str, str] | None = None,
) -> tuple[Topics, dict[str, pd.DataFrame], list[Path]]:
    """Fit the topic map on the speech rows and write its tables and figures.

    Parameters
    ----------
    segments : the coded segment table.
    codebook : for the topics × factors table.
    settings : topics, seed, topic_embeddings, topic_reduction, spacy_model, language, workers.
    tables_dir, figures_dir : where to write the tables and the figures (the same folder is fine).
    cache : a private folder for the spaCy analysis cache.
    initiatives : initiative id → name, for the figures.
    """
    speech = segments.loc[speech_rows(segments), ["segment_id", "text"]]  # what fit_topics reads
    fitted = fit_topics(speech, n_topics=settings.topics, seed=settings.seed, embeddings=settings.topic_embeddings, reduction=settings.topic_reduction,
                        model=settings.spacy_model, cache_dir=cache, workers=worker_count(settings, len(speech) // 500), language=settings.language)
    tables = topic_tables(fitted, segments, codebook.ids)
    files = write_analyses(tables, tables_dir, workbook="themes.xlsx", language=settings.language)
    files += write_topics(fitted, tables, segments, codebook, figures_dir, settings.language, initiatives,
                          workers=worker_count(settings, 4, per_worker=2))
    return fitted, tables, files


def _code(result: RunResult, private: Path) -> None:
    corpus, settings = result.corpus, result.settings
    codebook = load_codebook(_codebook_path(corpus, settings.codebook))
    coder = _coder(result, codebook, private)
    result.segments = code_segments(result.segments, coder, *_human_coding(result, codebook, private))
    result.codebook = codebook
    reviewed = result.segments["revision"].eq("human")
    drawn = int((reviewed & result.segments["review_draw"].eq("random")).sum())
    learned = coder.learning_.loc[coder.learning_["learned"], "code"].tolist() if coder.fitted_ else []
    result.coding = {
        "training_rows": len(coder.training_), "training_by_id": coder.training_.by_id, "training_by_text": coder.training_.by_text,
        "learned": learned, "reviewed": int(reviewed.sum()), "random_sample": drawn,
    }
    result.notices.append(f"codage : {coder.training_.describe()}" + (f" ; {coder.describe_learning()}" if coder.fitted_ else ""))
    if settings.llm.enabled:
        result.coding["llm"] = coder.report_
        result.notices.append(f"modèle de langue : {coder.describe_asking()}")
    if reviewed.any():
        result.notices.append(f"{int(reviewed.sum())} décision(s) humaine(s) appliquée(s) au codage, dont {drawn} sur un échantillon tiré au hasard")


def llm_plan(corpus_path: str | Path, **overrides):
    """What coding the corpus with its language model would send (:class:`~enquete.coding.llm.Plan`),
    sending nothing: the corpus is read and pseudonymised, as a run would, in memory."""
    corpus = load_corpus(corpus_path)
    settings = corpus.settings(**overrides)
    if not settings.llm.enabled:
        raise ConfigError("--llm-dry-run sans serveur de modèle : donnez --llm-url et --llm-model (ou settings.llm)")
    check_llm(settings)
    private = private_dir(corpus.root, settings, None)
    segments, rejects = ingest_corpus(corpus, settings)
    result = RunResult(corpus, settings, Path(), segments, rejects)
    if settings.pseudonymise:
        _pseudonymise(result, private)
    codebook = load_codebook(_codebook_path(corpus, settings.codebook))
    coder = _coder(result, codebook, private)
    learned = learning_set(result.segments, *_human_coding(result, codebook, private))  # as code_segments learns
    if len(learned):
        coder.fit(learned.rows, learned.codes)
    return coder.plan(result.segments)


def check_llm(settings: Settings) -> None:
    """Before anything is read: a language model is only sent pseudonymised text, on a local or
    private host unless the user confirmed another."""
    if settings.llm.enabled:
        from enquete.coding.llm import endpoint_host

        if not settings.pseudonymise:
            raise PrivacyError("codage par modèle de langue refusé sans pseudonymisation : seul du texte pseudonymisé quitte la machine")
        endpoint_host(settings.llm.url, settings.llm.allow_remote)


def _human_coding(result: RunResult, codebook: Codebook, private: Path) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """What people coded for this corpus: the training coding (``settings.training_codes``) and the
    review decisions, the random control sample (``settings.review_sample``) first."""
    corpus, settings = result.corpus, result.settings
    training = read_coding(corpus.root / settings.training_codes, codebook) if settings.training_codes else None  # checked at load
    decisions = DecisionStore(review_dir(private)).load(codebook.id)
    if settings.review_sample:
        sample = sample_decisions(read_coding(corpus.root / settings.review_sample, codebook), result.segments, codebook, result.mask(settings.review_sample))
        decisions = pd.concat([sample, decisions], ignore_index=True)
    return training, decisions


def _coder(result: RunResult, codebook: Codebook, private: Path):
    """The offline coder, or the language-model coder over it when ``settings.llm`` names a server
    (pseudonymised text only)."""
    settings = result.settings
    coder = Coder(codebook, model=settings.spacy_model, cache_dir=cache_dir(private), seed=settings.seed,
                  workers=worker_count(settings, len(result.segments) // 500))
    if not settings.llm.enabled:
        return coder
    check_llm(settings)
    from enquete.coding.llm import LLMCoder

    return LLMCoder(codebook, settings.llm, offline=coder, cache_dir=cache_dir(private), language=settings.language, seed=settings.seed)


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
        allow=corpus.manifest.kept_names(),
        deny=config.deny,
        previous_key=previous,
        model=settings.spacy_model,
        workers=worker_count(settings, len(result.segments) // 500),
        cache_dir=cache_dir(private) if settings.keep_pseudonym_key else None,  # it holds raw names: never in irreversible mode
    )
    raw_rejects = result.rejects
    result.segments = done.segments
    result.rejects = raw_rejects.assign(
        source_path=raw_rejects["source_path"].map(done.mask).astype("string"),
        reason=raw_rejects["reason"].map(done.mask).astype("string"),
        content=pd.NA,
    )
    result.pseudonymisation = done.summary(settings.language)  # as written in outputs/
    result.mask = done.mask
    if settings.keep_pseudonym_key:
        write_private(private, {KEY_FILE: localise(done.key, settings.language), REPLACEMENTS_FILE: localise(done.replacements, settings.language),
                                REJECTED_CONTENT_FILE: raw_rejects})
    else:
        result.notices.append("mode irréversible : aucune table de correspondance n'est conservée")


def _write_outputs(result: RunResult) -> None:
    out, segments = result.out_dir, result.segments
    files = result.files
    files.append(write_table(corpus_summary(segments), out / "corpus_documents.csv"))
    files.append(write_table(result.rejects.drop(columns=["content"]), out / "rejets.csv"))
    written = localise(segments, result.settings.language)  # revision: "humain" in French
    files.append(write_table(written, out / "segments.parquet"))
    if result.codebook is not None:
        columns = ["segment_id", "document_id", "initiative", "source_type", "speaker", "speaker_role", "text", "codes"]
        columns += [f"score_{c}" for c in result.codebook.ids] + ["evidence", "revision"]
        coded = written[written["codes"].notna()]
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
            out / RUN_SUMMARY,
            {
                "enquete_version": __version__,
                "documents": int(segments["document_id"].nunique()),
                "segments_by_type": segments["message_type"].value_counts().sort_index().to_dict(),
                "rejects": len(result.rejects),
                "pseudonymised": result.settings.pseudonymise,
                "replacements_by_entity": (
                    result.pseudonymisation.groupby("entity")[label("replacements", result.settings.language)].sum().to_dict()
                    if result.pseudonymisation is not None
                    else {}
                ),
                "codebook": result.codebook.id if result.codebook is not None else None,
                "coding": result.coding,
                "codes_applied": code_counts(segments["codes"]).sort_index().to_dict() if "codes" in segments else {},
                "settings": result.settings.model_dump(),
                "project": result.project,  # what `enquete export qdpx` needs to rebuild the run's project
            },
        )
    )
