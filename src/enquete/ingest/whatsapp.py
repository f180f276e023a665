"""Read WhatsApp chat exports (Android and iOS, any locale, .txt or .zip).

One segment per message. The header format (brackets, date separator, comma, seconds,
AM/PM) is detected from the file; the date order (day, month or year first) is inferred
from the data. Message texts are kept exactly as written; only export artefacts (the
edited marker, a leading U+200E mark) are removed. Every line of the input ends up in a
message or in the rejects.
"""

from __future__ import annotations

import re
import warnings
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from enquete.corpus import Document
from enquete.ingest.common import Reject, document_for, finish
from enquete.ingest.errors import IngestError
from enquete.ingest.text import decode_bytes, looks_binary
from enquete.settings import DEFAULTS, Settings

MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
_SPACE = "[ \u202f\u00a0]"  # literal characters: valid in Python re and RE2
HEADER_PROBE = re.compile(
    rf"[{MARKS}]*(?P<bracket>\[)?"
    r"(?P<d1>\d{1,4})(?P<sep>[/.\-])(?P<d2>\d{1,2})(?P=sep)(?P<d3>\d{2,4})"
    r"(?P<join>,? à |, ?| )"
    r"(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2}))?"
    rf"(?P<ampm>{_SPACE}?[aApP]\.?{_SPACE}?[mM]\.?)?"
    rf"(?P<end>\][{MARKS}]? ?| [-–] )"
)
PROBE_LINES = 1000
TRUNCATED_TAIL = re.compile(r"\[?\d{1,4}[/.\-][\d/.\-, :àaApPmM\u202f\u00a0]*")
CHAT_NAMES = re.compile(r"(?:^|/)(?:_chat|WhatsApp Chat with .+|Discussion WhatsApp avec .+|WhatsApp Chat - .+)\.txt$")
GROUP_FROM_NAME = re.compile(r"(?:WhatsApp Chat with |Discussion WhatsApp avec |WhatsApp Chat - )(.+)$")
SYSTEM_HINT = re.compile(r"\s(?:a|ont|est|vous|has|have|was|were|is)\s|\s(?:changed|added|removed|left|joined|created)\b")


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
            + (r"\[" if self.ios else "")
            + group("d1", r"\d{1,4}") + sep + group("d2", r"\d{1,2}") + sep + group("d3", r"\d{2,4}")
            + re.escape(self.join)
            + group("H", r"\d{1,2}") + "[:.]" + group("M", r"\d{2}")
            + ("[:.]" + group("S", r"\d{2}") if self.seconds else "")
            + (group("ampm", rf"{_SPACE}?[aApP]\.?{_SPACE}?[mM]\.?") if self.ampm else "")
            + (rf"\][{MARKS}]? ?" if self.ios else r" [-–] ")
        )

    @property
    def name(self) -> str:
        return "ios" if self.ios else "android"


@dataclass(frozen=True)
class Phrases:
    """Phrase patterns of every language (see whatsapp_phrases.yaml), as RE2 strings."""

    system: str  # alternation of the system phrases, unanchored
    system_by_language: dict[str, re.Pattern]
    deleted: str
    media_omitted: str
    attachment: str
    attachment_names: re.Pattern
    contact: str
    location: str
    poll: str
    edited: str


@lru_cache(maxsize=1)
def phrases() -> Phrases:
    data = yaml.safe_load((resources.files("enquete.ingest") / "whatsapp_phrases.yaml").read_text("utf-8"))
    who = r"[^:\n]+?"

    def alternation(kind: str, languages=None) -> str:
        items = [p for lang, table in data.items() if languages is None or lang in languages for p in table[kind]]
        return "|".join(f"(?:{p.replace('{who}', who)})" for p in items)

    def unnamed(pattern: str) -> str:
        return re.sub(r"\(\?P<\w+>", "(", pattern)

    attachments = [p for table in data.values() for p in table["attachment"]]
    named = "|".join(f"(?:{p.replace('(?P<file>', f'(?P<file{i}>')})" for i, p in enumerate(attachments))
    return Phrases(
        system=alternation("system"),
        system_by_language={lang: re.compile(alternation("system", [lang]), re.IGNORECASE) for lang in data},
        deleted=rf"(?i)^(?:{alternation('deleted')})\s*$",
        media_omitted=rf"(?i)^(?:{alternation('media_omitted')})\s*$",
        attachment=rf"(?i)^(?:{unnamed(alternation('attachment'))})(?:\n|$)",
        attachment_names=re.compile(rf"(?:{named})(?:\n|$)", re.IGNORECASE),
        contact=rf"(?i)^(?:{alternation('contact')})",
        location=rf"(?i)^(?:{alternation('location')})",
        poll=rf"(?i)^(?:{alternation('poll')})",
        edited=rf"(?i)[ \x{{200e}}]*(?:{alternation('edited')})$",
    )


