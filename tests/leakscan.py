"""Scan every file under a folder (inside zips and parquet files too) for given strings, and for home folders."""

from __future__ import annotations

import html
import re
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pyarrow.parquet as pq

VENDORED = {"plotly.min.js"}  # third-party library files copied as they are: no corpus data


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _texts(path: Path) -> list[str]:
    if path.suffix == ".svg":  # text elements and attributes, not path coordinates
        root = ET.parse(path).getroot()
        return [" ".join(root.itertext()), " ".join(v for el in root.iter() for k, v in el.attrib.items() if k not in ("d", "points", "transform", "style", "x", "y", "width", "height", "viewBox"))]
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        return [" ".join(str(v) for v in column.to_pylist()) for column in table.columns] + [str(table.schema.metadata)]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            out = [" ".join(zf.namelist())]
            for info in zf.infolist():
                if info.filename.lower().endswith((".png", ".jpg", ".jpeg", ".emf", ".wmf")):
                    continue  # pictures are drawn from the (pseudonymised) tables; no text to read
                data = zf.read(info)
                out.append(html.unescape(data.decode("utf-8", errors="ignore")))
                if info.filename.endswith(".parquet"):
                    out.append(data.decode("latin-1"))
            return out
    data = path.read_bytes()
    return [html.unescape(data.decode("utf-8", errors="ignore")), data.decode("utf-16", errors="ignore")]


def _pattern(value: str) -> re.Pattern:
    return re.compile(rf"(?<![\w]){re.escape(_fold(value))}(?![\w])")


#: A home folder in a path, named after its user: "C:\\Users\\marie.dupont\\", "/home/marie/", "/Users/marie/".
HOME_FOLDER = re.compile(r"(?:[a-z]:[\\/]+(?:users|documents and settings)[\\/]+|(?<![\w.])/+(?:home|users)/+)(?!public\b|shared\b)[^\\/\s<>\"]+", re.IGNORECASE)


def home_folders(folder: Path) -> list[tuple[str, str]]:
    """(file relative to folder, path) for every home folder named anywhere under folder: a
    user's name, whoever it is, planted or not."""
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in VENDORED):
        for text in _texts(path):
            hits += [(str(path.relative_to(folder)), m.group()) for m in HOME_FOLDER.finditer(text)]
    return hits


def scan(folder: Path, values: list[str]) -> list[tuple[str, str]]:
    """(file relative to folder, value) for every planted value found anywhere under folder."""
    hits = []
    patterns = {v: _pattern(v) for v in values}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in VENDORED):
        corpus = _fold("\n".join(_texts(path)) + "\n" + str(path.relative_to(folder)))
        digits = re.sub(r"[^\d+]", "", corpus)
        for value, pattern in patterns.items():
            compact = re.sub(r"[^\d+]", "", value)
            if pattern.search(corpus) or (len(compact) >= 10 and compact in digits):
                hits.append((str(path.relative_to(folder)), value))
    return hits
