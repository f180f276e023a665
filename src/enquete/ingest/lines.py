"""Transcript lines and the times written in them: the leaf that the format readers
(:mod:`enquete.ingest.formats`) and the shared turn builder (:mod:`enquete.ingest.turns`)
both stand on."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Spaces a transcript writes between a time or label and the rest.
SPACE = "[ \u00a0\u202f\t]"
_T = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,6})?"
TIME_RANGE = rf"{_T}(?:{SPACE}*(?:-->|->|[-–—]|to|à){SPACE}*{_T})?"
TIME = re.compile(_T)
#: A time or range in brackets or parentheses, anywhere.
BRACKETED_TIME = re.compile(rf"{SPACE}?[\[(]{SPACE}*(?P<time>{TIME_RANGE}){SPACE}*[\])]{SPACE}?")
LEADING_TIME = re.compile(rf"^{SPACE}*(?:[\[(]{SPACE}*(?P<bracketed>{TIME_RANGE}){SPACE}*[\])]|(?P<bare>{TIME_RANGE})(?=\s|$)){SPACE}*")
ONLY_TIME = re.compile(rf"^{SPACE}*[\[(]?{SPACE}*{TIME_RANGE}{SPACE}*[\])]?{SPACE}*$")


def time_value(text: str) -> float | None:
    """Seconds of a time written "h:mm:ss(.fff)" or "mm:ss" (the first of a range); None otherwise."""
    m = TIME.search(text) if ONLY_TIME.match(text) else None
    if not m:
        return None
    parts = [float(x.replace(",", ".")) for x in m.group(0).split(":")]
    return sum(v * 60**i for i, v in enumerate(reversed(parts)))


LABEL_DECORATION = " :\u00a0\u202f"


@dataclass
class Line:
    """A paragraph, table row or subtitle cue of a transcript."""

    text: str
    speaker: str | None = None  # given by the file's structure (not in ``text``): trusted
    label: str | None = None  # a candidate found by formatting, at the start of ``text``: checked like a written label
    start: float | None = None  # seconds from the start of the recording
    cue: bool = False  # a timed cue: consecutive cues of one speaker make one turn
    metadata: bool = False  # a title, note or header: not speech
    heading: bool = False  # styled as a heading (Word/OpenDocument heading, Markdown #)
    role: str | None = None  # the speaker's role when the file's structure declares it (CHAT's @Participants)


def split_lines(line: Line) -> list[Line]:
    """A paragraph with line breaks as one Line per line (the first keeps what the format gave)."""
    first, *rest = line.text.split("\n")
    head = Line(first, line.speaker, line.label, line.start, line.cue, line.metadata, line.heading, line.role)
    return [head, *(Line(text, metadata=line.metadata) for text in rest)]
