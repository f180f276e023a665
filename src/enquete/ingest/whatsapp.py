"""Read WhatsApp chat exports (Android and iOS, any locale, .txt or .zip).

One segment per message. The header format (brackets, date separator, comma, seconds,
AM/PM) is detected from the file; headers written with other digits, time first or
non-Gregorian years are first rewritten to a standard header (the message text is never
touched). The date order (day, month or year first) is inferred from the whole file.
Message texts are kept exactly as written; only export artefacts (the edited marker, a
leading direction mark, the media marker before a caption) are removed. What each
message is (text, media, deleted, system, call...) comes from the phrase table
(``whatsapp_phrases.yaml``). Every line of the input ends up in a message or in the
rejects.
"""

from __future__ import annotations

import re
import warnings
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from re import _parser as sre_parse  # the regex parser (re's own, Python 3.11 to 3.13)

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from enquete.corpus import Document
from enquete.datafiles import package_yaml
from enquete.errors import IngestError, ReadingWarning
from enquete.ingest.common import Reject, document_for, finish
from enquete.ingest.text import decode_bytes, looks_binary
from enquete.settings import DEFAULTS, Settings

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


@dataclass(frozen=True)
class Phrases:
    """Phrase patterns of every language (see whatsapp_phrases.yaml), as RE2 strings."""

    system: str  # alternation of the system phrases and notices, matched at the start of a body
    group_system: str  # the system phrases only (what a group's name announces, never a contact)
    system_by_language: dict[str, re.Pattern]
    notice: str
    notice_hint: str  # the notices a member's name can carry without a mark start with fixed text (a cheap pre-test)
    markup_hint: str  # literals every media, deleted, call... phrase contains (a cheap pre-test)
    deleted: str
    deleted_phrases: str
    media: str
    attachment: str
    file_names: re.Pattern  # a group `file` per alternative, numbered
    contact: str
    location: str
    poll: str
    call: str
    edited: str
    chat_file: re.Pattern  # an export's file name (stem)
    chat_names: tuple[re.Pattern, ...]  # the same, with the chat's name in the group `chat`


def _literals(pattern: str) -> tuple[bool, list[str]]:
    """(anchored, literals): literals one of which every match of ``pattern`` contains.

    Anchored when the pattern starts with them (a cheap test of a text's first
    characters); else the longest literal run of its top level, or the literals of each
    branch of a top-level alternation. A phrase without any is a mistake in the phrase
    table (it could never be pre-tested): ValueError.
    """
    parsed = sre_parse.parse(pattern)
    leading = _leading_of(parsed)
    if leading:
        return True, leading
    found = _literals_of(parsed)
    if not found:
        raise ValueError(f"whatsapp_phrases.yaml : la phrase « {pattern} » ne contient aucun texte fixe")
    return False, found


def _leading_of(seq) -> list[str]:
    """The literal prefixes every match of ``seq`` starts with ([] when it starts with a wildcard).

    The regex parser factors common prefixes ("Voice|Video" becomes "V", then a branch):
    a literal run followed by a branch of literals continues into each branch.
    """
    run, i = "", 0
    while i < len(seq) and seq[i][0] is sre_parse.LITERAL:
        run += chr(seq[i][1])
        i += 1
    if i == len(seq):
        return [run] if run else []
    op, arg = seq[i]
    branches = None
    if op is sre_parse.SUBPATTERN and len(arg[-1]) == 1 and arg[-1][0][0] is sre_parse.BRANCH:
        branches = arg[-1][0][1][1]
    elif op is sre_parse.BRANCH:
        branches = arg[1]
    elif op is sre_parse.SUBPATTERN:
        inner = _leading_of(arg[-1])
        if inner:
            return [run + lit for lit in inner]
    if branches:
        found = [_leading_of(b) for b in branches]
        if all(found):
            return [run + lit for f in found for lit in f]
    return [run] if run else []


