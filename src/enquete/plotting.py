"""Drawing helpers shared by the analysis figures and the topic maps (below both).

Figures are ``matplotlib.figure.Figure`` objects with an Agg canvas, never pyplot's: drawing
one neither selects nor switches a backend (a notebook keeps its own), works without a
display, and the figure still shows itself in a notebook (:meth:`Figure._repr_png_`). The
house style (15 cm wide, small type, no top or right spine) applies only while enquete draws
(:func:`styled`). Files are deterministic: no date or software version in their metadata, a
fixed SVG hash salt. Every word a figure shows is in ``figures.yaml``; numbers are written
as the figure's language writes them (:func:`number_axis`).
"""

from __future__ import annotations

import functools
import io
import multiprocessing
import textwrap
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import matplotlib
import matplotlib.figure
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.ticker import FuncFormatter

from enquete.datafiles import package_yaml
from enquete.io import atomic_path
from enquete.vocabulary import month_name, number

WIDTH_CM = 15.0
CM = 1 / 2.54
TITLE_WIDTH = 64  # characters per title line: a 15 cm figure never cuts its title
LABELS = package_yaml("enquete", "figures.yaml")  # every word a figure shows, per language
STYLE = {
    "svg.hashsalt": "enquete",
    "svg.fonttype": "none",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
}


class Figure(matplotlib.figure.Figure):
    """A figure drawn on its own Agg canvas, shown as a PNG in a notebook whatever its backend."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        with matplotlib.rc_context(STYLE):
            self.savefig(buffer, format="png", dpi=150)
        return buffer.getvalue()


def styled(draw: Callable) -> Callable:
    """Run a drawing function in the house style (rcParams set for its duration only)."""

    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return draw(*args, **kwargs)

    return drawn


def new_figure(height_cm: float, rows: int = 1, columns: int = 1, **subplots):
    """A 15 cm wide figure and its axes (``Figure.subplots`` arguments: ``sharex``, ``squeeze``…)."""
    fig = Figure(figsize=(WIDTH_CM * CM, height_cm * CM), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(rows, columns, **subplots)


def save(fig, stem: str | Path) -> list[Path]:
    """Write stem.png (200 dpi) and stem.svg, atomically and reproducibly."""
    stem = Path(stem)
    paths = []
    with matplotlib.rc_context(STYLE):
        for suffix, options in ((".png", {"dpi": 200, "metadata": {"Software": None}}), (".svg", {"metadata": {"Date": None, "Creator": None}})):
            path = stem.with_suffix(suffix)
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=suffix[1:], **options)
            paths.append(path)
    return paths


def _build_and_save(job: tuple[Callable, tuple, Path]) -> list[Path]:
    draw, args, stem = job
    return save(draw(*args), stem)


def save_all(jobs: list[tuple[Callable, tuple, Path]], workers: int = 1) -> list[Path]:
    """Draw and save figures, each job (drawing function, its arguments, file stem) in turn or,
    with several workers, in forked processes (the same files either way)."""
    if workers < 2 or len(jobs) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [path for job in jobs for path in _build_and_save(job)]
    with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=multiprocessing.get_context("fork")) as pool:
        return [path for paths in pool.map(_build_and_save, jobs) for path in paths]


def colours(name: str, n: int) -> list:
    """``n`` colours of a qualitative colour map, cycling."""
    cmap = matplotlib.colormaps[name]
    return [cmap(i % cmap.N) for i in range(n)]


def number_axis(axis, language: str, digits: int = 0) -> None:
    """Tick labels written as the language writes numbers ("2,5" in French)."""
    axis.set_major_formatter(FuncFormatter(lambda value, _: number(value, language, digits)))


def date_axis(axis, language: str, ticks: int = 5) -> None:
    """At most ``ticks`` date ticks, written as the language writes dates: « 2024 » on the first
    of January, « mars 2024 » on the first of another month, « 12 mars » otherwise (the locator
    picks years, months or days by the span)."""
    import matplotlib.dates as mdates

    axis.set_major_locator(mdates.AutoDateLocator(minticks=2, maxticks=ticks))

    def written(value, _) -> str:
        day = mdates.num2date(value)
        if day.day > 1:
            return f"{day.day} {month_name(day.month, language)}"
        return str(day.year) if day.month == 1 else f"{month_name(day.month, language)} {day.year}"

    axis.set_major_formatter(FuncFormatter(written))


def column_labels(ax, labels: list[str], fontsize: float = 7) -> None:
    """Column names of a heatmap, never over one another: a few columns get their names
    wrapped horizontally under them, more columns get them upright, on two lines at most."""
    if len(labels) <= 6:
        ax.set_xticks(range(len(labels)), [wrap_text(n, max(10, 64 // len(labels))) for n in labels], fontsize=fontsize)
    else:
        ax.set_xticks(range(len(labels)), [wrap_text(n, max(24, (len(n) + 1) // 2)) for n in labels], rotation=90, fontsize=fontsize)


def wrap_text(text: str, width: int) -> str:
    """``text`` on lines of at most ``width`` characters, cut between words only (its own line breaks kept)."""
    return "\n".join("\n".join(textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False)) or line for line in text.split("\n"))


def spread_labels(fig, notes: list) -> None:
    """Move the labels that would cover one another apart: each label first slides sideways
    into the plot if it would leave it, then, from the lowest up, rises just above those already
    placed that it overlaps (a thin line keeps it tied to its point). The figure is
    laid out once; the labels stay out of the layout."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    points_per_pixel = 72 / fig.dpi

    def box(note):  # the label's framed box, without its line to the centre
        note.update_positions(renderer)
        note.update_bbox_position_size(renderer)
        return note.get_bbox_patch().get_window_extent(renderer)

    for note in notes:
        here, frame = box(note), note.axes.bbox
        shift = max(0.0, frame.x0 - here.x0) - max(0.0, here.x1 - frame.x1)
        note.xyann = (note.xyann[0] + shift * points_per_pixel, note.xyann[1])
    placed = []
    for note in sorted(notes, key=lambda n: box(n).y0):
        for _ in range(len(notes)):
            here = box(note)
            below = [b for b in placed if min(here.x1, b.x1) > max(here.x0, b.x0) and min(here.y1, b.y1) > max(here.y0, b.y0)]
            if not below:
                break
            rise = max(b.y1 for b in below) - here.y0 + 1
            note.xyann = (note.xyann[0], note.xyann[1] + rise * points_per_pixel)
        placed.append(box(note))
