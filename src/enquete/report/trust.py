"""How far the report's figures can be trusted: the "reliability of the coding" section, and
the rule the synthesis follows before it ranks anything.

With a random human-coded sample, a share comes with its 95 % interval (analysis/reliability):
one factor, initiative or source is said to be above another only when its interval lies
above the other's. Without one, the figures are a first pass: a difference counts only when
it exceeds twice the error measured on the demo gold (``share_error``), and the section says
how many random segments to code by hand for intervals of ±5 and ±10 points.
"""

from __future__ import annotations

import pandas as pd

from enquete.analysis.reliability import benchmark, sample_size
from enquete.analysis.tables import coded_segments
from enquete.report.writer import Writer
from enquete.schema import code_indicators

__all__ = ["TOP", "above", "concentrated", "corrected", "factor_shares", "margin", "overall", "random_sample", "sample_size", "small", "value"]

TOP = 3  # the concentration of a group is told by its three most active members' share


def random_sample(tables: dict[str, pd.DataFrame]) -> bool:
    """Whether the shares were corrected by a random human-coded sample."""
    return "parts_corrigees" in tables


def margin(coding: dict) -> float:
    """How far an automatic share may be from a person's, by the benchmark (fitted coder or codebook alone)."""
    return benchmark()["share_error"]["fitted" if coding.get("learned") else "zero_shot"]


def overall(tables: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """Each factor's corrected share and interval over the whole corpus (index: code), if any."""
    if not random_sample(tables):
        return None
    shares = tables["parts_corrigees"]
    return shares[shares["by"] == "all"].set_index("code")


def factor_shares(data) -> pd.DataFrame:
    """Each factor's share of the coded segments (index: code), with its corrected interval when there is one."""
    shares = overall(data.tables)
    if shares is not None:
        return shares
    rows = coded_segments(data.segments, ["codes"])
    return pd.DataFrame({"share": code_indicators(rows["codes"], data.codebook.ids).mean()})


def corrected(table: pd.DataFrame) -> bool:
    """Whether a factor table carries shares corrected by a random sample."""
    return "corrected" in table and table["corrected"].notna().any()


def value(table: pd.DataFrame) -> pd.Series:
    """The share the report states: corrected where it can be, as coded otherwise."""
    return table["corrected"].fillna(table["share"]) if "corrected" in table else table["share"]


def small(table: pd.DataFrame, min_base: int) -> pd.Series:
    """Which rows of a factor table belong to a group under ``min_base`` coded segments."""
    return table["base"] < min_base if "base" in table else pd.Series(False, index=table.index)


def concentrated(group) -> bool:
    """Whether a group's speech is concentrated: its three most active members write at least
    twice the share they would if everyone wrote as much (60 % of a ten-member group)."""
    return bool(group.top3_share >= min(1.0, 2 * TOP / group.active_members))


def above(a: pd.Series, b: pd.Series, coding: dict) -> bool:
    """Whether share ``a`` is clearly above share ``b`` (rows with ``share``, and ``low``/``high`` when corrected)."""
    if "low" in a and pd.notna(a.get("low")) and pd.notna(b.get("high")):
        return bool(a["low"] > b["high"])
    return bool(a["share"] - b["share"] > 2 * margin(coding))


def section(w: Writer, data, numbers: dict, next_number) -> None:
    """How the codes were made, and how well they agree with a person's (in plain words: the
    tool's workings are in the methods annex)."""
    t, coding, tables = w.t, data.coding, data.tables
    w.heading(t("h_reliability"), 2)
    total = len(data.codebook.ids)
    if coding.get("training_rows"):
        origins = [t("origin_by_id", n=coding["training_by_id"])] if coding.get("training_by_id") else []
        origins += [t("origin_by_text", n=coding["training_by_text"])] if coding.get("training_by_text") else []
        learned = len(coding.get("learned", []))
        learning = t("all_learned", total=total) if learned == total else t("some_learned", learned=t.count("n_factors", learned), total=total)
        w.para(t("coding_made_trained", rows=t.count("n_hand_coded", coding["training_rows"]), origin=t("list_separator").join(origins), learning=learning))
    else:
        w.para(t("coding_made_zero_shot"))
    if coding.get("reviewed"):
        w.para(t("coding_reviewed", reviewed=t.count("n_reviewed", coding["reviewed"])))
    measured = tables.get("fiabilite_codage")
    if measured is not None and len(measured):
        macro = measured.set_index("code").loc["macro"]
        kind = measured["sample"].iloc[0]
        n = int(macro["segments"])
        if kind == "random":
            w.para(t("reliability_random", drawn=t.count("n_drawn", n), f1=t.decimal(macro["f1"]), kappa=t.decimal(macro["kappa"])))
        else:
            w.para(t("reliability_targeted", reviewed=t.count("n_reviewed_chosen", n), f1=t.decimal(macro["f1"])))
        columns = {"code": t("col_code"), "segments": t("col_segments"), "precision": t("col_precision"), "recall": t("col_recall"),
                   "f1": t("col_f1"), "kappa": t("col_kappa")}
        labels = {**data.codebook.labels(data.language), "macro": t("mean")}
        frame = measured[measured["code"] != "micro"][list(columns)].assign(code=lambda m: m["code"].map(labels)).rename(columns=columns)
        w.table(frame, t("reliability_caption", sample=t(f"sample_{kind}", n=n)), next_number(numbers, "table"), [4.5, 2.1, 2.1, 2.1, 2.1, 2.1])
    if not random_sample(tables):
        scores = benchmark()["macro_f1"]
        w.para(t("first_pass", f1=t.decimal(scores["fitted" if coding.get("learned") else "zero_shot"]),
                 margin=round(100 * margin(coding)), n5=sample_size(0.05), n10=sample_size(0.10)))


def corrected_table(w: Writer, data, numbers: dict, next_number) -> None:
    """The factors' shares over the whole corpus: the figure, then corrected share and interval, automatic share."""
    shares = overall(data.tables)
    if shares is None:
        return
    t = w.t
    labels = data.codebook.labels(data.language)
    shares = shares.reindex(data.codebook.ids).sort_values("corrected", ascending=False, kind="stable")
    frame = pd.DataFrame(
        {
            t("col_factor"): [labels[c] for c in shares.index],
            t("col_share_corrected"): shares["corrected"].map(t.percent).to_numpy(),
            t("col_interval"): [t.interval(lo, hi) for lo, hi in zip(shares["low"], shares["high"])],
            t("col_share_auto"): shares["share"].map(t.percent).to_numpy(),
        }
    )
    w.figure(data.figures / "facteurs_corriges.png", t("fig_corrected"), next_number(numbers, "figure"))
    caption = t("corrected_caption", base=t.count("n_base", int(shares["segments"].iloc[0])), drawn=t.count("n_drawn_short", int(shares["sampled"].iloc[0])))
    w.table(frame, caption, next_number(numbers, "table"), [6.0, 3.0, 3.5, 3.0])
