"""Topic maps: a static figure for the report and an interactive page that works offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.dates import ConciseDateFormatter

from enquete.codebook import Codebook
from enquete.io import atomic_path
from enquete.plotting import LABELS, TITLE_WIDTH, colours, column_labels, new_figure, number_axis, save_all, styled, wrap_text
from enquete.schema import split_codes
from enquete.topics.model import Topics

FULL_WINDOW = "<style>html, body { height: 100%; margin: 0; overflow: hidden; }</style>"  # the map fills the window, no scroll bar


@styled
def static_map(assignments: pd.DataFrame, topics: pd.DataFrame, language: str = "fr"):
    """Segments in 2D coloured by topic, each topic labelled at its centre."""
    fig, ax = new_figure(12.0)
    ids = sorted(topics["topic"])
    colour = dict(zip(ids, colours("tab20", len(ids))))
    labels = dict(zip(topics["topic"], topics["label"]))
    notes = []
    for topic, rows in assignments.groupby("topic", sort=True):
        ax.scatter(rows["x"], rows["y"], s=4, color=colour[topic], alpha=0.6, linewidths=0)
        cx, cy = rows["x"].median(), rows["y"].median()
        words = " · ".join(labels[topic].split(" · ")[:2])
        notes.append(ax.annotate(words, (cx, cy), xytext=(0, 0), textcoords="offset points", fontsize=6, ha="center",
                                 weight="bold", bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": colour[topic], "alpha": 0.8},
                                 arrowprops={"arrowstyle": "-", "color": colour[topic], "lw": 0.6}, in_layout=False))
    ax.set_title(LABELS[language]["topic_map"])
    ax.set_xticks([])
    ax.set_yticks([])
    spread_labels(fig, notes)
    return fig


def spread_labels(fig, notes: list) -> None:
    """Move the labels that would cover one another apart: each label first slides sideways
    into the plot if it would leave it, then, from the lowest up, rises just above those already
    placed that it overlaps (a thin line keeps it tied to its topic's centre). The figure is
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


@styled
def topic_factor_heatmap(by_factor: pd.DataFrame, topics: pd.DataFrame, codebook: Codebook, language: str = "fr"):
    """Topics (rows, with their label) × factors (columns, in their colours)."""
    order = topics["topic"].tolist()
    matrix = by_factor.set_index("topic").reindex(order)[codebook.ids].to_numpy(dtype=float) * 100
    fig, ax = new_figure(5.0 + 0.8 * len(order))
    image = ax.imshow(matrix, cmap="Greens", aspect="auto", vmin=0)
    labels = codebook.labels(language)
    column_labels(ax, [labels[c] for c in codebook.ids], fontsize=6)
    for tick, code in zip(ax.get_xticklabels(), codebook.ids):
        tick.set_color(codebook[code].color)
    _topic_rows(ax, order, topics)
    for (i, j), value in np.ndenumerate(matrix):
        if not np.isnan(value) and value >= 1:
            ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=5, color="white" if value > np.nanmax(matrix) * 0.6 else "black")
    fig.suptitle(wrap_text(LABELS[language]["topics_by_factor"], TITLE_WIDTH))
    number_axis(fig.colorbar(image, ax=ax, shrink=0.6, label=LABELS[language]["topic_share"]).ax.yaxis, language)
    return fig


def _topic_rows(ax, order: list[int], topics: pd.DataFrame) -> None:
    """Each row named by its topic's label (wrapped, never cut)."""
    names = dict(zip(topics["topic"], topics["label"]))
    ax.set_yticks(range(len(order)), [wrap_text(names[t], 34) for t in order], fontsize=6)


