"""Corpus folders and their manifest (``corpus.yaml``).

A corpus is a folder. Its optional ``corpus.yaml`` describes the initiatives studied and
the documents collected (see corpora/demo/corpus.yaml and the README). Supported files
that the manifest does not list are still ingested, with a warning; a manifest entry
whose file is missing is an error.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import json
import re
import unicodedata
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from enquete.datafiles import YAMLError, read_yaml
from enquete.errors import ConfigError, CorpusError, CorpusWarning
from enquete.settings import Settings, checked_timezone, make_settings
from enquete.validation import error_lines

MANIFEST_NAME = "corpus.yaml"
#: A folder holding this file is an enquete output folder: never read as part of a corpus.
OUTPUT_MARKER = ".enquete-sorties"
TRANSCRIPT_SUFFIXES = (".docx", ".odt", ".txt", ".md", ".srt", ".vtt", ".html", ".htm", ".json", ".otr", ".cha")
WHATSAPP_SUFFIXES = (".zip", ".txt")
DOCUMENT_SUFFIXES = (".pdf", ".docx", ".odt", ".html", ".htm", ".txt", ".md")  # documents and observation notes
SOCIAL_SUFFIXES = (".json",)  # Telegram Desktop, Facebook (groups, pages, Messenger)
SUPPORTED_SUFFIXES = tuple(sorted(set(TRANSCRIPT_SUFFIXES + WHATSAPP_SUFFIXES + DOCUMENT_SUFFIXES + SOCIAL_SUFFIXES)))
#: Files never taken for documents (besides hidden files and folders).
IGNORED_PATTERNS = (MANIFEST_NAME, "README*", "*.csv", "*.xlsx", "*.parquet")



class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Initiative(_Model):
    id: str = ""
    name: str
    localisation: str = ""
    creation: int | None = None
    description: str = ""
    attributes: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _default_id(self) -> "Initiative":
        if not self.id:
            self.id = slugify(self.name)
        return self


class DocumentEntry(_Model):
    file: str
    id: str = ""
    initiative: str = ""
    kind: Literal["interview", "whatsapp", "observation", "document", "social", ""] = ""
    date: dt.date | None = None
    name: str = Field("", validation_alias=AliasChoices("name", "title"))  # a readable name (a group's); "title" is read too
    respondent_role: str = ""
    interviewer: list[str] = Field(default_factory=list)
    date_order: Literal["DMY", "MDY", "YMD", ""] = ""
    year: int | None = Field(None, ge=2009, le=2100)  # WhatsApp exports whose headers have no year: the first message's
    timezone: str = ""  # social-network exports: where their Unix times are read (default: settings.timezone)
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        return checked_timezone(name) if name else name


class PseudonymisationConfig(_Model):
    allow: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)
    names: list[str] = Field(default_factory=list)


class ReportConfig(_Model):
    title: str = ""
    subtitle: str = ""
    authors: list[str] = Field(default_factory=list)
    organisation: str = ""
    date: str = ""  # free text (« septembre 2022 »); an unquoted YAML date is read as its ISO text
    context: str = ""

    @field_validator("date", mode="before")
    @classmethod
    def _date_as_text(cls, value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.date) else value


class Manifest(_Model):
    title: str = ""
    description: str = ""
    language: Literal["fr", "en"] | None = None  # the same as settings.language (either place, not two values)
    initiatives: list[Initiative] = Field(default_factory=list)
    documents: list[DocumentEntry] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    pseudonymisation: PseudonymisationConfig = Field(default_factory=PseudonymisationConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    settings: dict[str, Any] = Field(default_factory=dict)

    def kept_names(self) -> list[str]:
        """Names pseudonymisation leaves as they are: ``pseudonymisation.allow`` and the
        initiatives' names (public, and named in the report anyway: a document signed by
        the association keeps its signature)."""
        return [*self.pseudonymisation.allow, *(i.name for i in self.initiatives)]


@dataclass
class Document:
    """A document of the corpus, with its resolved path and metadata."""

    id: str
    path: Path
    relpath: str
    initiative: str = ""
    kind: str = ""
    date: dt.date | None = None
    title: str = ""
    respondent_role: str = ""
    interviewer: list[str] = field(default_factory=list)
    date_order: str = ""
    year: int | None = None
    timezone: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    in_manifest: bool = True


@dataclass
class Corpus:
    root: Path
    manifest: Manifest
    documents: list[Document]
    warnings: list[str] = field(default_factory=list)

    @property
    def initiatives(self) -> dict[str, Initiative]:
        return {i.id: i for i in self.manifest.initiatives}

    def settings(self, **overrides: Any) -> Settings:
        """Default settings, then the manifest's, then the given overrides (a block such as ``llm``
        is merged field by field); checked now (ConfigError)."""
        values = dict(self.manifest.settings)
        if self.manifest.language:
            if values.get("language", self.manifest.language) != self.manifest.language:
                raise ConfigError(f"{MANIFEST_NAME} : deux langues données, « language: {self.manifest.language} » et "
                                  f"« settings: language: {values['language']} » : n'en gardez qu'une")
            values["language"] = self.manifest.language
        for key, value in overrides.items():
            if isinstance(value, dict):
                values[key] = {**values.get(key, {}), **{k: v for k, v in value.items() if v is not None}}
            elif value is not None:
                values[key] = value
        settings = make_settings(**values)
        for name in ("training_codes", "review_sample", "report_template"):
            value = getattr(settings, name)
            if value and not (self.root / value).is_file():
                raise ConfigError(f"réglages invalides : {name} : fichier introuvable « {value} » (chemin relatif au corpus)")
        return settings


def slugify(text: str) -> str:
    """ASCII, lower-case, underscore-separated identifier from a name."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_") or "x"


