"""Figures of the analyses: 15 cm wide, PNG at 200 dpi and SVG, French labels by default.

A factor's share is shown as the random sample corrects it, with its 95 % interval, wherever
a correction exists; the automatic share is at most a light mark beside it, and a figure that
has no correction says "codage automatique, non corrigé" in its title. Every share shows its
N, and a group under ``min_base`` coded segments is marked "effectif faible". Each factor
keeps its codebook colour in every figure. The drawing helpers are :mod:`enquete.plotting`'s.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from enquete.analysis.whatsapp import reply_graph
from enquete.codebook import Codebook
from enquete.corpus import slugify
from enquete.plotting import (
    LABELS,
    TITLE_WIDTH,
    colours,
    column_labels,
    date_axis,
    new_figure,
    number_axis,
    save,
    save_all,
    spread_labels,
    styled,
    wrap_text,
)
from enquete.settings import DEFAULTS
from enquete.vocabulary import decimal, number

__all__ = [
    "activity_timeline", "cooccurrence_heatmap", "corrected_shares_chart", "heatmap_by_initiative", "reply_network", "save", "save_all",
    "shares_by_source",
]

NETWORK_MEMBERS = 30  # a reply network shows at most this many members (the most connected)
NETWORK_EDGES = 120  # ...and at most this many reply links (the strongest)
SOURCES = ("interview", "whatsapp", "social", "observation", "document")  # the order of the panels
AUTOMATIC = "#9a9a9a"  # the automatic share, where it is shown beside the corrected one
MIN_BASE = DEFAULTS.min_base


def _corrected(table: pd.DataFrame) -> bool:
    """Whether the table carries shares corrected by a random sample (some may still be missing)."""
    return "corrected" in table and table["corrected"].notna().any()


def _base_label(name: str, base, text: dict, language: str, min_base: int) -> str:
    """The group's name, "N = 290" under it, and "effectif faible" under ``min_base``."""
    if base is None or pd.isna(base):
        return name
    return f"{name}\nN = {number(base, language)}" + (f"\n{text['small_base']}" if base < min_base else "")


@styled
def heatmap_by_initiative(table: pd.DataFrame, codebook: Codebook, initiatives: dict[str, str] | None = None, language: str = "fr",
                          min_base: int = MIN_BASE):
    """Factors (rows, coloured labels) × initiatives (columns, with their N): each factor's share
    of the initiative's coded segments, corrected with its interval where a random sample exists."""
    text = LABELS[language]
    corrected = _corrected(table)
    table = table.assign(initiative=table["initiative"].astype(object).fillna(""))  # segments of no known initiative: a column of their own
    wide = {v: table.pivot(index="code", columns="initiative", values=v).reindex(codebook.ids) * 100
            for v in ("share", *(("corrected", "low", "high") if corrected else ()))}
    shown = wide["corrected"].fillna(wide["share"]) if corrected else wide["share"]
    automatic_only = wide["corrected"].isna() if corrected else pd.DataFrame(False, index=shown.index, columns=shown.columns)
    bases = table.groupby("initiative")["base"].first() if "base" in table else pd.Series(dtype=float)
    known = {**(initiatives or {}), "": text["unknown_initiative"]}
    names = [_base_label(str(known.get(c, c)), bases.get(c), text, language, min_base) for c in shown.columns]
    fig, ax = new_figure(3.0 + 0.85 * len(codebook.ids))
    values = shown.to_numpy(dtype=float)
    image = ax.imshow(values, cmap="Blues", aspect="auto", vmin=0)
    column_labels(ax, names)
    ax.set_yticks(range(len(codebook.ids)), [codebook.labels(language)[c] for c in codebook.ids])
    for label, code in zip(ax.get_yticklabels(), codebook.ids):
        label.set_color(codebook[code].color)
    dark = np.nanmax(values) * 0.6 if np.isfinite(values).any() else np.inf
    for (i, j), value in np.ndenumerate(values):
        if np.isnan(value):
            continue
        colour = "white" if value > dark else "black"
        if automatic_only.iat[i, j]:
            ax.text(j, i, f"{number(value, language)}*", ha="center", va="center", color=colour, style="italic")
        elif corrected:
            ax.text(j, i - 0.12, number(value, language), ha="center", va="center", color=colour)
            interval = f"{number(wide['low'].iat[i, j], language)}–{number(wide['high'].iat[i, j], language)}"
            ax.text(j, i + 0.22, interval, ha="center", va="center", color=colour, fontsize=5.5)
        else:
            ax.text(j, i, number(value, language), ha="center", va="center", color=colour)
    title = text["by_initiative_corrected"] if corrected else f"{text['factors_by_initiative']} — {text['uncorrected']}"
    fig.suptitle(wrap_text(title, TITLE_WIDTH))  # above the colour bar too
    bar = fig.colorbar(image, ax=ax, label=text["share"], shrink=0.8)
    number_axis(bar.ax.yaxis, language)
    if corrected and automatic_only.to_numpy().any():
        fig.supxlabel(text["automatic_only_note"], fontsize=6, style="italic")
    return fig


