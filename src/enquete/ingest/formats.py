"""Per-format extraction of interview transcripts into lines.

Every reader returns :class:`Line` objects with whatever its format knows about them: a
speaker given by the file's structure (a voice tag, a JSON field, a noScribe anchor), a
label candidate found by formatting (a bold run, a table cell, Markdown emphasis), a
start time, whether it is a timed cue, whether the format marks it as not speech. One
shared piece (:mod:`enquete.ingest.turns`) then finds the layout and builds the turns.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from collections import Counter
from pathlib import Path

from enquete.errors import IngestError
from enquete.ingest.lines import LABEL_DECORATION, Line, split_lines, time_value
from enquete.ingest.text import read_text

OLE_MAGIC = b"\xd0\xcf\x11\xe0"
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


def _docx_paragraph(paragraph) -> list[Line]:
    """A paragraph; its leading bold runs are a label candidate when short (a whole bold name too)."""
    bold = []
    for run in (r for r in paragraph.runs if r.text):
        if not run.bold:
            break
        bold.append(run.text)
    label = "".join(bold).strip().rstrip(LABEL_DECORATION)
    heading = (paragraph.style.name or "").lower().startswith(("heading", "titre", "title")) if paragraph.style is not None else False
    if 0 < len(label) <= 40 and "\n" not in label and len(label.split()) <= 4 and not heading:
        return split_lines(Line(paragraph.text, label=label))
    return split_lines(Line(paragraph.text, heading=heading))


TABLE_HEADERS = {"locuteur", "locutrice", "speaker", "intervenant", "texte", "text", "transcription", "temps", "time", "timecode", "horodatage", "nom", "name", "propos", "verbatim"}


def _table_row(cells: list[str]) -> Line:
    """A table row: [time] label | text (a header row of column titles is metadata)."""
    if all(c.lower().rstrip(" :") in TABLE_HEADERS for c in cells if c):
        return Line(" ".join(c for c in cells if c), metadata=True)
    start = next((time_value(c) for c in cells if time_value(c) is not None), None)
    rest = [c for c in cells if c and time_value(c) is None]
    if len(rest) >= 2 and len(rest[0]) <= 40:
        return Line(" ".join(rest), label=rest[0].rstrip(LABEL_DECORATION), start=start)
    return Line(" ".join(rest), start=start)


def read_docx(path: Path) -> list[Line]:
    """Paragraphs (and table rows: [time] label | text) of a .docx, in body order."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

    _check_zip_document(path, "document Word")
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several types for broken packages
        raise IngestError(path, f"document Word illisible ({type(exc).__name__}: {exc})") from None
    out: list[Line] = []
    for block in document.iter_inner_content():
        if isinstance(block, DocxParagraph):
            out.extend(_docx_paragraph(block))
        elif isinstance(block, Table):
            for row in block.rows:
                cells = []
                for cell in row.cells:  # merged cells repeat: keep each once
                    text = cell.text.strip()
                    if not cells or cells[-1] != text:
                        cells.append(text)
                out.append(_table_row(cells))
    return out


def read_odt(path: Path) -> list[Line]:
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
    out: list[Line] = []

    def walk(node) -> None:
        for child in node.childNodes:
            if getattr(child, "qname", None) in wanted:
                out.extend(split_lines(Line(teletype.extractText(child), heading=child.qname == (TEXTNS, "h"))))
            elif child.nodeType == child.ELEMENT_NODE:
                walk(child)

    walk(document.text)
    return out


# --- plain text and Markdown --------------------------------------------------------------

_MD_HEADING = re.compile(r"^\s*#{1,6}\s+")
_MD_BLOCK = re.compile(r"^\s*(?:>\s?|(?:[-*+]|\d{1,3}[.)])\s+)*")  # quotes, bullets, numbered items, nested
_MD_ITEM = re.compile(r"^\s*(?:>\s?)*(?:[-*+]|\d{1,3}[.)])\s+")
_MD_CODE = re.compile(r"`([^`\n]*)`")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(.+?)\1")
_MD_LABEL = re.compile(r"^(\*\*|__|\*|_)(?P<label>[^*_\n]{1,40}?)[ :\u00a0\u202f]*\1[ :\u00a0\u202f]*(?P<rest>.*)$")
_PLAIN_LABEL = re.compile(r"^(?P<label>[^\W\d_][^:\n]{0,39}?)[ \u00a0\u202f]*:(?!\d)")


