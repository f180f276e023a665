"""The `enquete` command line (typer). Every command has --help.

Each command imports the part of the library it uses when it runs: `enquete --help`,
`--version` or `codebooks` never load pandas, spaCy or scikit-learn.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from enquete import __version__
from enquete.errors import CorpusError, EnqueteError, EnqueteWarning


def _help_in_french() -> None:
    """Typer's own words in the help pages (panel titles, defaults, the help option, usage), in French."""
    import typer._click.decorators as decorators
    import typer._click.formatting as formatting
    import typer.core as core
    import typer.rich_utils as rich_utils

    rich_utils.ARGUMENTS_PANEL_TITLE, rich_utils.OPTIONS_PANEL_TITLE, rich_utils.COMMANDS_PANEL_TITLE = "Arguments", "Options", "Commandes"
    rich_utils.DEFAULT_STRING, rich_utils.REQUIRED_LONG_STRING = "[défaut : {}]", "[obligatoire]"
    rich_utils.ERRORS_PANEL_TITLE, rich_utils.ABORTED_TEXT = "Erreur", "Interrompu."
    rich_utils.RICH_HELP = "Aide : [blue]{command_path} {help_option}[/]"
    english_help_option, english_usage = decorators.help_option, formatting.HelpFormatter.write_usage

    def help_option(param_decls):
        def add(command):
            command = english_help_option(param_decls)(command)
            command.params[-1].help = "Afficher cette aide."
            return command

        return add

    def write_usage(self, prog, args="", prefix=None):
        return english_usage(self, prog, args, "Utilisation : " if prefix is None else prefix)

    decorators.help_option, formatting.HelpFormatter.write_usage = help_option, write_usage
    for parameter in (core.TyperArgument, core.TyperOption):
        parameter.display_type_rich = _french_type(parameter.display_type_rich)


#: How the help pages name the types of values (a switch shows none).
TYPE_WORDS = {"<path>": "<chemin>", "<str>": "<texte>", "<int>": "<entier>", "<int range>": "<entier>", "<float>": "<nombre>", "<float range>": "<nombre>", "<bool>": None}


def _french_type(english):
    def display_type_rich(self, ctx):
        shown = english(self, ctx)
        return TYPE_WORDS.get(shown, shown)

    return display_type_rich


_help_in_french()
app = typer.Typer(
    help="enquete : enquêtes qualitatives sur le lien social (entretiens, groupes WhatsApp).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
corpus_app = typer.Typer(help="Examiner un dossier de corpus.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")
review_app = typer.Typer(help="Revue humaine du codage : exporter un classeur, réimporter les décisions.", no_args_is_help=True)
app.add_typer(review_app, name="review")
export_app = typer.Typer(help="Exporter vers d'autres logiciels (REFI-QDA : NVivo, ATLAS.ti, MAXQDA, QualCoder).", no_args_is_help=True)
app.add_typer(export_app, name="export")
import_app = typer.Typer(help="Importer le codage fait dans un autre logiciel (REFI-QDA).", no_args_is_help=True)
app.add_typer(import_app, name="import")

console = Console()
err = Console(stderr=True, soft_wrap=True)
DIFFERENT = 4  # exit code of `enquete verify` when a file differs
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def user_errors():
    """Turn enquete's errors into a one-line message and exit code 1 (anything else is a bug and
    shows its traceback); show enquete's warnings plainly, every time."""

    def show(message, category, *_args, **_kwargs):
        err.print(f"[yellow]Attention :[/yellow] {message}", highlight=False)

    with warnings.catch_warnings():
        warnings.simplefilter("always", EnqueteWarning)
        warnings.showwarning = show
        try:
            yield
        except EnqueteError as exc:
            err.print(f"[red]Erreur :[/red] {' '.join(str(exc).split())}", highlight=False, markup=True)
            raise typer.Exit(1) from None


def _version(value: bool) -> None:
    if value:
        console.print(f"enquete {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Afficher la version.")] = False,
) -> None:
    """enquete : du corpus d'entretiens et de fils WhatsApp au rapport de restitution."""


@corpus_app.command("init")
def corpus_init(
    corpus: Annotated[Path, typer.Argument(help="Dossier des fichiers de l'enquête (défaut : le dossier courant).")] = Path("."),
    places: Annotated[bool, typer.Option("--places/--no-places", help="Chercher les noms de lieux cités (pour les garder lors de la pseudonymisation).")] = True,
) -> None:
    """Écrire un premier corpus.yaml commenté, à compléter : documents trouvés, enquêteurs devinés, lieux cités."""
    from enquete.starter import init_corpus

    with user_errors():
        path, found = init_corpus(corpus, places=places)
    documents = found["documents"]
    unread = sum(not d["read"] for d in documents)
    console.print(f"{path} écrit : {len(documents) - unread} document(s) lu(s), {unread} illisible(s) mis dans « exclude » avec leur raison, "
                  f"{len(found['places'])} lieu(x) proposé(s) à garder.", highlight=False)
    console.print("Complétez-le (initiatives, dates, rôles), puis vérifiez : enquete corpus info " + str(corpus), highlight=False)