def _order(table: pd.DataFrame, value: pd.Series, codebook: Codebook) -> list[str]:
    """The factors by their share over all groups (weighted by each group's N), largest first."""
    weights = table["base"] if "base" in table else pd.Series(1.0, index=table.index)
    overall = (value * weights).groupby(table["code"]).sum() / weights.groupby(table["code"]).sum()
    return overall.reindex(codebook.ids).fillna(0).sort_values(ascending=False, kind="stable").index.tolist()


@styled
def shares_by_source(table: pd.DataFrame, codebook: Codebook, language: str = "fr", min_base: int = MIN_BASE):
    """Small multiples, one panel per source with its N: each factor's share (corrected dot and
    95 % interval where a random sample exists, the automatic share as a light mark; a hollow dot
    where it is not corrected), the factors in the same order in every panel, largest first."""
    text = LABELS[language]
    corrected = _corrected(table)
    value = table["corrected"].fillna(table["share"]) if corrected else table["share"]
    order = _order(table, value, codebook)
    sources = [s for s in SOURCES if s in set(table["source"])] + sorted(set(table["source"]) - set(SOURCES))
    fig, axes = new_figure(3.5 + 0.75 * len(order), 1, len(sources), sharey=True, sharex=True, squeeze=False)
    y = np.arange(len(order))
    colour = [codebook[c].color for c in order]
    highest = float(np.nanmax(pd.concat([table.get("high", pd.Series(dtype=float)), table["share"]]).to_numpy(dtype=float))) * 100
    for ax, source in zip(axes[0], sources):
        rows = table[table["source"] == source].set_index("code").reindex(order)
        base = rows["base"].iloc[0] if "base" in rows else None
        small = base is not None and base < min_base
        fixed = rows["corrected"].notna().to_numpy() if corrected else np.zeros(len(rows), bool)
        alpha = 0.35 if small else 1.0
        if fixed.any():
            ax.scatter(rows["share"][fixed] * 100, y[fixed], marker="|", s=40, color=AUTOMATIC, linewidths=1, zorder=2)
            ax.hlines(y[fixed], rows["low"][fixed] * 100, rows["high"][fixed] * 100, color=np.array(colour, dtype=object)[fixed].tolist(),
                      linewidth=1.2, alpha=alpha, zorder=3)
            ax.scatter(rows["corrected"][fixed] * 100, y[fixed], color=np.array(colour, dtype=object)[fixed].tolist(), s=18, alpha=alpha, zorder=4)
        if (~fixed).any():
            ax.scatter(rows["share"][~fixed] * 100, y[~fixed], facecolors="white", edgecolors=np.array(colour, dtype=object)[~fixed].tolist(),
                       s=18, linewidths=1, alpha=alpha, zorder=4)
        title = _base_label(wrap_text(text.get(source, source), 12), base, text, language, min_base)
        ax.set_title(title, fontsize=6.5, color="#777777" if small else "black")
        ax.grid(axis="x", alpha=0.3, linewidth=0.5)
        ax.set_xlim(0, max(10.0, highest * 1.05))
        number_axis(ax.xaxis, language)
        ax.tick_params(axis="x", labelsize=6)
        ax.set_xlabel("%", fontsize=6)
    axes[0, 0].set_yticks(y, [wrap_text(codebook.labels(language)[c], 22) for c in order], fontsize=6.5)
    for label, code in zip(axes[0, 0].get_yticklabels(), order):
        label.set_color(codebook[code].color)
    axes[0, 0].invert_yaxis()
    title = text["by_source_corrected"] if corrected else f"{text['factors_by_source']} — {text['uncorrected']}"
    fig.suptitle(wrap_text(title, TITLE_WIDTH))
    fig.legend(handles=_legend(corrected, text), frameon=False, loc="outside lower center", ncol=2, fontsize=6.5)
    return fig


def _legend(corrected: bool, text: dict) -> list:
    from matplotlib.lines import Line2D

    hollow = Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor="#444444", label=text["automatic_hollow"])
    if not corrected:
        return [hollow]
    dot = Line2D([], [], marker="o", color="#444444", markersize=4, linewidth=1.2, label=text["corrected"])
    tick = Line2D([], [], marker="|", linestyle="", color=AUTOMATIC, markersize=7, label=text["automatic"])
    return [dot, tick, hollow]