def document_ids(relpaths: list[str], taken: set[str] = frozenset()) -> list[str]:
    """Ids for files: the slug of the file's name, unique and stable.

    Files whose names give the same slug, or an id already ``taken`` ("X.txt" beside
    "X.zip", two "_chat.txt" in sub-folders, "test_[a].txt" and "test_a.txt") are told
    apart by their folder, then their extension, then a short hash of their path: the
    same files always get the same ids.
    """

    def stem(path: str) -> str:
        p = Path(path)
        return p.stem if p.suffix.lower() in SUPPORTED_SUFFIXES else p.name

    def clashing(ids: list[str]) -> set[str]:
        counts = Counter(ids)
        return {i for i, n in counts.items() if n > 1} | (set(ids) & set(taken))

    ids = [slugify(stem(p)) for p in relpaths]
    for qualify in (
        lambda p: slugify(str(Path(p).parent / stem(p))),
        lambda p: slugify(str(Path(p).parent / stem(p)) + "_" + Path(p).suffix),
        lambda p: slugify(str(Path(p).parent / stem(p))) + "_" + hashlib.sha1(p.encode()).hexdigest()[:6],
    ):
        bad = clashing(ids)
        if not bad:
            break
        ids = [qualify(p) if i in bad else i for p, i in zip(relpaths, ids)]
    return ids


def read_manifest(path: Path) -> Manifest:
    """Parse and validate a corpus.yaml file."""
    try:
        data = read_yaml(path.read_text(encoding="utf-8-sig"))
    except YAMLError as exc:
        raise CorpusError(f"{path} : YAML invalide ({exc})") from None
    except UnicodeDecodeError:
        raise CorpusError(f"{path} : le manifeste doit être en UTF-8") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CorpusError(f"{path} : le manifeste doit être un dictionnaire YAML")
    try:
        return Manifest(**data)
    except ValidationError as exc:
        raise CorpusError(f"{path} : {'; '.join(error_lines(exc, Manifest, data))}") from None


def _is_candidate(path: Path, root: Path, exclude: list[str]) -> bool:
    rel = path.relative_to(root).as_posix()
    if any(part.startswith(".") for part in Path(rel).parts):
        return False
    patterns = list(IGNORED_PATTERNS) + exclude
    return not any(fnmatch.fnmatch(path.name, p) or fnmatch.fnmatch(rel, p) for p in patterns)


def _media_folders(root: Path) -> set[Path]:
    """Folders next to a .zip export that hold its extracted media: not documents."""
    return {p.with_suffix("") for p in root.rglob("*.zip")}


def discover_files(root: Path, exclude: list[str] | None = None) -> list[Path]:
    """Candidate document files under root, sorted (hidden files, manifest, outputs excluded)."""
    skipped = _media_folders(root) | {marker.parent for marker in root.rglob(OUTPUT_MARKER)}
    files = [
        p
        for p in sorted(root.rglob("*"))
        if p.is_file() and _is_candidate(p, root, exclude or []) and not any(m in p.parents for m in skipped)
    ]
    return files


def _check_unique_ids(documents: list[Document]) -> None:
    seen: dict[str, str] = {}
    for doc in documents:
        if doc.id in seen:
            raise CorpusError(f"identifiant de document en double « {doc.id} » : {seen[doc.id]} et {doc.relpath}")
        seen[doc.id] = doc.relpath