def detect_format(lines: list[str], path: str | Path = "<texte>") -> HeaderFormat:
    """The header format most of the given (first) lines are written in."""
    votes: Counter = Counter()
    for line in lines:
        m = HEADER_PROBE.match(line)
        if m:
            fmt = HeaderFormat(m["bracket"] is not None, m["sep"], m["join"], m["S"] is not None, m["ampm"] is not None)
            votes[fmt] += 1
    if not votes:
        raise IngestError(
            path, f"ce n'est pas un export WhatsApp : aucune des {len(lines)} premières lignes ne commence par une date et une heure"
        )
    return votes.most_common(1)[0][0]


def _inversions(year, month, day, hour, minute) -> int:
    key = (((year * 100 + month) * 100 + day) * 100 + hour) * 100 + minute
    return int((np.diff(key) < 0).sum())


def infer_date_order(d1: np.ndarray, d2: np.ndarray, d3: np.ndarray, hour=None, minute=None) -> str | None:
    """'DMY', 'MDY' or 'YMD' from the data; None when the data cannot tell.

    A field above 12 cannot be a month; else the order that keeps messages in
    chronological order wins; else the field that changes more often is the day.
    """
    if len(d1) == 0:
        return None
    if d1.max() > 31:
        return "YMD"
    d1_day, d2_day = bool((d1 > 12).any()), bool((d2 > 12).any())
    if d1_day != d2_day:
        return "DMY" if d1_day else "MDY"
    if d1_day and d2_day:
        return None
    zeros = np.zeros_like(d1)
    hour = zeros if hour is None else hour
    minute = zeros if minute is None else minute
    years = np.where(d3 < 100, d3 + 2000, d3)
    inv_dmy = _inversions(years, d2, d1, hour, minute)
    inv_mdy = _inversions(years, d1, d2, hour, minute)
    if inv_dmy != inv_mdy:
        return "DMY" if inv_dmy < inv_mdy else "MDY"
    changes_d1, changes_d2 = int((np.diff(d1) != 0).sum()), int((np.diff(d2) != 0).sum())
    if changes_d1 != changes_d2:
        return "DMY" if changes_d1 > changes_d2 else "MDY"
    return None


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
    d1, d2, d3 = (_int_field(fields, k, n) for k in ("d1", "d2", "d3"))
    hour, minute, second = (_int_field(fields, k, n) for k in ("H", "M", "S"))
    try:
        ampm = pc.utf8_lower(pc.utf8_slice_codeunits(pc.utf8_trim(fields.field("ampm"), f" {MARKS}\u202f\u00a0"), 0, 1))
        ampm = np.asarray(ampm.to_numpy(zero_copy_only=False), dtype=object)
        hour = np.where((ampm == "p") & (hour < 12), hour + 12, hour)
        hour = np.where((ampm == "a") & (hour == 12), 0, hour)
    except KeyError:
        pass
    year, month, day = {"DMY": (d3, d2, d1), "MDY": (d3, d1, d2), "YMD": (d1, d2, d3)}[order]
    year = np.where(year < 100, year + 2000, year)
    return to_datetimes(year, month, day, hour, minute, second)


def _language(texts: list[str]) -> str:
    """The export's language: the one whose system phrases occur most (French on a tie)."""
    counts = {lang: sum(1 for t in texts if rx.match(t)) for lang, rx in phrases().system_by_language.items()}
    return max(counts, key=lambda lang: (counts[lang], lang == "fr"))


def clean_senders(heads: pa.Array) -> pa.Array:
    """Senders as displayed: direction marks, spaces and the '~ ' (not in contacts) prefix removed."""
    trimmed = pc.utf8_trim(heads, MARKS + " \u202f\u00a0")
    return pc.utf8_trim(pc.replace_substring_regex(trimmed, r"^~[ \x{202f}\x{a0}]*", ""), MARKS + " ")


def _mask(array: pa.Array, pattern: str, rows: np.ndarray | None = None) -> np.ndarray:
    """Where ``pattern`` matches (RE2); only ``rows`` are tested when given (the rest is False)."""
    if rows is None:
        return pc.fill_null(pc.match_substring_regex(array, pattern), False).to_numpy(zero_copy_only=False)
    out = np.zeros(len(array), dtype=bool)
    if len(rows):
        out[rows] = _mask(pc.take(array, pa.array(rows)), pattern)
    return out


