"""The report's content: what it is made of (``ReportData``) and each section, written
from the run's tables and figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from docx.enum.text import WD_BREAK
from docx.shared import Pt

from enquete.codebook import Codebook, load_codebook
from enquete.io import word_counts
from enquete.report import trust
from enquete.report.writer import Texts, Writer
from enquete.settings import REPORT_SECTIONS
from enquete.vocabulary import internal


@dataclass
class ReportData:
    """What the report is made of: the coded segments, the analysis tables, the figures."""

    segments: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    codebook: Codebook
    figures: Path
    title: str = ""  # default: the language's "Rapport de restitution"
    subtitle: str = ""
    authors: list[str] = field(default_factory=list)
    organisation: str = ""
    date: str = ""
    context: str = ""
    initiatives: pd.DataFrame | None = None  # name, localisation, creation, description
    pseudonymisation: pd.DataFrame | None = None  # counts per document and entity
    review: pd.DataFrame | None = None  # the replaced forms to check (no original value)
    coding: dict = field(default_factory=dict)  # how the codes were made (pipeline's RunResult.coding)
    settings: dict = field(default_factory=dict)
    language: str = "fr"


def _title_page(w: Writer, data: ReportData) -> None:
    w.para(data.title or w.t("default_title"), "Title")
    if data.subtitle:
        w.para(data.subtitle, "Subtitle")
    for line in (", ".join(data.authors), data.organisation, data.date or dt.date.today().isoformat()):
        if line:
            w.para(line)
    w.para(w.t("pseudonymised_note"), italic=True)
    w.para(w.t("toc_title"), "TOC Heading" if "TOC Heading" in {s.name for s in w.doc.styles} else None).runs[0].bold = True
    toc = w.para()
    w.field(toc, 'TOC \\o "1-2" \\h \\z \\u', w.t("toc_placeholder"))
    toc.runs[-1].add_break(WD_BREAK.PAGE)


def _factor_counts(data: ReportData) -> pd.Series:
    table = data.tables["facteurs_par_source"]
    return table.groupby("code")["segments"].sum().reindex(data.codebook.ids).fillna(0).astype(int)


def _initiative_names(data: ReportData) -> dict[str, str]:
    return dict(zip(data.initiatives["id"], data.initiatives["name"])) if data.initiatives is not None else {}


def findings(data: ReportData) -> list[str]:
    """Key findings written from the tables (not canned prose), in the report's language."""
    t = Texts(data.language)
    labels = data.codebook.labels(data.language)
    out = []
    by_initiative = data.tables["facteurs_par_initiative"]
    names = _initiative_names(data)
    ranked = by_initiative.sort_values(["share", "code"], ascending=[False, True]).groupby("initiative", sort=True)
    leads = [(group.iloc[0], trust.above(group.iloc[0], group.iloc[1], data.coding)) for _, group in ranked if len(group) > 1]
    top = pd.DataFrame([row for row, clear in leads if clear])  # an initiative's leading factor, where it clearly leads
    if len(top) == len(leads) > 1 and top["code"].nunique() == 1:
        factor = labels[top["code"].iloc[0]]
        out.append(t("finding_same_top", factor=factor, low=t.percent(top["share"].min()), high=t.percent(top["share"].max())))
    elif len(top):
        parts = [t("finding_top_part", initiative=names.get(r.initiative, r.initiative), factor=labels[r.code].lower(), part=t.percent(r.share)) for r in top.itertuples()]
        out.append(t("finding_top_varies", parts=t("list_separator").join(parts)))
    source = data.tables["facteurs_par_source"].set_index(["code", "source"])
    if {"interview", "whatsapp"} <= set(source.index.get_level_values("source")):
        gap = (source.xs("whatsapp", level="source")["share"] - source.xs("interview", level="source")["share"]).sort_values()
        wa, iv = gap.index[-1], gap.index[0]
        if trust.above(source.loc[(wa, "whatsapp")], source.loc[(wa, "interview")], data.coding) and trust.above(
            source.loc[(iv, "interview")], source.loc[(iv, "whatsapp")], data.coding
        ):
            out.append(
                t(
                    "finding_sources",
                    wa_factor=labels[wa].lower(), wa_part=t.percent(source.loc[(wa, "whatsapp"), "share"]),
                    wa_interview_part=t.percent(source.loc[(wa, "interview"), "share"]), iv_factor=labels[iv].lower(),
                    iv_part=t.percent(source.loc[(iv, "interview"), "share"]), iv_whatsapp_part=t.percent(source.loc[(iv, "whatsapp"), "share"]),
                )
            )
    pairs = data.tables["cooccurrences"]
    if len(pairs) and pairs["segments"].iloc[0] > 0:
        best = pairs.sort_values(["lift", "segments"], ascending=False).query("segments >= 5").head(1)
        row = (best if len(best) else pairs.head(1)).iloc[0]
        out.append(t("finding_pair", a=labels[row.code_a].lower(), b=labels[row.code_b].lower(), segments=row.segments, lift=f"{row.lift:.1f}"))
    groups = data.tables.get("whatsapp_groupes")
    if groups is not None and len(groups):
        g = groups.sort_values("top3_share", ascending=False).iloc[0]
        out.append(t("finding_concentration", group=g.group, part=t.percent(g.top3_share), gini=f"{g.gini:.2f}"))
    return out[:4]


