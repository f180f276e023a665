"""Message headers: the formats WhatsApp writes, how an export's format is detected, and
headers in other scripts and calendars rewritten to a standard one."""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from enquete.errors import IngestError, ReadingWarning
from enquete.ingest.whatsapp.arrays import mask

#: Direction marks, embeddings, isolates and byte-order marks WhatsApp scatters in exports.
MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_SPACE = "[ \u202f\u00a0]"  # literal characters: valid in Python re and RE2
HEADER_PROBE = re.compile(
    rf"[{MARKS}]*(?P<bracket>\[)?[{MARKS}]*"
    r"(?P<d1>\d{1,4})(?P<sep>[/.\-])(?P<d2>\d{1,2})(?P=sep)(?P<d3>\d{2,4})"
    r"(?P<join>,? à |, ?| )"
    r"(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2}))?"
    rf"(?P<ampm>{_SPACE}?[aApP]\.?{_SPACE}?[mM]\.?)?"
    rf"(?P<end>\][{MARKS}]?(?: [-–])? ?| [-–] )"
)
PROBE_LINES = 1000
TRUNCATED_TAIL = re.compile(r"\[?\d{1,4}[/.\-][\d/.\-, :àaApPmM\u202f\u00a0]*")

# Headers in other scripts and calendars, rewritten to a standard header before parsing.
_DIGIT = "[0-9\u0660-\u0669\u06f0-\u06f9]"
_ERA_YEAR = rf"[MTSHR]{_DIGIT}{{1,2}}"
_EXOTIC_DATE = (
    rf"(?P<@d1>{_DIGIT}{{1,4}})[{MARKS}]*[/.\-][{MARKS}]*(?P<@d2>{_DIGIT}{{1,2}})[{MARKS}]*[/.\-][{MARKS}]*"
    rf"(?P<@d3>{_DIGIT}{{2,4}}(?:{_SPACE}?BE)?|{_ERA_YEAR})"
)
_EXOTIC_TIME = (
    rf"(?P<@H>{_DIGIT}{{1,2}})[:.](?P<@M>{_DIGIT}{{2}})(?:[:.](?P<@S>{_DIGIT}{{2}}))?"
    rf"(?P<@ampm>{_SPACE}?(?:[aApP]\.?{_SPACE}?[mM]\.?|\u0635|\u0645))?"
)
EXOTIC_HEADER = re.compile(
    rf"^[{MARKS}]*(?P<bracket>\[)?[{MARKS}]*(?:"
    + _EXOTIC_DATE.replace("@", "a") + rf"[{MARKS}]*(?:,|\u060c)?{_SPACE}?[{MARKS}]*" + _EXOTIC_TIME.replace("@", "a")
    + "|" + _EXOTIC_TIME.replace("@", "b") + rf"[{MARKS}]*,?{_SPACE}?[{MARKS}]*" + _EXOTIC_DATE.replace("@", "b")
    + rf")[{MARKS}]*(?P<end>\][{MARKS}]?(?: [-–])? ?| [-–] )"
)
ERA_START = {"M": 1867, "T": 1911, "S": 1925, "H": 1988, "R": 2018}  # Japanese eras: year 1 = start + 1
TO_ASCII_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
#: A line that looks like a chat message header in a form this reader does not know:
#: a date (digits, or a month's name) and a time, then "Name: ".
_DATE_ANY = (
    rf"(?:{_DIGIT}{{1,4}}[/.\-]{_DIGIT}{{1,2}}[/.\-]{_DIGIT}{{2,4}}"
    rf"|{_DIGIT}{{1,2}}\.?{_SPACE}[^\W\d_]{{3,10}}\.?{_SPACE}{_DIGIT}{{2,4}}"
    rf"|[^\W\d_]{{3,10}}\.?{_SPACE}{_DIGIT}{{1,2}},?{_SPACE}{_DIGIT}{{4}})"
)
_TIME_ANY = rf"{_DIGIT}{{1,2}}[:.h]{_DIGIT}{{2}}(?:[:.]{_DIGIT}{{2}})?"
#: An old export's header with the month's name, its year often missing ("Mar 5, 8:11 PM - ",
#: "18 Mar 12:14 - "); the word must be a month's name (:func:`.dates.month_number`).
MONTH_HEADER = re.compile(
    rf"^[{MARKS}]*(?P<bracket>\[)?[{MARKS}]*"
    r"(?:(?P<day>\d{1,2})\.? (?P<month>[^\W\d_]{3,10})\.?|(?P<month_first>[^\W\d_]{3,10})\.? (?P<day_after>\d{1,2}))"
    r"(?:,? (?P<year>\d{4}))?,? "
    r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?"
    rf"(?P<ampm>{_SPACE}?[aApP]\.?{_SPACE}?[mM]\.?)?"
    rf"(?P<end>\][{MARKS}]?(?: [-–])? ?| [-–] )"
)
CHAT_LIKE = re.compile(
    rf"^[{MARKS}\[(]*(?:[^\W\d_]{{2,12}}\.?,?{_SPACE})?(?:{_DATE_ANY}.{{0,10}}?{_TIME_ANY}|{_TIME_ANY}.{{0,10}}?{_DATE_ANY})"
    rf".{{0,16}}?[^:\n]{{1,60}}?:\s"
)


