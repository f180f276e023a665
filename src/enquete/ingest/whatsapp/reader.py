"""Reading an export: the file (.txt or .zip) to lines, lines to messages, messages to
the segment table."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from enquete.corpus import Document
from enquete.errors import IngestError
from enquete.ingest.common import Reject, document_for, finish
from enquete.ingest.text import decode_bytes, looks_binary
from enquete.ingest.whatsapp.dates import dated_month_headers, inferred_order, timestamps_of
from enquete.ingest.whatsapp.headers import (
    EXOTIC_HEADER,
    HEADER_PROBE,
    MONTH_HEADER,
    PROBE_LINES,
    TRUNCATED_TAIL,
    detect_formats,
    header_lines,
    standardise_headers,
)
from enquete.ingest.whatsapp.kinds import classify, export_language
from enquete.ingest.whatsapp.phrasebook import chat_name, phrase_table
from enquete.ingest.whatsapp.senders import split_senders
from enquete.settings import DEFAULTS, Settings


def _read_zip(path: Path, settings: Settings) -> tuple[bytes, str, list[str], dt.datetime]:
    """(chat bytes, chat member name, media file names, the chat's date) of a WhatsApp .zip export."""
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
            chats = [i for i in texts if phrase_table().chat_file.fullmatch(PurePosixPath(i.filename).stem)] or texts
            if len(chats) != 1:
                found = "aucun" if not chats else f"{len(chats)} fichiers .txt"
                raise IngestError(path, f"zip sans discussion WhatsApp identifiable ({found})")
            chat = chats[0]
            with zf.open(chat) as fh:
                data = fh.read(settings.max_zip_bytes + 1)
            if len(data) > settings.max_zip_bytes:
                raise IngestError(path, "zip refusé : la discussion dépasse la taille maximale")
            media = sorted(PurePosixPath(i.filename).name for i in infos if i is not chat and not i.is_dir())
            return data, chat.filename, media, dt.datetime(*chat.date_time)
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
    exported: dt.datetime | None = None
    chat = chat_name(path.name)
    if path.suffix.lower() == ".zip":
        data, member, media, exported = _read_zip(path, settings)
        chat = chat_name(member) or chat
    else:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise IngestError(path, f"lecture impossible ({exc.strerror or exc})") from None
    lines, ends_with_newline = _lines(data, document.relpath)
    del data  # the lines hold their own copy: keep the peak memory low
    return _parse_lines(lines, ends_with_newline, document, settings, rejects, date_order, chat, media, exported)


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
    """One string per message: header removed, continuation lines joined with LF, the empty lines
    that end it (before the next header, at the end of the file) left out: WhatsApp sends no
    message ending with a line break."""
    bodies = pc.replace_substring_regex(lines.slice(heads[0], end - heads[0]), pattern, "", max_replacements=1)
    offsets = pa.array(np.append(heads, end) - heads[0], pa.int64())
    return pc.utf8_rtrim(pc.binary_join(pa.LargeListArray.from_arrays(offsets, bodies), pa.scalar("\n", bodies.type)), "\n")


def _parse_lines(lines, ends_with_newline, document, settings, rejects, date_order, chat, media, exported=None) -> pd.DataFrame:
    path = document.relpath
    probe = lines.slice(0, PROBE_LINES).to_pylist()
    if not any(HEADER_PROBE.match(line) for line in probe):
        if any(EXOTIC_HEADER.match(line) for line in probe):
            lines, _ = standardise_headers(lines)
        elif any(MONTH_HEADER.match(line) for line in probe):
            lines = dated_month_headers(lines, document.year, exported, path)
            date_order = "DMY"  # the headers were rewritten day first
        probe = lines.slice(0, PROBE_LINES).to_pylist()
    formats = detect_formats(probe, path)
    heads, formats, which = header_lines(lines, formats, path)
    end, found = _message_starts(lines, heads, ends_with_newline, path)
    pattern = "|".join(f"(?:{fmt.pattern()})" for fmt in formats)
    messages = _join_messages(lines, pattern, heads, end)
    starts = pc.utf8_slice_codeunits(pc.take(lines, pa.array(heads)), 0, 64)
    del lines
    speakers, texts, is_system = split_senders(messages, formats[0], chat)
    del messages
    forced = date_order or document.date_order or (settings.date_order if settings.date_order != "auto" else None)
    timestamps = np.full(len(heads), np.datetime64("NaT"), dtype="datetime64[ns]")
    orders = []
    for i, fmt in enumerate(formats):
        rows = np.flatnonzero(which == i)
        fields = pc.extract_regex(pc.take(starts, pa.array(rows)) if len(formats) > 1 else starts, fmt.pattern(named=True))
        order = forced or inferred_order(fields, fmt, settings, path)
        timestamps[rows] = timestamps_of(fields, order)
        orders.append(order)
    language = export_language(pc.filter(texts, pa.array(is_system)).slice(0, 2000).to_pylist())
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
        chat,
    )
    if media is not None:
        names = set(media)
        present = df["attachment"].isin(names)
        several = df["attachment"].str.contains("; ", regex=False, na=False)  # notices after a caption: every file must be there
        if several.any():
            present[several] = [all(name in names for name in a.split("; ")) for a in df.loc[several, "attachment"]]
        df["attachment_found"] = present.astype("boolean").mask(df["attachment"].isna())
    reading = {"header_format": "+".join(f.name for f in formats), "date_order": "+".join(dict.fromkeys(orders)), "language": language}
    df.attrs.update({**reading, "reading": reading})
    if rejects is not None:
        rejects.extend(found)
    return df


def count_lines(data: bytes) -> int:
    """Lines of an export as the reader counts them (the final newline ends the last line)."""
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