def _synthesis(w: Writer, data: ReportData) -> None:
    w.heading(w.t("h_synthesis"), 1)
    seg = data.segments
    counts = _factor_counts(data)
    labels = data.codebook.labels(data.language)
    w.para(
        w.t(
            "corpus_summary",
            interviews=w.t.count("n_interviews", seg[seg["source_type"] == "interview"]["document_id"].nunique()),
            groups=w.t.count("n_groups", seg[seg["source_type"] == "whatsapp"]["document_id"].nunique()),
            messages=w.t.count("n_messages", int(((seg["source_type"] == "whatsapp") & (seg["speaker_role"] == "member")).sum())),
            initiatives=w.t.count("n_initiatives", seg["initiative"].nunique()),
            coded=w.t.count("n_coded", int(seg["codes"].fillna("").ne("").sum())),
        )
    )
    shares = trust.factor_shares(data)
    corrected = "corrected" in shares
    order = shares["corrected" if corrected else "share"].sort_values(ascending=False, kind="stable").index
    first, second, last = (labels[order[k]].lower() for k in (0, 1, -1))
    if corrected:
        part = {f"{name}_{field}": w.t.percent(shares.loc[order[k], column]) for name, k in (("first", 0), ("second", 1), ("last", -1))
                for field, column in (("part", "corrected"), ("low", "low"), ("high", "high"))}
        w.para(w.t("most_least_corrected", first=first, second=second, last=last, **part))
    else:
        w.para(w.t("most_least", first=first, first_n=counts[order[0]], second=second, second_n=counts[order[1]], last=last, last_n=counts[order[-1]]))
    if not trust.above(shares.loc[order[0]], shares.loc[order[1]], data.coding):
        w.para(w.t("comparable_top", first=first, second=second))
    w.para(w.t("three_findings"))
    for finding in findings(data)[:3]:
        w.bullet(finding)


def _context(w: Writer, data: ReportData) -> None:
    w.heading(w.t("h_context"), 1)
    for paragraph in (data.context or w.t("default_context")).split("\n\n"):
        w.para(paragraph.strip())


def _other_sources(w: Writer, seg) -> None:
    """The observation notes, documents and social-network groups of the corpus, in a sentence."""
    t = w.t
    parts = []
    for source, unit in (("observation", "n_notes"), ("document", "n_passages"), ("social", "n_social_messages")):
        rows = seg[seg["source_type"] == source]
        if len(rows):
            coded = rows["message_type"].isin(["note", "passage"]) | (rows["speaker_role"] == "member")
            parts.append(f"{t.count(f'n_{source}_documents', rows['document_id'].nunique())} ({t.count(unit, int(coded.sum()))})")
    if parts:
        w.para(t("other_sources", sources=_enumerate(parts, t("and"))))


def _enumerate(parts: list[str], conjunction: str) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} {conjunction} {parts[-1]}"