def unlisted_message(path: Path, relpath: str, manifest: Manifest, indent: str = "  ") -> str:
    """The warning for a file corpus.yaml does not list: read anyway, and the entry to paste under
    ``documents:`` (its items indented by ``indent``, as the file's are)."""
    from enquete.errors import IngestError
    from enquete.ingest import detect_kind
    from enquete.schema import file_title

    try:
        kind = detect_kind(path)
    except (IngestError, OSError, ValueError):
        kind = ""
    ids = ", ".join(i.id for i in manifest.initiatives)
    entry = [f"{indent}- file: {_yaml_text(relpath)}"]
    if kind:
        entry.append(f"{indent}  kind: {kind}")
    entry.append(f"{indent}  initiative: à_préciser" + (f"        # l'une de : {ids}" if ids else ""))
    if kind in ("whatsapp", "social"):
        entry.append(f"{indent}  name: {_yaml_text(file_title(relpath))}        # le nom du groupe dans les tableaux, les figures et le rapport")
    return (f"{relpath} n'est pas dans {MANIFEST_NAME} : lu quand même, sans initiative (« initiative non précisée » dans les "
            f"tableaux et le rapport). Pour le décrire, ajoutez sous « documents: » de {MANIFEST_NAME} :\n" + "\n".join(entry))


def _yaml_text(value: str) -> str:
    """A YAML scalar in double quotes (JSON's quoting is YAML's)."""
    return json.dumps(value, ensure_ascii=False)


def load_corpus(path: str | Path) -> Corpus:
    """Read a corpus folder: its manifest (if any) and every document file in it."""
    root = Path(path)
    if not root.exists():
        raise CorpusError(f"dossier de corpus introuvable : {root}")
    if root.is_file():
        raise CorpusError(f"{root} est un fichier ; un corpus est un dossier (voir `enquete ingest` pour un fichier)")
    messages: list[str] = []
    manifest_path = root / MANIFEST_NAME
    if manifest_path.exists():
        manifest = read_manifest(manifest_path)
    else:
        manifest = Manifest()
        messages.append(f"{root} n'a pas de {MANIFEST_NAME} : tous les fichiers pris en charge sont lus avec les réglages par défaut")
    initiatives = {i.id: i for i in manifest.initiatives}
    by_name = {i.name: i.id for i in manifest.initiatives}
    documents: list[Document] = []
    listed: set[str] = set()
    for entry in manifest.documents:
        file_path = root / entry.file
        if not file_path.is_file():
            raise CorpusError(f"{MANIFEST_NAME} : le document « {entry.file} » est introuvable dans {root}")
        initiative = by_name.get(entry.initiative, entry.initiative)
        if initiative and initiative not in initiatives:
            raise CorpusError(f"{MANIFEST_NAME} : initiative inconnue « {entry.initiative} » pour {entry.file}")
        relpath = file_path.relative_to(root).as_posix()
        listed.add(relpath)
        documents.append(
            Document(
                id=entry.id or slugify(Path(entry.file).stem),
                path=file_path,
                relpath=relpath,
                initiative=initiative,
                kind=entry.kind,
                date=entry.date,
                title=entry.name,
                respondent_role=entry.respondent_role,
                interviewer=entry.interviewer,
                date_order=entry.date_order,
                year=entry.year,
                timezone=entry.timezone,
                attributes=entry.attributes,
            )
        )
    unlisted = [p for p in discover_files(root, manifest.exclude) if p.relative_to(root).as_posix() not in listed]
    listing = re.search(r"^( *)- *file *:", manifest_path.read_text(encoding="utf-8-sig"), re.MULTILINE) if manifest.documents else None
    indent = listing.group(1) if listing else "  "  # the entries to paste are indented as the file's
    relpaths = [p.relative_to(root).as_posix() for p in unlisted]
    for file_path, relpath, doc_id in zip(unlisted, relpaths, document_ids(relpaths, {d.id for d in documents})):
        if manifest.documents:
            messages.append(unlisted_message(file_path, relpath, manifest, indent))
        documents.append(Document(id=doc_id, path=file_path, relpath=relpath, in_manifest=False))
    _check_unique_ids(documents)
    for message in messages:
        warnings.warn(message, CorpusWarning, stacklevel=2)
    return Corpus(root=root, manifest=manifest, documents=documents, warnings=messages)