def read_plain(path: Path) -> list[Line]:
    """One line per line of the file."""
    text, _ = read_text(path)
    return [Line(line) for line in text.split("\n")]


def read_markdown(path: Path) -> list[Line]:
    """One line per line, its Markdown read: a leading bold or italic span is a label candidate
    (after a bullet, a number, a quote mark or a time too); headings, a YAML front matter and the
    block that introduces the participants are metadata; a table row is read as a Word table's.
    """
    raw = [line.text for line in read_plain(path)]
    front = _front_matter_end(raw)
    out, kinds = [], []
    for i, text in enumerate(raw):
        if i < front:
            out.append(Line(text, metadata=True))
        elif _table_rule(text):
            continue  # no words
        elif text.strip().startswith("|"):
            row = _table_row([_MD_EMPHASIS.sub(r"\2", _MD_CODE.sub(r"\1", c)).strip() for c in text.strip().strip("|").split("|")])
            row.metadata |= i + 1 < len(raw) and _table_rule(raw[i + 1])  # the header row
            out.append(row)
        else:
            heading = bool(_MD_HEADING.match(text))
            text = _MD_CODE.sub(r"\1", _MD_HEADING.sub("", text) if heading else _MD_BLOCK.sub("", text))
            m = _MD_LABEL.match(text)
            plain = _MD_EMPHASIS.sub(r"\2", text)
            label = m.group("label").strip() if m and plain.startswith(m.group("label")) and not heading else None
            out.append(Line(plain, label=label, heading=heading, metadata=heading))
        kinds.append("table" if raw[i].strip().startswith("|") else "item" if _MD_ITEM.match(raw[i]) else "")
    _participants_block(out, kinds)
    return out


def _table_rule(text: str) -> bool:
    return "|" in text and "-" in text and set(text.strip()) <= set("|:- ")


def _front_matter_end(texts: list[str]) -> int:
    """The number of lines of a YAML front matter (``---`` ... ``---`` at the top), 0 when none."""
    if not texts or texts[0].strip() != "---":
        return 0
    return next((i + 1 for i, text in enumerate(texts[1:], start=1) if text.strip() in ("---", "...")), 0)


def _participants_block(lines: list[Line], kinds: list[str]) -> None:
    """Mark as metadata what introduces the speakers before the turns (``kinds``: each line's
    Markdown, "item" of a list, "table" row or "").

    A list whose items each open with a different label, one of which opens turns later
    (``- **Entrevistadora :** Claire, enquêtrice``), with the title above it (``**Participants :**``);
    before the first turn, a line whose label is used once and names two of the speakers
    (``**Participants :** Claire Martin, Josiane Roux``), and a table row whose label is used once
    (``| Source | https://… |``).
    """
    listed = [kind == "item" for kind in kinds]
    labels = [line.label or (m.group("label").strip() if (m := _PLAIN_LABEL.match(line.text)) else None) for line in lines]
    counts = Counter(label for label in labels if label)
    speakers = {label for label, n in counts.items() if n >= 2}
    i = 0
    while i < len(lines):  # the lists before the first turn
        end = i
        while end < len(lines) and listed[end] and labels[end]:
            end += 1
        run = labels[i:end]
        if len(run) >= 2 and len(set(run)) == len(run) and any(counts[label] >= 3 for label in run):
            for line in lines[i:end]:
                line.metadata = True
            if i and lines[i - 1].label and not lines[i - 1].text.split(":", 1)[-1].strip():
                lines[i - 1].metadata = True  # the block's title
        elif labels[i] in speakers:
            break
        i = max(end, i + 1)
    first_turn = next((k for k, label in enumerate(labels) if label in speakers and not lines[k].metadata), len(lines))
    for line, label, kind in zip(lines[:first_turn], labels[:first_turn], kinds[:first_turn]):
        if label and counts[label] == 1 and (kind == "table" or sum(1 for other in speakers if other in line.text) >= 2):
            line.metadata = True


# --- subtitles: srt, vtt, Whisper json -------------------------------------------------

_TIME = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})")
_CUE_TIMING = re.compile(rf"^\s*({_TIME.pattern})\s*-->\s*({_TIME.pattern})")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|<\d{1,2}:\d{2}[:.\d]*>")


def _seconds(match: re.Match, first_group: int) -> float:
    h, m, s, ms = (match.group(first_group + i) for i in range(4))
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000