@styled
def topic_initiative_heatmap(by_initiative: pd.DataFrame, topics: pd.DataFrame, initiatives: dict[str, str] | None = None, language: str = "fr"):
    """Topics (rows) × initiatives (columns): share of each initiative's modelled segments."""
    order = topics["topic"].tolist()
    pivot = by_initiative.pivot(index="topic", columns="initiative", values="segments").reindex(order).fillna(0)
    shares = pivot / pivot.sum(axis=0).replace(0, np.nan) * 100
    fig, ax = new_figure(3.0 + 0.8 * len(order))
    image = ax.imshow(shares.to_numpy(dtype=float), cmap="Oranges", aspect="auto", vmin=0)
    names = [str((initiatives or {}).get(c, c)) if isinstance(c, str) else LABELS[language]["unknown_initiative"] for c in shares.columns]
    column_labels(ax, names, fontsize=6)
    _topic_rows(ax, order, topics)
    values = shares.to_numpy(dtype=float)
    for (i, j), value in np.ndenumerate(values):
        if not np.isnan(value) and value >= 1:
            ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=5, color="white" if value > np.nanmax(values) * 0.6 else "black")
    fig.suptitle(wrap_text(LABELS[language]["topics_by_initiative"], TITLE_WIDTH))
    number_axis(fig.colorbar(image, ax=ax, shrink=0.6, label=LABELS[language]["topic_share"]).ax.yaxis, language)
    return fig


@styled
def topics_timeline(over_time: pd.DataFrame, topics: pd.DataFrame, top: int = 6, language: str = "fr"):
    """WhatsApp messages per month for the largest topics."""
    fig, ax = new_figure(7.5)
    labels = dict(zip(topics["topic"], topics["label"]))
    biggest = over_time.groupby("topic")["messages"].sum().sort_values(ascending=False).head(top).index
    colour = dict(zip(sorted(topics["topic"]), colours("tab20", len(topics))))
    for topic in sorted(biggest):
        rows = over_time[over_time["topic"] == topic].sort_values("period")
        ax.plot(pd.to_datetime(rows["period"]), rows["messages"], marker="o", markersize=2, linewidth=1,
                color=colour[topic], label=" · ".join(labels[topic].split(" · ")[:2]))
    ax.set_xlabel(LABELS[language]["month"])
    ax.set_ylabel(LABELS[language]["messages"])
    number_axis(ax.yaxis, language)
    ax.set_title(LABELS[language]["topics_in_time"])
    ax.legend(frameon=False, fontsize=6)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(ax.xaxis.get_major_locator()))  # level, never tilted
    return fig


def interactive_figure(assignments: pd.DataFrame, topics: pd.DataFrame, texts: pd.Series, language: str = "fr", factors: pd.Series | None = None):
    """The topic map as a plotly figure: each point a segment, its topic, text and factors on
    hover (``fig.show()`` in JupyterLab).

    Parameters
    ----------
    assignments : each segment's topic and place (``segment_id``, ``topic``, ``x``, ``y``).
    topics : the topics table (``topic``, ``label``).
    texts : the (pseudonymised) text of each segment, by segment_id.
    language : the language of the title.
    factors : the factors coded on each segment, by segment_id, in words (shown under its text).
    """
    import plotly.graph_objects as go

    labels = dict(zip(topics["topic"], topics["label"]))
    hover = pd.Series(texts.reindex(assignments["segment_id"]).fillna("").to_numpy(), index=assignments.index)
    hover = hover.map(lambda t: "<br>".join(_lines(t)))
    if factors is not None:
        named = pd.Series(factors.reindex(assignments["segment_id"]).fillna("").to_numpy(), index=assignments.index)
        hover = hover + named.map(lambda f: f"<br><i>{LABELS[language]['factors']} {f}</i>" if f else "")
    fig = go.Figure()
    for topic, rows in assignments.groupby("topic", sort=True):
        fig.add_trace(
            go.Scattergl(
                x=rows["x"], y=rows["y"], mode="markers", marker={"size": 5, "opacity": 0.7},
                name=wrap_text(labels[topic], 34).replace("\n", "<br>"),
                text=[f"<b>{labels[topic]}</b><br>{h}" for h in hover.loc[rows.index]],
                hoverinfo="text",
            )
        )
    fig.update_layout(  # no fixed size: the page fills the window; the map keeps its proportions
        title=LABELS[language]["topic_map"], template="simple_white", autosize=True, margin={"l": 10, "r": 10, "t": 50, "b": 10},
        xaxis={"visible": False}, yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1},
        legend={"font": {"size": 11}, "itemsizing": "constant"},
    )
    return fig