def _method(w: Writer, data: ReportData, numbers: dict) -> None:
    t = w.t
    w.heading(t("h_method"), 1)
    w.heading(t("h_initiatives"), 2)
    if data.initiatives is not None and len(data.initiatives):
        columns = {"name": t("col_initiative"), "localisation": t("col_localisation"), "creation": t("col_creation"), "description": t("col_description")}
        w.table(data.initiatives[list(columns)].rename(columns=columns), t("initiatives_caption"), _next(numbers, "table"), [3.5, 3.5, 1.6, 7.4])
    w.heading(t("h_corpus"), 2)
    seg = data.segments
    roles = seg[seg["source_type"] == "interview"].groupby("document_id")["respondent_role"].first().fillna(t("unspecified"))
    by_role = roles.value_counts().sort_index().rename_axis(t("col_role")).rename(t("col_interviews")).reset_index()
    w.table(by_role, t("interviews_caption"), _next(numbers, "table"))
    groups = data.tables.get("whatsapp_groupes")
    if groups is not None and len(groups):
        columns = {"group": t("col_group"), "first_message": t("col_from"), "last_message": t("col_to"), "messages": t("col_messages"), "active_members": t("col_active_members")}
        w.table(groups[list(columns)].rename(columns=columns), t("groups_caption"), _next(numbers, "table"))
    _other_sources(w, seg)
    w.heading(t("h_pseudonymisation"), 2)
    if data.pseudonymisation is not None and len(data.pseudonymisation):
        totals = internal(data.pseudonymisation).groupby("entity")["replacements"].sum()
        counts = sorted((t.count(f"entity_{entity}", int(n)) for entity, n in totals.items()), key=lambda text: -int(text.split()[0]))
        w.para(t("pseudonymised", counts=", ".join(counts)))
        if data.review is not None and len(data.review):
            w.para(t.count("to_review", len(data.review)))
    else:
        w.para(t("not_pseudonymised"))
    w.heading(t("h_coding"), 2)
    w.para(t("coding_method", codebook=data.codebook.display_label(data.language)))
    trust.section(w, data, numbers, _next)
    themes = data.tables.get("themes")
    if themes is not None:
        w.heading(t("h_topic_settings"), 2)
        w.para(
            t(
                "topic_settings", topics=len(themes), embeddings=data.settings.get("topic_embeddings", "tfidf"),
                reduction=data.settings.get("topic_reduction", "pca"), seed=data.settings.get("seed", 42),
            )
        )


def _results(w: Writer, data: ReportData, numbers: dict) -> None:
    t = w.t
    w.heading(t("h_results"), 1)
    w.figure(data.figures / "facteurs_par_initiative.png", t("fig_by_initiative"), _next(numbers, "figure"))
    w.figure(data.figures / "facteurs_par_source.png", t("fig_by_source"), _next(numbers, "figure"))
    trust.corrected_table(w, data, numbers, _next)
    verbatims = data.tables["verbatims"]
    by_initiative = data.tables["facteurs_par_initiative"]
    names = _initiative_names(data)
    for code in data.codebook.codes:
        label = code.display_label(data.language)
        w.heading(label, 2)
        w.para(code.display_definition(data.language))
        rows = by_initiative[by_initiative["code"] == code.id]
        frame = pd.DataFrame(
            {
                t("col_initiative"): rows["initiative"].map(lambda i: names.get(i, i)),
                t("col_segments"): rows["segments"],
                t("col_share"): rows["share"].map(t.percent),
                t("col_speakers"): rows["speakers"],
            }
        )
        if "corrected" in rows:
            frame[f"{t('col_share_corrected')} ({t('col_interval')})"] = [
                "" if pd.isna(c) else f"{t.percent(c)} ({t('interval', low=t.percent(lo), high=t.percent(hi))})"
                for c, lo, hi in zip(rows["corrected"], rows["low"], rows["high"])
            ]
        w.para(t("factor_total", total=int(rows["segments"].sum())))
        w.table(frame, t("factor_caption", factor=label), _next(numbers, "table"))
        quotes = verbatims[verbatims["code"] == code.id].head(5)
        if len(quotes):
            w.para(t("quotes_intro"))
        for quote in quotes.itertuples():
            p = w.para(style="Quote")
            p.add_run(f"« {quote.quote} »").italic = True
            w.para(f"— {quote.attribution}").runs[0].font.size = Pt(9)


def _topics(w: Writer, data: ReportData, numbers: dict) -> None:
    themes = data.tables.get("themes")
    if themes is None:
        return
    t = w.t
    w.heading(t("h_topics"), 1)
    w.para(t("topics_intro"))
    w.figure(data.figures / "carte_themes.png", t("fig_topic_map"), _next(numbers, "figure"))
    columns = {"topic": t("col_topic"), "size": t("col_segments"), "label": t("col_words"), "main_factor": t("col_main_factor")}
    frame = themes[list(columns)].rename(columns=columns)
    frame[t("col_main_factor")] = frame[t("col_main_factor")].map(data.codebook.labels(data.language))
    w.table(frame, t("topics_caption"), _next(numbers, "table"), [1.4, 1.8, 7.3, 5.0])
    w.figure(data.figures / "themes_par_facteur.png", t("fig_topic_factors"), _next(numbers, "figure"))


