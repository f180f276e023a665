"""Reading and writing tables and files: by extension, and atomically.

Every output is written to a temporary name beside its target and moved into place, so
an interrupted run never leaves a half-written file that looks complete.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

TABLE_SUFFIXES = (".csv", ".parquet", ".xlsx")


class OutputError(ValueError):
    """An output path cannot be used."""


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


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as .csv (UTF-8 with BOM for Excel), .parquet or .xlsx, by extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise OutputError(f"{path} : extension non prise en charge (attendu {', '.join(TABLE_SUFFIXES)})")
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            df.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
        elif suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                df.to_excel(writer, index=False)
    return path


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a .csv, .parquet or .xlsx table written by enquete (or by a user)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise OutputError(f"fichier introuvable : {path}")
    if suffix == ".csv":
        return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix == ".xlsx":
        return pd.read_excel(path)
    raise OutputError(f"{path} : extension non prise en charge (attendu {', '.join(TABLE_SUFFIXES)})")
