"""Figures for the report: 15 cm wide, PNG at 200 dpi and SVG, French labels by default.

Each factor keeps its codebook colour in every figure. Files are deterministic: no date
or software version in their metadata, a fixed SVG hash salt.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from enquete.analysis.whatsapp import reply_graph  # noqa: E402
from enquete.codebook import Codebook  # noqa: E402
from enquete.datafiles import package_yaml  # noqa: E402
from enquete.io import atomic_path  # noqa: E402

WIDTH_CM = 15.0
NETWORK_MEMBERS = 30  # a reply network shows at most this many members (the most connected)
NETWORK_EDGES = 120  # ...and at most this many reply links (the strongest)
CM = 1 / 2.54
#: How each source's bars are drawn (opacity, hatch), in the order of the legend.
SOURCE_STYLES = {"interview": (1.0, None), "whatsapp": (0.55, "///"), "social": (0.55, "\\\\"), "observation": (0.4, ".."), "document": (0.4, "xx")}
TITLE_WIDTH = 64  # characters per title line: a 15 cm figure never cuts its title
LABELS = package_yaml("enquete.analysis", "figures.yaml")  # every word a figure shows, per language

plt.rcParams.update(
    {
        "svg.hashsalt": "enquete",
        "svg.fonttype": "none",
        "font.size": 8,
        "axes.titlesize": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "figure.dpi": 100,
    }
)


def new_figure(height_cm: float):
    return plt.subplots(figsize=(WIDTH_CM * CM, height_cm * CM), layout="constrained")


def save(fig, stem: str | Path) -> list[Path]:
    """Write stem.png (200 dpi) and stem.svg, atomically and reproducibly; close the figure."""
    stem = Path(stem)
    paths = []
    for suffix, options in ((".png", {"dpi": 200, "metadata": {"Software": None}}), (".svg", {"metadata": {"Date": None, "Creator": None}})):
        path = stem.with_suffix(suffix)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=suffix[1:], **options)
        paths.append(path)
    plt.close(fig)
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


def _labels(codebook: Codebook, language: str) -> dict[str, str]:
    return codebook.labels(language)


def heatmap_by_initiative(table: pd.DataFrame, codebook: Codebook, initiatives: dict[str, str] | None = None, language: str = "fr"):
    """Factors (rows, coloured labels) × initiatives (columns): share of coded segments."""
    text = LABELS[language]
    pivot = table.pivot(index="code", columns="initiative", values="share").reindex(codebook.ids) * 100
    names = [str((initiatives or {}).get(c, c)) for c in pivot.columns]
    fig, ax = new_figure(2.0 + 0.75 * len(codebook.ids))
    image = ax.imshow(pivot.to_numpy(dtype=float), cmap="Blues", aspect="auto", vmin=0)
    column_labels(ax, names)
    ax.set_yticks(range(len(codebook.ids)), [_labels(codebook, language)[c] for c in codebook.ids])
    for label, code in zip(ax.get_yticklabels(), codebook.ids):
        label.set_color(codebook[code].color)
    values = pivot.to_numpy(dtype=float)
    for (i, j), value in np.ndenumerate(values):
        if not np.isnan(value):
            ax.text(j, i, f"{value:.0f}", ha="center", va="center", color="white" if value > np.nanmax(values) * 0.6 else "black")
    fig.suptitle(wrap_text(text["factors_by_initiative"], TITLE_WIDTH))  # above the colour bar too
    fig.colorbar(image, ax=ax, label=text["share"], shrink=0.8)
    return fig


def bars_by_source(table: pd.DataFrame, codebook: Codebook, language: str = "fr"):
    """Horizontal bars per factor (its colour), one per source: interviews solid, the others lighter and hatched."""
    text = LABELS[language]
    corrected = "corrected" in table and table["corrected"].notna().any()
    shown = table.assign(value=table["corrected"].fillna(table["share"]) if corrected else table["share"])  # sources without a sample: as coded
    pivot = shown.pivot(index="code", columns="source", values="value").reindex(codebook.ids).fillna(0) * 100
    if corrected:  # whiskers only where there is an interval (NaN draws none)
        low = pivot - table.pivot(index="code", columns="source", values="low").reindex(codebook.ids) * 100
        high = table.pivot(index="code", columns="source", values="high").reindex(codebook.ids) * 100 - pivot
    fig, ax = new_figure(2.0 + 0.9 * len(codebook.ids))
    y = np.arange(len(codebook.ids))
    sources = [s for s in SOURCE_STYLES if s in pivot.columns]
    height = 0.8 / max(1, len(sources))
    for k, source in enumerate(sources):
        ax.barh(
            y + (k - (len(sources) - 1) / 2) * height,
            pivot[source],
            height=height,
            color=[codebook[c].color for c in codebook.ids],
            alpha=SOURCE_STYLES[source][0],
            hatch=SOURCE_STYLES[source][1],
            edgecolor="white",
            label=text[source],
            xerr=[low[source].clip(lower=0), high[source].clip(lower=0)] if corrected else None,
            error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#333333"},
        )
    ax.set_yticks(y, [_labels(codebook, language)[c] for c in codebook.ids])
    ax.invert_yaxis()
    ax.set_xlabel(text["share"])
    ax.set_title(wrap_text(text["by_source_corrected" if corrected else "factors_by_source"], TITLE_WIDTH * 3 // 4))
    fig.legend(frameon=False, loc="outside lower center", ncol=min(3, len(sources)))  # under the bars, never over them
    return fig


def corrected_shares(shares: pd.DataFrame, codebook: Codebook, language: str = "fr"):
    """Each factor's automatic share (bar) and corrected share with its 95 % interval (dot and whiskers)."""
    text = LABELS[language]
    shares = shares.set_index("code").reindex(codebook.ids) * 1
    fig, ax = new_figure(2.0 + 0.8 * len(codebook.ids))
    y = np.arange(len(codebook.ids))
    ax.barh(y, shares["share"] * 100, height=0.55, color=[codebook[c].color for c in codebook.ids], alpha=0.35, label=text["automatic"])
    ax.errorbar(
        shares["corrected"] * 100, y, xerr=[(shares["corrected"] - shares["low"]) * 100, (shares["high"] - shares["corrected"]) * 100],
        fmt="o", color="#222222", markersize=4, elinewidth=1, capsize=3, label=text["corrected"],
    )
    ax.set_yticks(y, [_labels(codebook, language)[c] for c in codebook.ids])
    for label, code in zip(ax.get_yticklabels(), codebook.ids):
        label.set_color(codebook[code].color)
    ax.invert_yaxis()
    ax.set_xlabel(text["share"])
    ax.set_title(wrap_text(text["corrected_title"], TITLE_WIDTH))
    ax.legend(frameon=False, loc="lower right", fontsize=7)
    return fig


