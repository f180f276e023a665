"""Configuration errors in plain French: which file, which entry, which key, what was expected,
and the key that was probably meant (corpus.yaml, settings, codebooks).

pydantic says ``documents.2.initiatve: Extra inputs are not permitted``; a sociologist reads
« clé inconnue « initiatve » pour le document entretiens/E03.txt (3e document) — vouliez-vous
dire « initiative » ? ».
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

#: The entries of a list, by the key that holds it: (what an entry is, feminine, the key that names one).
ENTRIES = {"documents": ("document", False, "file"), "initiatives": ("initiative", True, "name"), "codes": ("code", False, "id")}

EXPECTED = {
    "int_parsing": "nombre entier attendu", "int_type": "nombre entier attendu", "int_from_float": "nombre entier attendu",
    "float_parsing": "nombre attendu", "float_type": "nombre attendu", "bool_parsing": "true ou false attendu", "bool_type": "true ou false attendu",
    "string_type": "texte attendu", "list_type": "liste attendue (- élément, ou [a, b])", "dict_type": "dictionnaire attendu (clé: valeur)",
    "date_from_datetime_parsing": "date attendue (AAAA-MM-JJ)", "date_parsing": "date attendue (AAAA-MM-JJ)", "date_type": "date attendue (AAAA-MM-JJ)",
    "model_type": "dictionnaire attendu (clé: valeur)", "model_attributes_type": "dictionnaire attendu (clé: valeur)",
}
BOUNDS = {"greater_than_equal": "au moins {ge}", "greater_than": "plus de {gt}", "less_than_equal": "au plus {le}", "less_than": "moins de {lt}"}


def error_lines(exc: ValidationError, model: type[BaseModel], data: Any = None) -> list[str]:
    """One French sentence per error of ``exc``, raised validating ``data`` against ``model``."""
    return [_sentence(err, model, data) for err in exc.errors()]


def _sentence(err: dict, model: type[BaseModel], data: Any) -> str:
    loc = tuple(err["loc"])
    key = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    where = _where(loc, data)
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "extra_forbidden":
        hint = _suggestion(key, _fields_at(model, loc[:-1]))
        return f"clé inconnue « {key} »{where}" + (f" — vouliez-vous dire « {hint} » ?" if hint else "")
    if kind == "missing":
        return f"clé « {key} » obligatoire{where}"
    if kind == "literal_error":
        allowed = ", ".join(a.strip("'") for a in ctx.get("expected", "").replace(" or ", ", ").split(", ") if a.strip("'"))
        hint = _suggestion(str(value), allowed.split(", ")) if isinstance(value, str) else None
        return f"« {key} »{where} : valeur « {value} » non permise (attendu : {allowed})" + (f" — vouliez-vous dire « {hint} » ?" if hint else "")
    if kind in BOUNDS:
        return f"« {key} »{where} : {BOUNDS[kind].format(**ctx)} (reçu : {value})"
    if kind in EXPECTED:
        return f"« {key} »{where} : {EXPECTED[kind]}, reçu « {value} »" if key else f"{EXPECTED[kind]}{where}"
    if kind == "string_pattern_mismatch":
        return f"« {key} »{where} : valeur « {value} » mal formée"
    if kind == "value_error":  # our own validators already speak French
        return f"{key}{where} : {str(err['msg']).removeprefix('Value error, ')}" if key else str(err["msg"]).removeprefix("Value error, ")
    return f"« {key} »{where} : {err['msg']}"


def _where(loc: tuple, data: Any) -> str:
    """' pour le document entretiens/E03.txt (3e document)', or '' at the top level."""
    for i, part in enumerate(loc):
        if isinstance(part, int) and i and loc[i - 1] in ENTRIES:
            noun, feminine, naming = ENTRIES[loc[i - 1]]
            entry = _get(data, loc[: i + 1])
            name = entry.get(naming) if isinstance(entry, dict) else None
            rank = f"{part + 1}{('re' if feminine else 'er') if part == 0 else 'e'} {noun}"
            if name:
                article = "l'" if noun[0] in "aeiou" else "la " if feminine else "le "
                return f" pour {article}{noun} {name} ({rank})"
            return f" pour {'la' if feminine else 'le'} {rank}"
    if len(loc) > 1 and isinstance(loc[0], str):
        return f" dans « {loc[0]} »"
    return ""


def _get(data: Any, loc: tuple) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys the model accepts at a place (the fields of the nested model there)."""
    current: Any = model
    for part in loc:
        current = _inner(current)
        if isinstance(part, str) and isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            current = field.annotation if field else None
    current = _inner(current)
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _inner(annotation: Any) -> Any:
    """The model inside ``list[M]``, ``M | None``, ``Annotated[M, ...]``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin in (list, typing.Annotated) or origin in (typing.Union, types.UnionType):
            models = [a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
            annotation = models[0] if models else typing.get_args(annotation)[0]
            continue
        return annotation


def _suggestion(word: str, candidates: list[str]) -> str | None:
    """The candidate nearest ``word`` by edit distance, if it is near enough."""
    found = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return found[0] if found else None
