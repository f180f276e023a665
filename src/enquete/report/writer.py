"""The python-docx writer of the report: the template and its styles, headings, paragraphs,
captions numbered with SEQ fields, figures and tables; the sentences in one language."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import docx
import pandas as pd
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from enquete.datafiles import package_yaml
from enquete.errors import ReportError

REQUIRED_STYLES = ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "Caption", "Quote", "Table Grid", "List Bullet")
FIGURE_WIDTH = Cm(15)
LANGUAGES = ("fr", "en")
KEEP_TOGETHER_ROWS = 20


@lru_cache(maxsize=1)
def _texts() -> dict:
    return package_yaml("enquete.report", "textes.yaml")


class Texts:
    """The report's sentences in one language (report/textes.yaml): ``t("key", name=value)``."""

    def __init__(self, language: str = "fr"):
        if language not in LANGUAGES:
            raise ReportError(f"langue du rapport inconnue : {language} (langues : {', '.join(LANGUAGES)})")
        self.language, self.table = language, _texts()[language]

    def __call__(self, key: str, **values) -> str:
        text = self.table[key].format(**values)
        return text if key.endswith("separator") else text.strip()

    def count(self, key: str, n: int) -> str:
        """``n`` with the singular or plural noun (French: 0 and 1 are singular)."""
        singular = n <= 1 if self.language == "fr" else n == 1
        return self.table[key][0 if singular else 1].format(n=n)

    def percent(self, share: float) -> str:
        return self.table["percent"].format(100 * share)


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

    def __init__(self, document, texts: Texts):
        self.doc, self.t = document, texts

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

    def caption(self, kind: str, text: str, number: int, keep_with_next: bool = False):
        p = self.para(style="Caption")
        p.paragraph_format.keep_with_next = keep_with_next  # a table's caption stays on the table's page
        p.add_run(f"{kind} ")
        self.field(p, f"SEQ {kind} \\* ARABIC", str(number))
        p.add_run(f"{self.t('caption_separator')}{text}")

    def figure(self, path: Path, text: str, number: int) -> bool:
        if not path.is_file():
            return False
        self.doc.add_picture(str(path), width=FIGURE_WIDTH)
        self.doc.paragraphs[-1].paragraph_format.keep_with_next = True  # the figure stays with its caption
        self.caption(self.t("figure"), text, number)
        return True

    def table(self, frame: pd.DataFrame, text: str, number: int, widths: list[float] | None = None):
        self.caption(self.t("table"), text, number, keep_with_next=True)
        table = self.doc.add_table(rows=1, cols=len(frame.columns), style="Table Grid")
        for cell, name in zip(table.rows[0].cells, frame.columns):
            cell.text = ""
            cell.paragraphs[0].add_run(str(name)).bold = True
        for row in frame.itertuples(index=False):
            cells = table.add_row().cells
            for cell, value in zip(cells, row):
                cell.text = format_cell(value)
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(8.5)
        if widths:
            for row in table.rows:
                for cell, width in zip(row.cells, widths):
                    cell.width = Cm(width)
        if len(table.rows) <= KEEP_TOGETHER_ROWS:  # a short table is never split over two pages
            for row in table.rows[:-1]:
                for cell in row.cells:
                    for paragraph in cell.paragraphs:
                        paragraph.paragraph_format.keep_with_next = True
        self.para()
        return table


def fill_contents(document) -> None:
    """Write the table of contents' entries (the level 1 and 2 headings) into its field, so that
    every reader shows them at once; Word adds the page numbers when it updates the fields on
    opening (``updateFields``), as LibreOffice does with Tools > Update."""
    headings = [(p.text, int(p.style.name[-1])) for p in document.paragraphs if p.style.name in ("Heading 1", "Heading 2") and p.text]
    for text in document.element.body.iter(qn("w:instrText")):
        if text.text.strip().startswith("TOC"):
            run = text.getparent()
            placeholder = run.find(qn("w:t"))
            index = list(run).index(placeholder)
            run.remove(placeholder)
            for k, (title, level) in enumerate(headings):
                if k:
                    run.insert(index, OxmlElement("w:br"))
                    index += 1
                entry = OxmlElement("w:t")
                entry.set(qn("xml:space"), "preserve")
                entry.text = ("\u2003" * (level - 1)) + title
                run.insert(index, entry)
                index += 1
            break
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    document.settings.element.append(update)


def format_cell(value) -> str:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%d/%m/%Y")
    return str(value)