@corpus_app.command("info")
def corpus_info(corpus: Annotated[Path, typer.Argument(help="Dossier du corpus (défaut : le dossier courant).")] = Path(".")) -> None:
    """Valider un corpus et le résumer : initiatives, documents, lecture de chaque document, rejets."""
    import pandas as pd

    from enquete.ingest import describe_reading, speaker_flags, speakers_by_document
    from enquete.schema import document_names
    from enquete.study import Study
    from enquete.vocabulary import number, value_label

    with user_errors():
        study = Study(corpus)
        segments = study.ingest()
    loaded, reading, rejects = study.corpus, study.reading, study.rejects
    title = loaded.manifest.title or loaded.root.name
    console.print(f"[bold]{title}[/bold] ({loaded.root})")
    read = {r["document_id"]: r for r in reading}
    unread = [d for d in loaded.documents if d.id not in read]
    if loaded.manifest.initiatives:
        table = Table("initiative", "localisation", "création", "documents lus", "segments", title="Initiatives")
        for ini in loaded.manifest.initiatives:
            docs = sum(d.initiative == ini.id for d in loaded.documents if d.id in read)
            refused = sum(d.initiative == ini.id for d in unread)
            n = int((segments["initiative"] == ini.id).sum()) if len(segments) else 0
            table.add_row(ini.name, ini.localisation, str(ini.creation or ""), str(docs) + (f" (+ {refused} rejeté(s))" if refused else ""), str(n))
        console.print(table)
    table = Table("document", "type", "initiative", "segments", "locuteurs", "lecture", title="Documents")
    counts = segments.groupby("document_id").size() if len(segments) else {}
    kinds = segments.groupby("document_id")["source_type"].first() if len(segments) else {}
    speakers = segments.groupby("document_id")["speaker"].nunique() if len(segments) else {}
    names = document_names(segments) if len(segments) else {}
    for doc in loaded.documents:
        info = read.get(doc.id, {})
        kind = kinds.get(doc.id)
        group = f"\n« {names[doc.id]} »" if kind in ("whatsapp", "social") else ""  # how tables and figures name the group
        table.add_row(
            doc.id + group, value_label("source_type", kind, "fr") if kind else "—", doc.initiative or "?", str(counts.get(doc.id, 0)),
            str(speakers.get(doc.id, 0)), describe_reading(info) if info else "rejeté",
        )
    console.print(table)
    by_type = segments["message_type"].value_counts().to_dict() if len(segments) else {}
    per_source = pd.Series(kinds).value_counts() if len(segments) else pd.Series(dtype=int)
    sources = sources_in_words(per_source.to_dict())
    types = ", ".join(f"{value_label('message_type', kind, 'fr')} : {n}" for kind, n in by_type.items())
    console.print(
        f"{number(segments['document_id'].nunique())} documents ({sources or 'aucun lu'}), {number(len(segments))} segments "
        f"({types}), {number(len(unread))} document(s) rejeté(s), "
        f"{number(len(rejects))} rejet(s) en tout (fichiers et lignes)"
    )
    speakers_table = speakers_by_document(segments)
    if len(speakers_table):
        table = Table("document", "locuteur", "rôle", "tours", title="Locuteurs des transcriptions")
        for row in speakers_table.itertuples(index=False):
            table.add_row(row.document_id, row.speaker, value_label("speaker_role", row.speaker_role, "fr"), str(row.turns))
        console.print(table)
    for flag in speaker_flags(segments):
        err.print(f"[yellow]À vérifier :[/yellow] {flag}", highlight=False)
    for info in reading:
        if info.get("uncertain"):
            err.print(f"[yellow]À vérifier :[/yellow] {info['source_path']} : rôles incertains ({info['uncertain']}) ; "
                      "indiquez l'enquêteur dans corpus.yaml (interviewer: [...])", highlight=False)
    for row in rejects.itertuples():
        where = f" ligne {row.line}" if row.line is not None and str(row.line) != "<NA>" else ""
        err.print(f"[yellow]Rejet :[/yellow] {row.source_path}{where} : {row.reason}", highlight=False)


@app.command("settings")
def settings_command(
    corpus: Annotated[Path | None, typer.Argument(help="Dossier du corpus (défaut : le dossier courant s'il a un corpus.yaml, sinon les valeurs par défaut d'enquete).")] = None,
) -> None:
    """Lister les réglages : valeur, origine (défaut, corpus.yaml) et rôle."""
    from enquete.corpus import MANIFEST_NAME
    from enquete.study import Study

    if corpus is None and Path(MANIFEST_NAME).is_file():
        corpus = Path(".")
    with user_errors():
        study = Study(corpus) if corpus else Study.outside_corpus(Path.cwd())
        table = study.settings_table()
    view = Table("réglage", "valeur", "origine", "rôle", title=f"Réglages de {corpus}" if corpus else "Réglages par défaut")
    for row in table.itertuples(index=False):
        view.add_row(row.setting, str(row.value), row.source, row.description)
    console.print(view)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Fichiers ou dossiers à lire.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Table de sortie (.csv, .parquet ou .xlsx).")],
    rejects: Annotated[Path | None, typer.Option(help="Où écrire les rejets (par défaut : <out>.rejets.csv).")] = None,
) -> None:
    """Lire des entretiens et des exports WhatsApp dans la table des segments (sans pseudonymiser)."""
    from enquete.ingest import ingest_paths
    from enquete.io import write_table
    from enquete.settings import make_settings
    from enquete.vocabulary import localise

    with user_errors():
        segments, rejected = ingest_paths(paths)
        language = make_settings().language
        write_table(localise(segments, language), out, language)
        rejects_path = rejects or out.with_name(out.stem + ".rejets.csv")
        write_table(rejected, rejects_path, language)
    console.print(f"{len(segments)} segments écrits dans {out} ; {len(rejected)} rejet(s) dans {rejects_path}")


