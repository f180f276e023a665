"""Read interview transcripts into the segment table, one row per speaker turn.

Formats: .docx, .odt, .txt, .md, .srt, .vtt, noScribe .html, Whisper .json, oTranscribe
.otr. Speaker labels ("Enquêtrice :", "E :", "Martine D. :", "S01:", a bold name) start a
turn that runs until the next label. Timestamps written in the text become the
``time_offset`` column; transcription conventions stay in the text and are listed in
``annotations``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import warnings
from collections import Counter
from pathlib import Path

import pandas as pd

from enquete.corpus import Document
from enquete.labels import INTERVIEWER_LABELS, RESPONDENT_LABELS, SPEAKER_CODE, normalise_label
from enquete.ingest import formats
from enquete.ingest.common import document_for, finish
from enquete.ingest.errors import IngestError
from enquete.ingest.formats import Cue, Paragraph

_SP = "[ \u00a0\u202f\t]"
LABEL = re.compile(
    rf"^{_SP}*(?P<label>[^\W\d_][\w.'’\-]*(?:{_SP}[\w.'’\-]+){{0,3}}){_SP}*:{_SP}*(?P<rest>.*)$", re.S
)
TITLES = {"m", "mme", "mlle", "monsieur", "madame", "mademoiselle", "dr"}
NOT_LABELS = {
    "alors", "donc", "oui", "non", "bon", "ben", "bah", "voila", "bref", "exemple", "remarque", "note", "nota",
    "attention", "resultat", "objet", "date", "lieu", "duree", "theme", "themes", "sujet", "contexte", "conclusion",
    "bilan", "rappel", "info", "infos", "important", "mais", "et", "puis", "enfin", "ensuite", "pourquoi", "comment",
    "quand", "ou", "par", "pour", "moi", "lui", "elle", "eux", "nous", "vous", "genre", "style", "resume",
}
INITIALS = re.compile(r"^(?:[A-ZÀ-Þ]{1,3}\d{0,2}|(?:[A-ZÀ-Þ]\.){1,3})$")
NAME_WORD = re.compile(r"^(?:[A-ZÀ-Þ][\w'’\-]*\.?|de|du|des|la|le|van|von|el|ben)$")
TIMESTAMP = re.compile(rf"{_SP}?[\[(](\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:[.,]\d+)?)[\])]{_SP}?")
CONVENTIONS = re.compile(
    r"\((?:rires?|rire|sourires?|silence|soupirs?|hésitations?|inaudible|incompréhensible|toux|pause|blanc|bruits?[^)]*"
    r"|\.{1,3}|…|\d+\s*(?:s|sec|secondes?|seconds?)(?:\s+(?:de\s+)?pause)?)\)"
    r"|\[(?:rires?|inaudible|incompréhensible|\.\.\.|…|silence|pause|hésitation|coupure|[^\]\n]{0,30}?"
    r"(?:Prénom|Nom|Lieu|Ville|Adresse|Rue|Quartier|Entreprise|Association)[^\]\n]{0,30})\]"
    r"|//",
    re.IGNORECASE,
)
MONTHS = {m: i for i, m in enumerate(
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(), start=1)}
FRENCH_DATE = re.compile(r"\b(\d{1,2})(?:er)?\s+(" + "|".join(MONTHS) + r")\s+(\d{4})\b", re.IGNORECASE)
NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")

PARAGRAPH_READERS = {
    ".docx": formats.read_docx,
    ".odt": formats.read_odt,
    ".txt": formats.read_plain,
    ".md": lambda p: formats.read_plain(p, markdown=True),
    ".html": formats.read_noscribe,
    ".htm": formats.read_noscribe,
    ".otr": formats.read_otr,
}
CUE_READERS = {".srt": formats.read_subtitles, ".vtt": formats.read_subtitles, ".json": formats.read_whisper_json}
SUFFIXES = tuple(PARAGRAPH_READERS) + tuple(CUE_READERS)


def _strong_label(label: str, interviewer: set[str]) -> bool:
    """A label that is a speaker label wherever it appears: role words, codes, initials."""
    key = normalise_label(label)
    known = INTERVIEWER_LABELS | RESPONDENT_LABELS | interviewer
    return key in known or bool(SPEAKER_CODE.match(label) or INITIALS.match(label))


def _name_label(label: str) -> bool:
    """A label shaped like a person's name ("Martine", "Mme Dupuis", "Amélie Durand")."""
    words = label.split()
    return (
        1 <= len(words) <= 4
        and all(NAME_WORD.match(w) for w in words)
        and normalise_label(words[0]) not in NOT_LABELS
        and normalise_label(label) not in NOT_LABELS
    )


