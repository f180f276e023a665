"""English inside, the user's language at the edges.

The tables enquete makes name their columns and values in English; where a table is written
to a file, :func:`localise` gives it the names of the run's language (vocabulary.yaml), and
where a file is read back, :func:`internal` restores the code's names, whatever the
language it was written in.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING

from enquete.datafiles import package_yaml

if TYPE_CHECKING:
    import pandas as pd


@lru_cache(maxsize=1)
def _vocabulary() -> dict:
    return package_yaml("enquete", "vocabulary.yaml")


def label(name: str, language: str) -> str:
    """A column's name in a language's files (the code's name when the file says nothing else)."""
    return _vocabulary()["columns"].get(name, {}).get(language, name)


NARROW_NBSP = "\u202f"  # French typography: between thousands and before %, never broken across lines


def number(value: float, language: str = "fr", digits: int = 0) -> str:
    """A number as the language writes it: "1\u202f290" and "0,53" in French (a narrow no-break
    space between thousands, a decimal comma), "1,290" and "0.53" in English."""
    text = f"{value:,.{digits}f}"
    if text.startswith("-") and not text.strip("-0.,"):
        text = text[1:]  # a value rounded to zero is "0", never "-0"
    return text.replace(",", NARROW_NBSP).replace(".", ",") if language == "fr" else text


def decimal(value: float, language: str = "fr", digits: int = 2) -> str:
    """A score or an agreement figure as the language writes it, two decimals ("0,53" in French)."""
    return number(value, language, digits)


def percent(share: float, language: str = "fr", digits: int = 0) -> str:
    """A share (0..1) as a percentage: "12\u202f%" in French (narrow no-break space), "12%" in English."""
    value = number(100 * share, language, digits)
    return f"{value}{NARROW_NBSP}%" if language == "fr" else f"{value}%"


def long_date(value: str, language: str = "fr") -> str:
    """A date as a title page writes it: « 3 décembre 2026 », "3 December 2026" (text that is
    not an ISO date is kept as written)."""
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.day}{'er' if day.day == 1 and language == 'fr' else ''} {month_name(day.month, language)} {day.year}"


def month_name(month: int, language: str = "fr") -> str:
    """The name of a month (1 to 12) in the language: « mars », "March"."""
    return _vocabulary()["months"][language][month - 1]


EXCEL_FORMATS = {"percent": {"fr": '0.0"\u202f"%', "en": "0.0%"}, "decimal": {"fr": "0.00", "en": "0.00"}, "integer": {"fr": "#,##0", "en": "#,##0"}}


def number_format(column: str, integer: bool, language: str) -> str | None:
    """The workbook number format of a column named as in a file of any language (None: as stored)."""
    name = _reverse()[0].get(column, column)
    kinds = _vocabulary()["formats"]
    kind = next((k for k, names in kinds.items() if name in names or name.split("_")[0] in names), "integer" if integer else None)
    return EXCEL_FORMATS[kind][language] if kind else None


def value_label(column: str, value: str, language: str) -> str:
    """A value of one of the columns enquete fills itself, in a language."""
    return _vocabulary()["values"].get(column, {}).get(value, {}).get(language, value)


def csv_dialect(language: str | None) -> tuple[str, str]:
    """(separator, decimal mark) of the CSV files written for a language (English's by default)."""
    dialects = _vocabulary()["csv"]
    dialect = dialects.get(language or "en", dialects["en"])
    return dialect["separator"], dialect["decimal"]


@lru_cache(maxsize=1)
def export_words() -> frozenset[str]:
    """Words an export puts before a group's name in its file's name (lower-case)."""
    return frozenset(w.lower() for w in _vocabulary()["export_words"])


def word(kind: str, value: str, language: str) -> str:
    """A word shown to the user for a code name (a stage, a message type), in a language."""
    return _vocabulary()["words"].get(kind, {}).get(value, {}).get(language, value)


@lru_cache(maxsize=8)
def _renames(language: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    vocabulary = _vocabulary()
    columns = {name: labels[language] for name, labels in vocabulary["columns"].items() if language in labels}
    values = {col: {v: labels[language] for v, labels in table.items() if language in labels} for col, table in vocabulary["values"].items()}
    return columns, values


@lru_cache(maxsize=1)
def _reverse() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    vocabulary = _vocabulary()
    columns = {text: name for name, labels in vocabulary["columns"].items() for text in labels.values()}
    values = {col: {text: v for v, labels in table.items() for text in labels.values()} for col, table in vocabulary["values"].items()}
    return columns, values


def localise(table: pd.DataFrame, language: str) -> pd.DataFrame:
    """The table with its columns and values named in ``language`` (for a file or a display);
    empty cells that mean something (no known initiative) say it."""
    columns, values = _renames(language)
    mapped = {col: values[col] for col in table.columns if values.get(col) and _holds_text(table[col])}
    empty = {col: labels[language] for col, labels in _vocabulary()["empty"].items() if col in table.columns and language in labels}
    filled = {col: _fill(table[col], text) for col, text in empty.items() if _holds_text(table[col]) and _blank(table[col]).any()}
    changed = {col: table[col].replace(mapping) for col, mapping in mapped.items()} | filled
    if changed:
        table = table.assign(**changed)
    return table.rename(columns=columns) if columns.keys() & set(table.columns) else table


def internal(table: pd.DataFrame) -> pd.DataFrame:
    """A table read from a file, in the code's names (whichever language the file was written in)."""
    columns, values = _reverse()
    table = table.rename(columns=columns) if columns.keys() & set(table.columns) else table
    mapped = {col: values[col] for col in table.columns if values.get(col) and _holds_text(table[col])}
    changed = {col: table[col].replace(mapping) for col, mapping in mapped.items()}
    for col, labels in _vocabulary()["empty"].items():
        column = changed.get(col, table.get(col))
        if column is not None and _holds_text(column) and (said := column.isin(list(labels.values()))).any():
            changed[col] = column.mask(said)
    return table.assign(**changed) if changed else table


def _blank(column: pd.Series) -> pd.Series:
    return column.isna() | column.astype(object).eq("")


def _fill(column: pd.Series, text: str) -> pd.Series:
    return column.astype(object).mask(_blank(column), text).astype(column.dtype)


def _holds_text(column: pd.Series) -> bool:
    return column.dtype == object or str(column.dtype).startswith(("string", "str"))
