"""The topic map's tables: topics aligned with the codebook's factors, by initiative, over time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from enquete.schema import code_indicators
from enquete.topics.model import Topics


def topics_by_factor(coded: pd.DataFrame, assignments: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Share of each topic's segments coded with each factor (rows: topics, columns: codes)."""
    merged = assignments.merge(coded.reindex(columns=["segment_id", "codes"]), on="segment_id", how="left")
    shares = code_indicators(merged["codes"], codes).groupby(merged["topic"]).mean().round(4)
    return shares.rename_axis("topic").reset_index()


def align(topic_table: pd.DataFrame, by_factor: pd.DataFrame, coded: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Add each topic's most frequent factor (the largest share of its segments, as the topics ×
    factors table shows), that share, and its lift against the factor's share in the corpus."""
    base = code_indicators(coded.reindex(columns=["codes"])["codes"].dropna(), codes).mean().clip(lower=1e-9)
    shares = by_factor.set_index("topic")[codes]
    best = shares.idxmax(axis=1).where(shares.max(axis=1) > 0)  # a topic none of whose segments is coded has none
    table = topic_table.copy()
    table["main_factor"] = table["topic"].map(best)
    found = [t in shares.index and pd.notna(best[t]) for t in table["topic"]]
    table["main_share"] = [round(float(shares.loc[t, best[t]]), 4) if ok else np.nan for t, ok in zip(table["topic"], found)]
    table["lift"] = [round(float(shares.loc[t, best[t]] / base[best[t]]), 3) if ok else np.nan for t, ok in zip(table["topic"], found)]
    return table


def topics_by_initiative(coded: pd.DataFrame, assignments: pd.DataFrame) -> pd.DataFrame:
    """Segments per topic and initiative."""
    merged = assignments.merge(coded.reindex(columns=["segment_id", "initiative"]), on="segment_id", how="left")
    return merged.groupby(["topic", "initiative"], dropna=False).size().rename("segments").reset_index()


def topics_over_time(coded: pd.DataFrame, assignments: pd.DataFrame, freq: str = "MS") -> pd.DataFrame:
    """WhatsApp messages per topic and month."""
    merged = assignments.merge(coded.reindex(columns=["segment_id", "timestamp", "source_type"]), on="segment_id", how="left")
    merged = merged[merged["source_type"].eq("whatsapp").fillna(False).astype(bool) & merged["timestamp"].notna()]
    if merged.empty:
        return pd.DataFrame(columns=["topic", "period", "messages"])
    period = merged["timestamp"].dt.to_period("M").dt.to_timestamp()
    return merged.groupby(["topic", period.rename("period")]).size().rename("messages").reset_index()


def with_topics(segments: pd.DataFrame, result: Topics) -> pd.DataFrame:
    """The segments with their ``topic`` (missing for the segments not mapped)."""
    topic_of = dict(zip(result.assignments["segment_id"], result.assignments["topic"]))
    return segments.assign(topic=segments["segment_id"].map(topic_of).astype("Int64"))


def topic_tables(result: Topics, coded: pd.DataFrame, codes: list[str]) -> dict[str, pd.DataFrame]:
    """The topics table (aligned with the factors) and its crossings, by name.

    Parameters
    ----------
    result : the fitted topics.
    coded : the coded segment table (codes, initiative, timestamp, source_type where it has them).
    codes : the codebook's code ids.
    """
    by_factor = topics_by_factor(coded, result.assignments, codes)
    return {
        "themes": align(result.topics, by_factor, coded, codes),
        "themes_par_facteur": by_factor,
        "themes_par_initiative": topics_by_initiative(coded, result.assignments),
        "themes_dans_le_temps": topics_over_time(coded, result.assignments),
    }