def _whatsapp(w: Writer, data: ReportData, numbers: dict) -> None:
    groups = data.tables.get("whatsapp_groupes")
    if groups is None or not len(groups):
        return
    t = w.t
    social = (data.segments["source_type"] == "social").any()
    w.heading(t("h_groups_social" if social else "h_whatsapp"), 1)
    w.figure(data.figures / "whatsapp_activite.png", t("fig_activity"), _next(numbers, "figure"))
    columns = {
        "group": t("col_group"), "messages": t("col_messages"), "active_members": t("col_active_members"), "top1_share": t("col_top1"),
        "top3_share": t("col_top3"), "gini": t("col_gini"), "media_share": t("col_media"),
    }
    frame = groups[list(columns)].copy()
    for column in ("top1_share", "top3_share", "media_share"):
        frame[column] = frame[column].map(t.percent)
    w.table(frame.rename(columns=columns), t("concentration_caption"), _next(numbers, "table"))
    w.para(t("gini_note"))
    for group in groups["group"]:
        w.figure(data.figures / f"reseau_{group}.png", t("fig_network", group=group), _next(numbers, "figure"))


def _levers(w: Writer, data: ReportData, numbers: dict) -> None:
    t = w.t
    w.heading(t("h_levers"), 1)
    w.para(t("levers_intro"))
    for name, title, column in (("leviers_action", "h_levers_table", "col_lever"), ("engagements_municipaux", "h_commitments_table", "col_commitment")):
        table = data.tables.get(name)
        if table is None or not len(table):
            continue
        w.heading(t(title), 2)
        frame = pd.DataFrame(
            {
                t(column): table["code"].map(load_codebook(name).labels(data.language)),
                t("col_segments"): table["segments"],
                t("col_factors_observed"): table["code"].map(_observed_factors(data, name)),
            }
        )
        w.table(frame, t(title), _next(numbers, "table"), [5.5, 1.8, 8.2])


def _observed_factors(data: ReportData, target: str) -> dict[str, str]:
    """Per code of ``target``: the factors pointing to it, with their counts, in the report's language."""
    counts, labels = _factor_counts(data), data.codebook.labels(data.language)
    links = data.codebook.mapping(target)
    return {code: ", ".join(f"{labels[f]} ({counts[f]})" for f in group["code"]) for code, group in links.groupby(target)}


def _annexes(w: Writer, data: ReportData, numbers: dict) -> None:
    t = w.t
    w.heading(t("h_annexes"), 1)
    w.heading(t("h_codebook"), 2)
    columns = {"code": t("col_code"), "label": t("col_factor"), "definition": t("col_definition")}
    frame = data.codebook.to_frame(data.language)[list(columns)].rename(columns=columns)
    w.table(frame, t("codebook_caption", codebook=data.codebook.display_label(data.language)), _next(numbers, "table"), [2.5, 3.5, 9.5])
    w.heading(t("h_documents"), 2)
    docs = data.segments.groupby("document_id").agg(
        type=("source_type", "first"), role=("respondent_role", "first"), date=("document_date", "first"), segments=("segment_id", "size"),
    )
    docs["words"] = word_counts(data.segments["text"]).groupby(data.segments["document_id"]).sum().astype("int64")
    docs["type"] = docs["type"].map(lambda kind: t(f"source_{kind}"))
    docs = docs.reset_index()
    docs.columns = [t("col_document"), t("col_type"), t("col_role"), t("col_date"), t("col_segments"), t("col_words_count")]
    w.table(docs, t("documents_caption"), _next(numbers, "table"))


def _next(numbers: dict, kind: str) -> int:
    numbers[kind] = numbers.get(kind, 0) + 1
    return numbers[kind]


def write_sections(w: Writer, data: ReportData, sections: tuple[str, ...]) -> None:
    """The title page, then the chosen sections in the report's order."""
    numbers: dict[str, int] = {}
    _title_page(w, data)
    builders = {
        "synthese": lambda: _synthesis(w, data),
        "contexte": lambda: _context(w, data),
        "methodologie": lambda: _method(w, data, numbers),
        "resultats": lambda: _results(w, data, numbers),
        "themes": lambda: _topics(w, data, numbers),
        "whatsapp": lambda: _whatsapp(w, data, numbers),
        "leviers": lambda: _levers(w, data, numbers),
        "annexes": lambda: _annexes(w, data, numbers),
    }
    for name in REPORT_SECTIONS:
        if name in sections:
            builders[name]()