def cooccurrence_heatmap(matrix: pd.DataFrame, codebook: Codebook, language: str = "fr"):
    """Symmetric factor × factor heatmap of the Jaccard index."""
    text = LABELS[language]
    fig, ax = new_figure(13.0)
    values = matrix.to_numpy(dtype=float)
    image = ax.imshow(values, cmap="Purples", vmin=0)
    labels = [_labels(codebook, language)[c] for c in codebook.ids]
    column_labels(ax, labels)
    ax.set_yticks(range(len(labels)), labels)
    for tick_labels in (ax.get_xticklabels(), ax.get_yticklabels()):
        for label, code in zip(tick_labels, codebook.ids):
            label.set_color(codebook[code].color)
    for (i, j), value in np.ndenumerate(values):
        if not np.isnan(value):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=6)
    fig.suptitle(wrap_text(text["cooccurrence"], TITLE_WIDTH))  # above the colour bar too
    fig.colorbar(image, ax=ax, shrink=0.7, label=text["jaccard"])
    return fig


def activity_timeline(weekly: pd.DataFrame, language: str = "fr"):
    """Messages per week of each group, one panel per group on shared axes: the weeks as light
    bars, their four-week mean as a line (a group's rhythm reads at a glance, none hides another)."""
    text = LABELS[language]
    groups = sorted(weekly["group"].unique())
    fig, axes = plt.subplots(len(groups), 1, sharex=True, sharey=True, squeeze=False, layout="constrained",
                             figsize=(WIDTH_CM * CM, (2.0 + 2.4 * len(groups)) * CM))
    colours = plt.get_cmap("tab10")
    for k, (ax, group) in enumerate(zip(axes[:, 0], groups)):
        rows = weekly[weekly["group"] == group].sort_values("week")
        ax.bar(rows["week"], rows["messages"], width=6, color=colours(k % 10), alpha=0.3, linewidth=0)
        ax.plot(rows["week"], rows["messages"].rolling(4, min_periods=1).mean(), color=colours(k % 10), linewidth=1.2)
        ax.set_title(group, loc="left", fontsize=7)
    axes[-1, 0].set_xlabel(text["week"])
    fig.supylabel(text["messages_per_week"], fontsize=8)
    fig.suptitle(wrap_text(text["timeline"], TITLE_WIDTH))
    return fig