def _literals_of(seq) -> list[str]:
    best, run = "", ""
    for op, arg in seq:
        if op is sre_parse.LITERAL:
            run += chr(arg)
            best = max(best, run, key=len)
        else:
            run = ""
    if len(best.strip()) >= 3:
        return [best]
    for op, arg in seq:  # a required group: (?:image|vidéo) omise
        if op is sre_parse.SUBPATTERN:
            inner = arg[-1]
            if len(inner) == 1 and inner[0][0] is sre_parse.BRANCH:
                branches = [_literals_of(b) for b in inner[0][1][1]]
                if all(branches):
                    return [lit for b in branches for lit in b]
            elif (found := _literals_of(inner)):
                return found
        elif op is sre_parse.BRANCH:
            branches = [_literals_of(b) for b in arg[1]]
            if all(branches):
                return [lit for b in branches for lit in b]
    return [best] if best.strip() else []


def _hint(patterns: list[str]) -> str:
    """A cheap RE2 pre-test for the patterns: their leading literals at the start of the text, or their literals anywhere."""
    anchored, anywhere = set(), set()
    for p in patterns:
        leading, literals = _literals(p)
        # a literal found anywhere is trimmed: WhatsApp may put a direction mark where the phrase has a space
        (anchored if leading else anywhere).update(lit.lower() if leading else lit.strip().lower() for lit in literals if lit.strip() or leading)
    anywhere = {lit for lit in anywhere if not any(other != lit and other in lit for other in anywhere)}  # the shorter suffices

    def alternation(literals):
        return "|".join(re.escape(lit) for lit in sorted(literals, key=len, reverse=True))

    parts = ([f"^[{MARKS}]*(?:{alternation(anchored)})"] if anchored else []) + ([alternation(anywhere)] if anywhere else [])
    return "(?i)" + "|".join(parts)


@lru_cache(maxsize=1)
def phrases() -> Phrases:
    data = package_yaml("enquete.ingest", "whatsapp_phrases.yaml")
    who = r"[^:\n]+?"

    def items(kind: str, languages=None) -> list[str]:
        return [p.replace("{who}", who) for lang, table in data.items() if languages is None or lang in languages for p in table.get(kind, [])]

    def alternation(kind: str, languages=None) -> str:
        return "|".join(f"(?:{p})" for p in items(kind, languages))

    def unnamed(pattern: str) -> str:
        return re.sub(r"\(\?P<\w+>", "(", pattern)

    named = "|".join(f"(?:{p.replace('(?P<file>', f'(?P<file{i}>')})" for i, p in enumerate(items("media") + items("attachment")))
    languages = [lang for lang in data if lang != "any"]
    return Phrases(
        system=alternation("system") + "|" + alternation("notice"),
        group_system=alternation("system"),
        system_by_language={lang: re.compile(alternation("system", [lang]) + "|" + alternation("notice", [lang]), re.IGNORECASE) for lang in languages},
        notice=rf"(?i)^[{MARKS}]*(?:{unnamed(alternation('notice'))})",
        notice_hint=_hint([unnamed(p) for p in items("notice") if _literals(unnamed(p))[0]]),
        markup_hint=_hint([unnamed(p) for kind in ("deleted", "media", "attachment", "contact", "location", "poll", "call") for p in items(kind)]),
        deleted=rf"(?i)^(?:{alternation('deleted')})\s*$",
        deleted_phrases=alternation("deleted"),
        media=rf"(?i)^(?:{unnamed(alternation('media'))})[ \t]*(?:\n|$)",
        attachment=rf"(?i)^(?:{unnamed(alternation('attachment'))})[ \t]*(?:\n|$)",
        file_names=re.compile(rf"(?:{named})[ \t]*(?:\n|$)", re.IGNORECASE),
        contact=rf"(?i)^(?:{alternation('contact')})",
        location=rf"(?i)^(?:{unnamed(alternation('location'))})",
        poll=rf"(?i)^(?:{alternation('poll')})",
        call=rf"(?i)^(?:{alternation('call')})\s*$",
        edited=rf"(?i)[ \x{{200e}}]*(?:{alternation('edited')})$",
        chat_file=re.compile(unnamed("|".join(f"(?:{p})" for p in items("file_name"))), re.IGNORECASE),
        chat_names=tuple(re.compile(p, re.IGNORECASE) for p in items("file_name") if "(?P<chat>" in p),
    )