def _run(corpus: Path, out: Path, pseudonymise: bool, codebook: str | None, strict: bool, language: str | None = None, llm: dict | None = None) -> None:
    from enquete.study import Study
    from enquete.vocabulary import word

    if not pseudonymise:
        err.print(
            "[bold red]PSEUDONYMISATION DÉSACTIVÉE[/bold red] : les sorties contiendront les noms, "
            "numéros et adresses du corpus. Ne les diffusez pas.",
            highlight=False,
        )
    with user_errors():
        study = Study(corpus, pseudonymise=pseudonymise, codebook=codebook, strict=strict or None, language=language, llm=llm)
        result = study.run(out)
    for notice in result.notices:
        err.print(f"[yellow]Note :[/yellow] {notice}", highlight=False)
    table = Table("étape", "secondes", title=f"enquete run : {result.corpus.root}")
    for stage, secs in result.timings.items():
        table.add_row(word("stage", stage, "fr"), f"{secs:.1f}".replace(".", ","))
    console.print(table)
    for line in run_summary_lines(result):
        console.print(line, highlight=False)
    console.print(next_steps(result), highlight=False)
    if study.settings.strict and len(result.rejects):
        err.print(f"[red]Mode strict :[/red] {len(result.rejects)} fichier(s) ou ligne(s) rejeté(s)")
        raise typer.Exit(3)


SOURCE_ORDER = ("interview", "whatsapp", "social", "observation", "document")


def sources_in_words(documents: dict[str, int]) -> str:
    """« 12 entretien(s), 4 groupe(s) WhatsApp… » from the number of documents per source type."""
    from enquete.vocabulary import number, word

    return ", ".join(f"{number(documents[kind])} {word('source_type', kind, 'fr')}" for kind in SOURCE_ORDER if documents.get(kind))


def run_summary_lines(result) -> list[str]:
    """What a run did, in a few French lines: documents, segments by type, rejects, factors, agreement, topics."""
    import pandas as pd

    from enquete.schema import code_counts
    from enquete.vocabulary import decimal, number, word

    segments = result.segments
    kinds = segments.groupby("source_type")["document_id"].nunique().to_dict()
    sources = sources_in_words(kinds) or "aucun lu"
    by_type = ", ".join(f"{number(n)} {word('message_type', kind, 'fr')}" for kind, n in segments["message_type"].value_counts().items())
    counts = code_counts(segments["codes"]) if "codes" in segments else pd.Series(dtype=int)
    labels = result.codebook.labels("fr") if result.codebook is not None else {}
    lines = [
        f"{number(segments['document_id'].nunique())} documents ({sources}), {number(len(segments))} segments : {by_type}",
        f"{number(len(result.rejects))} rejet(s)" + (" (voir rejets.csv)" if len(result.rejects) else ""),
        f"{number(counts.sum())} codes appliqués à {number(segments['codes'].fillna('').ne('').sum() if 'codes' in segments else 0)} segments"
        + (" : " + ", ".join(f"{labels.get(c, c)} {number(n)}" for c, n in counts.items()) if len(counts) else ""),
    ]
    measured = result.tables.get("fiabilite_codage")
    if measured is not None and len(measured):
        mean = measured.set_index("code").loc["macro"]
        sample = "échantillon tiré au hasard" if mean["sample"] == "random" else "relecture ciblée, pas un échantillon au hasard"
        lines.append(f"Accord du codage automatique avec le codage humain ({sample}, {int(mean['segments'])} segments) : "
                     f"F1 moyen {decimal(mean['f1'])}, kappa moyen {decimal(mean['kappa'])}")
    if result.topics is not None:
        lines.append(f"{len(result.topics.topics)} thèmes")
    lines.append(f"{number(len(result.files))} fichiers écrits dans {result.out_dir}")
    return lines


def next_steps(result) -> str:
    """The end of a run: where the report is, what to check, what to do next."""
    from enquete.private import REVIEW_FILE
    from enquete.runfolder import REPORT_FILE

    corpus = result.corpus.root
    lines = ["", f"[bold]Rapport :[/bold] {result.out_dir / REPORT_FILE}"]
    if len(result.rejects):
        lines.append(f"[bold]À vérifier :[/bold] {len(result.rejects)} fichier(s) ou ligne(s) non lu(s) : {result.out_dir / 'rejets.csv'}")
    if result.review is not None and len(result.review):
        lines.append(f"[bold]À vérifier :[/bold] {len(result.review)} forme(s) remplacée(s) par la pseudonymisation : "
                     f"{result.out_dir / REVIEW_FILE} (les formes originales : dossier privé du corpus)")
    lines.append(f"[bold]Ensuite :[/bold] relire le codage (enquete revue {corpus} --out {result.out_dir}), puis relancer enquete run")
    return "\n".join(lines)


