"""The report's content: what it is made of (``ReportData``) and each section, written
from the run's tables and figures.

Every factor count and share is taken over one base, residents' coded speech (interview
answers and members' messages); observation notes and document passages are coded too and
shown apart, by source. A share comes with its N; a group under ``min_base`` coded segments
is marked "effectif faible" and feeds no finding. How the tool works is told in plain words
in the methods annex, never in the body of the report.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from docx.enum.text import WD_BREAK, WD_COLOR_INDEX
from docx.shared import Pt

from enquete import __version__
from enquete.analysis.tables import coded_segments
from enquete.codebook import Codebook, load_codebook
from enquete.io import word_counts
from enquete.report import trust
from enquete.report.writer import Texts, Writer
from enquete.schema import code_indicators
from enquete.settings import DEFAULTS, REPORT_SECTIONS
from enquete.vocabulary import internal, long_date

#: The corpus's sources in the order the report names them, with the unit each one is coded in.
#: Column widths (cm) of a factor's table by initiative, by its number of columns (with or without corrected shares).
FACTOR_TABLE_WIDTHS = {6: [3.8, 1.2, 3.4, 2.6, 2.0, 2.0], 5: [5.0, 1.4, 4.2, 2.2, 2.2]}
SOURCE_UNITS = {"interview": "n_answers", "whatsapp": "n_messages", "social": "n_messages", "observation": "n_notes", "document": "n_passages"}


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

    @property
    def min_base(self) -> int:
        return int(self.settings.get("min_base", DEFAULTS.min_base))


def _title_page(w: Writer, data: ReportData) -> None:
    w.para(data.title or w.t("default_title"), "Title")
    if data.subtitle:
        w.para(data.subtitle, "Subtitle")
    for line in (", ".join(data.authors), data.organisation, long_date(data.date or dt.date.today().isoformat(), data.language)):
        if line:
            w.para(line)
    w.para(w.t("pseudonymised_note"), italic=True)
    w.para(w.t("toc_title"), "TOC Heading" if "TOC Heading" in {s.name for s in w.doc.styles} else None).runs[0].bold = True
    w.field(w.para(), 'TOC \\o "1-2" \\h \\z \\u', w.t("toc_placeholder"))
    w.para().add_run().add_break(WD_BREAK.PAGE)


def speech(data: ReportData) -> pd.DataFrame:
    """The report's base: residents' coded speech (interview answers, members' messages)."""
    return coded_segments(data.segments, ["codes", "source_type", "initiative"])


def factor_counts(data: ReportData) -> pd.Series:
    """Segments of the base coded with each factor (index: code)."""
    return code_indicators(speech(data)["codes"], data.codebook.ids).sum().astype(int)


def _initiative_names(data: ReportData) -> dict[str, str]:
    return dict(zip(data.initiatives["id"], data.initiatives["name"])) if data.initiatives is not None else {}


def _initiative(names: dict[str, str], initiative, t: Texts) -> str:
    """An initiative's name; the segments of no known initiative named as such."""
    return names.get(initiative, initiative) if isinstance(initiative, str) and initiative else t("unknown_initiative")


def _label(data: ReportData, code: str) -> str:
    return data.codebook.labels(data.language)[code].lower()


def findings(data: ReportData) -> list[str]:
    """Key findings written from the tables (not canned prose), in the report's language: each
    only where the intervals (or the coding's margin) support it, none from a small base."""
    t = Texts(data.language)
    out = []
    names = _initiative_names(data)
    by_initiative = data.tables["facteurs_par_initiative"]
    big = by_initiative[~trust.small(by_initiative, data.min_base)]
    ranked = big.assign(value=trust.value(big)).sort_values(["value", "code"], ascending=[False, True]).groupby("initiative", sort=True)
    leads = [(group.iloc[0], trust.above(group.iloc[0], group.iloc[1], data.coding)) for _, group in ranked if len(group) > 1]
    top = [row for row, clear in leads if clear]  # an initiative's leading factor, where it clearly leads
    if top:
        parts = [t("finding_top_part", initiative=_initiative(names, r.initiative, t), factor=_label(data, r.code), part=t.percent(r.value),
                   n=int(r.base)) for r in top]
        out.append(t("finding_top", parts=t("list_separator").join(parts), corrected=t("as_corrected" if trust.corrected(big) else "as_coded")))
    source = data.tables["facteurs_par_source"]
    source = source[~trust.small(source, data.min_base)].assign(value=lambda s: trust.value(s)).set_index(["code", "source"])
    if {"interview", "whatsapp"} <= set(source.index.get_level_values("source")):
        gap = (source.xs("whatsapp", level="source")["value"] - source.xs("interview", level="source")["value"]).sort_values()
        wa, iv = gap.index[-1], gap.index[0]
        if trust.above(source.loc[(wa, "whatsapp")], source.loc[(wa, "interview")], data.coding) and trust.above(
            source.loc[(iv, "interview")], source.loc[(iv, "whatsapp")], data.coding
        ):
            out.append(
                t(
                    "finding_sources",
                    wa_factor=_label(data, wa), wa_part=t.percent(source.loc[(wa, "whatsapp"), "value"]),
                    wa_interview_part=t.percent(source.loc[(wa, "interview"), "value"]), iv_factor=_label(data, iv),
                    iv_part=t.percent(source.loc[(iv, "interview"), "value"]), iv_whatsapp_part=t.percent(source.loc[(iv, "whatsapp"), "value"]),
                    wa_n=int(source.loc[(wa, "whatsapp"), "base"]), iv_n=int(source.loc[(iv, "interview"), "base"]),
                )
            )
    pairs = data.tables["cooccurrences"]
    best = pairs[pairs["segments"] >= 5].sort_values(["lift", "segments"], ascending=False, kind="stable").head(1)
    if len(best):
        row = best.iloc[0]
        out.append(t("finding_pair", a=_label(data, row.code_a), b=_label(data, row.code_b), segments=t.count("n_segments", int(row.segments)),
                     lift=t.number(row.lift, 1)))
    groups = data.tables.get("whatsapp_groupes")
    if groups is not None and len(groups):
        eligible = groups[(groups["messages"] >= data.min_base) & (groups["active_members"] > trust.TOP)]
        if len(eligible):
            g = eligible.assign(excess=eligible["top3_share"] * eligible["active_members"] / trust.TOP).sort_values("excess", ascending=False).iloc[0]
            key = "finding_concentrated" if trust.concentrated(g) else "finding_shared"
            out.append(t(key, group=g.group, messages=int(g.messages), members=int(g.active_members), part=t.percent(g.top3_share),
                         gini=t.decimal(g.gini)))
    return out


def _synthesis(w: Writer, data: ReportData) -> None:
    t = w.t
    w.heading(t("h_synthesis"), 1)
    base = speech(data)
    w.para(t("corpus_summary", sources=_sources(w, data), initiatives=t.count("n_initiatives", int(data.segments["initiative"].nunique()))))
    expressing = int(base["codes"].fillna("").ne("").sum())
    w.para(t("base_summary", base=t.count("n_base", len(base)), expressing=t.count("n_expressing", expressing)))
    apart = len(coded_segments(data.segments, ["codes"], speech_only=False)) - len(base)
    if apart:
        w.para(t("apart_summary", apart=t.count("n_apart", apart)))
    shares = trust.factor_shares(data)
    corrected = "corrected" in shares
    order = shares["corrected" if corrected else "share"].sort_values(ascending=False, kind="stable").index
    first, second, last = (_label(data, order[k]) for k in (0, 1, -1))
    counts = factor_counts(data)
    if corrected:
        parts = {name: t("part_interval", part=t.percent(shares.loc[order[k], "corrected"]), interval=t.interval(shares.loc[order[k], "low"],
                                                                                                                  shares.loc[order[k], "high"]))
                 for name, k in (("first_part", 0), ("second_part", 1), ("last_part", -1))}
        w.para(t("most_least_corrected", first=first, second=second, last=last, **parts))
    else:
        parts = {name: t("part_count", part=t.percent(shares.loc[order[k], "share"]), segments=t.count("n_segments", int(counts[order[k]])))
                 for name, k in (("first_part", 0), ("second_part", 1), ("last_part", -1))}
        w.para(t("most_least", first=first, second=second, last=last, **parts))
    if not trust.above(shares.loc[order[0]], shares.loc[order[1]], data.coding):
        w.para(t("comparable_top", first=first, second=second))
    found = findings(data)[:3]
    if found:
        w.para(t("findings_intro"))
        for finding in found:
            w.bullet(finding)
    small = _small_groups(data)
    if small:
        w.para(t("small_groups", groups=_enumerate(small, t("and")), n=data.min_base))


def _sources(w: Writer, data: ReportData) -> str:
    """Every source of the corpus, with its documents and what was coded in it: "12 entretiens (265 réponses), …"."""
    t, seg = w.t, data.segments
    coded = coded_segments(seg, ["source_type"], speech_only=False)["source_type"].value_counts()
    kinds = [k for k in SOURCE_UNITS if k in set(seg["source_type"])] + sorted(set(seg["source_type"]) - set(SOURCE_UNITS))
    parts = []
    for kind in kinds:
        documents = t.count(f"n_{kind}_documents", int(seg.loc[seg["source_type"] == kind, "document_id"].nunique()))
        parts.append(f"{documents} ({t.count(SOURCE_UNITS.get(kind, 'n_segments'), int(coded.get(kind, 0)))})")
    return _enumerate(parts, t("and"))


def _small_groups(data: ReportData) -> list[str]:
    """The initiatives, sources and groups under the minimum base, named as the report names them."""
    t, names = Texts(data.language), _initiative_names(data)
    out = []
    for name, column in (("facteurs_par_initiative", "initiative"), ("facteurs_par_source", "source")):
        table = data.tables[name]
        for group, base in table[trust.small(table, data.min_base)].groupby(column)["base"].first().items():
            label = _initiative(names, group, t) if column == "initiative" else t(f"sources_{group}")
            out.append(t("group_base", group=label, n=int(base)))
    groups = data.tables.get("whatsapp_groupes")
    if groups is not None:
        out += [t("group_messages", group=g.group, n=int(g.messages)) for g in groups[groups["messages"] < data.min_base].itertuples()]
    return out


def _context(w: Writer, data: ReportData) -> None:
    t = w.t
    w.heading(t("h_context"), 1)
    if data.context:
        for paragraph in paragraphs(data.context):
            w.para(paragraph)
    else:
        run = w.para().add_run(t("context_to_write"))
        run.bold = True
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    codebook = data.codebook
    if data.language == "fr" and codebook.description:
        w.para(t("codebook_context", codebook=codebook.display_label("fr"), description=codebook.description))
    else:
        w.para(t("codebook_context_short", codebook=codebook.display_label(data.language), source=codebook.source or codebook.id))


def paragraphs(text: str) -> list[str]:
    """A text's paragraphs, whichever way YAML gave it: blank lines between them (a literal block,
    whose lines are then joined), or one paragraph a line (a folded block)."""
    parts = re.split(r"\n\s*\n", text.strip()) if re.search(r"\n\s*\n", text) else text.strip().split("\n")
    return [" ".join(part.split()) for part in parts if part.strip()]


def _enumerate(parts: list[str], conjunction: str) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} {conjunction} {parts[-1]}"


