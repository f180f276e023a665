"""Reading and writing tables and files: by extension, and atomically.

Every output is written to a temporary name beside its target and moved into place, so
an interrupted run never leaves a half-written file that looks complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import re
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from enquete.errors import OutputError, OutputWarning
from enquete.vocabulary import csv_dialect

T = TypeVar("T")
TABLE_SUFFIXES = (".csv", ".parquet", ".xlsx")
#: Cells a spreadsheet would run as a formula (=, +, -, @, tab, CR), possibly behind apostrophes
#: already: these get one more leading apostrophe in CSV and XLSX files (never in parquet).
FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
NEUTRALISED = re.compile(r"^'+[=+\-@\t\r]")
#: Rows neutralised and written at a time in a CSV file (memory stays flat on large tables).
CSV_ROWS = 100_000
EXCEL_CELL_LIMIT = 32_767  # characters a workbook cell holds
#: Every Unicode space and line break (what str.isspace() accepts), written out: the same
#: class for Python's re and pyarrow's RE2, where \s is ASCII only.
WHITESPACE = "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
SPACES = f"[{WHITESPACE}]+"


def word_counts(texts: pd.Series) -> pd.Series:
    """Words per text, as len(text.split()) counts them, without building the word lists."""
    return texts.fillna("").str.count(f"[^{WHITESPACE}]+")



@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def content_key(*parts) -> str:
    """A stable hash of the given parts (strings, bytes, numbers, arrays): what a cached result was computed from."""
    digest = hashlib.sha1()
    for part in parts:
        data = part.tobytes() if isinstance(part, np.ndarray) else part if isinstance(part, bytes) else repr(part).encode("utf-8")
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()[:24]


def cached(cache_dir: str | Path | None, kind: str, key: str, compute: Callable[[], T]) -> T:
    """``compute()``, or its result from an earlier call with the same ``key`` (the same inputs).

    Results are pickled in ``cache_dir`` (the corpus's private folder, written by enquete
    itself), one file per kind: a new key replaces the previous one. A damaged file is
    recomputed. Without ``cache_dir``, ``compute()`` always runs.
    """
    if cache_dir is None:
        return compute()
    folder = Path(cache_dir)
    path = folder / f"{kind}-{key}.pkl"
    if path.is_file():
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)  # noqa: S301 - enquete's own file in the user's private folder
        except (OSError, EOFError, AttributeError, ImportError, pickle.UnpicklingError):
            pass
    value = compute()
    for old in folder.glob(f"{kind}-*.pkl"):
        old.unlink(missing_ok=True)
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return value


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
    return Path(path)


def write_json(path: str | Path, data) -> Path:
    return write_text(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n")


def _text_columns(df: pd.DataFrame) -> list:
    return [c for c in df.columns if df[c].dtype == object or isinstance(df[c].dtype, pd.StringDtype)]


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy where text cells that a spreadsheet would run as a formula start with an apostrophe.

    Text columns become plain objects (what openpyxl writes as text cells)."""
    out = df.copy()
    for column in _text_columns(out):
        values = out[column].astype(object)
        mask = _matches(values, FORMULA_START)
        out[column] = values.where(~mask, "'" + values[mask].astype(str))
    return out


def _within_cell_limit(df: pd.DataFrame, sheet: str) -> pd.DataFrame:
    """Texts longer than a workbook cell holds, cut with a visible note (and a warning): the
    workbook is a view; the CSV and parquet files keep every character."""
    for column in _text_columns(df):
        lengths = df[column].map(lambda v: len(v) if isinstance(v, str) else 0)
        long = lengths > EXCEL_CELL_LIMIT
        if long.any():
            note = " […] (texte coupé : {} caractères au total)"
            df.loc[long, column] = [v[: EXCEL_CELL_LIMIT - 60] + note.format(len(v)) for v in df.loc[long, column]]
            warnings.warn(f"feuille {sheet} : {int(long.sum())} cellule(s) de la colonne {column} coupée(s) à {EXCEL_CELL_LIMIT} caractères "
                          "(limite d'Excel ; le texte complet est dans les fichiers CSV et parquet)", OutputWarning, stacklevel=4)
    return df


def _matches(values: pd.Series, pattern: re.Pattern) -> np.ndarray:
    """Which cells are strings that ``pattern`` matches (each distinct value tested once)."""
    position, distinct = pd.factorize(values)
    hits = [isinstance(v, str) and pattern.match(v) is not None for v in distinct]
    return np.array([*hits, False], dtype=bool)[position]  # position -1 (missing) → False


