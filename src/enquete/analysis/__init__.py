"""Analyse stage: factor tables, co-occurrences, verbatims, WhatsApp dynamics, figures.

``analyse(coded, codebook, ...)`` returns every table as a DataFrame (for notebooks);
``write_analyses`` writes them to a folder (one .csv each and one .xlsx workbook with a
sheet per table, columns named in the run's language) and ``write_figures`` the figures
(PNG 200 dpi and SVG).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from enquete.analysis import figures
from enquete.analysis.reliability import corrected_shares, reliability
from enquete.analysis.tables import (
    cooccurrence,
    cooccurrence_matrix,
    factors_by_initiative,
    factors_by_role,
    factors_by_source,
    mapping_table,
    verbatims,
)
from enquete.analysis.whatsapp import GROUP_SOURCES, group_summary, member_centrality, monthly_members, reply_edges, rhythms, weekly_activity
from enquete.codebook import Codebook, load_codebook
from enquete.io import atomic_path, write_table, write_workbook
from enquete.vocabulary import localise

__all__ = ["analyse", "write_analyses", "write_figures"]


def analyse(
    coded: pd.DataFrame,
    codebook: Codebook,
    initiatives: dict[str, str] | None = None,
    reply_window_minutes: int = 30,
    language: str = "fr",
) -> dict[str, pd.DataFrame]:
    """Every analysis table of a coded corpus, by name (factor labels in ``language``).

    Parameters
    ----------
    coded : the coded segment table (``codes``, ``score_<code>``, ``evidence``: the code stage's output).
    codebook : the codebook the segments were coded with.
    initiatives : initiative id → name, for the verbatims' attributions.
    reply_window_minutes : a WhatsApp message this soon after another member's counts as a reply.
    language : the language of factor labels ("fr" or "en").
    """
    tables = {
        "facteurs_par_initiative": factors_by_initiative(coded, codebook, language),
        "facteurs_par_source": factors_by_source(coded, codebook, language),
        "facteurs_par_role": factors_by_role(coded, codebook, language),
        "cooccurrences": cooccurrence(coded, codebook),
        "verbatims": verbatims(coded, codebook, initiatives=initiatives, language=language),
    }
    measured = reliability(coded, codebook)
    if len(measured):
        tables["fiabilite_codage"] = measured
    if len(measured) and measured["sample"].iloc[0] == "random":
        tables["parts_corrigees"] = shares = pd.concat(
            [corrected_shares(coded, codebook, by).assign(by=name) for name, by in (("all", None), ("initiative", "initiative"), ("source", "source_type"))],
            ignore_index=True,
        )
        for name, column, by in (("facteurs_par_initiative", "initiative", "initiative"), ("facteurs_par_source", "source", "source")):
            part = shares.loc[shares["by"] == by, ["group", "code", "corrected", "low", "high"]].rename(columns={"group": column})
            merged = tables[name].assign(**{column: tables[name][column].fillna("").astype(str)}).merge(part, on=["code", column], how="left")
            tables[name] = merged[["code", "factor", column, "base", "segments", "corrected", "low", "high", "share", "speakers"]]  # corrected first
    for target in ("engagements_municipaux", "leviers_action"):
        if any(target in c.maps_to for c in codebook.codes):
            tables[target] = mapping_table(coded, codebook, load_codebook(target), language)
    if coded["source_type"].isin(GROUP_SOURCES).any():
        edges = reply_edges(coded, reply_window_minutes)
        tables.update(
            {
                "whatsapp_groupes": group_summary(coded),
                "whatsapp_semaines": weekly_activity(coded),
                "whatsapp_membres_mois": monthly_members(coded),
                "whatsapp_rythmes": rhythms(coded),
                "whatsapp_reponses": edges,
                "whatsapp_centralite": member_centrality(edges),
            }
        )
    return tables


def write_analyses(tables: dict[str, pd.DataFrame], folder: str | Path, workbook: str = "analyses.xlsx", language: str = "fr") -> list[Path]:
    """One .csv per table and a workbook with a sheet per table, named in ``language``.

    Parameters
    ----------
    tables : table name → table (:func:`analyse`); the name is the file's.
    folder : where to write them.
    workbook : the workbook's file name.
    language : the language of the column names and values in the files (:mod:`enquete.vocabulary`).
    """
    folder = Path(folder)
    written = {name: localise(table, language) for name, table in tables.items()}
    paths = [write_table(table, folder / f"{name}.csv") for name, table in written.items()]
    workbook = folder / workbook
    with atomic_path(workbook) as tmp:
        write_workbook(tmp, written, language=language)
    return [*paths, workbook]


def write_figures(
    tables: dict[str, pd.DataFrame],
    codebook: Codebook,
    folder: str | Path,
    initiatives: dict[str, str] | None = None,
    language: str = "fr",
    seed: int = 42,
    workers: int = 1,
    min_base: int = figures.MIN_BASE,
) -> list[Path]:
    """The report's figures, as PNG and SVG files in ``folder`` (drawn by ``workers`` processes).

    Parameters
    ----------
    tables : the tables of :func:`analyse`.
    codebook : its labels and colours name the factors.
    folder : where to write the figures.
    initiatives : initiative id → name, for the axes.
    language : the language of titles and labels.
    seed : seeds the layout of the reply networks.
    workers : processes drawing the figures (1: in this process).
    min_base : groups with fewer coded segments are marked "small base".
    """
    folder = Path(folder)
    matrix = cooccurrence_matrix(tables["cooccurrences"], codebook)
    jobs = [
        (figures.heatmap_by_initiative, (tables["facteurs_par_initiative"], codebook, initiatives, language, min_base), folder / "facteurs_par_initiative"),
        (figures.shares_by_source, (tables["facteurs_par_source"], codebook, language, min_base), folder / "facteurs_par_source"),
        (figures.cooccurrence_heatmap, (matrix, codebook, language), folder / "cooccurrences"),
    ]
    if "parts_corrigees" in tables:
        overall = tables["parts_corrigees"][tables["parts_corrigees"]["by"] == "all"]
        jobs.append((figures.corrected_shares_chart, (overall, codebook, language), folder / "facteurs_corriges"))
    if "whatsapp_semaines" in tables:
        jobs.append((figures.activity_timeline, (tables["whatsapp_semaines"], language), folder / "whatsapp_activite"))
        for group in sorted(tables["whatsapp_reponses"]["group"].unique()):
            jobs.append((figures.reply_network, (tables["whatsapp_reponses"], group, seed, language), folder / f"reseau_{group}"))
    return figures.save_all(jobs, workers)