PseudoOption = Annotated[
    bool, typer.Option("--pseudonymise/--no-pseudonymise", help="Pseudonymiser noms, numéros, adresses (par défaut : oui).")
]
CodebookOption = Annotated[
    str | None, typer.Option(help="Grille de codage : nom fourni ou chemin d'un .yaml (défaut : réglage `codebook` du corpus ; voir enquete settings).")
]
SeedOption = Annotated[int | None, typer.Option(help="Graine des tirages (défaut : réglage `seed` ; voir enquete settings).")]
StrictOption = Annotated[bool, typer.Option(help="Code de sortie 3 si un fichier ou une ligne est rejeté.")]
LanguageOption = Annotated[str | None, typer.Option(help="Langue du rapport, des figures et des libellés : fr ou en (défaut : réglage `language` du corpus).")]


LLM_PANEL = "Modèle de langue (optionnel, sur votre serveur)"
LlmUrl = Annotated[str | None, typer.Option("--llm-url", help="Coder avec un modèle de langue : adresse OpenAI-compatible de VOTRE serveur (Ollama : http://127.0.0.1:11434/v1). Seul du texte pseudonymisé est envoyé.", rich_help_panel=LLM_PANEL)]
LlmModel = Annotated[str | None, typer.Option("--llm-model", help="Nom du modèle sur ce serveur.", rich_help_panel=LLM_PANEL)]
LlmKeyEnv = Annotated[str | None, typer.Option("--llm-key-env", help="Variable d'environnement qui contient la clé du serveur (jamais écrite nulle part).", rich_help_panel=LLM_PANEL)]
LlmOnlyUncertain = Annotated[bool, typer.Option("--llm-only-uncertain", help="Ne soumettre au modèle que les segments où le codeur hors ligne hésite.", rich_help_panel=LLM_PANEL)]
LlmVotes = Annotated[int | None, typer.Option("--llm-votes", min=1, max=15, help="Réponses par segment ; le score est la part de celles qui donnent le code.", rich_help_panel=LLM_PANEL)]
LlmAllowRemote = Annotated[bool, typer.Option("--llm-allow-remote", help="Accepter un serveur qui n'est ni cette machine ni une adresse privée.", rich_help_panel=LLM_PANEL)]
LlmTimeout = Annotated[float | None, typer.Option("--llm-timeout", min=1, help="Secondes d'attente d'une réponse (défaut 120), file d'attente du serveur comprise.", rich_help_panel=LLM_PANEL)]
LlmDryRun = Annotated[bool, typer.Option("--llm-dry-run", help="N'envoyer rien : afficher une requête complète, le nombre de requêtes et de tokens.", rich_help_panel=LLM_PANEL)]


def llm_options(url, model, key_env, only_uncertain, votes, allow_remote, timeout=None) -> dict:
    """The language-model options given on the command line (None: the corpus's setting stays)."""
    given = {"url": url, "model": model, "key_env": key_env, "only_uncertain": only_uncertain or None, "votes": votes, "allow_remote": allow_remote or None,
             "timeout": timeout}
    return {k: v for k, v in given.items() if v is not None}


def print_plan(plan) -> None:
    """What a language-model run would send (--llm-dry-run)."""
    console.print(f"[bold]Requête 1 sur {plan.requests}[/bold] (rien n'est envoyé) :", highlight=False)
    for message in plan.messages:
        console.print(f"[dim]--- {message['role']} ---[/dim]", highlight=False)
        console.print(message["content"], highlight=False, markup=False)
    console.print(plan.describe(), highlight=False)


@app.command("run")
def run_command(
    corpus: Annotated[Path, typer.Argument(help="Dossier du corpus (défaut : le dossier courant).")] = Path("."),
    out: Annotated[Path, typer.Option("--out", "-o", help="Dossier des sorties.")] = Path("outputs"),
    pseudonymise: PseudoOption = True,
    codebook: CodebookOption = None,
    strict: StrictOption = False,
    language: LanguageOption = None,
    llm_url: LlmUrl = None,
    llm_model: LlmModel = None,
    llm_key_env: LlmKeyEnv = None,
    llm_only_uncertain: LlmOnlyUncertain = False,
    llm_votes: LlmVotes = None,
    llm_allow_remote: LlmAllowRemote = False,
    llm_timeout: LlmTimeout = None,
    llm_dry_run: LlmDryRun = False,
) -> None:
    """Exécuter toute la chaîne sur un corpus et écrire les sorties."""
    llm = llm_options(llm_url, llm_model, llm_key_env, llm_only_uncertain, llm_votes, llm_allow_remote, llm_timeout)
    if llm_dry_run:
        from enquete.study import Study

        with user_errors():
            print_plan(Study(corpus, llm=llm, codebook=codebook, language=language).plan_llm())
        return
    _run(corpus, out, pseudonymise, codebook, strict, language, llm)


def demo_corpus() -> Path:
    """The bundled demo corpus (corpora/demo of the project)."""
    for candidate in (PROJECT_ROOT / "corpora" / "demo", Path.cwd() / "corpora" / "demo"):
        if (candidate / "corpus.yaml").is_file():
            return candidate
    raise CorpusError("corpus de démonstration introuvable (corpora/demo) : lancez la commande depuis le dépôt enquete")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Dossier des sorties.")] = Path("outputs"),
) -> None:
    """Exécuter toute la chaîne sur le corpus de démonstration (corpora/demo) vers outputs/."""
    with user_errors():
        corpus = demo_corpus()
    _run(corpus, out, True, None, False)


