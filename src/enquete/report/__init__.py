"""Report stage: the Word restitution report an agency hands to a city council.

``build_report(data, path)`` writes a .docx with python-docx from the tables and figures
of a run: title page, synthesis written from the figures, context, method, one section
per success factor with its verbatims, topics, WhatsApp dynamics, levers and municipal
commitments, annexes with the method in plain words. Real heading styles, a table of contents
(entries written in, updated on opening, paginated when LibreOffice writes the PDF), numbered
captions (SEQ fields), tables in one style; the agency's own template can replace the default one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from enquete.errors import ReportError
from enquete.io import atomic_path, reproducible_zip
from enquete.report.pdf import export_pdf
from enquete.report.sections import ReportData, findings, write_sections
from enquete.report.writer import Texts, Writer, check_template, fill_contents, write_page_numbers
from enquete.settings import REPORT_SECTIONS

SECTIONS = REPORT_SECTIONS

__all__ = ["ReportData", "ReportError", "SECTIONS", "Texts", "build_report", "check_template", "export_pdf", "findings"]


def build_report(data: ReportData, path: str | Path, template: str | Path | None = None, sections: tuple[str, ...] = SECTIONS,
                 pdf: bool = False) -> Path:
    """Write the restitution report.

    Parameters
    ----------
    data : what the report is made of (:meth:`enquete.Study.report_data` for a run).
    path : the .docx to write.
    template : the agency's .docx template (styles, header, footer); default: enquete's.
    sections : the sections that appear, in the report's order (:data:`SECTIONS`).
    pdf : also write it as PDF beside the .docx, through LibreOffice (:func:`enquete.report.pdf.export_pdf`),
        and put the page numbers LibreOffice found into the .docx's table of contents.
    """
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ReportError(f"sections inconnues : {', '.join(sorted(unknown))} (sections : {', '.join(SECTIONS)})")
    texts = Texts(data.language)
    document = check_template(template)
    write_sections(Writer(document, texts), data, sections)
    fill_contents(document, data.language)
    props = document.core_properties
    props.title = data.title or texts("default_title")
    props.language = data.language
    props.author = ", ".join(data.authors) or "enquete"
    stamp = dt.datetime.combine(dt.date.fromisoformat(data.date), dt.time()) if _iso(data.date) else dt.datetime(2020, 1, 1)
    props.created = props.modified = stamp
    props.last_modified_by = "enquete"
    props.revision = 1
    path = Path(path)
    _save(document, path)
    if pdf:
        _, pages = export_pdf(path)
        if write_page_numbers(document, pages):
            _save(document, path)
    return path


def _save(document, path: Path) -> None:
    with atomic_path(path) as tmp:
        document.save(str(tmp))
        reproducible_zip(tmp, fix_document_dates=False)


def _iso(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
        return True
    except (TypeError, ValueError):
        return False

