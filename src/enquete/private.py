"""Where personal data is kept: the corpus's private folder, never among the outputs.

It holds the pseudonym key, the original text of rejected lines, the review decisions and
the spaCy cache (which holds raw names). Outputs may be shared; this folder never is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from enquete.errors import CorpusError

if TYPE_CHECKING:
    import pandas as pd

    from enquete.settings import Settings

KEY_FILE = "pseudonymes.csv"
REPLACEMENTS_FILE = "remplacements.csv"
REJECTED_CONTENT_FILE = "rejets_contenu.csv"
REVIEW_FILE = "pseudonymisation_a_verifier.csv"  # in outputs/ without originals, in the private folder with them


def private_dir(root: Path, settings: Settings, out: Path | None = None, given: Path | None = None) -> Path:
    """The private folder (``given``, or ``settings.private_dir`` under ``root``), checked to be
    apart from ``out`` (an output folder or file) when there is one: neither may lie inside the other."""
    folder = Path(given or root / settings.private_dir).resolve()
    target = Path(out).resolve() if out is not None else None
    if target and (folder == target or target in folder.parents or folder in target.parents):
        raise CorpusError(f"le dossier privé {folder} et la sortie {target} doivent être séparés")
    return folder


def cache_dir(folder: Path) -> Path:
    """The spaCy analysis cache inside a private folder."""
    return folder / "cache"


def review_dir(folder: Path) -> Path:
    """The human review decisions inside a private folder."""
    return folder / "revue"


def write_private(folder: Path, tables: dict[str, pd.DataFrame], language: str | None = None) -> list[Path]:
    """Write private tables (pseudonym key, originals) readable by their owner only, in a
    folder git ignores (CSV files for a spreadsheet of ``language``)."""
    from enquete.io import write_table, write_text

    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / ".gitignore").exists():
        write_text(folder / ".gitignore", "# données personnelles : ne jamais versionner\n*\n")
    written = [write_table(df, folder / name, language) for name, df in tables.items()]
    for path in written:
        path.chmod(0o600)
    return written