@dataclass(frozen=True)
class HeaderFormat:
    """How message headers of one export are written."""

    ios: bool
    sep: str
    join: str
    seconds: bool
    ampm: bool

    def pattern(self, named: bool = False) -> str:
        """The header as a regular expression (RE2 and Python syntax), anchored at line start."""

        def group(name: str, body: str) -> str:
            return f"(?P<{name}>{body})" if named else f"(?:{body})"

        sep = re.escape(self.sep)
        return (
            f"^[{MARKS}]*"
            + (rf"\[[{MARKS}]*" if self.ios else "")
            + group("d1", r"\d{1,4}") + sep + group("d2", r"\d{1,2}") + sep + group("d3", r"\d{2,4}")
            + re.escape(self.join)
            + group("H", r"\d{1,2}") + "[:.]" + group("M", r"\d{2}")
            + ("[:.]" + group("S", r"\d{2}") if self.seconds else "")
            + (group("ampm", rf"{_SPACE}?[aApP]\.?{_SPACE}?[mM]\.?") if self.ampm else "")
            + (rf"\][{MARKS}]?(?: [-–])? ?" if self.ios else r" [-–] ")
        )

    @property
    def name(self) -> str:
        return "ios" if self.ios else "android"


def _standard_header(m: re.Match) -> str:
    """An exotic header rewritten with ASCII digits, date first, a Gregorian year."""
    g = {k[1:]: v for k, v in m.groupdict().items() if v is not None and k[0] in "ab"}
    d1, d2, d3 = (g[k].translate(TO_ASCII_DIGITS) for k in ("d1", "d2", "d3"))
    if d3[0] in ERA_START:
        d3 = str(ERA_START[d3[0]] + int(d3[1:]))
    elif d3.rstrip().endswith("BE"):
        d3 = str(int(d3[:-2].strip(" \u202f\u00a0")) - 543)
    time = f"{g['H'].translate(TO_ASCII_DIGITS)}:{g['M'].translate(TO_ASCII_DIGITS)}"
    if "S" in g:
        time += ":" + g["S"].translate(TO_ASCII_DIGITS)
    ampm = g.get("ampm", "").strip(" \u202f\u00a0")
    if ampm:
        time += " " + {"\u0635": "AM", "\u0645": "PM"}.get(ampm, ampm)
    if m.group("bracket"):
        return f"[{d1}/{d2}/{d3}, {time}] "
    return f"{d1}/{d2}/{d3}, {time} - "


def standardise_headers(lines: pa.Array) -> tuple[pa.Array, int]:
    """Lines whose exotic headers are rewritten (message texts untouched); and how many."""
    out, changed = [], 0
    for line in lines.to_pylist():
        m = EXOTIC_HEADER.match(line) if line else None
        if m and not HEADER_PROBE.match(line):
            line = _standard_header(m) + line[m.end() :]
            changed += 1
        out.append(line)
    return pa.array(out, pa.large_string()), changed


def detect_formats(lines: list[str], path: str | Path = "<texte>") -> list[HeaderFormat]:
    """The header formats of the given lines, most frequent first."""
    votes: Counter = Counter()
    for line in lines:
        m = HEADER_PROBE.match(line)
        if m:
            votes[HeaderFormat(m["bracket"] is not None, m["sep"], m["join"], m["S"] is not None, m["ampm"] is not None)] += 1
    if not votes:
        chat_like = [i for i, line in enumerate(lines, 1) if CHAT_LIKE.match(line)]
        if chat_like:
            raise IngestError(
                path,
                "ressemble à une discussion (date, heure, nom) mais l'en-tête des messages n'est pas un format "
                f"WhatsApp connu : « {lines[chat_like[0] - 1][:60]} » ; non lu",
                chat_like[0],
            )
        raise IngestError(
            path, f"ce n'est pas un export WhatsApp : aucune des {len(lines)} premières lignes ne commence par une date et une heure"
        )
    return [fmt for fmt, _ in votes.most_common()]


def detect_format(lines: list[str], path: str | Path = "<texte>") -> HeaderFormat:
    """The header format most of the given (first) lines are written in."""
    return detect_formats(lines, path)[0]


def looks_like_chat(lines: list[str]) -> bool:
    """True when lines look like a chat export (a known header, or date, time and a name), not an interview."""
    spoken = [line for line in lines if line.strip()][:200]
    if not spoken:
        return False
    known = sum(1 for line in spoken if HEADER_PROBE.match(line) or EXOTIC_HEADER.match(line))
    if known >= 3 or (known and (HEADER_PROBE.match(spoken[0]) or EXOTIC_HEADER.match(spoken[0]))):
        return True
    if sum(1 for line in spoken if MONTH_HEADER.match(line)) >= 3:
        return True
    return sum(1 for line in spoken if CHAT_LIKE.match(line)) >= 3


def header_lines(lines: pa.Array, formats: list[HeaderFormat], path: str) -> tuple[np.ndarray, list[HeaderFormat], np.ndarray]:
    """Header line numbers, the formats read, and each header's format index.

    Lines of a second format inside the main one's messages (a concatenated or edited
    export) start messages too when there are many of them; a few are left in their
    message, with a warning (a quoted message pasted into another).
    """
    main = mask(lines, formats[0].pattern())
    which = np.zeros(len(lines), dtype=np.int8)
    used = [formats[0]]
    continuation = np.flatnonzero(~main)
    for fmt in formats[1:]:
        other = mask(lines, fmt.pattern(), continuation)
        count = int(other.sum())
        if count >= max(10, main.sum() // 20):
            which[other] = len(used)
            used.append(fmt)
            main |= other
            continuation = np.flatnonzero(~main)
            warnings.warn(f"{path} : deux formats d'en-tête dans le fichier ({used[0].name}, {fmt.name}) : tous deux lus", ReadingWarning, stacklevel=4)
        elif count:
            first = int(np.flatnonzero(other)[0]) + 1
            warnings.warn(
                f"{path} : {count} ligne(s) en forme d'en-tête {fmt.name} dans des messages {used[0].name} (ligne {first}) : "
                "laissées dans le message qui les contient",
                ReadingWarning,
                stacklevel=4,
            )
    heads = np.flatnonzero(main)
    return heads, used, which[heads]