@app.command("pseudonymise")
def pseudonymise_command(
    table: Annotated[Path, typer.Argument(help="Table des segments (.csv, .parquet ou .xlsx), par ex. sortie d'`enquete ingest`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Table pseudonymisée (.csv, .parquet ou .xlsx).")],
    corpus: Annotated[Path | None, typer.Option(help="Dossier du corpus : noms, liste blanche et liste noire de son corpus.yaml.")] = None,
    style: Annotated[str | None, typer.Option(help="names (prénoms réalistes, défaut) ou tags ([PERSONNE_07]).")] = None,
    private_dir_option: Annotated[Path | None, typer.Option("--private-dir", help="Dossier privé de la table de correspondance (défaut : .enquete-private du corpus, ou du dossier courant).")] = None,
    irreversible: Annotated[bool, typer.Option(help="Ne conserver aucune table de correspondance.")] = False,
    name: Annotated[list[str] | None, typer.Option("--name", help="Nom de personne à pseudonymiser (répétable).")] = None,
    allow: Annotated[list[str] | None, typer.Option("--allow", help="Nom de lieu ou d'initiative à conserver (répétable).")] = None,
) -> None:
    """Pseudonymiser une table de segments : personnes, téléphones, courriels, adresses, codes."""
    from enquete.io import read_table, write_table
    from enquete.private import KEY_FILE, REVIEW_FILE, private_dir
    from enquete.pseudonymise import review_notice
    from enquete.reproducibility import mark_pseudonymised
    from enquete.schema import coerce, conform, validate_segments
    from enquete.study import Study
    from enquete.vocabulary import localise, value_label

    with user_errors():
        options = {"pseudonym_style": style, "keep_pseudonym_key": False if irreversible else None,
                   "private_dir": str(private_dir_option.resolve()) if private_dir_option else None}
        study = Study(corpus, **options) if corpus else Study.outside_corpus(Path.cwd(), **options)
        config = study.corpus.manifest.pseudonymisation
        config.names += name or []
        config.allow += allow or []
        folder = private_dir(study.root, study.settings, out)  # apart from the output
        pseudonymised = study.segments(validate_segments(coerce(conform(read_table(table), where=str(table)))))  # empty texts read back as NA are ''
        language = study.settings.language
        write_table(localise(pseudonymised, language), out, language)
        mark_pseudonymised(out)
        summary_path = out.with_name(out.stem + ".resume.csv")
        write_table(study.pseudonymisation.summary(language), summary_path, language)
        review = study.pseudonymisation.review(language)
        write_table(review, out.with_name(out.stem + ".a_verifier.csv"), language)
    counts = study.pseudonymisation.summary().groupby("entity")["replacements"].sum().rename(lambda entity: value_label("entity", entity, language))
    console.print(f"{len(pseudonymised)} segments pseudonymisés dans {out} ; résumé : {summary_path}")
    console.print(", ".join(f"{entity} : {n}" for entity, n in counts.items()) or "rien à remplacer")
    if len(review):
        err.print(f"[yellow]À vérifier :[/yellow] {review_notice(review, None if irreversible else folder / REVIEW_FILE)}", highlight=False)
    if irreversible:
        console.print("Mode irréversible : aucune table de correspondance n'a été conservée.")
    else:
        console.print(f"Table de correspondance (à garder secrète) : {folder / KEY_FILE}")


@app.command("code")
def code_command(
    table: Annotated[Path, typer.Argument(help="Table avec au moins segment_id et text (.csv, .parquet, .xlsx).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Table codée (.csv, .parquet ou .xlsx).")],
    codebook: CodebookOption = None,
    train: Annotated[Path | None, typer.Option(help="Codage fait à la main pour entraîner le codeur : table (codes, avec segment_id ou text, même d'un autre corpus) ou projet REFI-QDA (.qdpx).")] = None,
    cache: Annotated[Path | None, typer.Option(help="Dossier du cache de l'analyse spaCy et des réponses du modèle (défaut : ./.enquete-private/cache).")] = None,
    llm_url: LlmUrl = None,
    llm_model: LlmModel = None,
    llm_key_env: LlmKeyEnv = None,
    llm_only_uncertain: LlmOnlyUncertain = False,
    llm_votes: LlmVotes = None,
    llm_allow_remote: LlmAllowRemote = False,
    llm_timeout: LlmTimeout = None,
    llm_dry_run: LlmDryRun = False,
    allow_raw_text: Annotated[bool, typer.Option("--allow-raw-text", help="Envoyer au modèle une table qui n'est pas une sortie pseudonymisée d'enquete (à vos risques).", rich_help_panel=LLM_PANEL)] = False,
) -> None:
    """Coder chaque segment : colonnes codes, score_<code> et evidence ajoutées."""
    from enquete.coding import Coder, code_segments
    from enquete.exports import read_coding
    from enquete.io import read_table, write_table
    from enquete.private import cache_dir, private_dir
    from enquete.schema import code_counts, conform
    from enquete.settings import make_settings
    from enquete.vocabulary import localise

    with user_errors():
        settings = make_settings(codebook=codebook, llm=llm_options(llm_url, llm_model, llm_key_env, llm_only_uncertain, llm_votes, llm_allow_remote, llm_timeout))
        segments = conform(read_table(table), where=str(table))
        folder = cache or cache_dir(private_dir(Path.cwd(), settings, out))
        coder = Coder(settings.codebook, model=settings.spacy_model, cache_dir=folder, seed=settings.seed)
        llm = settings.llm
        if llm.enabled:
            from enquete.coding.llm import LLMCoder
            from enquete.errors import PrivacyError
            from enquete.reproducibility import is_pseudonymised

            if not allow_raw_text and not is_pseudonymised(table):
                raise PrivacyError(
                    f"{table} n'est pas, telle quelle, une sortie pseudonymisée d'enquete (enquete run ou enquete pseudonymise) : "
                    "rien n'est envoyé au modèle. Pseudonymisez-la d'abord, ou passez --allow-raw-text si son texte est déjà anonyme."
                )
            coder = LLMCoder(coder.codebook, llm, offline=coder, cache_dir=folder, language=settings.language, seed=settings.seed, allow_raw_text=allow_raw_text)
            if llm_dry_run:
                print_plan(coder.plan(segments))
                return
        coded = code_segments(segments, coder, read_coding(train, coder.codebook) if train else None)
        write_table(localise(coded, settings.language), out, settings.language)
    applied = code_counts(coded["codes"])
    console.print(f"{len(coded)} segments codés dans {out}")
    console.print(f"Entraînement{f' ({train.name})' if train else ''} : {coder.training_.describe()}", highlight=False)
    if coder.fitted_:
        console.print(f"Codes : {coder.describe_learning()}", highlight=False)
    if llm.enabled:
        console.print(f"Modèle de langue : {coder.describe_asking()}", highlight=False)
    console.print(", ".join(f"{code} : {n}" for code, n in applied.items()) or "aucun code appliqué")