def spreadsheet_restore(df: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`spreadsheet_safe` on a table read back from CSV or XLSX."""
    out = df.copy()
    for column in _text_columns(out):
        mask = _matches(out[column], NEUTRALISED)
        if mask.any():
            out.loc[mask, column] = out.loc[mask, column].str[1:]
    return out


def write_table(df: pd.DataFrame, path: str | Path, language: str | None = None) -> Path:
    """Write a table as .csv (UTF-8 with BOM for Excel), .parquet or .xlsx, by extension.

    A CSV file is written for a spreadsheet of ``language`` (:func:`enquete.vocabulary.csv_dialect`:
    « ; » and decimal commas in French; « , » and points in English and by default).
    CSV and XLSX cells that would run as formulas are neutralised (:func:`spreadsheet_safe`)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise OutputError(f"{path} : extension non prise en charge (attendu {', '.join(TABLE_SUFFIXES)})")
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            separator, decimal = csv_dialect(language)
            with open(tmp, "w", encoding="utf-8-sig", newline="") as handle:
                for start in range(0, max(len(df), 1), CSV_ROWS):
                    chunk = spreadsheet_safe(df.iloc[start : start + CSV_ROWS])
                    chunk.to_csv(handle, index=False, header=start == 0, lineterminator="\n", sep=separator, decimal=decimal)
        elif suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            write_workbook(tmp, {"Sheet1": df})
    return path


def write_workbook(path: str | Path, sheets: dict[str, pd.DataFrame], layout: Callable[[Any], None] | None = None,
                   language: str | None = None) -> Path:
    """An .xlsx with one sheet per table: formula-safe, plain text types, fixed metadata dates
    (the same tables give the same bytes). ``layout`` may style the openpyxl workbook before it is saved;
    with a ``language``, numbers get its formats (shares as percentages, :func:`enquete.vocabulary.number_format`)."""
    prepared = {name: _within_cell_limit(spreadsheet_safe(table), name) for name, table in sheets.items()}
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, table in prepared.items():
            table.to_excel(writer, sheet_name=name[:31], index=False)
            if language:
                _number_formats(writer.sheets[name[:31]], table, language)
        writer.book.properties.creator = "enquete"
        if layout:
            layout(writer.book)
    return reproducible_zip(path)


def _number_formats(sheet, table: pd.DataFrame, language: str) -> None:
    from enquete.vocabulary import number_format

    for k, column in enumerate(table.columns, start=1):
        numeric = pd.api.types.is_numeric_dtype(table[column]) and not pd.api.types.is_bool_dtype(table[column])
        code = number_format(str(column), pd.api.types.is_integer_dtype(table[column]), language) if numeric else None
        if code:
            for (cell,) in sheet.iter_rows(min_row=2, max_row=len(table) + 1, min_col=k, max_col=k):
                cell.number_format = code


FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def reproducible_zip(path: str | Path, fix_document_dates: bool = True) -> Path:
    """Rewrite an Office file (xlsx, docx) with fixed entry dates (and fixed document dates
    unless the caller set them), so that the same content always gives the same bytes."""
    path = Path(path)
    with zipfile.ZipFile(path) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    if fix_document_dates and "docProps/core.xml" in members:
        members["docProps/core.xml"] = CORE_DATES.sub(rb"\g<1>2020-01-01T00:00:00Z\g<2>", members["docProps/core.xml"])
    _write_members(path, members)
    return path


def write_zip(path: str | Path, members: dict[str, bytes | Path]) -> Path:
    """A zip of ``members`` (name → bytes, or a file streamed from disk) with fixed entry dates, written atomically."""
    with atomic_path(path) as tmp:
        _write_members(tmp, members)
    return Path(path)


def _write_members(path: Path, members: dict[str, bytes | Path]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            if isinstance(data, Path):  # as zf.write does, with the fixed date: the same bytes as writestr
                info.file_size = data.stat().st_size
                with open(data, "rb") as source, zf.open(info, "w") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
            else:
                zf.writestr(info, data)


CSV_SEPARATORS = (";", ",", "\t")


def csv_format(path: str | Path) -> tuple[str, str]:
    """(separator, decimal mark) of a CSV file, whichever language it was written for: the separator
    its header line uses most (outside quotes), and the decimal comma with « ; », as French spreadsheets write."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        header = handle.readline()
    unquoted = re.sub(r'"[^"]*"', "", header)
    separator = max(CSV_SEPARATORS, key=unquoted.count) if any(s in unquoted for s in CSV_SEPARATORS) else ","
    return separator, "," if separator == ";" else "."


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a .csv (in any language's dialect, :func:`csv_format`), .parquet or .xlsx table written by enquete (or by a user)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise OutputError(f"fichier introuvable : {path}")
    if suffix == ".csv":
        separator, decimal = csv_format(path)
        options = {"sep": separator, "decimal": decimal, "keep_default_na": False, "na_values": [""]}
        try:
            table = pd.read_csv(path, encoding="utf-8-sig", **options)
        except UnicodeDecodeError:  # Windows Excel's « CSV (séparateur : point-virgule) » is in its ANSI code page
            table = pd.read_csv(path, encoding="cp1252", **options)
        return spreadsheet_restore(table)
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix == ".xlsx":
        return spreadsheet_restore(pd.read_excel(path, keep_default_na=False, na_values=[""]))  # a message "null" or "NA" stays text
    raise OutputError(f"{path} : extension non prise en charge (attendu {', '.join(TABLE_SUFFIXES)})")