def chat_name(file_name: str) -> str:
    """The contact's or group's name an export's file name carries ('' when none)."""
    stem = PurePosixPath(file_name).stem
    for pattern in phrases().chat_names:
        m = pattern.fullmatch(stem)
        if m:
            return m.group("chat").strip()
    return ""


# --- headers ----------------------------------------------------------------------------


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


def _standardise_headers(lines: pa.Array) -> tuple[pa.Array, int]:
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
    return sum(1 for line in spoken if CHAT_LIKE.match(line)) >= 3


# --- dates ------------------------------------------------------------------------------


def _inversions(year, month, day, hour, minute) -> int:
    key = (((year * 100 + month) * 100 + day) * 100 + hour) * 100 + minute
    return int((np.diff(key) < 0).sum())


ORDERS = {"DMY": (2, 1, 0), "MDY": (2, 0, 1), "YMD": (0, 1, 2)}  # positions of (year, month, day)


def possible_date_orders(d1: np.ndarray, d2: np.ndarray, d3: np.ndarray) -> list[str]:
    """The orders that give every date a month from 1 to 12 and a day from 1 to 31 (year first last)."""
    fields = (d1, d2, d3)
    possible = []
    for order, (_, m, d) in ORDERS.items():
        if (fields[m] >= 1).all() and (fields[m] <= 12).all() and (fields[d] >= 1).all() and (fields[d] <= 31).all():
            possible.append(order)
    return possible


def infer_date_order(d1: np.ndarray, d2: np.ndarray, d3: np.ndarray, hour=None, minute=None) -> str | None:
    """'DMY', 'MDY' or 'YMD' from the data; None when the data cannot tell.

    An order is possible when every date has a month from 1 to 12 and a day from 1 to
    31 (a first field above 31 is a year). Among the possible ones, the order that
    keeps messages in chronological order wins; then the one whose day field changes
    most often (days change faster than months, months faster than years).
    """
    if len(d1) == 0:
        return None
    if (d1 > 31).any():
        return "YMD"
    possible = possible_date_orders(d1, d2, d3)
    if len(possible) <= 1:
        return possible[0] if possible else None
    fields = (d1, d2, d3)
    zeros = np.zeros_like(d1)
    hour = zeros if hour is None else hour
    minute = zeros if minute is None else minute

    def year(a):
        return np.where(a < 100, a + 2000, a)

    inversions = {o: _inversions(year(fields[ORDERS[o][0]]), fields[ORDERS[o][1]], fields[ORDERS[o][2]], hour, minute) for o in possible}
    fewest = min(inversions.values())
    possible = [o for o in possible if inversions[o] == fewest]
    changes = {o: int((np.diff(fields[ORDERS[o][2]]) != 0).sum()) for o in possible}
    most = max(changes.values())
    best = [o for o in possible if changes[o] == most]
    return best[0] if len(best) == 1 else None


def fallback_date_order(fmt: HeaderFormat, settings: Settings) -> str:
    """The order to use when the data cannot tell: dots and dashes are day first; slashes with AM/PM month first."""
    if fmt.sep in ".-":
        return "DMY"
    return "MDY" if fmt.ampm else settings.locale_date_order


def to_datetimes(year, month, day, hour, minute, second) -> np.ndarray:
    """Naive datetime64[ns] from integer arrays; impossible dates become NaT."""
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (hour < 24) & (minute < 60) & (second < 60)
    months = np.where(valid, (year - 1970) * 12 + month - 1, 0)
    start = months.astype("datetime64[M]").astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[M]").astype("datetime64[D]") - start).astype(np.int64)
    valid &= day <= length
    seconds = (start + (day - 1).astype("timedelta64[D]")).astype("datetime64[s]") + (
        hour * 3600 + minute * 60 + second
    ).astype("timedelta64[s]")
    out = seconds.astype("datetime64[ns]")
    out[~valid] = np.datetime64("NaT")
    return out


def _int_field(struct: pa.StructArray, name: str, n: int) -> np.ndarray:
    try:
        values = struct.field(name)
    except KeyError:
        return np.zeros(n, dtype=np.int64)
    return pc.cast(values, pa.int64()).to_numpy()