@review_app.command("export")
def review_export(
    coded: Annotated[Path, typer.Argument(help="Table codée (sortie d'`enquete code`, ou outputs/codage.csv).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Classeur de revue (.xlsx ou .csv).")],
    codebook: CodebookOption = None,
    select: Annotated[int | None, typer.Option(help="Ne proposer que N segments : ceux qui apprennent le plus au codeur, et une part tirée au hasard.")] = None,
    random_share: Annotated[float, typer.Option(min=0.0, max=1.0, help="Part de la sélection tirée au hasard (mesure non biaisée de la fiabilité).")] = 0.2,
    seed: SeedOption = None,
    corpus: Annotated[Path | None, typer.Option(help="Corpus : ses segments déjà codés à la main (entraînement, décisions) ne sont pas reproposés.")] = None,
) -> None:
    """Écrire le classeur de revue : une colonne 0/1 par code, une colonne commentaire ; avec --select, les N segments à relire d'abord."""
    from enquete.coding import export_review
    from enquete.coding.selection import select_for_review
    from enquete.io import read_table
    from enquete.study import Study
    from enquete.vocabulary import internal

    with user_errors():
        study = Study(corpus, codebook=codebook, seed=seed) if corpus else Study.outside_corpus(Path.cwd(), codebook=codebook, seed=seed)
        grid = study.codebook
        rows = internal(read_table(coded))
        if select is not None:
            human = study.coded_by_people(rows) if corpus else None
            rows = select_for_review(rows, grid, select, human=human, seed=study.settings.seed, random_share=random_share)
        path = export_review(rows, grid, out, study.settings.language)
    if select is not None:
        drawn = int((rows["draw"] == "random").sum())
        console.print(f"{len(rows)} segment(s) à relire d'abord, dont {drawn} tiré(s) au hasard (colonnes « pourquoi » et « tirage »)")
    console.print(f"Classeur de revue : {path}")


@review_app.command("import")
def review_import(
    workbook: Annotated[Path, typer.Argument(help="Classeur de revue rempli (.xlsx ou .csv).")],
    corpus: Annotated[Path | None, typer.Option(help="Corpus : les décisions vont dans son dossier privé.")] = None,
    store: Annotated[Path | None, typer.Option(help="Dossier des décisions (défaut : <corpus>/.enquete-private/revue).")] = None,
    codebook: CodebookOption = None,
) -> None:
    """Enregistrer les décisions humaines ; elles remplacent le codage automatique aux prochains runs."""
    from enquete.coding import DecisionStore, import_review
    from enquete.study import Study

    with user_errors():
        if store is None and corpus is None:
            raise CorpusError("indiquez --corpus ou --store : où conserver les décisions")
        study = Study(corpus, codebook=codebook) if corpus else Study.outside_corpus(Path.cwd(), codebook=codebook)
        decisions_store = DecisionStore(store) if store else study.decisions()
        decisions = import_review(workbook, study.codebook)
        merged = decisions_store.add(decisions, study.codebook.id)
    console.print(f"{len(decisions)} décision(s) humaine(s) importée(s) ; {len(merged)} au total dans {decisions_store.folder}")


