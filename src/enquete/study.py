"""The one corpus-aware object: a corpus, its settings, and every stage of `enquete run`.

```python
import enquete
study = enquete.Study("corpora/demo")          # corpus.yaml read once, settings checked
raw = study.ingest()                           # as read, not pseudonymised
segments = study.segments(raw)                 # pseudonymised exactly as `enquete run` does
coded = study.code(segments)                   # the corpus's human codings and control sample
tables = study.analyse(coded)
topics = study.topics(coded)
study.run(out="outputs")                       # every stage, files written
```

Each method is a plain stage function (:mod:`enquete.ingest`, :mod:`enquete.pseudonymise`,
:mod:`enquete.coding`, :mod:`enquete.analysis`, :mod:`enquete.topics`, :mod:`enquete.report`)
given what the corpus says: its settings, its pseudonym key, its initiatives, what people
coded. The command line and the notebooks call the same methods, so they give the same answers.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enquete.corpus import OUTPUT_MARKER, Corpus, load_corpus
from enquete.errors import ConfigError, EnqueteWarning, PrivacyError
from enquete.private import KEY_FILE, REJECTED_CONTENT_FILE, REPLACEMENTS_FILE, REVIEW_FILE, cache_dir, private_dir, review_dir, write_private
from enquete.settings import REPORT_SECTIONS, Settings, setting_sources

if TYPE_CHECKING:
    import pandas as pd

    from enquete.codebook import Codebook
    from enquete.pseudonymise import Pseudonymisation
    from enquete.runfolder import RunResult
    from enquete.topics import Topics

__all__ = ["Study", "check_llm"]


class Study:
    """A corpus and its effective settings; each stage of a run as a method.

    Parameters
    ----------
    corpus : the corpus folder (with or without corpus.yaml), or a loaded :class:`~enquete.corpus.Corpus`.
    overrides : settings that take precedence over corpus.yaml, as the command line's options do
        (``Study(path, language="en", seed=1, codebook="leviers_action")``; a block such as
        ``llm={...}`` is merged field by field; None leaves a setting as it is).

    After a stage ran, the study keeps what it learnt on the way: ``rejects`` and ``reading``
    (ingest), ``pseudonymisation`` (:class:`~enquete.pseudonymise.Pseudonymisation`: its ``summary()``
    has counts only, its ``key`` is private), ``coding`` (what the coder learnt from), ``notices``
    (what a run prints) and ``warnings`` (every warning about the corpus, also shown as it comes;
    :meth:`warnings_table`).
    """

    def __init__(self, corpus: str | Path | Corpus, **overrides: Any):
        self.warnings: list[dict] = []
        with self._warnings("corpus"):  # a setting's error comes alone, without the corpus's warnings
            self.corpus = corpus if isinstance(corpus, Corpus) else load_corpus(corpus)
            self.settings: Settings = self.corpus.settings(**overrides)
            self.codebook  # noqa: B018 - checked now, not after an hour of reading
        self.sources = setting_sources(self.corpus.manifest, overrides)
        self.rejects: pd.DataFrame | None = None
        self.reading: list[dict] = []
        self.pseudonymisation: Pseudonymisation | None = None
        self.coding: dict = {}
        self.notices: list[str] = []

    @classmethod
    def outside_corpus(cls, folder: str | Path = ".", **overrides: Any) -> Study:
        """A study of tables that belong to no corpus folder (``enquete pseudonymise``, ``topics`` on a
        table): the same stages and defaults, no manifest, the private folder under ``folder``."""
        from enquete.corpus import Manifest

        return cls(Corpus(root=Path(folder), manifest=Manifest(), documents=[]), **overrides)

    def __repr__(self) -> str:
        return f"Study({str(self.root)!r}, {len(self.corpus.documents)} documents)"

    # --- what the corpus says ---------------------------------------------------------------

    @contextlib.contextmanager
    def _warnings(self, stage: str):
        """Keep enquete's warnings in ``self.warnings`` and show them once the block is done (not if it fails)."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", EnqueteWarning)
            yield
        for warning in caught:
            if issubclass(warning.category, EnqueteWarning):
                self.warnings.append({"stage": stage, "kind": warning.category.__name__, "message": str(warning.message)})
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)

    def warnings_table(self) -> pd.DataFrame:
        """The warnings about the corpus so far: stage, kind (reading, corpus, output) and message."""
        import pandas as pd

        return pd.DataFrame(self.warnings, columns=["stage", "kind", "message"])

    def mask(self, name: str) -> str:
        """A name outside the segment table (a file name) pseudonymised as the table was."""
        return self.pseudonymisation.mask(name) if self.pseudonymisation is not None else name

    @property
    def root(self) -> Path:
        return self.corpus.root

    @property
    def private(self) -> Path:
        """The corpus's private folder: pseudonym key, review decisions, caches (never shared)."""
        return private_dir(self.root, self.settings)

    @property
    def initiatives(self) -> dict[str, str]:
        """Initiative id → name."""
        return {i.id: i.name for i in self.corpus.manifest.initiatives}

    @cached_property
    def codebook(self) -> Codebook:
        """The codebook of ``settings.codebook``: a bundled name, or a .yaml relative to the corpus."""
        from enquete.codebook import load_codebook

        name = self.settings.codebook
        candidate = self.root / name
        return load_codebook(candidate if name.endswith((".yaml", ".yml")) and candidate.is_file() else name)

    def decisions(self):
        """The corpus's store of review decisions (private folder): what ``enquete review import``,
        ``import qdpx`` and the review page write, and runs apply."""
        from enquete.coding import DecisionStore

        return DecisionStore(review_dir(self.private))

    def settings_table(self) -> pd.DataFrame:
        """Every setting: its value, where it comes from (défaut, corpus.yaml, option) and what it does."""
        import pandas as pd

        from enquete.settings import describe_settings

        rows = describe_settings(self.settings)
        return pd.DataFrame([(name, value, self.sources.get(name.split(".")[0], "défaut"), help) for name, value, help in rows],
                            columns=["setting", "value", "source", "description"])

    # --- the stages -------------------------------------------------------------------------

    def ingest(self) -> pd.DataFrame:
        """Every document read into the segment table (not pseudonymised); rejects in ``self.rejects``,
        how each document was read in ``self.reading``; reading warnings are shown."""
        from enquete.ingest import ingest_corpus

        self.reading = []
        with self._warnings("ingest"):
            segments, self.rejects = ingest_corpus(self.corpus, self.settings, self.reading)
        return segments

    def segments(self, raw: pd.DataFrame | None = None) -> pd.DataFrame:
        """The segment table pseudonymised as `enquete run` does it: the corpus's names, allow and deny
        lists, initiative names kept, its style, model and seed, the pseudonym key of earlier runs
        (kept up to date in the private folder). Without pseudonymisation (``pseudonymise=False``),
        the table as read.

        Parameters
        ----------
        raw : the table as read (:meth:`ingest`); read now when not given.
        """
        raw = self.ingest() if raw is None else raw
        if not self.settings.pseudonymise:
            from enquete.ingest import speaker_flags

            self.notices.append("PSEUDONYMISATION DÉSACTIVÉE : les sorties contiennent les données personnelles du corpus")
            self.notices += [f"locuteurs à vérifier : {flag}" for flag in speaker_flags(raw)]
            return raw
        import pandas as pd

        from enquete.ingest import speaker_flags
        from enquete.io import read_table
        from enquete.pseudonymise import pseudonymise, review_notice
        from enquete.vocabulary import localise

        settings, config = self.settings, self.corpus.manifest.pseudonymisation
        private = self.private
        key_path = private / KEY_FILE
        previous = read_table(key_path) if settings.keep_pseudonym_key and key_path.is_file() else None
        done = pseudonymise(
            raw,
            style=settings.pseudonym_style,
            seed=settings.seed,
            names=config.names,
            allow=self.corpus.manifest.kept_names(),
            deny=config.deny,
            previous_key=previous,
            model=settings.spacy_model,
            workers=settings.worker_count(len(raw) // 500),
            cache_dir=cache_dir(private) if settings.keep_pseudonym_key else None,  # it holds raw names: never in irreversible mode
        )
        raw_rejects = self.rejects
        if raw_rejects is not None:
            self.rejects = raw_rejects.assign(
                source_path=raw_rejects["source_path"].map(done.mask).astype("string"),
                reason=raw_rejects["reason"].map(done.mask).astype("string"),
                content=pd.NA,
            )
        self.pseudonymisation = done
        review = done.review(settings.language)
        if len(review):
            self.notices.append(review_notice(review, private / REVIEW_FILE if settings.keep_pseudonym_key else None))
        self.notices += [f"locuteurs à vérifier : {flag}" for flag in speaker_flags(done.segments)]  # labels pseudonymised
        if settings.keep_pseudonym_key:
            private_tables = {KEY_FILE: localise(done.key, settings.language), REPLACEMENTS_FILE: localise(done.replacements, settings.language),
                              REVIEW_FILE: done.review(settings.language, originals=True)}
            if raw_rejects is not None:
                private_tables[REJECTED_CONTENT_FILE] = raw_rejects
            write_private(private, private_tables)
        else:
            self.notices.append("mode irréversible : aucune table de correspondance n'est conservée")
        return done.segments

    def human_coding(self, segments: pd.DataFrame) -> tuple[pd.DataFrame | None, pd.DataFrame]:
        """What people coded for this corpus: (training coding of ``settings.training_codes``, review
        decisions), the random control sample of ``settings.review_sample`` first among the decisions
        (``draw == "random"``: measured against, never learned from).

        Parameters
        ----------
        segments : the (pseudonymised) segment table the sample's ids refer to.
        """
        import pandas as pd

        from enquete.coding import sample_decisions
        from enquete.exports import read_coding

        settings, codebook = self.settings, self.codebook
        training = read_coding(self.root / settings.training_codes, codebook) if settings.training_codes else None
        decisions = self.decisions().load(codebook.id)
        if settings.review_sample:
            sample = sample_decisions(read_coding(self.root / settings.review_sample, codebook), segments, codebook, self.mask(settings.review_sample))
            decisions = pd.concat([sample, decisions], ignore_index=True)
        return training, decisions

    def coded_by_people(self, segments: pd.DataFrame) -> pd.DataFrame:
        """The segments a person already coded (``segment_id``, ``codes``): training coding, review
        decisions and the random control sample; a review does not propose them again."""
        import pandas as pd

        tables = [t for t in self.human_coding(segments) if t is not None]
        return pd.concat([t.reindex(columns=["segment_id", "codes"]) for t in tables], ignore_index=True)

    def coder(self, rows: int = 0):
        """The coder a run uses: the offline :class:`~enquete.coding.Coder`, or the language-model coder
        over it when ``settings.llm`` names a server (pseudonymised text only).

        Parameters
        ----------
        rows : the number of segments it will code (sets the number of worker processes).
        """
        from enquete.coding import Coder

        settings = self.settings
        coder = Coder(self.codebook, model=settings.spacy_model, cache_dir=cache_dir(self.private), seed=settings.seed,
                      workers=settings.worker_count(rows // 500))
        if not settings.llm.enabled:
            return coder
        check_llm(settings)
        from enquete.coding.llm import LLMCoder

        return LLMCoder(self.codebook, settings.llm, offline=coder, cache_dir=cache_dir(self.private), language=settings.language, seed=settings.seed)

    def code(self, segments: pd.DataFrame) -> pd.DataFrame:
        """Code every segment with the corpus's codebook: fitted on what people coded (the control
        sample held out), their decisions applied over the automatic codes; ``self.coding`` says how.

        Parameters
        ----------
        segments : the segment table (:meth:`segments`).
        """
        from enquete.coding import code_segments

        coder = self.coder(len(segments))
        coded = code_segments(segments, coder, *self.human_coding(segments))
        reviewed = coded["revision"].eq("human")
        drawn = int((reviewed & coded["review_draw"].eq("random")).sum())
        learned = coder.learning_.loc[coder.learning_["learned"], "code"].tolist() if coder.fitted_ else []
        self.coding = {
            "training_rows": len(coder.training_), "training_by_id": coder.training_.by_id, "training_by_text": coder.training_.by_text,
            "learned": learned, "reviewed": int(reviewed.sum()), "random_sample": drawn,
        }
        self.notices.append(f"codage : {coder.training_.describe()}" + (f" ; {coder.describe_learning()}" if coder.fitted_ else ""))
        if self.settings.llm.enabled:
            self.coding["llm"] = coder.report_
            self.notices.append(f"modèle de langue : {coder.describe_asking()}")
        if reviewed.any():
            self.notices.append(f"{int(reviewed.sum())} décision(s) humaine(s) appliquée(s) au codage, dont {drawn} sur un échantillon tiré au hasard")
        return coded

    def plan_llm(self):
        """What coding the corpus with its language model would send (:class:`~enquete.coding.llm.Plan`),
        sending nothing: the corpus is read and pseudonymised in memory, as a run would."""
        from enquete.coding import learning_set

        if not self.settings.llm.enabled:
            raise ConfigError("--llm-dry-run sans serveur de modèle : donnez --llm-url et --llm-model (ou settings.llm)")
        check_llm(self.settings)
        segments = self.segments()
        coder = self.coder(len(segments))
        learned = learning_set(segments, *self.human_coding(segments))  # as code_segments learns
        if len(learned):
            coder.fit(learned.rows, learned.codes)
        return coder.plan(segments)

    def analyse(self, coded: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """Every analysis table (factors by initiative, source and role, corrected shares, co-occurrences,
        verbatims, WhatsApp dynamics), in the study's language."""
        from enquete.analysis import analyse

        settings = self.settings
        return analyse(coded, self.codebook, self.initiatives, settings.reply_window_minutes, settings.language)

    def topics(self, coded: pd.DataFrame, cache: str | Path | None = None) -> Topics:
        """The topic map of the speech rows (BERTopic, offline), with the study's topic settings;
        its tables by :meth:`topic_tables`.

        Parameters
        ----------
        coded : the coded segment table.
        cache : the spaCy analysis cache (default: the private folder's).
        """
        from enquete.schema import speech_rows
        from enquete.topics import fit_topics

        settings = self.settings
        speech = coded.loc[speech_rows(coded), ["segment_id", "text"]]  # what fit_topics reads
        return fit_topics(speech, n_topics=settings.topics, seed=settings.seed, embeddings=settings.topic_embeddings, reduction=settings.topic_reduction,
                          model=settings.spacy_model, cache_dir=cache or cache_dir(self.private), workers=settings.worker_count(len(speech) // 500),
                          language=settings.language)

    def topic_tables(self, topics: Topics, coded: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """The topic tables: topics with their words and quotes, topics × factors, topics × initiatives.

        Parameters
        ----------
        topics : the fitted topics (:meth:`topics`).
        coded : the coded segment table they were fitted on.
        """
        from enquete.topics import topic_tables

        return topic_tables(topics, coded, self.codebook.ids)

    def write_topics(self, topics: Topics, coded: pd.DataFrame, tables_dir: str | Path, figures_dir: str | Path) -> tuple[dict[str, pd.DataFrame], list[Path]]:
        """Write the topic tables (``themes*.csv``, ``themes.xlsx``) and the maps (figures and the
        offline interactive page); return the tables and the files written.

        Parameters
        ----------
        topics : the fitted topics (:meth:`topics`).
        coded : the coded segment table they were fitted on.
        tables_dir, figures_dir : where the tables and the figures go (the same folder is fine).
        """
        from enquete.analysis import write_analyses
        from enquete.topics import write_topics

        settings = self.settings
        tables = self.topic_tables(topics, coded)
        files = write_analyses(tables, Path(tables_dir), workbook="themes.xlsx", language=settings.language)
        files += write_topics(topics, tables, coded, self.codebook, Path(figures_dir), settings.language, self.initiatives,
                              workers=settings.worker_count(4, per_worker=2))
        return tables, files

    def report(self, out: str | Path = "outputs", template: str | Path | None = None, title: str | None = None,
               without: tuple[str, ...] = (), pdf: bool | None = None) -> Path:
        """(Re)write the report of the run in ``out`` (rapport_restitution.docx) from its outputs.

        Parameters
        ----------
        out : the run's output folder.
        template : the agency's .docx template (default: the corpus's setting, else enquete's).
        title : a title over the corpus's.
        without : sections left out (names of ``settings.report_sections``).
        pdf : also write rapport_restitution.pdf through LibreOffice (default: ``settings.report_pdf``).
        """
        from enquete.runfolder import load_run

        return self.write_report(load_run(out, self), template, title, without, pdf)

    def write_report(self, result: RunResult, template: str | Path | None = None, title: str | None = None,
                     without: tuple[str, ...] = (), pdf: bool | None = None) -> Path:
        """Write the report of a run (made or read back) in its output folder.

        Parameters
        ----------
        result : the run (:meth:`run`, or :func:`~enquete.runfolder.load_run`).
        template, title, without, pdf : as for :meth:`report`.
        """
        from enquete.report import build_report
        from enquete.runfolder import REPORT_FILE

        unknown = set(without) - set(REPORT_SECTIONS)
        if unknown:
            raise ConfigError(f"sections inconnues : {', '.join(sorted(unknown))} (attendu : {', '.join(REPORT_SECTIONS)})")
        data = self.report_data(result)
        data.title = title or data.title
        settings = result.settings
        template = template or (self.root / settings.report_template if settings.report_template else None)
        sections = tuple(s for s in settings.report_sections if s not in without)
        return build_report(data, result.out_dir / REPORT_FILE, template=template, sections=sections,
                            pdf=settings.report_pdf if pdf is None else pdf)

    def report_data(self, result: RunResult):
        """What the report needs from a run (:class:`~enquete.report.ReportData`): its tables and
        figures, and the corpus's initiatives and report settings."""
        import pandas as pd

        from enquete.report import ReportData

        manifest = self.corpus.manifest
        initiatives = pd.DataFrame(
            [(i.id, i.name, i.localisation, i.creation, i.description) for i in manifest.initiatives],
            columns=["id", "name", "localisation", "creation", "description"],
        )
        config = manifest.report
        return ReportData(
            segments=result.segments, tables=result.tables, codebook=result.codebook, figures=result.out_dir / "figures",
            title=config.title or manifest.title, subtitle=config.subtitle, authors=config.authors, organisation=config.organisation,
            date=config.date, context=config.context, initiatives=initiatives, pseudonymisation=result.pseudonymisation, review=result.review,
            coding=result.coding, settings=result.settings.model_dump(), language=result.settings.language,
        )

    def review(self, out: str | Path | None = "outputs", *, coded: pd.DataFrame | None = None, select: int = 200, **options):
        """The review widget (JupyterLab): the segments that teach the coder most, one at a time;
        each decision saved at once to the corpus's private store. `enquete revue` serves the same.

        Parameters
        ----------
        out : the run's output folder (its pseudonymised, coded segments).
        coded : instead of a run, a coded table (:meth:`code`).
        select : how many segments to propose.
        options : passed to :class:`~enquete.review.ReviewSession` (``refit_every``, ``store``...).
        """
        from enquete.review import ReviewSession, ReviewWidget

        return ReviewWidget(ReviewSession(self, out, segments=coded, select=select, **options))

    # --- the whole run ----------------------------------------------------------------------

    def run(self, out: str | Path = "outputs") -> RunResult:
        """What `enquete run` does: every stage through the methods above, the outputs written to ``out``
        (never the corpus's private folder, nor holding it), the manifest last."""
        from enquete import runfolder
        from enquete.analysis import write_analyses, write_figures
        from enquete.exports import write_exports
        from enquete.reproducibility import build_manifest, write_manifest
        from enquete.topics import TopicError, with_topics

        settings = self.settings
        out = Path(out)
        private_dir(self.root, settings, out)  # apart from the outputs, checked before anything is written
        check_llm(settings)
        out.mkdir(parents=True, exist_ok=True)
        (out / OUTPUT_MARKER).touch()
        timings: dict[str, float] = {}
        self.notices = []
        with _timer(timings, "ingest"):
            segments = self.ingest()
        if settings.pseudonymise:
            with _timer(timings, "pseudonymise"):
                segments = self.segments(segments)
        else:
            segments = self.segments(segments)
        result = runfolder.RunResult(self.corpus, settings, out, segments, self.rejects, timings=timings, notices=self.notices)
        if self.pseudonymisation is not None:
            result.pseudonymisation, result.mask = self.pseudonymisation.summary(settings.language), self.mask  # counts only, as written
            result.review = self.pseudonymisation.review(settings.language)  # no original value
        with _timer(timings, "code"):
            result.segments = self.code(segments)
            result.codebook, result.coding = self.codebook, self.coding
        del segments
        with _timer(timings, "analyse"):
            result.tables.update(self.analyse(result.segments))
            result.files += write_analyses(result.tables, out / runfolder.TABLES, language=settings.language)
            result.files += write_figures(result.tables, self.codebook, out / runfolder.FIGURES, self.initiatives, settings.language, settings.seed,
                                          workers=settings.worker_count(len(result.tables), per_worker=4), min_base=settings.min_base)
        with _timer(timings, "topics"):
            try:
                fitted = self.topics(result.segments)
            except TopicError as exc:
                self.notices.append(f"thèmes non calculés : {exc}")
            else:
                tables, files = self.write_topics(fitted, result.segments, out / runfolder.TABLES, out / runfolder.FIGURES)
                result.tables.update(tables)
                result.files += files
                result.topics = replace(fitted, embeddings=fitted.embeddings[:0])  # the run keeps tables, not a vector per segment
                result.segments = with_topics(result.segments, fitted)
        with _timer(timings, "report"):
            report = self.write_report(result)
            result.files += [report, report.with_suffix(".pdf")] if settings.report_pdf else [report]
        with _timer(timings, "exports"):
            result.project = self.project()
            result.files += write_exports(result.segments, self.codebook, out / runfolder.EXPORTS, result.project["name"], self.initiatives,
                                          settings.language, result.project["document_attributes"])
        with _timer(timings, "outputs"):
            runfolder.write_outputs(result)  # last: the segment table with its topics, then the manifest
        sent_to = {k: self.coding["llm"][k] for k in ("host", "model", "prompt_hash", "tokens")} if "llm" in self.coding else None
        write_manifest(out, build_manifest(self.root, self.inputs(), settings.model_dump(), out, timings, result.files, sent_to))
        return result

    def project(self) -> dict:
        """The REFI-QDA project's name, initiative names and document attributes (text values
        pseudonymised like file names: an attribute may name someone)."""
        attributes = {
            self.mask(d.id): {k: self.mask(v) if isinstance(v, str) else v for k, v in d.attributes.items()} for d in self.corpus.documents if d.attributes
        }
        return {"name": self.corpus.manifest.title or self.root.name, "initiatives": self.initiatives, "document_attributes": attributes}

    def inputs(self) -> dict[str, Path]:
        """Every file a run reads, by (pseudonymised) name relative to the corpus."""
        settings = self.settings
        files = [self.root / "corpus.yaml", *(d.path for d in self.corpus.documents)]
        for extra in (settings.training_codes, settings.review_sample, settings.report_template, settings.codebook):
            if extra and (self.root / extra).is_file():
                files.append(self.root / extra)
        return {self.mask(p.relative_to(self.root).as_posix()): p for p in files if p.is_file()}


class _timer:
    """Record how long a block took, in seconds, under a name."""

    def __init__(self, timings: dict[str, float], name: str):
        self.timings, self.name = timings, name

    def __enter__(self):
        self.start = time.perf_counter()

    def __exit__(self, *exc):
        self.timings[self.name] = round(time.perf_counter() - self.start, 3)


def check_llm(settings: Settings) -> None:
    """Before anything is read: a language model is only sent pseudonymised text, on a local or
    private host unless the user confirmed another."""
    if settings.llm.enabled:
        from enquete.coding.llm import endpoint_host

        if not settings.pseudonymise:
            raise PrivacyError("codage par modèle de langue refusé sans pseudonymisation : seul du texte pseudonymisé quitte la machine")
        endpoint_host(settings.llm.url, settings.llm.allow_remote)
