"""The researcher's observation notes and the initiatives' documents, one segment per paragraph.

Observation notes (``observation``): a field notebook as .docx, .odt, .md, .txt or .html,
in dated entries ("12/03/2022 — AG de l'amicale, salle commune", or a heading per session).
Each entry's heading is a ``metadata`` row; its paragraphs are ``note`` rows written by the
observer, dated by the entry, with the entry's title as ``section``. A notebook without
speaker labels whose paragraphs open at least two dated entries is recognised as such.

Documents (``document``): statutes, minutes, flyers, deliberations, press articles as PDF,
.docx, .odt, .html, .md or .txt; headings are ``metadata`` rows (``section``), paragraphs are
``passage`` rows, with their ``page`` in a PDF. Text comes from pypdf (BSD); a PDF without a
text layer (a scan) is rejected with that reason, pages without text are reported.

Notes and passages are coded like speech, and shown as their own sources; they are not
counted as residents' speech (:func:`enquete.schema.coded_rows`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import warnings
from pathlib import Path

import pandas as pd

from enquete.corpus import Document
from enquete.errors import IngestError, ReadingWarning
from enquete.ingest import formats
from enquete.ingest.common import FRENCH_DATE, ISO_DATE, NUMERIC_DATE, document_for, finish, written_date

WEEKDAY = r"(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+)?"
#: An entry heading: a date first, maybe a time, then the event and place.
ENTRY = re.compile(
    rf"^\s*{WEEKDAY}(?P<date>{FRENCH_DATE.pattern}|{NUMERIC_DATE.pattern}|{ISO_DATE.pattern})"
    r"(?:\s*(?:,|à|-)?\s*(?P<time>\d{1,2}\s*[h:]\s*\d{0,2}))?\s*(?:[—–\-:|,.]\s*)?(?P<title>.*)$",
    re.IGNORECASE,
)
CLOCK = re.compile(r"(?<![\d/:])(\d{1,2})\s*[h:]\s*(\d{2})?(?![\d/])")  # 18h, 18h30, 18:30, in the entry's heading
ENTRY_CHARS = 160  # an entry heading is a line, not a paragraph that happens to start with a date
HEADING_WORDS = 12  # a short line without final punctuation, alone: a document's heading
SENTENCE_END = ".!?…:;»)\"'"
PARAGRAPH_READERS = {".docx": formats.read_docx, ".odt": formats.read_odt, ".md": formats.read_markdown, ".txt": formats.read_plain}


@dataclasses.dataclass
class Block:
    """A paragraph of a note or document: its text, whether it is a heading, its page."""

    text: str
    heading: bool = False
    page: int | None = None


# --- paragraphs ------------------------------------------------------------------------------


def blocks_from_lines(lines: list[formats.Line], wrapped: bool) -> list[Block]:
    """Paragraphs from a reader's lines; ``wrapped`` (plain text, Markdown): consecutive lines
    make one paragraph until a blank line or a heading."""
    out: list[Block] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            out.append(Block(" ".join(pending)))
            pending.clear()

    for line in lines:
        text = line.text.strip()
        if not text:
            flush()
        elif line.heading or _is_entry(text):
            flush()
            out.append(Block(text, heading=True))
        elif wrapped:
            pending.append(text)
        else:
            out.append(Block(text))
    flush()
    return out


def html_blocks(path: Path) -> list[Block]:
    """Headings, paragraphs and list items of an HTML page, in order (scripts and styles left out)."""
    text, _ = formats.read_text(path)
    root = formats.html_root(text, path)
    for junk in root.xpath("//script|//style|//nav|//footer"):
        junk.drop_tree()
    out = []
    for node in root.xpath("//h1|//h2|//h3|//h4|//h5|//h6|//p|//li|//blockquote"):
        body = " ".join(node.text_content().split())
        if body:
            out.append(Block(body, heading=node.tag.startswith("h") or _is_entry(body)))
    return out


def pdf_blocks(path: Path) -> list[Block]:
    """Paragraphs of a PDF's text layer, page by page."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        locked = reader.is_encrypted and not reader.decrypt("")
        pages = [] if locked else [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise IngestError(path, f"PDF illisible ({type(exc).__name__}: {exc})") from None
    if locked:
        raise IngestError(path, "PDF protégé par mot de passe : enregistrez-le sans protection")
    if not any(p.strip() for p in pages):
        raise IngestError(path, f"pas de couche texte ({len(pages)} page(s) sans texte, document scanné ?) : OCR nécessaire")
    empty = [str(i) for i, p in enumerate(pages, start=1) if not p.strip()]
    if empty:
        warnings.warn(f"{path.name} : page(s) sans texte (scannées ?), non lues : {', '.join(empty)}", ReadingWarning, stacklevel=2)
    return [Block(text, _looks_like_heading(text) or _is_entry(text), number) for number, page in enumerate(pages, start=1) for text in pdf_paragraphs(page)]


def pdf_paragraphs(page: str) -> list[str]:
    """A PDF page's lines joined into paragraphs: a blank line closes one, and so does a line
    that ends a sentence short of the page's full line width (the last line of a justified
    paragraph) before one that starts with a capital, a digit or a bullet; a heading stands
    alone; words cut by a hyphen at a line's end are joined."""
    lines = [" ".join(raw.split()) for raw in page.split("\n")]
    lengths = sorted(len(line) for line in lines if line)
    full = lengths[int(0.75 * (len(lengths) - 1))] if lengths else 0
    out: list[str] = []
    current, last = "", ""
    for line in lines:
        if not line:
            out.extend([current] if current else [])
            current = ""
            continue
        ends = last.endswith(tuple(SENTENCE_END)) and len(last) < 0.85 * full
        if current and ends and re.match(r"[\W\d]|[A-ZÀ-Ý]", line):
            out.append(current)
            current = ""
        last = line
        if current.endswith("-") and current[-2:-1].isalpha() and line[:1].islower():
            current = current[:-1] + line
        elif current and _looks_like_heading(current) and line[:1].isupper():
            out.append(current)
            current = line
        else:
            current = f"{current} {line}".strip()
    if current:
        out.append(current)
    return out


def _looks_like_heading(text: str) -> bool:
    words = text.split()
    return 0 < len(words) <= HEADING_WORDS and not text.rstrip().endswith(tuple(".,;!?…")) and (text[:1].isupper() or text[:1].isdigit())


def _is_entry(text: str) -> bool:
    return len(text) <= ENTRY_CHARS and ENTRY.match(text) is not None


def document_blocks(path: Path) -> list[Block]:
    """The paragraphs of a document or notebook file, whatever its format."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return pdf_blocks(path)
    if suffix in (".html", ".htm"):
        return html_blocks(path)
    if suffix not in PARAGRAPH_READERS:
        raise IngestError(path, f"format non pris en charge pour un document ({suffix or 'sans extension'}) ; formats : .pdf, .docx, .odt, .html, .md, .txt")
    return blocks_from_lines(PARAGRAPH_READERS[suffix](path), wrapped=suffix in (".md", ".txt"))


def looks_like_observation(lines: list[formats.Line]) -> bool:
    """Notes in dated entries: at least two paragraphs open with a date and are short enough to be headings."""
    return sum(_is_entry(line.text.strip()) for line in lines) >= 2


# --- the two readers ---------------------------------------------------------------------------


def read_observation(path: str | Path, document: Document | None = None) -> pd.DataFrame:
    """Observation notes: entry headings as metadata, their paragraphs as dated ``note`` rows."""
    path = Path(path)
    document = document_for(path, document)
    observer = document.interviewer[0] if document.interviewer else ""
    rows = {"speaker": [], "speaker_role": [], "timestamp": [], "message_type": [], "text": [], "section": []}
    when, section = pd.NaT, ""
    for block in document_blocks(path):  # a dated entry is a heading in every format
        entry = ENTRY.match(block.text) if block.heading else None
        if block.heading:
            when = _entry_time(entry) if entry else when
            section = (entry.group("title").strip() if entry and entry.group("title").strip() else block.text)[:200]
        for name, value in (("speaker", "" if block.heading else observer), ("speaker_role", "system" if block.heading else "observer"),
                            ("timestamp", when), ("message_type", "metadata" if block.heading else "note"), ("text", block.text), ("section", section)):
            rows[name].append(value)
    if not rows["text"]:
        raise IngestError(path, "aucun texte dans les notes d'observation (document vide ?)")
    frame = finish(rows, document, "observation")
    frame.attrs["reading"] = {"layout": "observation", "entries": int((frame["message_type"] == "metadata").sum()),
                              "dated": int(frame["timestamp"].notna().sum())}
    return frame


def read_field_document(path: str | Path, document: Document | None = None) -> pd.DataFrame:
    """A document: headings as metadata (``section``), paragraphs as ``passage`` rows with their page."""
    path = Path(path)
    document = document_for(path, document)
    blocks = document_blocks(path)
    if not blocks:
        raise IngestError(path, "aucun texte dans le document (vide ?)")
    sections, section = [], ""
    for block in blocks:
        section = block.text[:200] if block.heading else section
        sections.append(section)
    author = str(document.attributes.get("auteur") or document.attributes.get("author") or "")
    frame = finish(
        {
            "speaker": ["" if b.heading else author for b in blocks],
            "speaker_role": ["system" if b.heading else "author" for b in blocks],
            "message_type": ["metadata" if b.heading else "passage" for b in blocks],
            "text": [b.text for b in blocks],
            "section": sections,
            "page": pd.array([b.page for b in blocks], dtype="Int64"),
        },
        document,
        "document",
    )
    frame.attrs["reading"] = {"layout": "document", "pages": int(frame["page"].max()) if frame["page"].notna().any() else None,
                              "passages": int((frame["message_type"] == "passage").sum())}
    return frame


def _entry_time(entry: re.Match) -> pd.Timestamp:
    date = written_date(entry.group("date"))
    if date is None:
        return pd.NaT
    time = CLOCK.search(entry.group("time") or entry.group("title") or "")
    hours, minutes = (int(time.group(1)), int(time.group(2) or 0)) if time and int(time.group(1)) < 24 else (0, 0)
    return pd.Timestamp(dt.datetime.combine(date, dt.time(hours % 24, minutes % 60)))