def reply_network(edges: pd.DataFrame, group: str, seed: int = 42, language: str = "fr", members: int = NETWORK_MEMBERS):
    """The reply network of one group: node size by replies received, width by replies.

    Large groups show their ``members`` most connected members and the strongest
    ``NETWORK_EDGES`` links between them (the title says so), so that the figure stays
    readable and quick to draw."""
    text = LABELS[language]
    graph = reply_graph(edges, group)
    title = f"{text['network']} : {group}"
    if graph.number_of_nodes() > members:
        degree = dict(graph.degree(weight="weight"))
        kept = sorted(graph.nodes, key=lambda n: (-degree[n], n))[:members]
        graph = graph.subgraph(kept).copy()
        title += f" ({text['most_connected'].format(n=members)})"
    if graph.number_of_edges() > NETWORK_EDGES:
        weakest = sorted(graph.edges(data="weight"), key=lambda e: (e[2], e[0], e[1]))[: graph.number_of_edges() - NETWORK_EDGES]
        graph.remove_edges_from([(a, b) for a, b, _ in weakest])
    fig, ax = new_figure(9.0)  # two to a page of the report
    if graph.number_of_nodes():
        layout = nx.spring_layout(graph, seed=seed, weight="weight")
        received = dict(graph.in_degree(weight="weight"))
        most = max(max(received.values()), 1)
        heaviest = max((d["weight"] for _, _, d in graph.edges(data=True)), default=1)
        sizes = [60 + 540 * received[n] / most for n in graph.nodes]
        widths = [0.3 + 3.7 * d["weight"] / heaviest for _, _, d in graph.edges(data=True)]
        nx.draw_networkx_edges(graph, layout, ax=ax, width=widths, alpha=0.4, arrows=True, arrowsize=6, node_size=sizes)
        nx.draw_networkx_nodes(graph, layout, ax=ax, node_size=sizes, node_color="#2E86C1", alpha=0.85)
        nx.draw_networkx_labels(graph, layout, ax=ax, font_size=6)
    ax.set_title(wrap_text(title, TITLE_WIDTH))
    ax.axis("off")
    return fig


def column_labels(ax, labels: list[str], fontsize: float = 7) -> None:
    """Column names of a heatmap, never over one another: a few columns get their names
    wrapped horizontally under them, more columns get them upright, on two lines at most."""
    if len(labels) <= 6:
        ax.set_xticks(range(len(labels)), [wrap_text(n, max(10, 64 // len(labels))) for n in labels], fontsize=fontsize)
    else:
        ax.set_xticks(range(len(labels)), [wrap_text(n, max(24, (len(n) + 1) // 2)) for n in labels], rotation=90, fontsize=fontsize)


def wrap_text(text: str, width: int) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join(lines + [line])


def text_collisions(fig, tolerance: float = 1.0) -> list[str]:
    """The texts of a figure (titles, axis and tick labels, annotations, legend entries,
    colour bar labels) that overlap one another or leave the figure, as matplotlib draws them."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = list(fig.texts)  # the suptitle and supylabel are among them
    for legend in fig.legends:
        texts += [legend.get_title(), *legend.get_texts()]
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title, *ax.texts]
        if ax.axison:
            for axis in (ax.xaxis, ax.yaxis):
                if axis.get_visible():
                    low, high = sorted(axis.get_view_interval())
                    shown = [label for at, label in zip(axis.get_majorticklocs(), axis.get_majorticklabels()) if low - 1e-9 <= at <= high + 1e-9]
                    texts += [axis.label, *shown]
        if ax.get_legend() is not None:
            texts += [ax.get_legend().get_title(), *ax.get_legend().get_texts()]
    boxes = [(t, matplotlib.text.Text.get_window_extent(t, renderer)) for t in texts if t.get_visible() and t.get_text().strip()]  # an annotation's own box, not its arrow
    frame = fig.bbox
    problems = [f"« {t.get_text()[:40]} » est incliné ({t.get_rotation():.0f}°) : seuls 0° et 90° se vérifient exactement"
                for t, _ in boxes if t.get_rotation() % 90]
    problems += [f"« {t.get_text()[:40]} » dépasse de la figure" for t, b in boxes
                if b.x0 < frame.x0 - tolerance or b.y0 < frame.y0 - tolerance or b.x1 > frame.x1 + tolerance or b.y1 > frame.y1 + tolerance]
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            if min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0) > tolerance and min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0) > tolerance:
                problems.append(f"« {a.get_text()[:40]} » chevauche « {b.get_text()[:40]} »")
    return problems
