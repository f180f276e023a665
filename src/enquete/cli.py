"""The `enquete` command line (typer). Every command has --help."""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from enquete import __version__
from enquete.codebook import CodebookError, bundled_codebooks, load_codebook
from enquete.corpus import CorpusError, load_corpus
from enquete.ingest import IngestError, ingest_corpus, ingest_paths
from enquete.io import OutputError, write_table
from enquete.nlp import ModelError
from enquete.schema import SchemaError

app = typer.Typer(
    help="enquete : enquêtes qualitatives sur le lien social (entretiens, groupes WhatsApp).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
corpus_app = typer.Typer(help="Examiner un dossier de corpus.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")

console = Console()
err = Console(stderr=True, soft_wrap=True)
KNOWN_ERRORS = (CorpusError, CodebookError, IngestError, SchemaError, OutputError, ModelError)
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def user_errors():
    """Turn known errors into a one-line message and exit code 1; show warnings plainly."""

    def show(message, category, *_args, **_kwargs):
        err.print(f"[yellow]Attention :[/yellow] {message}", highlight=False)

    previous = warnings.showwarning
    warnings.showwarning = show
    try:
        yield
    except KNOWN_ERRORS as exc:
        err.print(f"[red]Erreur :[/red] {' '.join(str(exc).split())}", highlight=False, markup=True)
        raise typer.Exit(1) from None
    finally:
        warnings.showwarning = previous


def _version(value: bool) -> None:
    if value:
        console.print(f"enquete {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Afficher la version.")] = False,
) -> None:
    """enquete : du corpus d'entretiens et de fils WhatsApp au rapport de restitution."""


@corpus_app.command("info")
def corpus_info(corpus: Annotated[Path, typer.Argument(help="Dossier du corpus (avec ou sans corpus.yaml).")]) -> None:
    """Valider un corpus et le résumer : initiatives, documents, segments, rejets."""
    with user_errors():
        loaded = load_corpus(corpus)
        settings = loaded.settings()
        segments, rejects = ingest_corpus(loaded, settings)
    title = loaded.manifest.title or loaded.root.name
    console.print(f"[bold]{title}[/bold] ({loaded.root})")
    if loaded.manifest.initiatives:
        table = Table("initiative", "localisation", "création", "documents", "segments", title="Initiatives")
        for ini in loaded.manifest.initiatives:
            docs = [d for d in loaded.documents if d.initiative == ini.id]
            n = int((segments["initiative"] == ini.id).sum()) if len(segments) else 0
            table.add_row(ini.name, ini.localisation, str(ini.creation or ""), str(len(docs)), str(n))
        console.print(table)
    table = Table("document", "type", "initiative", "rôle", "segments", "fichier", title="Documents")
    counts = segments.groupby("document_id").size() if len(segments) else {}
    kinds = segments.groupby("document_id")["source_type"].first() if len(segments) else {}
    for doc in loaded.documents:
        table.add_row(
            doc.id, kinds.get(doc.id, "—"), doc.initiative or "?", doc.respondent_role,
            str(counts.get(doc.id, 0)), doc.relpath,
        )
    console.print(table)
    by_type = segments["message_type"].value_counts().to_dict() if len(segments) else {}
    console.print(
        f"{len(loaded.documents)} documents, {len(segments)} segments "
        f"({', '.join(f'{k} : {v}' for k, v in sorted(by_type.items()))}), {len(rejects)} rejet(s)"
    )
    for row in rejects.itertuples():
        where = f" ligne {row.line}" if row.line is not None and str(row.line) != "<NA>" else ""
        err.print(f"[yellow]Rejet :[/yellow] {row.source_path}{where} : {row.reason}", highlight=False)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Fichiers ou dossiers à lire.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Table de sortie (.csv, .parquet ou .xlsx).")],
    rejects: Annotated[Path | None, typer.Option(help="Où écrire les rejets (par défaut : <out>.rejets.csv).")] = None,
) -> None:
    """Lire des entretiens et des exports WhatsApp dans la table des segments (sans pseudonymiser)."""
    with user_errors():
        segments, rejected = ingest_paths(paths)
        write_table(segments, out)
        rejects_path = rejects or out.with_name(out.stem + ".rejets.csv")
        write_table(rejected, rejects_path)
    console.print(f"{len(segments)} segments écrits dans {out} ; {len(rejected)} rejet(s) dans {rejects_path}")