def _vtt_block(lines: list[str]) -> Line | None:
    """A WEBVTT header (title) or NOTE block as metadata; STYLE and REGION blocks are dropped."""
    first = lines[0].strip()
    if first.startswith("WEBVTT"):
        title = "\n".join([first[6:].strip(" -\t"), *lines[1:]]).strip()
        return Line(title, metadata=True) if title else None
    if first.startswith("NOTE"):
        note = "\n".join([first[4:].strip(), *lines[1:]]).strip()
        return Line(note, metadata=True) if note else None
    return None


def read_subtitles(path: Path) -> list[Line]:
    """Cues of an .srt or .vtt file (voice tags give the speaker), with the WEBVTT title and NOTEs as metadata."""
    text, _ = read_text(path)
    out: list[Line] = []
    cues = 0
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.split("\n")
        timing = next((i for i, line in enumerate(lines) if _CUE_TIMING.match(line)), None)
        if timing is None:
            meta = _vtt_block(lines)
            if meta is not None:
                out.append(meta)
            continue  # STYLE, REGION or index-only blocks
        cues += 1
        m = _CUE_TIMING.match(lines[timing])
        body = "\n".join(lines[timing + 1 :]).strip()
        voice = _VOICE.search(body)
        speaker = html.unescape(voice.group(1)).strip(" /") if voice else None  # noScribe marks overlaps "//S02"
        body = html.unescape(_TAG.sub("", body)).replace("\n", " ").strip()
        if body:
            out.append(Line(body, speaker=speaker, start=_seconds(m, 2), cue=True))
    if not cues and not text.lstrip().startswith("WEBVTT"):
        raise IngestError(path, "aucun sous-titre reconnu (attendu : « 00:00:01,000 --> 00:00:04,000 »)")
    return out


#: Where JSON transcripts keep their segments, text, speaker and start time (Whisper and
#: WhisperX, faster-whisper, pyannote scripts, AssemblyAI, Deepgram, Gladia, FunASR, Amazon
#: Transcribe's audio_segments, ElevenLabs' words...).
SEGMENT_LISTS = ("segments", "utterances", "sentence_info", "audio_segments")
TEXT_KEYS = ("text", "transcript", "sentence")
SPEAKER_KEYS = ("speaker", "speaker_id", "spk", "speaker_label", "speaker_name")
START_KEYS = ("start", "start_time", "startTime")
END_KEYS = ("end", "end_time", "endTime")
EXPECTED_JSON = (
    "attendu : une transcription (Whisper, WhisperX, AssemblyAI, Deepgram, FunASR… : une liste « segments », « utterances » ou "
    "« sentence_info » de segments avec leur texte) ou un export Telegram, Messenger, Instagram ou Facebook"
)


def describe_json(data) -> str:
    """What a JSON document looks like, in a few French words (for a rejection)."""
    if isinstance(data, dict):
        keys = list(data)
        text = f"un objet aux clés « {', '.join(keys[:8])}{', …' if len(keys) > 8 else ''} »" if keys else "un objet vide"
        listed = next(((k, v) for k, v in data.items() if isinstance(v, list)), None)
        return text + (f", dont « {listed[0]} » : {_describe_list(listed[1])}" if listed else "")
    if isinstance(data, list):
        return _describe_list(data)
    return f"une valeur seule ({type(data).__name__})"


def _describe_list(items: list) -> str:
    keys = list(dict.fromkeys(k for item in items[:20] if isinstance(item, dict) for k in item))
    if keys:
        return f"une liste de {len(items)} objet(s) aux clés « {', '.join(keys[:8])}{', …' if len(keys) > 8 else ''} »"
    return f"une liste de {len(items)} valeur(s)"


def _nested_lists(data, depth: int = 3):
    """(key, list) of every list in a JSON document, shallowest first (a list's first item is looked into)."""
    level = [(None, data)]
    for _ in range(depth + 1):
        following = []
        for key, value in level:
            if isinstance(value, list):
                yield key, value
                following += [(key, item) for item in value[:1] if isinstance(item, (dict, list))]
            elif isinstance(value, dict):
                following += [(k, v) for k, v in value.items() if isinstance(v, (dict, list))]
        level = following