@styled
def corrected_shares_chart(shares: pd.DataFrame, codebook: Codebook, language: str = "fr"):
    """Each factor's corrected share over the corpus, with its 95 % interval (dot and line in the
    factor's colour), largest first; the automatic share as a light mark (``shares``: the rows
    ``by == "all"`` of ``parts_corrigees``)."""
    text = LABELS[language]
    shares = shares.set_index("code").reindex(codebook.ids).sort_values("corrected", ascending=False, kind="stable")
    order = shares.index.tolist()
    fig, ax = new_figure(2.5 + 0.75 * len(order))
    y = np.arange(len(order))
    colour = [codebook[c].color for c in order]
    ax.scatter(shares["share"] * 100, y, marker="|", s=60, color=AUTOMATIC, linewidths=1.2, zorder=2)
    ax.hlines(y, shares["low"] * 100, shares["high"] * 100, color=colour, linewidth=1.5, zorder=3)
    ax.scatter(shares["corrected"] * 100, y, color=colour, s=30, zorder=4)
    ax.set_yticks(y, [codebook.labels(language)[c] for c in order])
    for label, code in zip(ax.get_yticklabels(), order):
        label.set_color(codebook[code].color)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3, linewidth=0.5)
    ax.set_xlim(0, None)
    number_axis(ax.xaxis, language)
    segments, sampled = int(shares["segments"].iloc[0]), int(shares["sampled"].iloc[0])
    ax.set_xlabel(f"{text['share']}\n{text['base_sampled'].format(n=number(segments, language), sampled=number(sampled, language))}")
    ax.set_title(wrap_text(text["corrected_title"], TITLE_WIDTH))
    fig.legend(handles=_legend(True, text)[:2], frameon=False, loc="outside lower center", ncol=2, fontsize=7)
    return fig


@styled
def cooccurrence_heatmap(matrix: pd.DataFrame, codebook: Codebook, language: str = "fr"):
    """Symmetric factor × factor heatmap of the Jaccard index."""
    text = LABELS[language]
    fig, ax = new_figure(13.0)
    values = matrix.to_numpy(dtype=float)
    image = ax.imshow(values, cmap="Purples", vmin=0)
    labels = [codebook.labels(language)[c] for c in codebook.ids]
    column_labels(ax, labels)
    ax.set_yticks(range(len(labels)), labels)
    for tick_labels in (ax.get_xticklabels(), ax.get_yticklabels()):
        for label, code in zip(tick_labels, codebook.ids):
            label.set_color(codebook[code].color)
    for (i, j), value in np.ndenumerate(values):
        if not np.isnan(value):
            ax.text(j, i, decimal(value, language), ha="center", va="center", fontsize=6)
    fig.suptitle(wrap_text(text["cooccurrence"], TITLE_WIDTH))  # above the colour bar too
    bar = fig.colorbar(image, ax=ax, shrink=0.7, label=text["jaccard"])
    number_axis(bar.ax.yaxis, language, 1)
    return fig


@styled
def activity_timeline(weekly: pd.DataFrame, language: str = "fr"):
    """Messages per week of each group, one panel per group, each on its own time axis and
    scale (a group of three weeks is as readable as one of ten years): the weeks as light
    bars, their four-week mean as a line."""
    text = LABELS[language]
    groups = sorted(weekly["group"].unique())
    fig, axes = new_figure(2.0 + 2.6 * len(groups), len(groups), 1, squeeze=False)
    palette = colours("tab10", len(groups))
    week = pd.Timedelta(days=7)
    for ax, group, colour in zip(axes[:, 0], groups, palette):
        rows = weekly[weekly["group"] == group].sort_values("week")
        ax.bar(rows["week"], rows["messages"], width=6, align="edge", color=colour, alpha=0.3, linewidth=0)
        ax.plot(rows["week"] + week / 2, rows["messages"].rolling(4, min_periods=1).mean(), color=colour, linewidth=1.2)
        ax.set_xlim(rows["week"].min() - week, rows["week"].max() + 2 * week)
        ax.set_title(group, loc="left", fontsize=7)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        number_axis(ax.yaxis, language)
        date_axis(ax.xaxis, language)
    axes[-1, 0].set_xlabel(text["week"])
    fig.supylabel(text["messages_per_week"], fontsize=8)
    fig.suptitle(wrap_text(text["timeline"], TITLE_WIDTH))
    return fig


@styled
def network_file(group: str) -> str:
    """The file name (without extension) of a group's reply network: its name as a slug."""
    return f"reseau_{slugify(group)}"


def reply_network(edges: pd.DataFrame, group: str, seed: int = 42, language: str = "fr", members: int = NETWORK_MEMBERS):
    """The reply network of one group: node size by replies received, width by replies.

    Large groups show their ``members`` most connected members and the strongest
    ``NETWORK_EDGES`` links between them (the title says so), so that the figure stays
    readable and quick to draw."""
    text = LABELS[language]
    graph = reply_graph(edges, group)
    title = f"{text['network']} : {group}" if language == "fr" else f"{text['network']}: {group}"
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
        names = [ax.annotate(str(n), layout[n], xytext=(0, 0), textcoords="offset points", fontsize=6, ha="center", va="center",
                             bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7},
                             arrowprops={"arrowstyle": "-", "color": "#7F8C8D", "lw": 0.4}, in_layout=False) for n in graph.nodes]
    ax.set_title(wrap_text(title, TITLE_WIDTH))
    ax.axis("off")
    if graph.number_of_nodes():
        spread_labels(fig, names)  # members' names never cover one another
    return fig