def _method(w: Writer, data: ReportData, numbers: dict) -> None:
    t = w.t
    w.heading(t("h_method"), 1)
    w.heading(t("h_initiatives"), 2)
    if data.initiatives is not None and len(data.initiatives):
        columns = {"name": t("col_initiative"), "localisation": t("col_localisation"), "creation": t("col_creation"), "description": t("col_description")}
        frame = data.initiatives[list(columns)].assign(creation=lambda f: f["creation"].map(lambda y: "" if pd.isna(y) else str(y)))
        w.table(frame.rename(columns=columns), t("initiatives_caption"), _next(numbers, "table"), [3.4, 3.4, 1.9, 7.3])
    w.heading(t("h_corpus"), 2)
    seg = data.segments
    roles = seg[seg["source_type"] == "interview"].groupby("document_id")["respondent_role"].first().fillna(t("unspecified"))
    if len(roles):
        by_role = roles.value_counts().sort_index().rename_axis(t("col_role")).rename(t("col_interviews")).reset_index()
        w.table(by_role, t("interviews_caption"), _next(numbers, "table"))
    groups = data.tables.get("whatsapp_groupes")
    if groups is not None and len(groups):
        columns = {"group": t("col_group"), "first_message": t("col_from"), "last_message": t("col_to"), "messages": t("col_messages"), "active_members": t("col_active_members")}
        w.table(groups[list(columns)].rename(columns=columns), t("groups_caption"), _next(numbers, "table"))
    w.para(t("corpus_base", base=t.count("n_base", len(speech(data)))))
    w.heading(t("h_pseudonymisation"), 2)
    if data.pseudonymisation is not None and len(data.pseudonymisation):
        totals = internal(data.pseudonymisation).groupby("entity")["replacements"].sum().sort_values(ascending=False, kind="stable")
        w.para(t("pseudonymised", counts=", ".join(t.count(f"entity_{entity}", int(n)) for entity, n in totals.items())))
        if data.review is not None and len(data.review):
            w.para(t.count("to_review", len(data.review)))
    else:
        w.para(t("not_pseudonymised"))
    w.heading(t("h_coding"), 2)
    w.para(t("coding_method", codebook=data.codebook.display_label(data.language)))
    trust.section(w, data, numbers, _next)


