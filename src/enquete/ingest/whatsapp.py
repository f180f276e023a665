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
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import yaml

from enquete.corpus import Document
from enquete.ingest.common import Reject, document_for, finish
from enquete.ingest.errors import IngestError
from enquete.ingest.text import decode_bytes
from enquete.settings import DEFAULTS, Settings

MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
_SPACE = r"[ \u202f\u00a0]"
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

    @property
    def regex(self) -> re.Pattern:
        """A multi-line header pattern with 7 groups: d1, d2, d3, hour, minute, second, am/pm."""
        sep = re.escape(self.sep)
        return re.compile(
            rf"^[{MARKS}]*"
            + (r"\[" if self.ios else "")
            + rf"(\d{{1,4}}){sep}(\d{{1,2}}){sep}(\d{{2,4}})"
            + re.escape(self.join)
            + r"(\d{1,2})[:.](\d{2})"
            + (r"[:.](\d{2})" if self.seconds else "()")
            + (rf"({_SPACE}?[aApP]\.?{_SPACE}?[mM]\.?)" if self.ampm else "()")
            + (rf"\][{MARKS}]? ?" if self.ios else r" [-–] "),
            re.MULTILINE,
        )

    @property
    def name(self) -> str:
        return "ios" if self.ios else "android"


@dataclass(frozen=True)
class Phrases:
    """Compiled phrase patterns of every language (see whatsapp_phrases.yaml)."""

    system: re.Pattern
    system_by_language: dict[str, re.Pattern]
    deleted: re.Pattern
    media_omitted: re.Pattern
    attachment: re.Pattern
    contact: re.Pattern
    location: re.Pattern
    poll: re.Pattern
    edited: re.Pattern


@lru_cache(maxsize=1)
def phrases() -> Phrases:
    data = yaml.safe_load((resources.files("enquete.ingest") / "whatsapp_phrases.yaml").read_text("utf-8"))
    who = r"[^:\n]+?"

    def alternation(kind: str, languages=None) -> str:
        items = [p for lang, table in data.items() if languages is None or lang in languages for p in table[kind]]
        return "|".join(f"(?:{p.replace('{who}', who)})" for p in items)

    attachment = "|".join(
        f"(?:{p.replace('(?P<file>', f'(?P<file{i}>')})" for i, p in enumerate(p for t in data.values() for p in t["attachment"])
    )
    flags = re.IGNORECASE
    return Phrases(
        system=re.compile(rf"(?:{alternation('system')})", flags),
        system_by_language={lang: re.compile(rf"(?:{alternation('system', [lang])})", flags) for lang in data},
        deleted=re.compile(rf"(?:{alternation('deleted')})\s*", flags),
        media_omitted=re.compile(rf"(?:{alternation('media_omitted')})\s*", flags),
        attachment=re.compile(rf"(?:{attachment})(?=\n|$)", flags),
        contact=re.compile(rf"(?:{alternation('contact')})", flags),
        location=re.compile(rf"(?:{alternation('location')})", flags),
        poll=re.compile(rf"(?:{alternation('poll')})", flags),
        edited=re.compile(rf"[ \u200e]*(?:{alternation('edited')})$", flags),
    )


def detect_format(text: str, path: str | Path = "<texte>") -> HeaderFormat:
    """The header format most lines of the first part of the file are written in."""
    votes: Counter = Counter()
    for line in text.split("\n", PROBE_LINES)[:PROBE_LINES]:
        m = HEADER_PROBE.match(line)
        if m:
            votes[
                HeaderFormat(
                    ios=bool(m["bracket"]),
                    sep=m["sep"],
                    join=m["join"],
                    seconds=m["S"] is not None,
                    ampm=m["ampm"] is not None,
                )
            ] += 1
    if not votes:
        raise IngestError(
            path, f"ce n'est pas un export WhatsApp : aucune des {PROBE_LINES} premières lignes ne commence par une date et une heure"
        )
    return votes.most_common(1)[0][0]


def _ints(values: list[str]) -> np.ndarray:
    return np.fromiter(map(int, values), dtype=np.int64, count=len(values))


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


