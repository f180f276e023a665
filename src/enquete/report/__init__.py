"""Report stage: the Word restitution report an agency hands to a city council.

``build_report(data, path)`` writes a .docx with python-docx from the tables and figures
of a run: title page, synthesis written from the figures, context, method, one section
per success factor with its verbatims, topics, WhatsApp dynamics, levers and municipal
commitments, annexes. Real heading styles, a table of contents field, numbered captions
(SEQ fields), tables in one style; the agency's own template can replace the default one.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import docx
import pandas as pd
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from enquete.codebook import Codebook
from enquete.io import atomic_path

REQUIRED_STYLES = ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "Caption", "Quote", "Table Grid", "List Bullet")
SECTIONS = ("synthese", "contexte", "methodologie", "resultats", "themes", "whatsapp", "leviers", "annexes")
FIGURE_WIDTH = Cm(15)
FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
DEFAULT_CONTEXT = (
    "Ce rapport s'appuie sur la grille des dix facteurs de réussite des initiatives d'habitants issue de "
    "l'enquête « Résilience, convivialité et solidarités de proximité » menée à Paris en 2021 (Ville de Paris, "
    "Institut Paris Région, Apur, 27e Région) : la force motrice des habitants, les acteurs facilitateurs, les "
    "rencontres, le faire ensemble, la logistique, le lieu, le sens, la gouvernance des collectifs, l'activation "
    "du pouvoir d'agir, et les forces et limites de ces initiatives. Il vise à éclairer ce qui permet à des "
    "initiatives portées par des habitants de créer et d'entretenir du lien social de proximité, et le rôle que "
    "la collectivité peut jouer pour les soutenir."
)


class ReportError(ValueError):
    """The report cannot be built (a template without the needed styles, say)."""


@dataclass
class ReportData:
    """What the report is made of: the coded segments, the analysis tables, the figures."""

    segments: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    codebook: Codebook
    figures: Path
    title: str = "Rapport de restitution"
    subtitle: str = ""
    authors: list[str] = field(default_factory=list)
    organisation: str = ""
    date: str = ""
    context: str = ""
    initiatives: pd.DataFrame | None = None  # name, localisation, creation, description
    pseudonymisation: pd.DataFrame | None = None  # counts per document and entity
    agreement: pd.DataFrame | None = None
    settings: dict = field(default_factory=dict)


def check_template(path: str | Path | None) -> docx.document.Document:
    """Open the template (default: enquete's) and check it has every style the report uses."""
    source = Path(path) if path else Path(str(resources.files("enquete.report") / "modele_rapport.docx"))
    try:
        document = docx.Document(str(source))
    except Exception as exc:
        raise ReportError(f"modèle Word illisible : {source} ({exc})") from None
    names = {s.name for s in document.styles}
    missing = [s for s in REQUIRED_STYLES if s not in names]
    if missing:
        raise ReportError(f"le modèle {source.name} n'a pas les styles : {', '.join(missing)}")
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    return document


class Writer:
    """Helpers over a python-docx document: headings, captions with SEQ fields, tables."""

    def __init__(self, document):
        self.doc = document

    def heading(self, text: str, level: int):
        return self.doc.add_heading(text, level)

    def para(self, text: str = "", style: str | None = None, italic: bool = False):
        p = self.doc.add_paragraph(style=style)
        if text:
            p.add_run(text).italic = italic
        return p

    def bullet(self, text: str):
        return self.para(text, "List Bullet")

    def field(self, paragraph, code: str, placeholder: str = "1"):
        run = paragraph.add_run()
        for kind in ("begin", "instr", "separate", "text", "end"):
            if kind == "instr":
                element = OxmlElement("w:instrText")
                element.set(qn("xml:space"), "preserve")
                element.text = f" {code} "
            elif kind == "text":
                element = OxmlElement("w:t")
                element.text = placeholder
            else:
                element = OxmlElement("w:fldChar")
                element.set(qn("w:fldCharType"), kind)
                if kind == "begin":
                    element.set(qn("w:dirty"), "true")
            run._r.append(element)

    def caption(self, kind: str, text: str, number: int):
        p = self.para(style="Caption")
        p.add_run(f"{kind} ")
        self.field(p, f"SEQ {kind} \\* ARABIC", str(number))
        p.add_run(f" : {text}")

    def figure(self, path: Path, text: str, number: int) -> bool:
        if not path.is_file():
            return False
        self.doc.add_picture(str(path), width=FIGURE_WIDTH)
        self.caption("Figure", text, number)
        return True

    def table(self, frame: pd.DataFrame, text: str, number: int, widths: list[float] | None = None):
        self.caption("Tableau", text, number)
        table = self.doc.add_table(rows=1, cols=len(frame.columns), style="Table Grid")
        for cell, name in zip(table.rows[0].cells, frame.columns):
            cell.text = ""
            cell.paragraphs[0].add_run(str(name)).bold = True
        for row in frame.itertuples(index=False):
            cells = table.add_row().cells
            for cell, value in zip(cells, row):
                cell.text = _format(value)
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(8.5)
        if widths:
            for row in table.rows:
                for cell, width in zip(row.cells, widths):
                    cell.width = Cm(width)
        self.para()
        return table


def _format(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _percent(x: float) -> str:
    return f"{100 * x:.0f} %"


# --- sections ---------------------------------------------------------------------------------


def _title_page(w: Writer, data: ReportData) -> None:
    w.para(data.title, "Title")
    if data.subtitle:
        w.para(data.subtitle, "Subtitle")
    for line in (", ".join(data.authors), data.organisation, data.date or dt.date.today().isoformat()):
        if line:
            w.para(line)
    w.para("Données pseudonymisées : les noms des personnes sont des pseudonymes.", italic=True)
    toc = w.para()
    w.field(toc, 'TOC \\o "1-3" \\h \\z \\u', "Table des matières : mettez à jour les champs (F9) pour l'afficher.")
    toc.runs[-1].add_break(WD_BREAK.PAGE)


def _factor_counts(data: ReportData) -> pd.Series:
    table = data.tables["facteurs_par_source"]
    return table.groupby("code")["segments"].sum().reindex(data.codebook.ids).fillna(0).astype(int)


def findings(data: ReportData) -> list[str]:
    """Three key findings written from the tables (not canned prose)."""
    labels = data.codebook.labels()
    out = []
    by_initiative = data.tables["facteurs_par_initiative"]
    names = dict(zip(data.initiatives["id"], data.initiatives["name"])) if data.initiatives is not None else {}
    top = by_initiative.sort_values(["part", "code"], ascending=[False, True]).groupby("initiative").head(1)
    if top["code"].nunique() == 1 and len(top) > 1:
        code = top["code"].iloc[0]
        out.append(
            f"« {labels[code]} » est le facteur le plus présent dans toutes les initiatives, de "
            f"{_percent(top['part'].min())} à {_percent(top['part'].max())} des segments codés."
        )
    elif len(top):
        parts = [f"{names.get(r.initiative, r.initiative)} : {labels[r.code].lower()} ({_percent(r.part)})" for r in top.itertuples()]
        out.append("Le facteur le plus présent varie selon les initiatives — " + " ; ".join(parts) + ".")
    source = data.tables["facteurs_par_source"].pivot(index="code", columns="source", values="part").fillna(0)
    if {"interview", "whatsapp"} <= set(source.columns):
        gap = (source["whatsapp"] - source["interview"]).sort_values()
        out.append(
            f"Dans les groupes WhatsApp, on parle surtout de {labels[gap.index[-1]].lower()} "
            f"({_percent(source.loc[gap.index[-1], 'whatsapp'])} des messages codés, contre "
            f"{_percent(source.loc[gap.index[-1], 'interview'])} des réponses en entretien), alors que les entretiens "
            f"font davantage ressortir {labels[gap.index[0]].lower()} "
            f"({_percent(source.loc[gap.index[0], 'interview'])} contre {_percent(source.loc[gap.index[0], 'whatsapp'])})."
        )
    pairs = data.tables["cooccurrences"]
    if len(pairs) and pairs["segments"].iloc[0] > 0:
        best = pairs.sort_values(["lift", "segments"], ascending=False).query("segments >= 5").head(1)
        row = (best if len(best) else pairs.head(1)).iloc[0]
        out.append(
            f"Les facteurs « {labels[row.code_a].lower()} » et « {labels[row.code_b].lower()} » vont souvent ensemble : "
            f"{row.segments} segments les expriment tous deux (lift {row.lift:.1f})."
        )
    groups = data.tables.get("whatsapp_groupes")
    if groups is not None and len(groups):
        g = groups.sort_values("part_top3", ascending=False).iloc[0]
        out.append(
            f"Dans le groupe WhatsApp {g.groupe}, les trois membres les plus actifs écrivent {_percent(g.part_top3)} "
            f"des messages (indice de Gini {g.gini:.2f}) : un signe du poids des habitants moteurs."
        )
    return out[:4]


def _synthesis(w: Writer, data: ReportData) -> None:
    w.heading("Synthèse", 1)
    seg = data.segments
    interviews = seg[seg["source_type"] == "interview"]["document_id"].nunique()
    groups = seg[seg["source_type"] == "whatsapp"]["document_id"].nunique()
    messages = int(((seg["source_type"] == "whatsapp") & (seg["speaker_role"] == "member")).sum())
    counts = _factor_counts(data)
    labels = data.codebook.labels()
    n_initiatives = seg["initiative"].nunique()
    w.para(
        f"Le corpus réunit {interviews} entretiens et {groups} groupes WhatsApp ({messages} messages de membres) "
        f"autour de {n_initiatives} initiatives d'habitants. {int(data.segments['codes'].fillna('').ne('').sum())} segments "
        "expriment au moins un des dix facteurs de réussite."
    )
    order = counts.sort_values(ascending=False)
    w.para(
        f"Les facteurs les plus présents sont {labels[order.index[0]].lower()} ({order.iloc[0]} segments) et "
        f"{labels[order.index[1]].lower()} ({order.iloc[1]}) ; le moins présent est {labels[order.index[-1]].lower()} "
        f"({order.iloc[-1]})."
    )
    w.para("Trois constats :")
    for finding in findings(data)[:3]:
        w.bullet(finding)


def _context(w: Writer, data: ReportData) -> None:
    w.heading("Contexte et objectifs", 1)
    for paragraph in (data.context or DEFAULT_CONTEXT).split("\n\n"):
        w.para(paragraph.strip())


def _method(w: Writer, data: ReportData, numbers: dict) -> None:
    w.heading("Méthodologie", 1)
    w.heading("Les initiatives étudiées", 2)
    if data.initiatives is not None and len(data.initiatives):
        frame = data.initiatives.rename(columns={"name": "Initiative", "localisation": "Localisation", "creation": "Création", "description": "Description"})
        w.table(frame[["Initiative", "Localisation", "Création", "Description"]], "Les initiatives étudiées", _next(numbers, "table"), [3.5, 3.5, 1.6, 7.4])
    w.heading("Le corpus", 2)
    seg = data.segments
    interviews = seg[seg["source_type"] == "interview"].groupby("document_id").agg(
        role=("respondent_role", "first"), tours=("message_type", lambda t: int((t == "turn").sum()))
    )
    by_role = interviews.groupby(interviews["role"].fillna("non précisé")).size().rename("entretiens").reset_index().rename(columns={"role": "Rôle"})
    w.table(by_role, "Entretiens par rôle de la personne interrogée", _next(numbers, "table"))
    groups = data.tables.get("whatsapp_groupes")
    if groups is not None and len(groups):
        frame = groups[["groupe", "premier_message", "dernier_message", "messages", "membres_actifs"]].rename(
            columns={"groupe": "Groupe", "premier_message": "Du", "dernier_message": "Au", "messages": "Messages", "membres_actifs": "Membres actifs"}
        )
        w.table(frame, "Groupes WhatsApp", _next(numbers, "table"))
    w.heading("Pseudonymisation", 2)
    if data.pseudonymisation is not None and len(data.pseudonymisation):
        totals = data.pseudonymisation.groupby("entity")["remplacements"].sum()
        w.para(
            "Avant toute analyse, les données personnelles ont été remplacées (conformément au RGPD) : "
            + ", ".join(f"{n} {entity.lower().replace('_', ' ')}" for entity, n in totals.items())
            + ". La table de correspondance est conservée à part, hors des résultats."
        )
    else:
        w.para("Le corpus n'a pas été pseudonymisé par enquete.")
    w.heading("Codage", 2)
    w.para(
        f"Chaque réponse en entretien et chaque message a été codé selon la grille « {data.codebook.label} » par "
        "le codeur d'enquete (indices de la grille, lemmes et vecteurs de mots, modèle entraîné sur les segments "
        "codés à la main), puis relu : les décisions humaines remplacent le codage automatique."
    )
    if data.agreement is not None and len(data.agreement):
        macro = data.agreement.set_index("code").loc["macro"]
        w.para(
            f"Sur les {int(macro['segments'])} segments relus, l'accord entre codage automatique et décisions humaines "
            f"atteint un kappa moyen de {macro['kappa']:.2f} et un F1 moyen de {macro['f1']:.2f} (le codeur a aussi "
            "appris de ces segments : ces valeurs sont optimistes ; voir l'annexe)."
        )
    w.heading("Carte des thèmes", 2)
    themes = data.tables.get("themes")
    if themes is not None:
        w.para(
            f"Les thèmes ont été découverts par BERTopic ({len(themes)} thèmes, plongements "
            f"{data.settings.get('topic_embeddings', 'tfidf')}, réduction {data.settings.get('topic_reduction', 'pca')}, "
            f"regroupement KMeans, graine {data.settings.get('seed', 42)})."
        )


def _results(w: Writer, data: ReportData, numbers: dict) -> None:
    w.heading("Résultats par facteur", 1)
    figure = _next(numbers, "figure")
    w.figure(data.figures / "facteurs_par_initiative.png", "Facteurs de réussite par initiative", figure)
    w.figure(data.figures / "facteurs_par_source.png", "Fréquence des facteurs selon la source", _next(numbers, "figure"))
    verbatims = data.tables["verbatims"]
    by_initiative = data.tables["facteurs_par_initiative"]
    names = dict(zip(data.initiatives["id"], data.initiatives["name"])) if data.initiatives is not None else {}
    for code in data.codebook.codes:
        w.heading(code.label, 2)
        w.para(code.definition)
        rows = by_initiative[by_initiative["code"] == code.id]
        total = int(rows["segments"].sum())
        frame = pd.DataFrame(
            {
                "Initiative": rows["initiative"].map(lambda i: names.get(i, i)),
                "Segments": rows["segments"],
                "Part des segments": rows["part"].map(_percent),
                "Locuteurs": rows["locuteurs"],
            }
        )
        w.para(f"{total} segments codés expriment ce facteur.")
        w.table(frame, f"{code.label} selon les initiatives", _next(numbers, "table"))
        quotes = verbatims[verbatims["code"] == code.id].head(5)
        if len(quotes):
            w.para("Ce qu'en disent les habitants et les acteurs :")
        for quote in quotes.itertuples():
            p = w.para(style="Quote")
            p.add_run(f"« {quote.verbatim} »").italic = True
            w.para(f"— {quote.attribution}").runs[0].font.size = Pt(9)


def _topics(w: Writer, data: ReportData, numbers: dict) -> None:
    themes = data.tables.get("themes")
    if themes is None:
        return
    w.heading("Ce dont parlent les habitants", 1)
    w.para("Les thèmes ci-dessous sont découverts dans les textes eux-mêmes, sans grille préalable ; ils complètent les facteurs codés.")
    w.figure(data.figures / "carte_themes.png", "Carte des thèmes abordés", _next(numbers, "figure"))
    frame = themes[["topic", "taille", "libelle", "facteur_principal"]].rename(
        columns={"topic": "Thème", "taille": "Segments", "libelle": "Mots caractéristiques", "facteur_principal": "Facteur le plus lié"}
    )
    frame["Facteur le plus lié"] = frame["Facteur le plus lié"].map(data.codebook.labels())
    w.table(frame, "Les thèmes", _next(numbers, "table"), [1.4, 1.8, 7.3, 5.0])
    w.figure(data.figures / "themes_par_facteur.png", "Thèmes et facteurs", _next(numbers, "figure"))


def _whatsapp(w: Writer, data: ReportData, numbers: dict) -> None:
    groups = data.tables.get("whatsapp_groupes")
    if groups is None or not len(groups):
        return
    w.heading("Dynamiques des groupes WhatsApp", 1)
    w.figure(data.figures / "whatsapp_activite.png", "Messages par semaine dans les groupes", _next(numbers, "figure"))
    frame = groups[["groupe", "messages", "membres_actifs", "part_top1", "part_top3", "gini", "part_medias"]].copy()
    for column in ("part_top1", "part_top3", "part_medias"):
        frame[column] = frame[column].map(_percent)
    frame.columns = ["Groupe", "Messages", "Membres actifs", "Part du 1er", "Part des 3 premiers", "Gini", "Part de médias"]
    w.table(frame, "Concentration de la parole dans les groupes", _next(numbers, "table"))
    w.para("L'indice de Gini mesure la concentration des messages : 0 quand tous écrivent autant, proche de 1 quand un membre écrit presque tout.")
    for group in groups["groupe"]:
        w.figure(data.figures / f"reseau_{group}.png", f"Qui répond à qui dans le groupe {group}", _next(numbers, "figure"))


def _levers(w: Writer, data: ReportData, numbers: dict) -> None:
    w.heading("Leviers d'action et engagements municipaux", 1)
    w.para("Les facteurs observés renvoient aux leviers d'action de l'enquête de 2021 et aux engagements municipaux « Faire la ville du lien » :")
    for name, title in (("leviers_action", "Leviers d'action"), ("engagements_municipaux", "Engagements municipaux")):
        table = data.tables.get(name)
        if table is None or not len(table):
            continue
        w.heading(title, 2)
        frame = table[["libelle", "segments", "facteurs"]].rename(columns={"libelle": title[:-1] if title.endswith("s") else title, "segments": "Segments", "facteurs": "Facteurs observés"})
        w.table(frame, title, _next(numbers, "table"), [5.5, 1.8, 8.2])


def _annexes(w: Writer, data: ReportData, numbers: dict) -> None:
    w.heading("Annexes", 1)
    w.heading("La grille de codage", 2)
    frame = data.codebook.to_frame()[["code", "libelle", "definition"]].rename(columns={"code": "Code", "libelle": "Facteur", "definition": "Définition"})
    w.table(frame, f"Grille « {data.codebook.label} »", _next(numbers, "table"), [2.5, 3.5, 9.5])
    w.heading("Les documents du corpus", 2)
    docs = data.segments.groupby("document_id").agg(
        type=("source_type", "first"), role=("respondent_role", "first"), date=("document_date", "first"), segments=("segment_id", "size"),
        mots=("text", lambda t: int(t.str.split().str.len().sum())),
    ).reset_index()
    docs.columns = ["Document", "Type", "Rôle", "Date", "Segments", "Mots"]
    w.table(docs, "Documents (codes pseudonymisés)", _next(numbers, "table"))
    if data.agreement is not None and len(data.agreement):
        w.heading("Accord du codage", 2)
        frame = data.agreement[["code", "segments", "accord_pct", "kappa", "alpha", "f1"]]
        w.table(frame, "Accord entre codage automatique et humain", _next(numbers, "table"))


def _next(numbers: dict, kind: str) -> int:
    numbers[kind] = numbers.get(kind, 0) + 1
    return numbers[kind]


def build_report(data: ReportData, path: str | Path, template: str | Path | None = None, sections: tuple[str, ...] = SECTIONS) -> Path:
    """Write the restitution report; ``sections`` chooses which sections appear."""
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ReportError(f"sections inconnues : {', '.join(sorted(unknown))} (sections : {', '.join(SECTIONS)})")
    document = check_template(template)
    w, numbers = Writer(document), {}
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
    for name in SECTIONS:
        if name in sections:
            builders[name]()
    props = document.core_properties
    props.title = data.title
    props.author = ", ".join(data.authors) or "enquete"
    stamp = dt.datetime.combine(dt.date.fromisoformat(data.date), dt.time()) if _iso(data.date) else dt.datetime(2020, 1, 1)
    props.created = props.modified = stamp
    props.last_modified_by = "enquete"
    props.revision = 1
    path = Path(path)
    with atomic_path(path) as tmp:
        document.save(str(tmp))
        _fix_zip_times(tmp)
    return path


def load_outputs(folder: str | Path) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The segment table and analysis tables an `enquete run` wrote to ``folder``."""
    folder = Path(folder)
    segments_path = folder / "segments.parquet"
    if not segments_path.is_file():
        raise ReportError(f"{folder} : pas de segments.parquet (lancez d'abord enquete run)")
    tables = {p.stem: pd.read_csv(p, encoding="utf-8-sig") for p in sorted((folder / "tables").glob("*.csv"))}
    return pd.read_parquet(segments_path), tables


def _iso(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
        return True
    except (TypeError, ValueError):
        return False


def _fix_zip_times(path: Path) -> None:
    """Rewrite the package with fixed timestamps: the same report gives the same bytes."""
    with zipfile.ZipFile(path) as zf:
        members = [(info.filename, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, FIXED_ZIP_TIME), data)


__all__ = ["ReportData", "ReportError", "SECTIONS", "build_report", "check_template", "findings", "load_outputs"]