def _results(w: Writer, data: ReportData, numbers: dict) -> None:
    t = w.t
    w.heading(t("h_results"), 1)
    trust.corrected_table(w, data, numbers, _next)
    state = t("state_corrected" if trust.random_sample(data.tables) else "state_uncorrected")
    w.figure(data.figures / "facteurs_par_initiative.png", t("fig_by_initiative", state=state), _next(numbers, "figure"))
    w.figure(data.figures / "facteurs_par_source.png", t("fig_by_source", state=state), _next(numbers, "figure"))
    if _small_groups(data):
        w.para(t("small_base_note", n=data.min_base))
    verbatims = data.tables["verbatims"]
    by_initiative = data.tables["facteurs_par_initiative"]
    counts, base = factor_counts(data), len(speech(data))
    for code in data.codebook.codes:
        label = code.display_label(data.language)
        w.heading(label, 2)
        w.para(code.display_definition(data.language))
        w.para(t("factor_total", expressing=t.count("n_expressing_factor", int(counts[code.id])), base=base))
        frame = _factor_table(w, data, by_initiative[by_initiative["code"] == code.id])
        w.table(frame, t("factor_caption", factor=label), _next(numbers, "table"), FACTOR_TABLE_WIDTHS[len(frame.columns)])
        quotes = verbatims[verbatims["code"] == code.id].head(5)
        if len(quotes):
            w.para(t("quotes_intro"))
        for quote in quotes.itertuples():
            p = w.para(style="Quote")
            p.add_run(f"« {quote.quote} »").italic = True
            w.para(f"— {quote.attribution}").runs[0].font.size = Pt(9)