def transcript_segments(data) -> list | None:
    """The segments of a JSON transcript: a list under a common key at any depth (Deepgram's
    ``results.utterances``, FunASR's ``[{"sentence_info"}]``), else the document itself when it
    is a list of them, else a list of words with their speaker (ElevenLabs), else a lone ``text``."""

    def carrying(items: list, keys: tuple[str, ...]) -> bool:
        return bool(items) and isinstance(items[0], dict) and any(k in items[0] for k in keys)

    lists = list(_nested_lists(data))
    found = next((items for key, items in lists if key in SEGMENT_LISTS and (carrying(items, TEXT_KEYS) or not items)), None)
    if found is None and isinstance(data, list) and carrying(data, TEXT_KEYS):
        found = data
    if found is None:
        found = next((items for _, items in lists if carrying(items, TEXT_KEYS) and carrying(items, SPEAKER_KEYS)), None)
    if found is None and isinstance(data, dict) and isinstance(data.get("text"), str):
        found = [data]  # OpenAI's API: {"text": "..."}
    return found


def _first(segment: dict, keys: tuple[str, ...]):
    return next((segment[k] for k in keys if segment.get(k) is not None), None)


def _seconds_value(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _in_milliseconds(segments: list[dict]) -> bool:
    """Whether times are milliseconds (AssemblyAI, FunASR): whole numbers whose segments last more than 100 units."""
    starts = [_seconds_value(_first(s, START_KEYS)) for s in segments]
    ends = [_seconds_value(_first(s, END_KEYS)) for s in segments]
    known = [x for x in starts + ends if x is not None]
    if not known or any(x != int(x) for x in known):
        return False
    spans = [e - b for b, e in zip(starts, ends) if b is not None and e is not None]
    spans = spans or [b - a for a, b in zip(known, known[1:])]
    return bool(spans) and sorted(spans)[len(spans) // 2] > 100


def _speaker(value) -> str | None:
    """A segment's speaker: a name or code as written; a number n (Deepgram, FunASR) as SPEAKER_0n."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)) and value == int(value):
        return f"SPEAKER_{int(value):02d}"
    return str(value).strip() or None


def read_json_transcript(path: Path) -> list[Line]:
    """Segments of a JSON transcript (Whisper, WhisperX, AssemblyAI, Deepgram, FunASR...): text, speaker
    (``speaker``, ``speaker_id``, ``spk``, ``speaker_label``, a number) and start (seconds or milliseconds)."""
    text, _ = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(path, f"JSON invalide ({exc.msg})", exc.lineno) from None
    segments = transcript_segments(data)
    if segments is None:
        raise IngestError(path, f"JSON non reconnu : {describe_json(data)} ; {EXPECTED_JSON}")
    scale = 1000 if _in_milliseconds([s for s in segments if isinstance(s, dict)]) else 1
    out = []
    for i, seg in enumerate(segments):
        body = _first(seg, TEXT_KEYS) if isinstance(seg, dict) else None
        if body is None:
            raise IngestError(path, f"segment {i} sans texte ({describe_json(seg)})")
        body = str(body).strip()
        if body:
            start = _seconds_value(_first(seg, START_KEYS))
            out.append(Line(body, speaker=_speaker(_first(seg, SPEAKER_KEYS)), start=None if start is None else start / scale, cue=True))
    return out


# --- CHAT (CLAN, CHILDES/TalkBank, CLAPI, ORFEO exports) -------------------------------

_CHAT_MAIN = re.compile(r"^\*(?P<code>[A-Za-z0-9_+\-]{1,12}):[ \t]*(?P<text>.*)$")
_CHAT_BULLET = re.compile(r"\x15(?P<start>\d+)_(?P<end>\d+)\x15")
_CHAT_MARKERS = ("@UTF8", "@Begin", "@End", "@New Episode")


def chat_participants(header: str) -> dict[str, str]:
    """Each code of an ``@Participants:`` header with its role: "interviewer" when one of its
    words after the code (name, role) is an interviewer's role word (Investigator,
    Investigatrice, Interviewer...), else "respondent"."""
    from enquete.labels import label_words, normalise_label

    asking = label_words().interviewer
    roles = {}
    for entry in header.split(":", 1)[1].split(","):
        code, *words = entry.split()
        roles[code] = "interviewer" if any(normalise_label(w) in asking for w in words) else "respondent"
    return roles


def read_chat(path: Path) -> list[Line]:
    """A CHAT transcript (.cha): each main tier ``*INV:`` a turn of its code, its time bullet
    (``\\x15start_end\\x15``, milliseconds) lifted out as its start; ``@`` headers and ``%``
    dependent tiers as metadata; a line opening with a tab continues the one before. The
    transcription conventions ([/], &-euh, xxx, (.), +...) stay in the text as written; the
    roles come from ``@Participants``."""
    text, _ = read_text(path)
    joined: list[str] = []
    for raw in text.split("\n"):
        if raw[:1] == "\t" and joined:
            joined[-1] += " " + raw.strip()
        elif raw.strip():
            joined.append(raw.rstrip())
    if not any(_CHAT_MAIN.match(line) for line in joined):
        raise IngestError(path, "aucune ligne de locuteur CHAT (« *INV:\t… ») : ce n'est pas une transcription CHAT")
    header = next((line for line in joined if line.startswith("@Participants:")), "")
    roles = chat_participants(header) if header else {}
    out = []
    for line in joined:
        m = _CHAT_MAIN.match(line)
        if m is None:
            if line.strip() not in _CHAT_MARKERS:  # a bullet of a dependent tier: its times, without the control marks
                out.append(Line(re.sub(r" *\x15 *", " ", line).strip(), metadata=True))
            continue
        bullet = _CHAT_BULLET.search(m.group("text"))
        spoken = re.sub(r"\s{2,}", " ", _CHAT_BULLET.sub(" ", m.group("text"))).strip()
        code = m.group("code")
        out.append(Line(spoken, speaker=code, start=int(bullet.group("start")) / 1000 if bullet else None, role=roles.get(code)))
    return out


# --- HTML: noScribe and oTranscribe -----------------------------------------------------

_TS_ANCHOR = re.compile(r"ts_(\d+)_(\d+)(?:_(\w+))?")
#: A label the user typed over the anchor's code: "Expérimentateur :", "Expérimentateur [00:00:02]:".
_VISIBLE_LABEL = re.compile(r"^\s*[^\W\d_][\w.'’\- ]{0,39}?\s*(?:\[\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\]\s*)?:")


def html_root(markup: str, path: Path):
    """An HTML page parsed with lxml (IngestError if it cannot be), its line breaks kept as breaks."""
    import lxml.html

    try:
        root = lxml.html.fromstring(markup or "<div></div>")
    except Exception as exc:
        raise IngestError(path, f"HTML illisible ({exc})") from None
    for br in root.iter("br"):  # a line break is a line break, not nothing
        br.tail = "\n" + (br.tail or "")
    return root


def read_noscribe(path: Path) -> list[Line]:
    """noScribe HTML: one <p> per turn with ts_{start}_{end}_{speaker} anchors.

    The anchor's speaker code is used only when the paragraph does not show a label: the
    name a person typed over the code ("Expérimentateur :") wins.
    """
    text, _ = read_text(path)
    ps = html_root(text, path).xpath("//p")
    out: list[Line] = []
    for i, p in enumerate(ps):
        body = p.text_content().replace("\u2028", "\n").strip("\n")
        style = (p.get("style") or "").replace(" ", "").lower()
        anchors = [a.get("name") or a.get("href") or "" for a in p.xpath(".//a")]
        stamps = [m for m in (_TS_ANCHOR.search(a) for a in anchors) if m]
        is_title = i == 0 and not stamps and ("font-weight:600" in style or "font-weight:bold" in style or p.xpath(".//b|.//strong"))
        is_info = not stamps and ("color:#909090" in style or "color:grey" in style or "color:gray" in style or p.xpath(".//span[contains(@style,'#909090')]"))
        if is_title or is_info:
            out.append(Line(body, metadata=True))
            continue
        start = int(stamps[0].group(1)) / 1000 if stamps else None
        code = stamps[0].group(3) if stamps and stamps[0].group(3) else None
        speaker = code if code and not _VISIBLE_LABEL.match(body) else None
        out.extend(split_lines(Line(body, speaker=speaker, start=start)))
    return out


def read_otr(path: Path) -> list[Line]:
    """oTranscribe .otr: JSON whose "text" is HTML with data-timestamp spans."""
    text, _ = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(path, f"fichier .otr invalide ({exc.msg})", exc.lineno) from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise IngestError(path, "fichier .otr sans champ « text »")
    ps = html_root(data["text"], path).xpath("//p")
    out = []
    for p in ps:
        start = None
        for span in p.xpath(".//span[@data-timestamp]"):
            if start is None:
                start = float(span.get("data-timestamp"))
            span.drop_tree()
        out.extend(split_lines(Line(p.text_content().strip(), start=start)))
    return out
