"""Codebooks: YAML files of codes, loaded and validated by one loader.

A codebook is named (a bundled file under ``enquete/codebooks/``) or given as a path.
Each code has an id, a label (French), a definition, inclusion and exclusion criteria,
indicators, example phrasings, a colour, and optional ``maps_to`` links to the codes of
other codebooks (e.g. which municipal commitments answer a success factor).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from enquete.datafiles import YAMLError, read_yaml
from enquete.errors import CodebookError
from enquete.lazy import lazy_import
from enquete.validation import error_lines

pd = lazy_import("pandas")  # only to_frame() and mapping() use it

CODE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")



class Code(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str
    label: str = Field(min_length=1)
    label_en: str = ""
    definition: str = Field(min_length=1)
    definition_en: str = ""
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    indicators: list[str] = Field(default_factory=list)
    not_indicators: list[str] = Field(default_factory=list)  # expressions that use a trigger word in another sense
    examples: list[str] = Field(default_factory=list)
    color: str = "#777777"
    maps_to: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not CODE_ID.match(value):
            raise ValueError(f"identifiant de code invalide « {value} » (minuscules, chiffres, _)")
        return value

    @field_validator("color")
    @classmethod
    def _color_shape(cls, value: str) -> str:
        if not COLOR.match(value):
            raise ValueError(f"couleur invalide « {value} » (attendu #RRGGBB)")
        return value.upper()

    def display_label(self, language: str = "fr") -> str:
        return self.label_en if language == "en" and self.label_en else self.label

    def display_definition(self, language: str = "fr") -> str:
        return self.definition_en if language == "en" and self.definition_en else self.definition


class Codebook(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str
    label: str = Field(min_length=1)
    label_en: str = ""
    description: str = ""
    source: str = ""
    codes: list[Code] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> "Codebook":
        ids = [c.id for c in self.codes]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"codes en double : {', '.join(dup)}")
        return self

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.codes]

    def __getitem__(self, code_id: str) -> Code:
        for code in self.codes:
            if code.id == code_id:
                return code
        raise KeyError(code_id)

    def display_label(self, language: str = "fr") -> str:
        return self.label_en if language == "en" and self.label_en else self.label

    def labels(self, language: str = "fr") -> dict[str, str]:
        return {c.id: c.display_label(language) for c in self.codes}

    def colors(self) -> dict[str, str]:
        return {c.id: c.color for c in self.codes}

    def to_frame(self, language: str = "fr") -> pd.DataFrame:
        """One row per code: id, label, definition, criteria (for reports and notebooks)."""
        return pd.DataFrame(
            {
                "code": c.id,
                "label": c.display_label(language),
                "definition": c.display_definition(language),
                "inclusion": "\n".join(c.include),
                "exclusion": "\n".join(c.exclude),
                "indicators": "; ".join(c.indicators),
            }
            for c in self.codes
        )

    def mapping(self, target: str) -> pd.DataFrame:
        """Links from this codebook's codes to the codes of codebook ``target``."""
        rows = [(c.id, t) for c in self.codes for t in c.maps_to.get(target, [])]
        return pd.DataFrame(rows, columns=["code", target])


def bundled_codebooks() -> list[str]:
    """Names of the codebooks shipped with enquete."""
    folder = resources.files("enquete") / "codebooks"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def _codebook_path(name_or_path: str | Path) -> Path:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise CodebookError(f"fichier de grille introuvable : {path}")
        return path
    bundled = resources.files("enquete") / "codebooks" / f"{name_or_path}.yaml"
    if not bundled.is_file():
        raise CodebookError(
            f"grille inconnue « {name_or_path} » ; grilles fournies : {', '.join(bundled_codebooks())}, "
            "ou le chemin d'un fichier .yaml"
        )
    return Path(str(bundled))


@lru_cache(maxsize=32)
def _load(path: Path) -> Codebook:
    try:
        data = read_yaml(path.read_text(encoding="utf-8-sig"))
    except YAMLError as exc:
        raise CodebookError(f"{path} : YAML invalide ({exc})") from None
    except UnicodeDecodeError:
        raise CodebookError(f"{path} : la grille doit être en UTF-8") from None
    if not isinstance(data, dict):
        raise CodebookError(f"{path} : une grille est un dictionnaire YAML avec « id », « label » et « codes »")
    try:
        return Codebook(**data)
    except ValidationError as exc:
        raise CodebookError(f"{path} : {'; '.join(error_lines(exc, Codebook, data))}") from None


def load_codebook(name_or_path: str | Path) -> Codebook:
    """Load a bundled codebook by name, or a user codebook from a YAML path."""
    codebook = _load(_codebook_path(name_or_path).resolve())
    check_mappings(codebook)
    return codebook


def check_mappings(codebook: Codebook) -> None:
    """Raise CodebookError if a ``maps_to`` link names a code that does not exist."""
    for target in sorted({t for c in codebook.codes for t in c.maps_to}):
        try:
            known = set(_load(_codebook_path(target).resolve()).ids)
        except CodebookError:
            raise CodebookError(f"grille {codebook.id} : maps_to vers une grille inconnue « {target} »") from None
        for code in codebook.codes:
            unknown = sorted(set(code.maps_to.get(target, [])) - known)
            if unknown:
                raise CodebookError(f"grille {codebook.id}, code {code.id} : codes inconnus dans {target} : {unknown}")
