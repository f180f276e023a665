"""The python-docx writer of the report: the template and its styles, headings, paragraphs,
captions numbered with SEQ fields, figures and tables; the sentences in one language."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import docx
import pandas as pd
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from enquete.datafiles import package_yaml
from enquete.errors import ReportError
from enquete.vocabulary import decimal, number, percent

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
        """The sentence ``key`` with its placeholders filled (whole numbers written as the language writes them)."""
        values = {k: self.number(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in values.items()}
        text = self.table[key].format(**values)
        return text if key.endswith("separator") else text.strip()

    def count(self, key: str, n: int) -> str:
        """``n`` with the singular or plural noun (French: 0 and 1 are singular)."""
        singular = n <= 1 if self.language == "fr" else n == 1
        return self.table[key][0 if singular else 1].format(n=self.number(n))

    def plural(self, key: str, n: int) -> str:
        """The singular or plural form of ``key`` for ``n`` (a word or a phrase that agrees with a count)."""
        singular = n <= 1 if self.language == "fr" else n == 1
        return self.table[key][0 if singular else 1]

    def number(self, value: float, digits: int = 0) -> str:
        return number(value, self.language, digits)

    def decimal(self, value: float) -> str:
        return decimal(value, self.language)

    def percent(self, share: float) -> str:
        return percent(share, self.language)

    def interval(self, low: float, high: float) -> str:
        return self("interval", low=self.percent(low), high=self.percent(high))


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
                cell.text = format_cell(value, self.t.language)
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(8.5)
        if widths:  # on the grid (what LibreOffice reads) and on every cell (what Word reads)
            table.autofit = False
            for column, width in zip(table.columns, widths):
                column.width = Cm(width)
            for row in table.rows:
                for cell, width in zip(row.cells, widths):
                    cell.width = Cm(width)
        for row in table.rows:  # a row never splits over two pages
            row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        if len(table.rows) <= KEEP_TOGETHER_ROWS:  # a short table is never split over two pages
            for row in table.rows[:-1]:
                for cell in row.cells:
                    for paragraph in cell.paragraphs:
                        paragraph.paragraph_format.keep_with_next = True
        self.para()
        return table


def fill_contents(document, language: str) -> None:
    """Write the table of contents' entries (the level 1 and 2 headings) into its field, one
    paragraph each with a dotted tab to its page number (left empty: :func:`write_page_numbers`
    fills it when LibreOffice paginated the report), so that every reader shows the entries at
    once; the field is marked to be updated when the document opens (Word asks, then adds the
    page numbers). The document's language and number separators are the report's."""
    headings = [(p.text, int(p.style.name[-1])) for p in document.paragraphs if p.style.name in ("Heading 1", "Heading 2") and p.text]
    field = next((p for p in document.paragraphs if any((t.text or "").strip().startswith("TOC") for t in p._p.iter(qn("w:instrText")))), None)
    if field is not None and headings:
        styles = [_contents_style(document, level) for level in (1, 2)]
        run = field.runs[-1]._r  # begin, instruction, separate, placeholder, end
        end = run.findall(qn("w:fldChar"))[-1]
        for child in [c for c in run if c.tag == qn("w:t")] + [end]:
            run.remove(child)
        entry, last = field, None
        for k, (title, level) in enumerate(headings):
            if k:
                entry = _paragraph_after(last)
            entry.style = styles[level - 1]
            entry.add_run(title)
            entry.add_run("\t")
            entry.add_run("")  # the page number
            last = entry
        last.runs[-1]._r.addnext(_field_end_run(end))
    _settings(document, language)


def _paragraph_after(paragraph):
    element = OxmlElement("w:p")
    paragraph._p.addnext(element)
    return docx.text.paragraph.Paragraph(element, paragraph._parent)


def _field_end_run(end):
    run = OxmlElement("w:r")
    run.append(end)
    return run


def contents_entries(document) -> list:
    """The table of contents' entry paragraphs (toc 1 and toc 2), in order."""
    return [p for p in document.paragraphs if p.style.name in ("toc 1", "toc 2")]


def write_page_numbers(document, pages: list[tuple[str, str]]) -> bool:
    """Put the page numbers LibreOffice found ((title, page) in order) after each entry of the
    table of contents; False (and nothing written) when the entries do not match."""
    entries = contents_entries(document)
    if [p.text.split("\t")[0].strip() for p in entries] != [title.strip() for title, _ in pages]:
        return False
    for paragraph, (_, page) in zip(entries, pages):
        paragraph.runs[-1].text = page  # each entry ends with its title, a tab and its page number
    return True


def _contents_style(document, level: int):
    """The "toc N" paragraph style (Word's built-in name), added when the template lacks it:
    indented by level, the page number at the right margin after a dotted leader."""
    name = f"toc {level}"
    if name in {s.name for s in document.styles}:
        return document.styles[name]
    style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    style.paragraph_format.left_indent = Cm(0.6 * (level - 1))
    style.paragraph_format.space_after = Pt(2 if level > 1 else 4)
    section = document.sections[0]
    style.paragraph_format.tab_stops.add_tab_stop(section.page_width - section.left_margin - section.right_margin,
                                                  WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
    if level == 1:
        style.font.bold = True
    return style


#: CT_Settings elements that come after w:updateFields (WordprocessingML's schema order: Word
#: reads an element out of its place as a damaged file or ignores it).
_AFTER_UPDATE_FIELDS = ("hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr", "attachedSchema",
                        "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures", "forceUpgrade",
                        "captions", "readModeInkLockDown", "smartTagType", "schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags",
                        "decimalSymbol", "listSeparator")
LOCALES = {"fr": ("fr-FR", ",", ";"), "en": ("en-GB", ".", ",")}


def _settings(document, language: str) -> None:
    """Fields updated on opening (w:updateFields in its schema place), the language and number
    separators of the report's language (proofing, field results)."""
    settings = document.settings.element
    tag, separator, lists = LOCALES[language]
    for name, value in (("updateFields", "true"), ("decimalSymbol", separator), ("listSeparator", lists)):
        for old in settings.findall(qn(f"w:{name}")):
            settings.remove(old)
        element = OxmlElement(f"w:{name}")
        element.set(qn("w:val"), value)
        following = _AFTER_UPDATE_FIELDS[_AFTER_UPDATE_FIELDS.index(name) + 1 :] if name in _AFTER_UPDATE_FIELDS else _AFTER_UPDATE_FIELDS
        anchor = next((c for c in settings if c.tag.split("}")[-1] in following), None)
        if anchor is None:
            settings.append(element)
        else:
            anchor.addprevious(element)
    defaults = document.styles.element.find(qn("w:docDefaults"))
    properties = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")) if defaults is not None else None
    if properties is not None:
        lang = properties.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            properties.append(lang)
        lang.set(qn("w:val"), tag)


def format_cell(value, language: str = "fr") -> str:
    """A table cell's text: decimals and whole numbers as the language writes them, dates day first."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return decimal(value, language)
    if isinstance(value, int) or (hasattr(value, "dtype") and pd.api.types.is_integer_dtype(value.dtype)):
        return number(int(value), language)
    if isinstance(value, pd.Timestamp):
        return value.strftime("%d/%m/%Y") if language == "fr" else value.strftime("%Y-%m-%d")
    return str(value)
