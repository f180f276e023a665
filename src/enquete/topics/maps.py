"""Topic maps: a static figure for the report and an interactive page that works offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from enquete.analysis.figures import CM, WIDTH_CM, new_figure, plt, save_all
from enquete.codebook import Codebook
from enquete.io import atomic_path
from enquete.topics.model import Topics

TITLES = {
    "fr": {
        "map": "Carte des thèmes abordés (chaque point est un segment)",
        "factors": "Thèmes × facteurs (part des segments du thème, %)",
        "initiatives": "Thèmes × initiatives (part des segments de l'initiative, %)",
        "time": "Thèmes dans les groupes WhatsApp, par mois",
        "month": "Mois",
        "unknown": "initiative inconnue",
        "messages": "Messages",
    },
    "en": {
        "map": "Map of the topics (each dot is a segment)",
        "factors": "Topics × factors (share of the topic's segments, %)",
        "initiatives": "Topics × initiatives (share of the initiative's segments, %)",
        "time": "Topics in the WhatsApp groups, by month",
        "month": "Month",
        "unknown": "unknown initiative",
        "messages": "Messages",
    },
}


def _colours(n: int):
    cmap = plt.get_cmap("tab20")
    return [cmap(i % 20) for i in range(n)]


def static_map(assignments: pd.DataFrame, topics: pd.DataFrame, language: str = "fr"):
    """Segments in 2D coloured by topic, each topic labelled at its centre."""
    fig, ax = new_figure(12.0)
    ids = sorted(topics["topic"])
    colours = dict(zip(ids, _colours(len(ids))))
    labels = dict(zip(topics["topic"], topics["label"]))
    for topic, rows in assignments.groupby("topic", sort=True):
        ax.scatter(rows["x"], rows["y"], s=4, color=colours[topic], alpha=0.6, linewidths=0)
        cx, cy = rows["x"].median(), rows["y"].median()
        words = " · ".join(labels[topic].split(" · ")[:2])
        ax.annotate(f"{topic} {words}", (cx, cy), fontsize=6, ha="center", weight="bold",
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": colours[topic], "alpha": 0.8})
    ax.set_title(TITLES[language]["map"])
    ax.set_xticks([])
    ax.set_yticks([])
    return fig


def topic_factor_heatmap(by_factor: pd.DataFrame, topics: pd.DataFrame, codebook: Codebook, language: str = "fr"):
    """Topics (rows, with their label) × factors (columns, in their colours)."""
    order = topics["topic"].tolist()
    matrix = by_factor.set_index("topic").reindex(order)[codebook.ids].to_numpy(dtype=float) * 100
    fig, ax = new_figure(3.0 + 0.55 * len(order))
    image = ax.imshow(matrix, cmap="Greens", aspect="auto", vmin=0)
    labels = codebook.labels(language)
    ax.set_xticks(range(len(codebook.ids)), [labels[c] for c in codebook.ids], rotation=40, ha="right", rotation_mode="anchor", fontsize=6)
    for tick, code in zip(ax.get_xticklabels(), codebook.ids):
        tick.set_color(codebook[code].color)
    names = dict(zip(topics["topic"], topics["label"]))
    ax.set_yticks(range(len(order)), [f"{t} · {names[t][:38]}" for t in order], fontsize=6)
    for (i, j), value in np.ndenumerate(matrix):
        if not np.isnan(value) and value >= 1:
            ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=5)
    ax.set_title(TITLES[language]["factors"])
    fig.colorbar(image, ax=ax, shrink=0.6)
    return fig


def topic_initiative_heatmap(by_initiative: pd.DataFrame, topics: pd.DataFrame, initiatives: dict[str, str] | None = None, language: str = "fr"):
    """Topics (rows) × initiatives (columns): share of each initiative's modelled segments."""
    order = topics["topic"].tolist()
    pivot = by_initiative.pivot(index="topic", columns="initiative", values="segments").reindex(order).fillna(0)
    shares = pivot / pivot.sum(axis=0).replace(0, np.nan) * 100
    fig, ax = new_figure(3.0 + 0.55 * len(order))
    image = ax.imshow(shares.to_numpy(dtype=float), cmap="Oranges", aspect="auto", vmin=0)
    names = [str((initiatives or {}).get(c, c)) if isinstance(c, str) else TITLES[language]["unknown"] for c in shares.columns]
    ax.set_xticks(range(len(names)), names, rotation=25, ha="right", rotation_mode="anchor", fontsize=6)
    labels = dict(zip(topics["topic"], topics["label"]))
    ax.set_yticks(range(len(order)), [f"{t} · {labels[t][:38]}" for t in order], fontsize=6)
    for (i, j), value in np.ndenumerate(shares.to_numpy(dtype=float)):
        if not np.isnan(value) and value >= 1:
            ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=5)
    ax.set_title(TITLES[language]["initiatives"])
    fig.colorbar(image, ax=ax, shrink=0.6)
    return fig