def _timestamps(parts: list[str], order: str) -> pd.Series:
    d1, d2, d3 = _ints(parts[0::8]), _ints(parts[1::8]), _ints(parts[2::8])
    hour, minute = _ints(parts[3::8]), _ints(parts[4::8])
    seconds = np.fromiter((int(s) if s else 0 for s in parts[5::8]), dtype=np.int64, count=len(d1))
    ampm = np.array([a.strip().lower()[:1] for a in parts[6::8]])
    hour = np.where((ampm == "p") & (hour < 12), hour + 12, hour)
    hour = np.where((ampm == "a") & (hour == 12), 0, hour)
    year, month, day = {"DMY": (d3, d2, d1), "MDY": (d3, d1, d2), "YMD": (d1, d2, d3)}[order]
    year = np.where(year < 100, year + 2000, year)
    return pd.to_datetime(
        pd.DataFrame({"year": year, "month": month, "day": day, "hour": hour, "minute": minute, "second": seconds}),
        errors="coerce",
    )


def _language(texts: list[str]) -> str:
    """The export's language: the one whose system phrases occur most (French on a tie)."""
    sample = [t for t in texts[:20000] if t]
    counts = {lang: sum(1 for t in sample if rx.match(t)) for lang, rx in phrases().system_by_language.items()}
    return max(counts, key=lambda lang: (counts[lang], lang == "fr"))


def _split_sender(bodies: list[str], fmt: HeaderFormat, group: str) -> tuple[list[str], list[str], list[bool]]:
    """Senders, texts and system flags of message bodies (header removed)."""
    ph = phrases()
    split = [b.partition(": ") for b in bodies]
    head_counts = Counter(h for h, sep, _ in split if sep)
    suspect = {h for h in head_counts if SYSTEM_HINT.search(h) or len(h) > 80}
    senders, texts, system = [], [], []
    for body, (head, sep, rest) in zip(bodies, split):
        if not sep:
            is_system = True
        elif fmt.ios:
            is_system = bool(group and head.strip() == group) or (
                rest[:1] == "\u200e" and bool(ph.system.match(rest.lstrip(MARKS)))
            )
        elif head in suspect:
            is_system = bool(ph.system.match(body.lstrip(MARKS))) or head_counts[head] == 1
        else:
            is_system = False
        if is_system:
            senders.append("")
            texts.append((rest if fmt.ios and sep else body).lstrip(MARKS))
        else:
            senders.append(clean_sender(head))
            texts.append(rest.lstrip("\u200e"))
        system.append(is_system)
    return senders, texts, system


def clean_sender(name: str) -> str:
    """A sender as displayed: direction marks and the '~ ' (not in contacts) prefix removed."""
    name = name.strip(MARKS + " \u202f\u00a0")
    if name.startswith("~"):
        name = name[1:].lstrip(" \u202f\u00a0")
    return name.strip(MARKS + " ")


def classify(text: str) -> tuple[str, str, bool, str]:
    """(message_type, text without export markers, edited, attachment file name)."""
    ph = phrases()
    edited = False
    m = ph.edited.search(text)
    if m:
        text, edited = text[: m.start()], True
    stripped = text.lstrip(MARKS)
    if ph.deleted.fullmatch(stripped):
        return "deleted", stripped, edited, ""
    if ph.media_omitted.fullmatch(stripped):
        return "media", stripped, edited, ""
    if ph.contact.match(stripped):
        return "contact", stripped, edited, ""
    m = ph.attachment.match(stripped)
    if m:
        file = next(v for k, v in m.groupdict().items() if v)
        return "media", stripped, edited, file.strip()
    if ph.location.match(stripped):
        return "location", stripped, edited, ""
    if ph.poll.match(stripped):
        return "poll", stripped, edited, ""
    return "text", text, edited, ""


_MARKUP_START = re.compile(r"[<\u200e]|[^\n]*\((?:fichier joint|file attached)\)|(?:SONDAGE|POLL|position|location|localisation|live|ce message|this message|you deleted|vous avez supprimé|image|vidéo|video|audio|gif|document|autocollant|sticker|contact|carte)", re.IGNORECASE)


