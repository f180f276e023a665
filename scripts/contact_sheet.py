"""A contact sheet of a run's figures (docs/figures_demo.png in the README): every PNG of
OUTPUTS/figures, three to a row, each under its file name; with --pdf, of the report's pages
(docs/rapport_demo.png), seven to a row, rendered by poppler's pdftoppm.

    uv run enquete demo && uv run python scripts/contact_sheet.py [OUTPUTS] [--out docs/figures_demo.png]
    uv run enquete report corpora/demo --pdf && uv run python scripts/contact_sheet.py --pdf outputs/rapport_restitution.pdf
"""

from __future__ import annotations

import argparse
import math
import subprocess
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = 3


def contact_sheet(figures: Path, out: Path, columns: int = COLUMNS, width_inches: float = 18.0, aspect: float = 1.05,
                  titles: bool = True) -> Path:
    """Draw every PNG of ``figures`` in a grid and save it to ``out``."""
    paths = sorted(figures.glob("*.png"))
    if not paths:
        raise SystemExit(f"no figure in {figures}: run `uv run enquete demo` first")
    rows = math.ceil(len(paths) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(width_inches, width_inches / columns * aspect * rows), squeeze=False)
    for ax, path in zip(axes.ravel(), paths):
        ax.imshow(mpimg.imread(path))
        ax.set_title(path.name if titles else path.stem.rsplit("-", 1)[-1].lstrip("0"), fontsize=11)
    for ax in axes.ravel():
        ax.axis("off")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=60, metadata={"Software": None})
    plt.close(fig)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outputs", nargs="?", default=str(ROOT / "outputs"))
    parser.add_argument("--out", help="default: docs/figures_demo.png, or docs/rapport_demo.png with --pdf")
    parser.add_argument("--pdf", help="a report's PDF: a sheet of its pages instead of the figures")
    args = parser.parse_args()
    if args.pdf:
        with tempfile.TemporaryDirectory() as pages:
            subprocess.run(["pdftoppm", "-png", "-r", "60", args.pdf, str(Path(pages) / "page")], check=True)
            print(contact_sheet(Path(pages), Path(args.out or ROOT / "docs" / "rapport_demo.png"), columns=7, width_inches=28, aspect=1.48,
                                titles=False))
    else:
        print(contact_sheet(Path(args.outputs) / "figures", Path(args.out or ROOT / "docs" / "figures_demo.png")))


if __name__ == "__main__":
    main()