def topics_timeline(over_time: pd.DataFrame, topics: pd.DataFrame, top: int = 6, language: str = "fr"):
    """WhatsApp messages per month for the largest topics."""
    fig, ax = new_figure(7.5)
    labels = dict(zip(topics["topic"], topics["label"]))
    biggest = over_time.groupby("topic")["messages"].sum().sort_values(ascending=False).head(top).index
    colours = dict(zip(sorted(topics["topic"]), _colours(len(topics))))
    for topic in sorted(biggest):
        rows = over_time[over_time["topic"] == topic].sort_values("period")
        ax.plot(pd.to_datetime(rows["period"]), rows["messages"], marker="o", markersize=2, linewidth=1,
                color=colours[topic], label=f"{topic} · {' · '.join(labels[topic].split(' · ')[:2])}")
    ax.set_xlabel(TITLES[language]["month"])
    ax.set_ylabel(TITLES[language]["messages"])
    ax.set_title(TITLES[language]["time"])
    ax.legend(frameon=False, fontsize=6)
    fig.autofmt_xdate()
    return fig


def interactive_figure(assignments: pd.DataFrame, topics: pd.DataFrame, texts: pd.Series, language: str = "fr"):
    """The topic map as a plotly figure: each point a segment, its text on hover (``fig.show()`` in JupyterLab)."""
    import plotly.graph_objects as go

    labels = dict(zip(topics["topic"], topics["label"]))
    hover = pd.Series(texts.reindex(assignments["segment_id"]).fillna("").to_numpy(), index=assignments.index)
    hover = hover.map(lambda t: "<br>".join(_lines(t)))
    fig = go.Figure()
    for topic, rows in assignments.groupby("topic", sort=True):
        fig.add_trace(
            go.Scattergl(
                x=rows["x"], y=rows["y"], mode="markers", marker={"size": 5, "opacity": 0.7},
                name=f"{topic} · {labels[topic]}",
                text=[f"<b>{topic} · {labels[topic]}</b><br>{h}" for h in hover.loc[rows.index]],
                hoverinfo="text",
            )
        )
    fig.update_layout(
        title=TITLES[language]["map"], template="simple_white", width=int(WIDTH_CM / CM * 100), height=700,
        xaxis={"visible": False}, yaxis={"visible": False}, legend={"font": {"size": 10}},
    )
    return fig


def interactive_map(assignments: pd.DataFrame, topics: pd.DataFrame, texts: pd.Series, path: str | Path, language: str = "fr") -> Path:
    """An HTML page (plotly) with plotly.js written beside it: no CDN, works offline."""
    path = Path(path)
    fig = interactive_figure(assignments, topics, texts, language)
    with atomic_path(path) as tmp:
        fig.write_html(tmp, include_plotlyjs=False, full_html=True, div_id="carte-themes", config={"displaylogo": False})
        html = tmp.read_text(encoding="utf-8").replace("<head>", '<head><meta charset="utf-8" /><script src="plotly.min.js"></script>', 1)
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
    paths.append(interactive_map(result.assignments, tables["themes"], texts, folder / "carte_themes.html", language))
    return [*paths, folder / "plotly.min.js"]