#: Cheap test for texts that may be export markup (media, deleted, poll...): the rest is plain text.
MARKUP_HINT = (
    r"(?i)^(?:<|\x{200e}|pi[eè]ce|image|vid[eé]o|audio|gif|document|autocollant|sticker|ce message|"
    r"this message|vous avez supprim|you deleted|carte de contact|contact card|position|localisation|"
    r"location|live location|sondage|poll)|\((?:fichier joint|file attached)\)"
)


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


def _split_senders(messages: pa.Array, fmt: HeaderFormat, group: str):
    """(speaker, text, is_system) of message bodies whose header was removed."""
    ph = phrases()
    parts = pc.split_pattern(messages, ": ", max_splits=1)
    head = pc.list_element(parts, 0)
    has_sep = (pc.list_value_length(parts).to_numpy() == 2) & ~_mask(head, "\n")
    rest = pc.binary_join(pc.list_slice(parts, 1), pa.scalar(": ", messages.type))
    del parts
    senders = clean_senders(head)
    starts_marked = pc.starts_with(rest, "\u200e").to_numpy(zero_copy_only=False)
    if fmt.ios:
        is_group = has_sep & (pc.equal(senders, group).to_numpy(zero_copy_only=False) if group else False)
        announced = _mask(rest, _starting("\u200e", ph.system), np.flatnonzero(starts_marked))
        is_system = ~has_sep | is_group | announced
        texts = _replace_rows(rest, np.flatnonzero(~has_sep), lambda _: pc.filter(messages, pa.array(~has_sep)))
    else:
        counts = pc.value_counts(pc.filter(head, pa.array(has_sep)))
        values, freq = counts.field("values").to_pylist(), counts.field("counts").to_pylist()
        suspect = [h for h in values if SYSTEM_HINT.search(h) or len(h) > 80]
        single = {h for h, n in zip(values, freq) if n == 1}
        suspicious = has_sep & pc.is_in(head, pa.array(suspect, head.type)).to_numpy(zero_copy_only=False)
        matches = _mask(messages, _starting(f"[{MARKS}]*", ph.system), np.flatnonzero(suspicious))
        lone = suspicious & pc.is_in(head, pa.array(sorted(single), head.type)).to_numpy(zero_copy_only=False)
        is_system = ~has_sep | matches | lone
        texts = _replace_rows(rest, np.flatnonzero(is_system), lambda _: pc.filter(messages, pa.array(is_system)))
    texts = _replace_rows(texts, np.flatnonzero(starts_marked | is_system), lambda t: pc.utf8_ltrim(t, MARKS))
    speakers = pc.if_else(pa.array(is_system), pa.scalar(None, senders.type), senders)
    return speakers, texts, is_system


def classify(texts: pa.Array | list[str], is_system: np.ndarray | None = None):
    """(message_type, text without export markers, edited, attachment) for message texts."""
    ph = phrases()
    texts = pa.array(texts, pa.large_string()) if isinstance(texts, list) else texts
    n = len(texts)
    is_system = np.zeros(n, dtype=bool) if is_system is None else is_system
    edited = _mask(texts, ph.edited, np.flatnonzero(pc.ends_with(texts, ">").to_numpy(zero_copy_only=False) & ~is_system))
    texts = _replace_rows(texts, np.flatnonzero(edited), lambda t: pc.replace_substring_regex(t, ph.edited, ""))
    candidates = np.flatnonzero(_mask(texts, MARKUP_HINT) & ~is_system)
    texts = _replace_rows(texts, candidates, lambda t: pc.utf8_ltrim(t, MARKS))
    masks = {
        kind: _mask(texts, getattr(ph, kind), candidates)
        for kind in ("deleted", "media_omitted", "contact", "attachment", "location", "poll")
    }
    codes = np.select(
        [is_system, masks["deleted"], masks["media_omitted"], masks["contact"], masks["attachment"], masks["location"], masks["poll"]],
        [1, 2, 3, 4, 3, 5, 6],
        0,
    )
    kinds = pc.take(pa.array(["text", "system", "deleted", "media", "contact", "location", "poll"], pa.large_string()), codes)
    attachments = [None] * n
    rows = np.flatnonzero((codes == 3) & masks["attachment"])
    for i, value in zip(rows, pc.take(texts, pa.array(rows)).to_pylist()):
        m = ph.attachment_names.match(value)
        attachments[i] = next((v.strip() for v in m.groupdict().values() if v), None) if m else None
    return kinds, texts, edited, attachments


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
            chats = [i for i in infos if CHAT_NAMES.search(i.filename)] or [
                i for i in infos if i.filename.lower().endswith(".txt") and not i.is_dir()
            ]
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