def _factor_table(w: Writer, data: ReportData, rows: pd.DataFrame) -> pd.DataFrame:
    """A factor by initiative: N, corrected share with its interval (first), automatic share, segments, speakers."""
    t, names = w.t, _initiative_names(data)
    small = trust.small(rows, data.min_base)
    frame = pd.DataFrame({t("col_initiative"): [_initiative(names, i, t) + (f" ({t('small_base')})" if s else "") for i, s in zip(rows["initiative"], small)]})
    if "base" in rows:
        frame[t("col_base")] = rows["base"].to_numpy()
    if trust.corrected(rows):
        frame[t("col_share_corrected_interval")] = [
            "" if pd.isna(c) else f"{t.percent(c)} ({t.interval(lo, hi)})" for c, lo, hi in zip(rows["corrected"], rows["low"], rows["high"])
        ]
        frame[t("col_share_auto")] = rows["share"].map(t.percent).to_numpy()
    else:
        frame[t("col_share_uncorrected")] = rows["share"].map(t.percent).to_numpy()
    frame[t("col_segments")] = rows["segments"].to_numpy()
    frame[t("col_speakers")] = rows["speakers"].to_numpy()
    return frame


def _topics(w: Writer, data: ReportData, numbers: dict) -> None:
    themes = data.tables.get("themes")
    if themes is None:
        return
    t = w.t
    w.heading(t("h_topics"), 1)
    w.para(t("topics_intro", n=len(themes)))
    w.figure(data.figures / "carte_themes.png", t("fig_topic_map"), _next(numbers, "figure"))
    labels = data.codebook.labels(data.language)
    factor = [
        t("no_main_factor") if pd.isna(code) else t("main_factor", factor=labels[code], part=t.percent(share))
        for code, share in zip(themes["main_factor"], themes.get("main_share", pd.Series(float("nan"), index=themes.index)))
    ]
    frame = pd.DataFrame(
        {
            t("col_topic"): themes["label"].to_numpy(),
            t("col_segments"): themes["size"].to_numpy(),
            t("col_words"): themes["words"].map(lambda words: ", ".join(str(words).split(", ")[:8])).to_numpy(),
            t("col_main_factor"): factor,
        }
    )
    w.table(frame, t("topics_caption"), _next(numbers, "table"), [3.8, 2.0, 6.0, 3.7])
    if "catch_all" in themes and themes["catch_all"].fillna(False).astype(bool).any():
        w.para(t("catch_all_note"))
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
    frame["group"] = [g + (f" ({t('small_base')})" if m < data.min_base else "") for g, m in zip(frame["group"], frame["messages"])]
    for column in ("top1_share", "top3_share", "media_share"):
        frame[column] = frame[column].map(t.percent)
    w.table(frame.rename(columns=columns), t("concentration_caption"), _next(numbers, "table"))
    w.para(t("gini_note", n=data.min_base))
    for group in groups["group"]:
        w.figure(data.figures / f"reseau_{group}.png", t("fig_network", group=group), _next(numbers, "figure"))