def _timestamps(fields: pa.StructArray, order: str) -> np.ndarray:
    n = len(fields)
    d = [_int_field(fields, k, n) for k in ("d1", "d2", "d3")]
    hour, minute, second = (_int_field(fields, k, n) for k in ("H", "M", "S"))
    try:
        ampm = pc.utf8_lower(pc.utf8_slice_codeunits(pc.utf8_trim(fields.field("ampm"), f" {MARKS}\u202f\u00a0"), 0, 1))
        ampm = np.asarray(ampm.to_numpy(zero_copy_only=False), dtype=object)
        hour = np.where((ampm == "p") & (hour < 12), hour + 12, hour)
        hour = np.where((ampm == "a") & (hour == 12), 0, hour)
    except KeyError:
        pass
    y, m, day = ORDERS[order]
    year = np.where(d[y] < 100, d[y] + 2000, d[y])
    return to_datetimes(year, d[m], d[day], hour, minute, second)


# --- senders and message types ------------------------------------------------------------


def _language(texts: list[str]) -> str:
    """The export's language: the one whose system phrases occur most ('' when none does)."""
    counts = {lang: sum(1 for t in texts if rx.match(t.lstrip(MARKS))) for lang, rx in phrases().system_by_language.items()}
    best = max(counts, key=lambda lang: (counts[lang], lang == "fr"))
    return best if counts[best] else ""


def clean_senders(heads: pa.Array) -> pa.Array:
    """Senders as displayed: direction marks, spaces and the '~ ' (not in contacts) prefix removed.

    Cleaned once per distinct value (a chat has few senders).
    """
    encoded = pc.dictionary_encode(heads)
    names = pc.utf8_trim(encoded.dictionary, MARKS + " \u202f\u00a0")
    names = pc.utf8_trim(pc.replace_substring_regex(names, r"^~[ \x{202f}\x{a0}]*", ""), MARKS + " ")
    return pc.take(names, encoded.indices)


def _mask(array: pa.Array, pattern: str, rows: np.ndarray | None = None) -> np.ndarray:
    """Where ``pattern`` matches (RE2); only ``rows`` are tested when given (the rest is False)."""
    if rows is None:
        return pc.fill_null(pc.match_substring_regex(array, pattern), False).to_numpy(zero_copy_only=False)
    out = np.zeros(len(array), dtype=bool)
    if len(rows):
        out[rows] = _mask(pc.take(array, pa.array(rows)), pattern)
    return out


def _starting(prefix: str, alternation: str) -> str:
    """A case-insensitive RE2 pattern: the line starts with prefix, then one of the phrases."""
    return f"(?i)^{prefix}(?:{alternation})"


