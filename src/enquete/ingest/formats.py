"""Per-format extraction of interview transcripts into paragraphs or timed cues.

Paragraph formats (docx, odt, txt, md, noScribe html, oTranscribe otr) give
:class:`Paragraph` objects whose speaker labels are found later by the turn builder;
subtitle formats (srt, vtt, Whisper json) give :class:`Cue` objects with their speaker.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from enquete.ingest.errors import IngestError
from enquete.ingest.text import read_text

OLE_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass
class Paragraph:
    text: str
    label: str | None = None  # a speaker label found by formatting (bold run, table cell, noScribe)
    offset: float | None = None  # seconds from the start of the recording
    metadata: bool = False  # a title or information paragraph, not speech


@dataclass
class Cue:
    text: str
    speaker: str | None
    start: float | None


# --- Word and OpenDocument -------------------------------------------------------------


def _check_zip_document(path: Path, kind: str) -> None:
    head = path.read_bytes()[:8]
    if not head:
        raise IngestError(path, "fichier vide")
    if head.startswith(OLE_MAGIC):
        raise IngestError(path, f"{kind} protégé par mot de passe ou ancien format binaire (.doc) : enregistrez-le en .docx sans mot de passe")
    if head.startswith(b"%PDF"):
        raise IngestError(path, f"ce fichier est un PDF, pas un {kind}")
    if not zipfile.is_zipfile(path):
        raise IngestError(path, f"{kind} illisible : ce n'est pas une archive valide (fichier corrompu ?)")


def _docx_paragraph(paragraph) -> Paragraph:
    runs = [r for r in paragraph.runs if r.text]
    label = None
    bold = []
    for run in runs:
        if run.bold:
            bold.append(run.text)
        else:
            break
    bold_text = "".join(bold).strip()
    if bold and len(bold) < len(runs) and 0 < len(bold_text.rstrip(" :\u00a0\u202f")) <= 40:
        label = bold_text.rstrip(" :\u00a0\u202f")
        rest = paragraph.text[len("".join(bold)) :].lstrip(" :\u00a0\u202f")
        return Paragraph(rest, label=label)
    return Paragraph(paragraph.text)


def read_docx(path: Path) -> list[Paragraph]:
    """Paragraphs (and two-column table rows: label | text) of a .docx, in body order."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

    _check_zip_document(path, "document Word")
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several types for broken packages
        raise IngestError(path, f"document Word illisible ({type(exc).__name__}: {exc})") from None
    out: list[Paragraph] = []
    for block in document.iter_inner_content():
        if isinstance(block, DocxParagraph):
            out.append(_docx_paragraph(block))
        elif isinstance(block, Table):
            for row in block.rows:
                cells = [c.text.strip() for c in row.cells]
                if len(cells) >= 2 and 0 < len(cells[0]) <= 40:
                    out.append(Paragraph(" ".join(cells[1:]).strip(), label=cells[0].rstrip(" :")))
                else:
                    out.append(Paragraph(" ".join(cells)))
    return out


def read_odt(path: Path) -> list[Paragraph]:
    """Paragraphs and headings of an .odt, in document order."""
    from odf import teletype
    from odf.namespaces import TEXTNS
    from odf.opendocument import load

    _check_zip_document(path, "document OpenDocument")
    try:
        document = load(str(path))
    except Exception as exc:
        raise IngestError(path, f"document OpenDocument illisible ({type(exc).__name__}: {exc})") from None
    wanted = {(TEXTNS, "p"), (TEXTNS, "h")}
    out: list[Paragraph] = []

    def walk(node) -> None:
        for child in node.childNodes:
            if getattr(child, "qname", None) in wanted:
                out.append(Paragraph(teletype.extractText(child)))
            elif child.nodeType == child.ELEMENT_NODE:
                walk(child)

    walk(document.text)
    return out


# --- plain text -------------------------------------------------------------------------

_MD_MARKUP = re.compile(r"^(?:#{1,6}\s+|>\s?|[-*+]\s+)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(.+?)\1")


def read_plain(path: Path, markdown: bool = False) -> list[Paragraph]:
    """One paragraph per non-empty line (Markdown: headings and emphasis unwrapped)."""
    text, _ = read_text(path)
    out = []
    for line in text.split("\n"):
        if markdown:
            line = _MD_EMPHASIS.sub(r"\2", _MD_MARKUP.sub("", line))
        out.append(Paragraph(line))
    return out


# --- subtitles: srt, vtt, Whisper json -------------------------------------------------

_TIME = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})")
_CUE_TIMING = re.compile(rf"^\s*({_TIME.pattern})\s*-->\s*({_TIME.pattern})")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|<\d{1,2}:\d{2}[:.\d]*>")
_WHISPERX = re.compile(r"^\[?(SPEAKER_\d+|S\d+)\]?\s*:\s*")