def _levers(w: Writer, data: ReportData, numbers: dict) -> None:
    t = w.t
    w.heading(t("h_levers"), 1)
    w.para(t("levers_intro", base=t.count("n_base", len(speech(data)))))
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
        w.table(frame, t(title), _next(numbers, "table"), [5.3, 2.0, 8.2])


def _observed_factors(data: ReportData, target: str) -> dict[str, str]:
    """Per code of ``target``: the factors pointing to it, with their counts, in the report's language."""
    counts, labels, t = factor_counts(data), data.codebook.labels(data.language), Texts(data.language)
    links = data.codebook.mapping(target)
    return {code: ", ".join(f"{labels[f]} ({t.number(counts[f])})" for f in group["code"]) for code, group in links.groupby(target)}


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
    _methods_annex(w, data)


def _methods_annex(w: Writer, data: ReportData) -> None:
    """How the figures were made, in plain words: the tool, the coding, the correction, the topics."""
    t, settings = w.t, data.settings
    w.heading(t("h_methods_annex"), 2)
    w.para(t("annex_tool", version=__version__))
    llm = data.coding.get("llm")
    if llm:
        w.para(t("annex_llm", model=llm.get("model", ""), host=llm.get("host", "")))
    w.para(t("annex_coding"))
    w.para(t("annex_correction" if trust.random_sample(data.tables) else "annex_no_sample", n5=trust.sample_size(0.05), n10=trust.sample_size(0.10)))
    w.para(t("annex_min_base", n=data.min_base))
    themes = data.tables.get("themes")
    if themes is not None:
        embeddings = str(settings.get("topic_embeddings", "tfidf")).split(":")[0]
        w.para(t("annex_topics", topics=len(themes), embeddings=t(f"embeddings_{embeddings}"),
                 reduction=t(f"reduction_{settings.get('topic_reduction', 'pca')}"), seed=int(settings.get("seed", DEFAULTS.seed))))


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