@app.command("revue")
def revue_command(
    corpus: Annotated[Path, typer.Argument(help="Dossier du corpus (défaut : le dossier courant).")] = Path("."),
    out: Annotated[Path, typer.Option("--out", "-o", help="Dossier des sorties d'`enquete run` (segments pseudonymisés et codés).")] = Path("outputs"),
    select: Annotated[int, typer.Option(help="Nombre de segments proposés (ceux qui apprennent le plus au codeur, et une part tirée au hasard).")] = 200,
    port: Annotated[int, typer.Option(help="Port sur 127.0.0.1 (0 : un port libre).")] = 0,
    browser: Annotated[bool, typer.Option("--browser/--no-browser", help="Ouvrir la page dans le navigateur.")] = True,
    verbose: Annotated[bool, typer.Option("--verbose", help="Afficher le journal du serveur (Voilà, Jupyter).")] = False,
) -> None:
    """Relire le codage dans une page locale : un segment à la fois dans son contexte, raccourcis clavier, décisions enregistrées aussitôt."""
    from enquete.errors import OutputError
    from enquete.review import serve
    from enquete.runfolder import is_run_folder
    from enquete.study import Study

    with user_errors():
        Study(corpus)
        if not is_run_folder(out):
            raise OutputError(f"{out} : pas les sorties d'un run (lancez d'abord enquete run {corpus})")

    def announce(url: str) -> None:
        console.print(f"Page de relecture (prête dans quelques secondes) : {url}", highlight=False, soft_wrap=True)
        console.print("Elle n'est visible que sur cet ordinateur, avec le jeton de l'adresse. Ctrl+C pour l'arrêter.", highlight=False)

    serve(corpus, out, select=select, port=port, open_browser=browser, announce=announce, verbose=verbose)


@app.command("topics")
def topics_command(
    table: Annotated[Path, typer.Argument(help="Table codée (outputs/codage.csv, outputs/segments.parquet ou sortie d'`enquete code`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Dossier où écrire tables, figures et carte interactive.")],
    codebook: CodebookOption = None,
    n_topics: Annotated[int | None, typer.Option(help="Nombre de thèmes, 0 : selon la taille du corpus (défaut : réglage `topics`).")] = None,
    seed: SeedOption = None,
    embeddings: Annotated[str | None, typer.Option(help="tfidf, spacy, ou model2vec:<modèle> (extra « embeddings ») (défaut : réglage `topic_embeddings`).")] = None,
    reduction: Annotated[str | None, typer.Option(help="pca ou umap (défaut : réglage `topic_reduction`).")] = None,
    cache: Annotated[Path | None, typer.Option(help="Dossier du cache de l'analyse spaCy (défaut : ./.enquete-private/cache).")] = None,
) -> None:
    """Carte des thèmes (BERTopic) : tables, figures et page interactive hors ligne."""
    from enquete.io import read_table
    from enquete.private import private_dir
    from enquete.schema import conform
    from enquete.study import Study

    with user_errors():
        study = Study.outside_corpus(Path.cwd(), codebook=codebook, topics=n_topics, seed=seed, topic_embeddings=embeddings, topic_reduction=reduction)
        private_dir(study.root, study.settings, out)  # apart from the output
        coded = conform(read_table(table), where=str(table))
        fitted = study.topics(coded, cache=cache)
        tables, paths = study.write_topics(fitted, coded, out, out)
    console.print(f"{len(fitted.topics)} thèmes sur {len(fitted.assignments)} segments ; {len(paths)} fichiers dans {out}")
    for row in tables["themes"].head(12).itertuples():
        console.print(f"  {row.topic:>2} ({row.size}) {row.label} → {row.main_factor}")


@app.command("report")
def report_command(
    corpus: Annotated[Path, typer.Argument(help="Dossier du corpus (défaut : le dossier courant).")] = Path("."),
    out: Annotated[Path, typer.Option("--out", "-o", help="Dossier des sorties d'`enquete run` ; le rapport y est écrit.")] = Path("outputs"),
    template: Annotated[Path | None, typer.Option(help="Modèle Word de l'agence (.docx) : styles, en-tête, pied de page, logo.")] = None,
    title: Annotated[str | None, typer.Option(help="Titre du rapport (défaut : corpus.yaml).")] = None,
    without: Annotated[list[str] | None, typer.Option("--without", help="Section à omettre (répétable) : synthese, contexte, methodologie, resultats, themes, whatsapp, leviers, annexes.")] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Écrire aussi rapport_restitution.pdf avec LibreOffice (table des matières paginée).")] = False,
) -> None:
    """Écrire le rapport de restitution Word (rapport_restitution.docx) à partir des sorties d'un run."""
    from enquete.study import Study

    with user_errors():
        path = Study(corpus).report(out, template, title, tuple(without or ()), pdf=pdf or None)
    console.print(f"Rapport : {path}" + (f" et {path.with_suffix('.pdf').name}" if pdf else ""))


@app.command("agreement")
def agreement_command(
    a: Annotated[Path, typer.Argument(help="Codage de référence (codes ou colonnes 0/1 par code).")],
    b: Annotated[Path, typer.Argument(help="Codage à comparer.")],
    codebook: CodebookOption = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Écrire le tableau (.csv, .xlsx).")] = None,
) -> None:
    """Accord entre deux codages : kappa de Cohen, alpha de Krippendorff, accord %, précision, rappel, F1."""
    from enquete.codebook import load_codebook
    from enquete.coding import agreement
    from enquete.io import read_table, write_table
    from enquete.settings import make_settings
    from enquete.vocabulary import localise

    with user_errors():
        settings = make_settings(codebook=codebook)
        computed = agreement(read_table(a), read_table(b), load_codebook(settings.codebook).ids)
        table = localise(computed, settings.language)
        if out:
            write_table(table, out, settings.language)
    view = Table(*table.columns, title=f"Accord entre {a.name} (A) et {b.name} (B)")
    for row in table.itertuples(index=False):
        view.add_row(*[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row])
    console.print(view)
    console.print(f"segments communs : {table['segments'].iloc[0]} ; seulement dans A : {computed.attrs['only_a']}, seulement dans B : {computed.attrs['only_b']}")