def _group_name(name: str) -> str:
    m = GROUP_FROM_NAME.search(PurePosixPath(name).stem)
    return m.group(1).strip() if m else ""


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
    if b"\n\xef\xbb\xbf" in data:
        text = pc.replace_substring(text, "\n\ufeff", "\n")
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
    group = _group_name(path.name)
    if path.suffix.lower() == ".zip":
        data, member, media = _read_zip(path, settings)
        group = _group_name(member) or group
    else:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise IngestError(path, f"lecture impossible ({exc.strerror or exc})") from None
    lines, ends_with_newline = _lines(data, document.relpath)
    del data  # the lines hold their own copy: keep the peak memory low
    return _parse_lines(lines, ends_with_newline, document, settings, rejects, date_order, group, media)


def parse_whatsapp(
    data: bytes | str,
    document: Document,
    settings: Settings = DEFAULTS,
    rejects: list[Reject] | None = None,
    date_order: str | None = None,
    group: str = "",
    media: list[str] | None = None,
) -> pd.DataFrame:
    """Parse the content of an export given as bytes or text (see :func:`read_whatsapp`)."""
    lines, ends_with_newline = _lines(data.encode("utf-8") if isinstance(data, str) else data, document.relpath)
    return _parse_lines(lines, ends_with_newline, document, settings, rejects, date_order, group, media)


def _message_starts(lines: pa.Array, pattern: str, ends_with_newline: bool, path: str):
    """Header line numbers, the end of the last message, and the rejected lines."""
    heads = np.flatnonzero(_mask(lines, pattern))
    first = int(heads[0])
    rejected = [Reject(path, "ligne avant le premier message", i + 1, c) for i, c in enumerate(lines.slice(0, first).to_pylist())]
    end = len(lines)
    last = lines[end - 1].as_py()
    if not ends_with_newline and end - 1 > heads[-1] and TRUNCATED_TAIL.fullmatch(last):
        rejected.append(Reject(path, "ligne tronquée (fichier coupé ?)", end, last))
        end -= 1
    return heads, end, rejected


def _join_messages(lines: pa.Array, pattern: str, heads: np.ndarray, end: int) -> pa.Array:
    """One string per message: header removed, continuation lines joined with LF."""
    bodies = pc.replace_substring_regex(lines.slice(heads[0], end - heads[0]), pattern, "", max_replacements=1)
    offsets = pa.array(np.append(heads, end) - heads[0], pa.int64())
    return pc.binary_join(pa.LargeListArray.from_arrays(offsets, bodies), pa.scalar("\n", bodies.type))


def _parse_lines(lines, ends_with_newline, document, settings, rejects, date_order, group, media) -> pd.DataFrame:
    path = document.relpath
    fmt = detect_format(lines.slice(0, PROBE_LINES).to_pylist(), path)
    heads, end, found = _message_starts(lines, fmt.pattern(), ends_with_newline, path)
    fields = pc.extract_regex(pc.utf8_slice_codeunits(pc.take(lines, pa.array(heads)), 0, 64), fmt.pattern(named=True))
    messages = _join_messages(lines, fmt.pattern(), heads, end)
    del lines
    speakers, texts, is_system = _split_senders(messages, fmt, group)
    del messages
    order = date_order or document.date_order or (settings.date_order if settings.date_order != "auto" else None)
    if order is None:
        n = len(fields)
        d1, d2, d3, hour, minute = (_int_field(fields, k, n) for k in ("d1", "d2", "d3", "H", "M"))
        order = infer_date_order(d1, d2, d3, hour, minute)
    language = _language(pc.filter(texts, pa.array(is_system)).slice(0, 2000).to_pylist())
    if order is None:
        order = "MDY" if fmt.ampm else settings.locale_date_order
        warnings.warn(f"{path} : ordre des dates ambigu, {order} retenu (forcer avec date_order)", stacklevel=3)
    kinds, texts, edited, attachments = classify(texts, is_system)
    df = finish(
        {
            "speaker": pd.arrays.ArrowStringArray(speakers),
            "speaker_role": pd.arrays.ArrowStringArray(pc.take(pa.array(["member", "system"], pa.large_string()), is_system.astype(np.int8))),
            "timestamp": _timestamps(fields, order),
            "message_type": pd.arrays.ArrowStringArray(kinds),
            "text": pd.arrays.ArrowStringArray(texts),
            "edited": edited,
            "attachment": pd.arrays.ArrowStringArray(pa.array(attachments, pa.large_string())),
            "source_line": heads + 1,
        },
        document,
        "whatsapp",
    )
    if media is not None:
        df["attachment_found"] = df["attachment"].isin(set(media)).astype("boolean").mask(df["attachment"].isna())
    df.attrs.update({"header_format": fmt.name, "date_order": order, "language": language})
    if rejects is not None:
        rejects.extend(found)
    return df


def count_lines(data: bytes) -> int:
    """Lines of an export as the reader counts them (the final newline ends the last line)."""
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