def accepted_labels(counts: Counter, interviewer: list[str]) -> set[str]:
    """Candidate labels that are speaker labels.

    Role words, speaker codes and initials always are; a name is when it starts at least
    two paragraphs, or one paragraph of a transcript that has other speaker labels.
    """
    known = {normalise_label(x) for x in interviewer}
    strong = {label for label in counts if label and _strong_label(label, known)}
    names = {label for label, n in counts.items() if label and label not in strong and _name_label(label)}
    repeated = {label for label in names if counts[label] >= 2}
    if strong or repeated:
        return strong | names
    return set()


def strip_timestamps(text: str) -> tuple[str, float | None]:
    """Remove "[00:12:34]", "(00:12:34)" and "[12:34]" marks; return the first as seconds."""
    first = None
    for m in TIMESTAMP.finditer(text):
        if first is None:
            parts = [float(x.replace(",", ".")) for x in m.group(1).split(":")]
            first = sum(v * 60**i for i, v in enumerate(reversed(parts)))
    if first is None:
        return text, None
    return TIMESTAMP.sub(lambda m: " " if m.start() and m.end() < len(text) else "", text).strip(), first


def annotations(text: str) -> str:
    """Transcription conventions found in a text, in order, ';'-separated."""
    return ";".join(m.group(0) for m in CONVENTIONS.finditer(text))


def _candidate(p: Paragraph, text: str) -> tuple[str | None, str]:
    if p.label:
        return p.label, text
    m = LABEL.match(text)
    if m and len(m.group("label")) <= 40:
        return m.group("label").strip(), m.group("rest")
    return None, text


def paragraphs_to_turns(paragraphs: list[Paragraph], path: str, interviewer: list[str]) -> list[dict]:
    """Group paragraphs into speaker turns (or keep paragraphs, with a warning, without labels)."""
    cleaned = []
    for p in paragraphs:
        text, stamp = strip_timestamps(p.text)
        cleaned.append((p, text.strip(), p.offset if p.offset is not None else stamp))
    counts = Counter(_candidate(p, t)[0] for p, t, _ in cleaned if not p.metadata)
    accepted = accepted_labels(counts, interviewer)
    labelled = any(p.label for p, _, _ in cleaned) or accepted
    turns: list[dict] = []
    for p, text, offset in cleaned:
        label, rest = _candidate(p, text)
        if p.metadata or (labelled and not turns and label not in accepted):
            if text:
                turns.append({"speaker": None, "text": text, "offset": offset, "type": "metadata"})
            continue
        if not labelled:
            if text:
                turns.append({"speaker": None, "text": text, "offset": offset, "type": "paragraph"})
            continue
        if label in accepted or p.label:
            turns.append({"speaker": label, "text": rest.strip(), "offset": offset, "type": "turn"})
        elif text:
            if turns[-1]["type"] == "metadata":
                turns.append({"speaker": None, "text": text, "offset": offset, "type": "metadata"})
            else:
                turns[-1]["text"] = (turns[-1]["text"] + "\n" + text).strip("\n")
                if turns[-1]["offset"] is None:
                    turns[-1]["offset"] = offset
    if not labelled and turns:
        warnings.warn(f"{path} : aucun nom de locuteur reconnu, un segment par paragraphe", stacklevel=3)
    return turns