def _classify_all(texts: list[str], system: list[bool]):
    types, out_texts, edited, attachments = [], [], [], []
    for text, is_system in zip(texts, system):
        if is_system:
            kind, clean, was_edited, file = "system", text, False, ""
        elif text.endswith(">") or _MARKUP_START.match(text):
            kind, clean, was_edited, file = classify(text)
        else:
            kind, clean, was_edited, file = "text", text, False, ""
        types.append(kind)
        out_texts.append(clean)
        edited.append(was_edited)
        attachments.append(file)
    return types, out_texts, edited, attachments


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
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
        raise IngestError(path, f"zip illisible ({exc})") from None
    except EOFError:
        raise IngestError(path, "zip tronqué") from None


def _group_name(name: str) -> str:
    m = GROUP_FROM_NAME.search(PurePosixPath(name).stem)
    return m.group(1).strip() if m else ""


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
    text, _ = decode_bytes(data, path)
    return parse_whatsapp(text, document, settings, rejects, date_order, group=group, media=media)


def parse_whatsapp(
    text: str,
    document: Document,
    settings: Settings = DEFAULTS,
    rejects: list[Reject] | None = None,
    date_order: str | None = None,
    group: str = "",
    media: list[str] | None = None,
) -> pd.DataFrame:
    """Parse the decoded text of an export (see :func:`read_whatsapp`)."""
    path = document.relpath
    fmt = detect_format(text, path)
    parts = fmt.regex.split(text)
    preamble, parts = parts[0], parts[1:]
    bodies = parts[7::8]
    if not bodies:
        raise IngestError(path, "aucun message reconnu")
    line_counts = [b.count("\n") for b in bodies]
    if bodies[-1].endswith("\n"):
        bodies[-1] = bodies[-1][:-1]
    else:
        line_counts[-1] += 1
    bodies = [b[:-1] if b.endswith("\n") else b for b in bodies[:-1]] + [bodies[-1]]
    first_line = preamble.count("\n") + 1
    lines = (first_line + np.concatenate([[0], np.cumsum(line_counts[:-1])])).tolist()
    found_rejects: list[Reject] = [
        Reject(path, "ligne avant le premier message", i + 1, content)
        for i, content in enumerate(preamble.split("\n")[:-1])
    ]
    last_line = bodies[-1].rsplit("\n", 1)
    if not text.endswith("\n") and len(last_line) == 2 and TRUNCATED_TAIL.fullmatch(last_line[1]):
        bodies[-1] = last_line[0]
        found_rejects.append(Reject(path, "ligne tronquée (fichier coupé ?)", lines[-1] + bodies[-1].count("\n") + 1, last_line[1]))
    order = date_order or document.date_order or (settings.date_order if settings.date_order != "auto" else None)
    if order is None:
        d1, d2, d3 = _ints(parts[0::8]), _ints(parts[1::8]), _ints(parts[2::8])
        order = infer_date_order(d1, d2, d3, _ints(parts[3::8]), _ints(parts[4::8]))
    senders, texts, system = _split_sender(bodies, fmt, group)
    language = _language([t for t, s in zip(texts, system) if s])
    if order is None:
        order = "MDY" if fmt.ampm else settings.locale_date_order
        warnings.warn(f"{path} : ordre des dates ambigu, {order} retenu (forcer avec date_order)", stacklevel=2)
    timestamps = _timestamps(parts, order)
    types, texts, edited, attachments = _classify_all(texts, system)
    df = finish(
        {
            "speaker": senders,
            "speaker_role": ["system" if s else "member" for s in system],
            "timestamp": timestamps,
            "message_type": types,
            "text": texts,
            "edited": edited,
            "attachment": attachments,
            "source_line": lines,
        },
        document,
        "whatsapp",
    )
    df["speaker"] = df["speaker"].mask(df["speaker"] == "")
    df["attachment"] = df["attachment"].mask(df["attachment"] == "")
    if media is not None:
        present = set(media)
        df["attachment_found"] = df["attachment"].isin(present).astype("boolean").mask(df["attachment"].isna())
    df.attrs.update({"header_format": fmt.name, "date_order": order, "language": language})
    if rejects is not None:
        rejects.extend(found_rejects)
    return df


def count_lines(text: str) -> int:
    """Lines of a decoded text, as the reader counts them."""
    return text.count("\n") + (0 if text.endswith("\n") else 1)