def _replace_rows(array: pa.Array, rows: np.ndarray, transform) -> pa.Array:
    """``array`` with ``transform`` applied to the given rows only (no full-length copy when none)."""
    if not len(rows):
        return array
    mask = np.zeros(len(array), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(array, pa.array(mask), transform(pc.take(array, pa.array(rows))))


def _isin(values: pa.Array, allowed) -> np.ndarray:
    return pc.fill_null(pc.is_in(values, pa.array(sorted(allowed), values.type)), False).to_numpy(zero_copy_only=False)


def _split_senders(messages: pa.Array, fmt: HeaderFormat, chat: str):
    """(speaker, text, is_system) of message bodies whose header was removed.

    A body without "Name: " is a system notice, except "Name:" alone when Name is a
    sender (an empty message). iOS writes group notices under the group's name with a
    direction mark: a sender all of whose messages start with one and say what
    notices say (or bear the chat's name) is the chat, not a member. A one-to-one
    export is named after the contact: that name is then a member like any other.
    """
    ph = phrases()
    parts = pc.split_pattern(messages, ": ", max_splits=1)
    bounds = parts.offsets.to_numpy()
    two = np.diff(bounds) == 2
    head = pc.take(parts.values, pa.array(bounds[:-1]))
    rest = pc.take(parts.values, pa.array(np.where(two, bounds[:-1] + 1, bounds[:-1])))  # the whole body when no ": "
    del parts
    has_sep = two & ~_mask(head, "\n", np.flatnonzero(two))
    rest = _replace_rows(rest, np.flatnonzero(two & ~has_sep), lambda _: pc.filter(messages, pa.array(two & ~has_sep)))
    senders = clean_senders(head)
    known = set(pc.unique(pc.filter(senders, pa.array(has_sep))).to_pylist())
    lone = np.flatnonzero(~has_sep & _mask(messages, r"^[^:\n]+:", np.flatnonzero(~has_sep)))
    if len(lone):  # "Carol:" (an empty message) or "John Doe:." (no space): a known sender's message
        split = pc.split_pattern(pc.take(messages, pa.array(lone)), ":", max_splits=1)
        names = clean_senders(pc.list_element(split, 0))
        mine = _isin(names, known)
        if mine.any():
            rows = lone[mine]
            has_sep[rows] = True
            senders = _replace_rows(senders, rows, lambda _: pc.filter(names, pa.array(mine)))
            after = pc.binary_join(pc.list_slice(split, 1), pa.scalar(":", messages.type))
            rest = _replace_rows(rest, rows, lambda _: pc.filter(after, pa.array(mine)))
    rest = pc.fill_null(rest, "")
    starts_marked = pc.starts_with(rest, "\u200e").to_numpy(zero_copy_only=False) | pc.starts_with(rest, "\u200f").to_numpy(zero_copy_only=False)
    marked_rows = np.flatnonzero(starts_marked & has_sep)
    announced = _mask(rest, _starting(f"[{MARKS}]*", ph.system), marked_rows)
    announced &= ~_mask(rest, _starting(f"[{MARKS}]*", ph.deleted_phrases), np.flatnonzero(announced))  # "Se eliminó este mensaje"
    noticed = _mask(rest, ph.notice, np.flatnonzero(has_sep & _mask(rest, ph.notice_hint)))
    if fmt.ios:
        news = np.flatnonzero(announced)
        group_news = _mask(rest, _starting(f"[{MARKS}]*", ph.group_system), news)
        markup = _mask(rest, ph.markup_hint, marked_rows)
        by_sender = pd.DataFrame({"sender": senders.to_pandas(), "marked": starts_marked, "announced": group_news, "markup": markup, "sep": has_sep})
        by_sender = by_sender[by_sender["sep"]].groupby("sender").agg(
            all_marked=("marked", "all"), announces=("announced", "any"), markup=("markup", "any")
        )
        named = (by_sender.index == chat) & ~by_sender["markup"]  # the chat's name, never sending media
        chats = set(by_sender.index[by_sender["all_marked"] & (by_sender["announces"] | named)])
        is_chat = has_sep & _isin(senders, chats) if chats else np.zeros(len(rest), dtype=bool)
        whole = ~has_sep  # the notice is the whole message; else it follows the chat's name
        is_system = whole | is_chat | announced | noticed
    else:
        counts = pc.value_counts(pc.filter(head, pa.array(has_sep)))
        values, freq = counts.field("values").to_pylist(), counts.field("counts").to_pylist()
        suspect = [h for h in values if SYSTEM_HINT.search(h) or len(h) > 80]
        single = {h for h, n in zip(values, freq) if n == 1}
        suspicious = has_sep & _isin(head, suspect)
        matches = _mask(messages, _starting(f"[{MARKS}]*", ph.system), np.flatnonzero(suspicious))
        lone_head = suspicious & _isin(head, single)
        whole = ~has_sep | matches | lone_head  # "Amélie a changé le sujet en « AG : 18h »" is one notice
        is_system = whole | noticed
    full = whole & has_sep  # a notice with ": " in it: the whole body (rows without ": " already are)
    texts = _replace_rows(rest, np.flatnonzero(full), lambda _: pc.filter(messages, pa.array(full)))
    texts = _replace_rows(texts, np.flatnonzero(starts_marked | is_system), lambda t: pc.utf8_ltrim(t, MARKS))
    speakers = pc.if_else(pa.array(is_system), pa.scalar(None, senders.type), senders)
    return speakers, texts, is_system


SYSTEM_HINT = re.compile(r"\s(?:a|ont|est|vous|has|have|was|were|is|hat|ha|heeft|foi|se)\s|\s(?:changed|added|removed|left|joined|created)\b")

#: message_type codes, in the order the checks win.
KINDS = ("text", "system", "deleted", "media", "contact", "location", "poll", "call")


def classify(texts: pa.Array | list[str], is_system: np.ndarray | None = None):
    """(message_type, text, edited, attachment, media) for message texts.

    The edited marker is removed from the text; a media marker followed by a caption
    leaves the caption as the message's text (type text, ``media`` true).
    """
    ph = phrases()
    texts = pa.array(texts, pa.large_string()) if isinstance(texts, list) else texts
    n = len(texts)
    is_system = np.zeros(n, dtype=bool) if is_system is None else is_system
    edited = _mask(texts, ph.edited, np.flatnonzero(pc.ends_with(texts, ">").to_numpy(zero_copy_only=False) & ~is_system))
    texts = _replace_rows(texts, np.flatnonzero(edited), lambda t: pc.replace_substring_regex(t, ph.edited, ""))
    candidates = np.flatnonzero(_mask(texts, ph.markup_hint) & ~is_system)
    texts = _replace_rows(texts, candidates, lambda t: pc.utf8_ltrim(t, MARKS))
    view = _replace_rows(texts, candidates, lambda t: pc.replace_substring_regex(t, f"[{MARKS}]", ""))  # "x.txt \u200edocument omitted"
    masks = {kind: _mask(view, getattr(ph, kind), candidates) for kind in ("deleted", "media", "attachment", "contact", "location", "poll", "call")}
    media = masks["media"] | masks["attachment"]
    codes = np.select(
        [is_system, masks["deleted"], masks["contact"], media, masks["location"], masks["poll"], masks["call"]],
        [1, 2, 4, 3, 5, 6, 7],
        0,
    )
    attachments: list[str | None] = [None] * n
    captioned = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(media & (codes == 3))
    values = pc.take(view, pa.array(rows)).to_pylist() if len(rows) else []
    captions = {}
    for i, value in zip(rows, values):
        m = ph.file_names.match(value)
        attachments[i] = next((v.strip() for v in m.groupdict().values() if v), None) if m else None
        first, _, caption = value.partition("\n")
        if caption.strip():
            captioned[i], captions[i] = True, caption
    codes[captioned] = 0
    if captions:
        keys = np.array(sorted(captions))
        texts = _replace_rows(texts, keys, lambda _: pa.array([captions[i] for i in keys], pa.large_string()))
    kinds = pc.take(pa.array(list(KINDS), pa.large_string()), codes)
    return kinds, texts, edited, attachments, media & ~is_system


# --- files --------------------------------------------------------------------------------


def _read_zip(path: Path, settings: Settings) -> tuple[bytes, str, list[str]]:
    """(chat bytes, chat member name, media file names) of a WhatsApp .zip export."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            for info in infos:
                parts = PurePosixPath(info.filename.replace("\\", "/")).parts
                if info.filename.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", info.filename):
                    raise IngestError(path, f"zip refusé : chemin dangereux « {info.filename} » (zip slip)")
            total = sum(i.file_size for i in infos)
            if total > settings.max_zip_bytes:
                raise IngestError(path, f"zip refusé : {total:,} octets une fois décompressé (limite {settings.max_zip_bytes:,})")
            for info in infos:
                if info.compress_size and info.file_size / info.compress_size > settings.max_zip_ratio:
                    raise IngestError(
                        path, f"zip refusé : taux de compression suspect pour « {info.filename} » (bombe de décompression ?)"
                    )
            texts = [i for i in infos if i.filename.lower().endswith(".txt") and not i.is_dir()]
            chats = [i for i in texts if phrases().chat_file.fullmatch(PurePosixPath(i.filename).stem)] or texts
            if len(chats) != 1:
                found = "aucun" if not chats else f"{len(chats)} fichiers .txt"
                raise IngestError(path, f"zip sans discussion WhatsApp identifiable ({found})")
            chat = chats[0]
            with zf.open(chat) as fh:
                data = fh.read(settings.max_zip_bytes + 1)
            if len(data) > settings.max_zip_bytes:
                raise IngestError(path, "zip refusé : la discussion dépasse la taille maximale")
            media = sorted(PurePosixPath(i.filename).name for i in infos if i is not chat and not i.is_dir())
            return data, chat.filename, media
    except zipfile.BadZipFile as exc:
        raise IngestError(path, f"zip illisible ou tronqué ({exc})") from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error) as exc:
        raise IngestError(path, f"zip illisible ou tronqué ({type(exc).__name__}: {exc})") from None


def _lines(data: bytes, path: str | Path) -> tuple[pa.Array, bool]:
    """The file's lines as an Arrow array (LF endings, BOMs removed) and whether it ended with a newline."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or looks_binary(data) or not data.strip():
        data = decode_bytes(data, path)[0].encode("utf-8")
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        data = decode_bytes(data, path)[0].encode("utf-8")
        offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
        text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    if b"\r" in data:
        text = pc.replace_substring(pc.replace_substring(text, "\r\n", "\n"), "\r", "\n")
    ends_with_newline = data.endswith((b"\n", b"\r"))
    lines = pc.split_pattern(text, "\n")[0].values
    if ends_with_newline:
        lines = lines.slice(0, len(lines) - 1)
    return lines, ends_with_newline


def read_whatsapp(
    path: str | Path,
    document: Document | None = None,
    settings: Settings = DEFAULTS,
    rejects: list[Reject] | None = None,
    date_order: str | None = None,
) -> pd.DataFrame:
    """Read a WhatsApp export (.txt or .zip) into the segment table, one row per message.

    ``date_order`` ('DMY', 'MDY', 'YMD') forces the order of date fields; by default it
    comes from the manifest entry, then the settings, then the data. Lines that cannot
    belong to a message are appended to ``rejects`` (when given).
    """
    path = Path(path)
    document = document_for(path, document)
    media: list[str] | None = None
    chat = chat_name(path.name)
    if path.suffix.lower() == ".zip":
        data, member, media = _read_zip(path, settings)
        chat = chat_name(member) or chat
    else:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise IngestError(path, f"lecture impossible ({exc.strerror or exc})") from None
    lines, ends_with_newline = _lines(data, document.relpath)
    del data  # the lines hold their own copy: keep the peak memory low
    return _parse_lines(lines, ends_with_newline, document, settings, rejects, date_order, chat, media)


def parse_whatsapp(
    data: bytes | str,
    document: Document,
    settings: Settings = DEFAULTS,
    rejects: list[Reject] | None = None,
    date_order: str | None = None,
    group: str = "",
    media: list[str] | None = None,
) -> pd.DataFrame:
    """Parse the content of an export given as bytes or text (see :func:`read_whatsapp`); ``group`` is the chat's name."""
    lines, ends_with_newline = _lines(data.encode("utf-8") if isinstance(data, str) else data, document.relpath)
    return _parse_lines(lines, ends_with_newline, document, settings, rejects, date_order, group, media)


def _message_starts(lines: pa.Array, heads: np.ndarray, ends_with_newline: bool, path: str):
    """The end of the last message, and the rejected lines (before the first message, a truncated tail)."""
    first = int(heads[0])
    rejected = [Reject(path, "ligne avant le premier message", i + 1, c) for i, c in enumerate(lines.slice(0, first).to_pylist())]
    end = len(lines)
    last = lines[end - 1].as_py()
    if not ends_with_newline and end - 1 > heads[-1] and TRUNCATED_TAIL.fullmatch(last):
        rejected.append(Reject(path, "ligne tronquée (fichier coupé ?)", end, last))
        end -= 1
    return end, rejected


def _join_messages(lines: pa.Array, pattern: str, heads: np.ndarray, end: int) -> pa.Array:
    """One string per message: header removed, continuation lines joined with LF."""
    bodies = pc.replace_substring_regex(lines.slice(heads[0], end - heads[0]), pattern, "", max_replacements=1)
    offsets = pa.array(np.append(heads, end) - heads[0], pa.int64())
    return pc.binary_join(pa.LargeListArray.from_arrays(offsets, bodies), pa.scalar("\n", bodies.type))


def _header_lines(lines: pa.Array, formats: list[HeaderFormat], path: str) -> tuple[np.ndarray, list[HeaderFormat], np.ndarray]:
    """Header line numbers, the formats read, and each header's format index.

    Lines of a second format inside the main one's messages (a concatenated or edited
    export) start messages too when there are many of them; a few are left in their
    message, with a warning (a quoted message pasted into another).
    """
    main = _mask(lines, formats[0].pattern())
    which = np.zeros(len(lines), dtype=np.int8)
    used = [formats[0]]
    continuation = np.flatnonzero(~main)
    for fmt in formats[1:]:
        other = _mask(lines, fmt.pattern(), continuation)
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


def _parse_lines(lines, ends_with_newline, document, settings, rejects, date_order, chat, media) -> pd.DataFrame:
    path = document.relpath
    probe = lines.slice(0, PROBE_LINES).to_pylist()
    if not any(HEADER_PROBE.match(line) for line in probe) and any(EXOTIC_HEADER.match(line) for line in probe):
        lines, _ = _standardise_headers(lines)
        probe = lines.slice(0, PROBE_LINES).to_pylist()
    formats = detect_formats(probe, path)
    heads, formats, which = _header_lines(lines, formats, path)
    end, found = _message_starts(lines, heads, ends_with_newline, path)
    pattern = "|".join(f"(?:{fmt.pattern()})" for fmt in formats)
    messages = _join_messages(lines, pattern, heads, end)
    starts = pc.utf8_slice_codeunits(pc.take(lines, pa.array(heads)), 0, 64)
    del lines
    speakers, texts, is_system = _split_senders(messages, formats[0], chat)
    del messages
    forced = date_order or document.date_order or (settings.date_order if settings.date_order != "auto" else None)
    timestamps = np.full(len(heads), np.datetime64("NaT"), dtype="datetime64[ns]")
    orders = []
    for i, fmt in enumerate(formats):
        rows = np.flatnonzero(which == i)
        fields = pc.extract_regex(pc.take(starts, pa.array(rows)) if len(formats) > 1 else starts, fmt.pattern(named=True))
        order = forced or _inferred_order(fields, fmt, settings, path)
        timestamps[rows] = _timestamps(fields, order)
        orders.append(order)
    language = _language(pc.filter(texts, pa.array(is_system)).slice(0, 2000).to_pylist())
    kinds, texts, edited, attachments, has_media = classify(texts, is_system)
    df = finish(
        {
            "speaker": pd.arrays.ArrowStringArray(speakers),
            "speaker_role": pd.arrays.ArrowStringArray(pc.take(pa.array(["member", "system"], pa.large_string()), is_system.astype(np.int8))),
            "timestamp": timestamps,
            "message_type": pd.arrays.ArrowStringArray(kinds),
            "text": pd.arrays.ArrowStringArray(texts),
            "edited": edited,
            "attachment": pd.arrays.ArrowStringArray(pa.array(attachments, pa.large_string())),
            "media": has_media,
            "source_line": heads + 1,
        },
        document,
        "whatsapp",
    )
    if media is not None:
        df["attachment_found"] = df["attachment"].isin(set(media)).astype("boolean").mask(df["attachment"].isna())
    reading = {"header_format": "+".join(f.name for f in formats), "date_order": "+".join(dict.fromkeys(orders)), "language": language}
    df.attrs.update({**reading, "reading": reading})
    if rejects is not None:
        rejects.extend(found)
    return df


def _inferred_order(fields: pa.StructArray, fmt: HeaderFormat, settings: Settings, path: str) -> str:
    n = len(fields)
    d1, d2, d3, hour, minute = (_int_field(fields, k, n) for k in ("d1", "d2", "d3", "H", "M"))
    order = infer_date_order(d1, d2, d3, hour, minute)
    if order is None:
        possible = possible_date_orders(d1, d2, d3)
        order = fallback_date_order(fmt, settings)
        if possible and order not in possible:
            order = possible[0]
        warnings.warn(
            f"{path} : ordre des dates ambigu, {order} retenu ; s'il est faux, indiquez date_order: DMY, MDY ou YMD "
            "pour ce document dans corpus.yaml",
            ReadingWarning,
            stacklevel=4,
        )
    return order


def count_lines(data: bytes) -> int:
    """Lines of an export as the reader counts them (the final newline ends the last line)."""
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
