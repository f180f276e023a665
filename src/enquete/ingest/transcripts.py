"""Read interview transcripts into the segment table, one row per speaker turn.

Formats: .docx, .odt, .txt, .md, .srt, .vtt, noScribe .html, diarized .json (Whisper, WhisperX,
AssemblyAI, Deepgram, FunASR...), oTranscribe .otr, CHAT .cha (CLAN, CHILDES/TalkBank). Each format reader (:mod:`.formats`) gives lines; :mod:`.turns` finds the speaker
labels and times in them, whatever the layout, and decides the roles. Times become the
``time_offset`` column; transcription conventions stay in the text and are listed in
``annotations``. How the document was read (layout, speakers, role decision) is in the
frame's ``attrs["reading"]``.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import pandas as pd

from enquete.corpus import TRANSCRIPT_SUFFIXES, Document
from enquete.errors import IngestError, ReadingWarning
from enquete.ingest import formats
from enquete.ingest.common import document_for, finish, written_date
from enquete.ingest.turns import Turn, annotations, assign_roles, build_turns

READERS = {
    ".docx": formats.read_docx,
    ".odt": formats.read_odt,
    ".txt": formats.read_plain,
    ".md": formats.read_markdown,
    ".html": formats.read_noscribe,
    ".htm": formats.read_noscribe,
    ".otr": formats.read_otr,
    ".srt": formats.read_subtitles,
    ".vtt": formats.read_subtitles,
    ".json": formats.read_json_transcript,
    ".cha": formats.read_chat,
}


def header_metadata(turns: list[Turn]) -> dict:
    """Title and date from the header paragraphs ("Entretien E07 – réalisé le 14 mars 2022")."""
    header = [t.text for t in turns if t.type == "metadata" and not t.text.startswith(("@", "%"))][:5]  # not CHAT's headers and tiers
    found: dict = {}
    if header:
        found["title"] = header[0].split("\n")[0][:200]
    for line in header:
        date = written_date(line)
        if date:
            found["date"] = date
            break
    return found


def read_transcript(path: str | Path, document: Document | None = None) -> pd.DataFrame:
    """Read an interview transcript into the segment table, one row per speaker turn."""
    path = Path(path)
    document = document_for(path, document)
    suffix = path.suffix.lower()
    if suffix not in READERS:
        raise IngestError(path, f"format non pris en charge ({suffix or 'sans extension'}) ; formats : {', '.join(TRANSCRIPT_SUFFIXES)}")
    turns, layout = build_turns(READERS[suffix](path), document.interviewer)
    if not any(t.type != "metadata" for t in turns):
        raise IngestError(path, "aucun texte d'entretien trouvé (document vide ?)")
    roles = assign_roles(turns, document.interviewer, layout)
    if layout.layout == "none":
        warnings.warn(f"{document.relpath} : aucun nom de locuteur reconnu, un segment par paragraphe", ReadingWarning, stacklevel=2)
    if layout.uncertain:
        chosen = next((f"« {t.speaker} » retenu" for t, r in zip(turns, roles) if r == "interviewer"), "aucun retenu")
        warnings.warn(
            f"{document.relpath} : enquêteur non indiqué, {chosen}, décision incertaine ({layout.uncertain}) ; "
            f"indiquez-le dans corpus.yaml (interviewer: [...])",
            ReadingWarning,
            stacklevel=2,
        )
    for note in layout.notes:
        warnings.warn(f"{document.relpath} : {note}", ReadingWarning, stacklevel=2)
    meta = header_metadata(turns)
    document = dataclasses.replace(
        document, title=document.title or meta.get("title", ""), date=document.date or meta.get("date")
    )
    df = finish(
        {
            "speaker": [t.speaker for t in turns],
            "speaker_role": roles,
            "time_offset": [t.offset for t in turns],
            "message_type": [t.type for t in turns],
            "text": [t.text for t in turns],
            "annotations": [annotations(t.text) or None for t in turns],
        },
        document,
        "interview",
    )
    df.attrs["reading"] = dataclasses.asdict(layout)
    return df
