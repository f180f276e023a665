"""`enquete verify`: re-run the study of a manifest in a temporary folder and compare, file by
file: identical, different (with the likely reason: a library version, a changed input, a
setting), missing or new."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from enquete.errors import VerifyError
from enquete.reproducibility import corpus_from, read_run_manifest


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
    from enquete.study import Study

    before = read_run_manifest(out_dir)
    corpus_path = Path(corpus) if corpus else corpus_from(before, out_dir)
    if not (corpus_path / "corpus.yaml").is_file():
        raise VerifyError(f"corpus introuvable : {corpus_path} (indiquez-le avec --corpus)")
    with tempfile.TemporaryDirectory(prefix="enquete-verify-") as tmp:
        result = Study(corpus_path, **before["settings"]).run(Path(tmp) / "sorties")
        after = read_run_manifest(result.out_dir)
    return compare(before, after)