def _run(corpus: Path, out: Path, pseudonymise: bool, codebook: str | None, strict: bool) -> None:
    from enquete.pipeline import run

    if not pseudonymise:
        err.print(
            "[bold red]PSEUDONYMISATION DÉSACTIVÉE[/bold red] : les sorties contiendront les noms, "
            "numéros et adresses du corpus. Ne les diffusez pas.",
            highlight=False,
        )
    with user_errors():
        if codebook:
            load_codebook(codebook)
        result = run(corpus, out, pseudonymise=pseudonymise, codebook=codebook, strict=strict)
    for notice in result.notices:
        err.print(f"[yellow]Note :[/yellow] {notice}", highlight=False)
    table = Table("étape", "secondes", title=f"enquete run : {result.corpus.root}")
    for stage, secs in result.timings.items():
        table.add_row(stage, f"{secs:.2f}")
    console.print(table)
    console.print(
        f"{result.segments['document_id'].nunique()} documents, {len(result.segments)} segments, "
        f"{len(result.rejects)} rejet(s) ; {len(result.files)} fichiers écrits dans {result.out_dir}"
    )
    if strict and len(result.rejects):
        err.print(f"[red]Mode strict :[/red] {len(result.rejects)} fichier(s) ou ligne(s) rejeté(s)")
        raise typer.Exit(3)


PseudoOption = Annotated[
    bool, typer.Option("--pseudonymise/--no-pseudonymise", help="Pseudonymiser noms, numéros, adresses (par défaut : oui).")
]
CodebookOption = Annotated[
    str | None, typer.Option(help="Grille de codage : nom fourni ou chemin d'un .yaml (défaut : facteurs_reussite).")
]
StrictOption = Annotated[bool, typer.Option(help="Code de sortie 3 si un fichier ou une ligne est rejeté.")]


@app.command("run")
def run_command(
    corpus: Annotated[Path, typer.Argument(help="Dossier du corpus.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Dossier des sorties.")] = Path("outputs"),
    pseudonymise: PseudoOption = True,
    codebook: CodebookOption = None,
    strict: StrictOption = False,
) -> None:
    """Exécuter toute la chaîne sur un corpus et écrire les sorties."""
    _run(corpus, out, pseudonymise, codebook, strict)


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
    private_dir: Annotated[Path | None, typer.Option(help="Dossier privé de la table de correspondance (défaut : .enquete-private du corpus, ou du dossier courant).")] = None,
    irreversible: Annotated[bool, typer.Option(help="Ne conserver aucune table de correspondance.")] = False,
    name: Annotated[list[str] | None, typer.Option("--name", help="Nom de personne à pseudonymiser (répétable).")] = None,
    allow: Annotated[list[str] | None, typer.Option("--allow", help="Nom de lieu ou d'initiative à conserver (répétable).")] = None,
) -> None:
    """Pseudonymiser une table de segments : personnes, téléphones, courriels, adresses, codes."""
    from enquete.io import read_table
    from enquete.pipeline import KEY_FILE, REPLACEMENTS_FILE, write_private
    from enquete.pseudonymise import pseudonymise
    from enquete.schema import coerce, validate_segments
    from enquete.settings import Settings

    with user_errors():
        loaded = load_corpus(corpus) if corpus else None
        settings = loaded.settings(pseudonym_style=style) if loaded else Settings(**({"pseudonym_style": style} if style else {}))
        manifest = loaded.manifest.pseudonymisation if loaded else None
        folder = private_dir or ((loaded.root if loaded else Path.cwd()) / settings.private_dir)
        if folder.resolve() == out.parent.resolve() or out.parent.resolve() in folder.resolve().parents:
            raise CorpusError(f"le dossier privé {folder} ne doit pas être dans le dossier de sortie {out.parent}")
        segments = validate_segments(coerce(read_table(table)))
        key_path = folder / KEY_FILE
        previous = read_table(key_path) if key_path.is_file() and not irreversible else None
        done = pseudonymise(
            segments,
            style=settings.pseudonym_style,
            seed=settings.seed,
            names=[*(manifest.names if manifest else []), *(name or [])],
            allow=[*(manifest.allow if manifest else []), *(allow or [])],
            deny=manifest.deny if manifest else [],
            previous_key=previous,
            model=settings.spacy_model,
        )
        write_table(done.segments, out)
        summary_path = out.with_name(out.stem + ".resume.csv")
        write_table(done.summary(), summary_path)
        if not irreversible:
            write_private(folder, {KEY_FILE: done.key, REPLACEMENTS_FILE: done.replacements})
    counts = done.summary().groupby("entity")["remplacements"].sum()
    console.print(f"{len(done.segments)} segments pseudonymisés dans {out} ; résumé : {summary_path}")
    console.print(", ".join(f"{entity} : {n}" for entity, n in counts.items()) or "rien à remplacer")
    if irreversible:
        console.print("Mode irréversible : aucune table de correspondance n'a été conservée.")
    else:
        console.print(f"Table de correspondance (à garder secrète) : {folder / KEY_FILE}")


@app.command("codebooks")
def codebooks_command(
    name: Annotated[str | None, typer.Argument(help="Grille à afficher (nom fourni ou chemin .yaml).")] = None,
) -> None:
    """Lister les grilles de codage fournies, ou afficher une grille."""
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