def _seconds(match: re.Match, first_group: int) -> float:
    h, m, s, ms = (match.group(first_group + i) for i in range(4))
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000


def read_subtitles(path: Path) -> list[Cue]:
    """Cues of an .srt or .vtt file, with WhisperX [SPEAKER_00] prefixes and <v> voice tags."""
    text, _ = read_text(path)
    blocks = re.split(r"\n\s*\n", text.strip())
    cues: list[Cue] = []
    for block in blocks:
        lines = block.split("\n")
        timing = next((i for i, line in enumerate(lines) if _CUE_TIMING.match(line)), None)
        if timing is None:
            continue  # WEBVTT header, NOTE, STYLE or index-only blocks
        m = _CUE_TIMING.match(lines[timing])
        body = "\n".join(lines[timing + 1 :]).strip()
        speaker = None
        voice = _VOICE.search(body)
        if voice:
            speaker = voice.group(1).strip()
        body = _TAG.sub("", body).replace("\n", " ").strip()
        prefix = _WHISPERX.match(body)
        if prefix:
            speaker, body = prefix.group(1), body[prefix.end() :]
        if body:
            cues.append(Cue(body, speaker, _seconds(m, 2)))
    if not cues and not text.lstrip().startswith("WEBVTT"):
        raise IngestError(path, "aucun sous-titre reconnu (attendu : « 00:00:01,000 --> 00:00:04,000 »)")
    return cues


def read_whisper_json(path: Path) -> list[Cue]:
    """Segments of a Whisper / WhisperX .json transcript."""
    text, _ = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(path, f"JSON invalide ({exc.msg})", exc.lineno) from None
    segments = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(segments, list):
        raise IngestError(path, "JSON sans liste « segments » : ce n'est pas une transcription Whisper")
    cues = []
    for i, seg in enumerate(segments):
        if not isinstance(seg, dict) or "text" not in seg:
            raise IngestError(path, f"segment {i} sans texte")
        body = str(seg["text"]).strip()
        if body:
            start = seg.get("start")
            cues.append(Cue(body, seg.get("speaker"), float(start) if start is not None else None))
    return cues


# --- HTML: noScribe and oTranscribe -----------------------------------------------------

_TS_ANCHOR = re.compile(r"ts_(\d+)_(\d+)(?:_(\w+))?")


def _html_paragraphs(markup: str, path: Path):
    import lxml.html

    try:
        root = lxml.html.fromstring(markup or "<div></div>")
    except Exception as exc:
        raise IngestError(path, f"HTML illisible ({exc})") from None
    return root, root.xpath("//p")


def read_noscribe(path: Path) -> list[Paragraph]:
    """noScribe HTML: one <p> per turn with ts_{start}_{end}_{speaker} anchors."""
    text, _ = read_text(path)
    _, ps = _html_paragraphs(text, path)
    out: list[Paragraph] = []
    for i, p in enumerate(ps):
        body = p.text_content().replace("\u2028", "\n").strip("\n")
        style = (p.get("style") or "").replace(" ", "").lower()
        anchors = [a.get("name") or a.get("href") or "" for a in p.xpath(".//a")]
        stamps = [m for m in (_TS_ANCHOR.search(a) for a in anchors) if m]
        is_title = i == 0 and not stamps and ("font-weight:600" in style or "font-weight:bold" in style or p.xpath(".//b|.//strong"))
        is_info = not stamps and ("color:#909090" in style or "color:grey" in style or "color:gray" in style)
        if is_title or is_info:
            out.append(Paragraph(body, metadata=True))
            continue
        offset = int(stamps[0].group(1)) / 1000 if stamps else None
        label = stamps[0].group(3) if stamps and stamps[0].group(3) else None
        out.append(Paragraph(body, label=None, offset=offset))
        if label and not re.match(rf"\s*{re.escape(label)}\s*:", body):
            out[-1].label = label
    return out


def read_otr(path: Path) -> list[Paragraph]:
    """oTranscribe .otr: JSON whose "text" is HTML with data-timestamp spans."""
    text, _ = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(path, f"fichier .otr invalide ({exc.msg})", exc.lineno) from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise IngestError(path, "fichier .otr sans champ « text »")
    _, ps = _html_paragraphs(data["text"], path)
    out = []
    for p in ps:
        offset = None
        for span in p.xpath(".//span[@data-timestamp]"):
            if offset is None:
                offset = float(span.get("data-timestamp"))
            span.drop_tree()
        out.append(Paragraph(p.text_content().strip(), offset=offset))
    return out