def interactive_map(assignments: pd.DataFrame, topics: pd.DataFrame, texts: pd.Series, path: str | Path, language: str = "fr",
                    factors: pd.Series | None = None) -> Path:
    """An HTML page (plotly) with plotly.js written beside it: no CDN, works offline (see :func:`interactive_figure`)."""
    path = Path(path)
    fig = interactive_figure(assignments, topics, texts, language, factors)
    with atomic_path(path) as tmp:
        fig.write_html(tmp, include_plotlyjs=False, full_html=True, div_id="carte-themes", default_width="100%", default_height="100%",
                       config={"displaylogo": False, "responsive": True})
        page = '<head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" /><script src="plotly.min.js"></script>'
        html = tmp.read_text(encoding="utf-8").replace("<head>", page + FULL_WINDOW, 1)
        tmp.write_text(html, encoding="utf-8")
    _write_plotly_js(path.parent / "plotly.min.js")
    return path


def _write_plotly_js(path: Path) -> None:
    from plotly.offline import get_plotlyjs

    script = get_plotlyjs()
    if not path.exists() or path.stat().st_size != len(script.encode("utf-8")):
        with atomic_path(path) as tmp:
            tmp.write_text(script, encoding="utf-8")


def _lines(text: str, width: int = 70, limit: int = 6) -> list[str]:
    words, lines, line = str(text).split(), [], ""
    for word in words:
        if len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
            if len(lines) == limit:
                return lines + ["…"]
        else:
            line = f"{line} {word}".strip()
    return lines + [line]


def write_topics(
    result: Topics,
    tables: dict[str, pd.DataFrame],
    coded: pd.DataFrame,
    codebook,
    folder: str | Path,
    language: str = "fr",
    initiatives: dict[str, str] | None = None,
    workers: int = 1,
) -> list[Path]:
    """Figures (PNG + SVG, drawn by ``workers`` processes) and the interactive map page of the topics.

    Parameters
    ----------
    result : the fitted topics (:func:`enquete.topics.fit_topics`).
    tables : their tables (:func:`enquete.topics.topic_tables`).
    coded : the segment table (texts shown on the interactive map).
    codebook : for the topics × factors figure.
    folder : where to write.
    language, initiatives, workers : the labels' language, initiative id → name, drawing processes.
    """
    folder = Path(folder)
    jobs = [
        (static_map, (result.assignments, tables["themes"], language), folder / "carte_themes"),
        (topic_factor_heatmap, (tables["themes_par_facteur"], tables["themes"], codebook, language), folder / "themes_par_facteur"),
        (topic_initiative_heatmap, (tables["themes_par_initiative"], tables["themes"], initiatives, language), folder / "themes_par_initiative"),
    ]
    if len(tables["themes_dans_le_temps"]):
        jobs.append((topics_timeline, (tables["themes_dans_le_temps"], tables["themes"], 6, language), folder / "themes_dans_le_temps"))
    paths = save_all(jobs, workers)
    texts = coded.set_index("segment_id")["text"]
    names = codebook.labels(language)
    factors = coded.set_index("segment_id")["codes"].fillna("").map(lambda codes: ", ".join(names[c] for c in split_codes(codes) if c in names))
    paths.append(interactive_map(result.assignments, tables["themes"], texts, folder / "carte_themes.html", language, factors))
    return [*paths, folder / "plotly.min.js"]