def cues_to_turns(cues: list[Cue], path: str) -> list[dict]:
    """Merge consecutive cues of the same speaker into one turn (start of its first cue)."""
    if not any(c.speaker for c in cues):
        if cues:
            warnings.warn(f"{path} : sous-titres sans locuteurs, un segment par réplique", stacklevel=3)
        return [{"speaker": None, "text": c.text, "offset": c.start, "type": "paragraph"} for c in cues]
    turns: list[dict] = []
    for c in cues:
        if turns and turns[-1]["speaker"] == c.speaker:
            turns[-1]["text"] += " " + c.text
        else:
            turns.append({"speaker": c.speaker, "text": c.text, "offset": c.start, "type": "turn"})
    return turns


def assign_roles(turns: list[dict], path: str, interviewer: list[str]) -> list[str]:
    """interviewer / respondent per turn: manifest labels, else common labels, else questions."""
    speakers = [t["speaker"] for t in turns if t["type"] == "turn"]
    keys = {s: normalise_label(s) for s in set(speakers)}
    wanted = {normalise_label(x) for x in interviewer}
    interviewers = {s for s, k in keys.items() if k in wanted} if wanted else set()
    if not interviewers:
        interviewers = {s for s, k in keys.items() if k in INTERVIEWER_LABELS}
    if not interviewers and len(keys) > 1:
        questions = Counter(t["speaker"] for t in turns if t["type"] == "turn" and "?" in t["text"])
        if questions:
            asker = max(sorted(questions), key=questions.__getitem__)
            interviewers = {asker}
            warnings.warn(f"{path} : enquêteur non indiqué, « {asker} » retenu (pose le plus de questions)", stacklevel=3)
    return [
        "unknown" if t["type"] != "turn" else ("interviewer" if t["speaker"] in interviewers else "respondent")
        for t in turns
    ]


def header_metadata(turns: list[dict]) -> dict:
    """Title and date from the header paragraphs ("Entretien E07 – réalisé le 14 mars 2022")."""
    header = [t["text"] for t in turns if t["type"] == "metadata"][:5]
    found: dict = {}
    if header:
        found["title"] = header[0].split("\n")[0][:200]
    for line in header:
        m = FRENCH_DATE.search(line)
        n = NUMERIC_DATE.search(line)
        try:
            if m:
                found["date"] = dt.date(int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1)))
            elif n:
                found["date"] = dt.date(int(n.group(3)), int(n.group(2)), int(n.group(1)))
        except ValueError:
            continue
        if "date" in found:
            break
    return found


def read_transcript(path: str | Path, document: Document | None = None) -> pd.DataFrame:
    """Read an interview transcript into the segment table, one row per speaker turn."""
    path = Path(path)
    document = document_for(path, document)
    suffix = path.suffix.lower()
    if suffix in PARAGRAPH_READERS:
        turns = paragraphs_to_turns(PARAGRAPH_READERS[suffix](path), document.relpath, document.interviewer)
    elif suffix in CUE_READERS:
        turns = cues_to_turns(CUE_READERS[suffix](path), document.relpath)
    else:
        raise IngestError(path, f"format non pris en charge ({suffix or 'sans extension'}) ; formats : {', '.join(SUFFIXES)}")
    if not any(t["type"] != "metadata" for t in turns):
        raise IngestError(path, "aucun texte d'entretien trouvé (document vide ?)")
    roles = assign_roles(turns, document.relpath, document.interviewer)
    meta = header_metadata(turns)
    document = dataclasses.replace(
        document, title=document.title or meta.get("title", ""), date=document.date or meta.get("date")
    )
    return finish(
        {
            "speaker": [t["speaker"] for t in turns],
            "speaker_role": roles,
            "time_offset": [t["offset"] for t in turns],
            "message_type": [t["type"] for t in turns],
            "text": [t["text"] for t in turns],
            "annotations": [annotations(t["text"]) or None for t in turns],
        },
        document,
        "interview",
    )