@app.command("codebooks")
def codebooks_command(
    name: Annotated[str | None, typer.Argument(help="Grille à afficher (nom fourni ou chemin .yaml).")] = None,
) -> None:
    """Lister les grilles de codage fournies, ou afficher une grille."""
    from enquete.codebook import bundled_codebooks, load_codebook

    with user_errors():
        if name is None:
            for bundled in bundled_codebooks():
                cb = load_codebook(bundled)
                console.print(f"[bold]{bundled}[/bold] : {cb.label} ({len(cb.codes)} codes)")
            return
        cb = load_codebook(name)
    table = Table("code", "libellé", "définition", title=cb.label, show_lines=True)
    for code in cb.codes:
        table.add_row(code.id, code.label, code.definition)
    console.print(table)


@export_app.command("qdpx")
def export_qdpx_command(
    outputs: Annotated[Path, typer.Argument(help="Dossier des sorties d'`enquete run`.")] = Path("outputs"),
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Fichier .qdpx (défaut : <sorties>/exports/projet.qdpx).")] = None,
    name: Annotated[str | None, typer.Option(help="Nom du projet (défaut : celui du run, le titre du corpus).")] = None,
) -> None:
    """Projet REFI-QDA (.qdpx) : documents, grille, segments codés, cas et variables (ceux du run)."""
    from enquete.exports import attributes_from_json, export_qdpx
    from enquete.runfolder import load_run

    with user_errors():
        run = load_run(outputs)
        segments, project = run.segments, run.project
        path = export_qdpx(
            segments, run.codebook, out or outputs / "exports" / "projet.qdpx", name or project.get("name", "enquete"), project.get("initiatives"),
            run.settings.language, attributes_from_json(project.get("document_attributes", {})),
        )
    console.print(f"Projet REFI-QDA : {path} ({segments['document_id'].nunique()} documents, {int(segments['codes'].fillna('').ne('').sum())} segments codés)")


@export_app.command("qdc")
def export_qdc_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Fichier .qdc.")],
    codebook: CodebookOption = None,
    language: LanguageOption = None,
) -> None:
    """La grille seule, au format REFI-QDA Codebook (.qdc)."""
    from enquete.codebook import load_codebook
    from enquete.exports import export_qdc
    from enquete.settings import make_settings

    with user_errors():
        settings = make_settings(codebook=codebook, language=language)
        path = export_qdc(load_codebook(settings.codebook), out, settings.language)
    console.print(f"Grille REFI-QDA : {path}")


@import_app.command("qdpx")
def import_qdpx_command(
    project: Annotated[Path, typer.Argument(help="Projet .qdpx exporté de NVivo, ATLAS.ti, MAXQDA ou QualCoder.")],
    corpus: Annotated[Path, typer.Option(help="Corpus : les décisions vont dans son dossier privé.")],
    outputs: Annotated[Path, typer.Option("--outputs", help="Sorties d'`enquete run` (pour retrouver les segments).")] = Path("outputs"),
) -> None:
    """Les codages faits par une personne dans un autre logiciel deviennent des décisions de revue."""
    from enquete.exports import import_qdpx
    from enquete.private import private_dir
    from enquete.runfolder import load_run
    from enquete.study import Study

    with user_errors():
        run = load_run(outputs)
        codebook = run.codebook
        study = Study(corpus)
        private_dir(study.root, study.settings, outputs)  # apart from the outputs
        store = study.decisions()
        result = import_qdpx(project, run.segments, codebook)
        merged = store.add(result.decisions, codebook.id)
    console.print(
        f"{result.selections} sélection(s) lue(s) ; {len(result.decisions)} segment(s) codé(s) par une personne importé(s) "
        f"comme décisions ({len(merged)} au total dans {store.folder})"
    )
    if result.unknown_codes:
        err.print(f"[yellow]Codes inconnus de la grille {codebook.id} (ignorés) :[/yellow] {', '.join(result.unknown_codes)}", highlight=False)
    if result.unmatched_sources or result.unmatched_selections:
        err.print(
            f"[yellow]Non rattaché :[/yellow] {result.unmatched_selections} sélection(s) ; documents inconnus : "
            f"{', '.join(result.unmatched_sources) or 'aucun'}",
            highlight=False,
        )


@app.command("verify")
def verify_command(
    outputs: Annotated[Path, typer.Argument(help="Dossier des sorties d'un run (avec son manifest.json).")] = Path("outputs"),
    corpus: Annotated[Path | None, typer.Option(help="Corpus, s'il a changé de place depuis le run.")] = None,
) -> None:
    """Refaire le run décrit par manifest.json dans un dossier temporaire et comparer, fichier par fichier."""
    from enquete.verification import verify
    from enquete.vocabulary import value_label

    with user_errors():
        table = verify(outputs, corpus)
    view = Table("fichier", "statut", title=f"Vérification de {outputs}")
    for row in table.itertuples(index=False):
        colour = "green" if row.status == "identical" else "red"
        view.add_row(row.file, f"[{colour}]{value_label('status', row.status, 'fr')}[/{colour}]")
    console.print(view)
    same = int((table["status"] == "identical").sum())
    console.print(f"{same} fichier(s) identique(s) sur {len(table)}")
    for reason in table.loc[table["reason"] != "", "reason"].unique():
        console.print(f"Raison probable : {reason}", highlight=False, soft_wrap=True)
    if same < len(table):
        raise typer.Exit(DIFFERENT)
