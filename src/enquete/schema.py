"""The segment table: one row per segment (an interview turn or a WhatsApp message).

Every stage takes and returns this table. Its columns are defined here, once, and
:func:`validate_segments` checks them at stage boundaries.

The plain text of a document (the exact string exported to REFI-QDA) is a function of
its segments: :func:`document_text` renders it and :func:`with_offsets` sets
``start_char``/``end_char`` so that ``document_text(doc)[start:end] == text`` for every
segment. Stages that change a text (pseudonymisation) call :func:`with_offsets` again.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from enquete.errors import SchemaError
from enquete.vocabulary import export_words, internal

SOURCE_TYPES = ("interview", "whatsapp", "observation", "document", "social")
SPEAKER_ROLES = ("interviewer", "respondent", "member", "observer", "author", "system", "unknown")
MESSAGE_TYPES = (
    "turn",  # an interview speaker turn
    "paragraph",  # an interview paragraph, when no speaker labels were found
    "metadata",  # a title or header paragraph of a transcript (not speech)
    "text",
    "media",
    "deleted",
    "system",
    "poll",
    "location",
    "contact",
    "call",  # a voice or video call notice
    "note",  # an entry or paragraph of the researcher's observation notes
    "passage",  # a paragraph of a document (statutes, minutes, flyer, deliberation, article)
)


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    description: str
    required: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("document_id", "string", "Document code (manifest id or file stem), e.g. E04."),
    Column("segment_id", "string", "Stable id: '<document_id>-<position, 6 digits>'."),
    Column("source_type", "string", "interview | whatsapp | observation | document | social."),
    Column("source_path", "string", "Path of the file, relative to the corpus folder."),
    Column("initiative", "string", "Initiative id from the manifest, empty when unknown."),
    Column("position", "Int64", "Order of the segment in its document, from 0."),
    Column("speaker", "string", "Speaker label or WhatsApp sender; empty for system lines."),
    Column("speaker_role", "string", "interviewer | respondent | member | observer | author | system | unknown."),
    Column("timestamp", "datetime64[ns]", "Date and time (timezone-naive); missing if unknown."),
    Column("time_offset", "Float64", "Seconds from the start of the recording (interviews)."),
    Column("message_type", "string", "turn | paragraph | metadata | text | media | deleted | system | poll | location | contact | call | note | passage."),
    Column("text", "string", "The segment's text, exactly as written (after pseudonymisation)."),
    Column("start_char", "Int64", "Offset of text in the document's plain text."),
    Column("end_char", "Int64", "End offset (exclusive) of text in the document's plain text."),
    Column("edited", "boolean", "WhatsApp: the message carried an 'edited' marker."),
    Column("attachment", "string", "WhatsApp: attached or omitted file name, if any."),
    Column("media", "boolean", "WhatsApp: the message carried a photo, video, audio, sticker or file (its caption, if any, is the text)."),
    Column("annotations", "string", "Transcription conventions found in the text, ';'-separated."),
    Column("section", "string", "The entry, heading or thread a segment belongs to: an observation entry ('AG de l'amicale, salle commune'), a document's heading, a chat's name."),
    Column("page", "Int64", "Documents: the page of the passage (PDF)."),
    Column("reply_to", "string", "Social groups: the segment_id of the post or message this one answers."),
    Column("reactions", "Int64", "Social groups: reactions (likes, emoji) the post or message received, when the export says."),
)
COLUMN_NAMES = tuple(c.name for c in COLUMNS)
DTYPES = {c.name: c.dtype for c in COLUMNS}

#: Document metadata columns copied from the manifest onto every segment.
DOCUMENT_COLUMNS = ("document_kind", "document_date", "respondent_role", "document_title")

#: Columns later stages add: the code stage (codes, score_<code id>, evidence, revision, codes_auto), the topics stage (topic).
ADDED_COLUMNS: tuple[Column, ...] = (
    Column("codes", "string", "Codes applied, ';'-separated code ids ('' when none; missing on rows that are not speech)."),
    Column("score_<code>", "Float64", "The coder's score of each code, 0 to 1."),
    Column("evidence", "string", "Why each code was applied: cues found, learned words, nearest human-coded example."),
    Column("revision", "string", "'human' when a person's review decision replaced the automatic codes, else 'auto'."),
    Column("codes_auto", "string", "The automatic codes, kept beside a human decision."),
    Column("review_draw", "string", "How a segment a person decided came to be reviewed: 'random' (a fair sample, used to measure and correct), 'targeted', or ''."),
    Column("topic", "Int64", "Topic of the segment in the topic map (missing when not mapped)."),
)
#: Message types that carry someone's words (coded, counted in the analyses).
SPEECH_TYPES = frozenset({"turn", "paragraph", "text", "poll"})
#: Roles whose words are not the residents' (never counted as their speech).
NOT_SPEECH_ROLES = frozenset({"interviewer", "system", "observer", "author"})
#: The researcher's notes and documents' passages: coded, shown as their own sources, not residents' speech.
FIELD_TYPES = frozenset({"note", "passage"})



#: A title a tool made of its file's name ("E04_acacias_fatou"): read as a file name (names go in any case, words for the reader).
FILE_LIKE = re.compile(r"\S+_\S+")


def document_names(segments: pd.DataFrame) -> pd.Series:
    """Each document's readable name, by ``document_id``: its title (``name:`` in corpus.yaml, else
    the export's own: a chat's name, a transcript's title), else its file's name in words
    (:func:`file_title`); a name two documents would share (even as file names) gets the id after it."""
    docs = segments.groupby("document_id", sort=True).first()
    paths = docs["source_path"] if "source_path" in docs else docs.index.to_series()
    titles = docs["document_title"].astype(object).fillna("").str.strip() if "document_title" in docs else pd.Series("", index=docs.index)
    files = titles.str.fullmatch(FILE_LIKE.pattern)
    titles = titles.where(~files, titles[files].map(file_title))
    names = titles.where(titles != "", paths.astype(object).fillna(pd.Series(docs.index, index=docs.index)).map(file_title))
    slugs = names.map(_slug)
    shared = slugs.duplicated(keep=False)
    names[shared] = [f"{name} ({doc})" for name, doc in zip(names[shared], names.index[shared])]
    return names.rename("name")


def file_title(path: str) -> str:
    """A file's name in words: a WhatsApp export's chat name, else its stem without the words
    exports put first ("whatsapp_chat_amicale" → "amicale"), underscores as spaces."""
    from enquete.ingest.whatsapp import chat_name

    file = PurePosixPath(str(path).replace("\\", "/"))
    words = file.stem.replace("_", " ").split()
    while len(words) > 1 and words[0].lower() in export_words():
        words.pop(0)
    if all(w.lower() in export_words() for w in words) and file.parent.name:  # "amicale/_chat.txt": the folder's name
        return file_title(file.parent.name)
    return chat_name(file.name) or " ".join(words) or file.name


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower())


def speech_rows(segments: pd.DataFrame) -> np.ndarray:
    """Which rows are residents' speech, counted as theirs in the analyses: respondents'
    turns, unattributed paragraphs, members' messages and polls, with some text (every row
    whose text is not empty, if the table does not say its types and roles)."""
    mask = np.ones(len(segments), dtype=bool)
    if "message_type" in segments:
        mask &= segments["message_type"].isin(SPEECH_TYPES).fillna(True).to_numpy(dtype=bool)
    if "speaker_role" in segments:
        mask &= ~segments["speaker_role"].isin(NOT_SPEECH_ROLES).fillna(False).to_numpy(dtype=bool)
    return mask & (segments["text"].fillna("").str.strip().str.len() > 0).to_numpy(dtype=bool)


def coded_rows(segments: pd.DataFrame) -> np.ndarray:
    """Which rows are coded: residents' speech (:func:`speech_rows`), and the observation notes
    and document passages with some text."""
    field = segments["message_type"].isin(FIELD_TYPES).fillna(False).to_numpy(dtype=bool) if "message_type" in segments else False
    has_text = (segments["text"].fillna("").str.strip().str.len() > 0).to_numpy(dtype=bool)
    return speech_rows(segments) | (field & has_text)


def split_codes(value) -> list[str]:
    """'a;b' → ['a', 'b'] (empty, NaN or None → [])."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return []
    return [c.strip() for c in str(value).split(";") if c.strip()]


def code_indicators(codes: pd.Series, ids: list[str]) -> pd.DataFrame:
    """0/1 per row of a ';'-separated codes column and per code id (columns in ``ids`` order).

    Each distinct string is split once: a million segments share a few hundred combinations."""
    position, distinct = pd.factorize(codes.fillna(""))
    applied = [set(split_codes(value)) for value in distinct]
    table = np.array([[code in codes_of for code in ids] for codes_of in applied], dtype=np.int8).reshape(len(applied), len(ids))
    return pd.DataFrame(table[position], index=codes.index, columns=list(ids))


def code_counts(codes: pd.Series) -> pd.Series:
    """Segments per code, most frequent first, from a column of ';'-separated code ids."""
    return codes.fillna("").astype(str).str.split(";").explode().loc[lambda c: c != ""].value_counts()


def empty_segments() -> pd.DataFrame:
    """An empty segment table with every column typed."""
    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in COLUMNS})


def make_segment_id(document_id: str, position: int) -> str:
    return f"{document_id}-{position:06d}"


def make_segment_ids(document_id: str, n: int) -> pd.Series:
    """The ids of a document's n segments (vectorised :func:`make_segment_id`)."""
    positions = pc.utf8_lpad(pc.cast(pa.array(np.arange(n)), pa.large_string()), 6, "0")
    return pd.Series(pd.arrays.ArrowStringArray(pc.binary_join_element_wise(pa.scalar(f"{document_id}-", pa.large_string()), positions, pa.scalar("", pa.large_string()))))


def coerce(df: pd.DataFrame) -> pd.DataFrame:
    """Add missing optional columns and cast every known column to its dtype."""
    df = df.copy(deep=False)
    for col in COLUMNS:
        if col.name not in df.columns:
            df[col.name] = pd.Series(pd.NA, index=df.index, dtype=col.dtype)
        elif col.dtype.startswith("datetime"):
            df[col.name] = pd.to_datetime(df[col.name]).astype(col.dtype)
        else:
            df[col.name] = df[col.name].astype(col.dtype)
    ordered = list(COLUMN_NAMES) + [c for c in df.columns if c not in COLUMN_NAMES]
    return df[ordered].reset_index(drop=True)


def conform(df: pd.DataFrame, required: tuple[str, ...] = ("segment_id", "text"), where: str = "table") -> pd.DataFrame:
    """A table made elsewhere (a spreadsheet, another tool's export) made usable by a stage:
    the ``required`` columns must be there (SchemaError otherwise); its columns and values get
    the code's names back, whichever language they were written in (:func:`enquete.vocabulary.internal`);
    the known columns it has are typed (empty texts are ''); missing optional columns stay missing."""
    df = internal(df)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise SchemaError(f"{where} : colonnes manquantes : {', '.join(missing)}")
    df = df.copy(deep=False)
    if "text" in df:
        df["text"] = df["text"].fillna("")
    for col in COLUMNS:
        if col.name not in df.columns:
            continue
        try:
            if col.dtype.startswith("datetime"):
                df[col.name] = pd.to_datetime(df[col.name], errors="coerce").astype(col.dtype)
            else:
                df[col.name] = df[col.name].astype(col.dtype)
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"{where} : colonne {col.name} illisible comme {col.dtype} ({exc})") from None
    return df


def validate_segments(df: pd.DataFrame, *, check_offsets: bool = True) -> pd.DataFrame:
    """Check the segment table's invariants and return it; raise SchemaError otherwise.

    Parameters
    ----------
    df : the segment table.
    check_offsets : also check that ``start_char``/``end_char`` locate each text in its document's plain text.
    """
    missing = [c for c in COLUMN_NAMES if c not in df.columns]
    if missing:
        raise SchemaError(f"colonnes manquantes dans la table des segments : {', '.join(missing)}")
    problems = []
    if df["segment_id"].isna().any():
        problems.append("segment_id vide")
    dup = df["segment_id"][df["segment_id"].duplicated()]
    if len(dup):
        problems.append(f"segment_id en double : {', '.join(map(str, dup.unique()[:5]))}")
    bad_source = set(df["source_type"].dropna()) - set(SOURCE_TYPES)
    if bad_source:
        problems.append(f"source_type inconnu : {sorted(bad_source)}")
    bad_role = set(df["speaker_role"].dropna()) - set(SPEAKER_ROLES)
    if bad_role:
        problems.append(f"speaker_role inconnu : {sorted(bad_role)}")
    bad_type = set(df["message_type"].dropna()) - set(MESSAGE_TYPES)
    if bad_type:
        problems.append(f"message_type inconnu : {sorted(bad_type)}")
    if df["text"].isna().any():
        problems.append("texte manquant (NA) ; un texte vide s'écrit ''")
    ts = df["timestamp"]
    if pd.api.types.is_datetime64_any_dtype(ts) and getattr(ts.dt, "tz", None) is not None:
        problems.append("timestamp doit être sans fuseau horaire")
    positions_ok = df.groupby("document_id", sort=False)["position"].apply(
        lambda p: p.is_monotonic_increasing and p.is_unique
    )
    if not positions_ok.all():
        bad = ", ".join(positions_ok.index[~positions_ok][:5])
        problems.append(f"positions non croissantes ou en double dans : {bad}")
    if check_offsets and not problems:
        problems.extend(_offset_problems(df))
    if problems:
        raise SchemaError("table des segments invalide : " + " ; ".join(problems))
    return df


def _offset_problems(df: pd.DataFrame) -> list[str]:
    expected = with_offsets(df[["document_id", "position", "source_type", "speaker", "timestamp", "text", "segment_id"]])
    got = _sorted_by_document(df)
    bad = (got["start_char"] != expected["start_char"]) | (got["end_char"] != expected["end_char"])
    bad = bad.fillna(True)
    if bad.any():
        return [f"décalages faux pour {', '.join(got.loc[bad, 'segment_id'].head(5))}"]
    return []


def _separator(source_type: str) -> str:
    return "\n" if source_type == "whatsapp" else "\n\n"


def _headers(doc: pd.DataFrame) -> list[str]:
    """The label written before each segment's text in the document's plain text."""
    speakers = [s if isinstance(s, str) else "" for s in doc["speaker"].tolist()]
    if len(doc) and doc["source_type"].iloc[0] == "whatsapp":
        whens = doc["timestamp"].dt.strftime("%d/%m/%Y %H:%M").fillna("").tolist()
        return [f"{w} - {s}: " if s else f"{w} - " for w, s in zip(whens, speakers)]
    return [f"{s} : " if s else "" for s in speakers]


def document_text(doc: pd.DataFrame) -> str:
    """The plain text of one document, rendered from its segments in position order."""
    doc = doc.sort_values("position", kind="stable")
    sep = _separator(doc["source_type"].iloc[0]) if len(doc) else ""
    return sep.join(h + t for h, t in zip(_headers(doc), doc["text"].tolist()))


def _sorted_by_document(df: pd.DataFrame) -> pd.DataFrame:
    """df in (document_id, position) order, without copying when it already is."""
    doc = df["document_id"]
    in_order = doc.is_monotonic_increasing and df.groupby(doc, sort=False)["position"].is_monotonic_increasing.all()
    if in_order:
        return df.reset_index(drop=True) if not isinstance(df.index, pd.RangeIndex) or df.index.start != 0 else df.copy(deep=False)
    return df.sort_values(["document_id", "position"], kind="stable").reset_index(drop=True)


def with_offsets(df: pd.DataFrame) -> pd.DataFrame:
    """Return df with start_char/end_char set to the layout of :func:`document_text`."""
    df = _sorted_by_document(df)
    whatsapp = (df["source_type"] == "whatsapp").to_numpy(dtype=bool, na_value=False)
    speaker_len = df["speaker"].str.len().fillna(-1).to_numpy(dtype="int64")
    has_speaker = speaker_len > 0
    has_time = df["timestamp"].notna().to_numpy()
    head = np.where(
        whatsapp,
        np.where(has_time, 16, 0) + 3 + np.where(has_speaker, speaker_len + 2, 0),
        np.where(has_speaker, speaker_len + 3, 0),
    )
    text_len = df["text"].str.len().fillna(0).to_numpy(dtype="int64")
    sep = np.where(whatsapp, 1, 2)
    step = pd.Series(head + text_len + sep, index=df.index)
    before = step.groupby(df["document_id"], sort=False).cumsum().to_numpy() - step.to_numpy()
    df["start_char"] = pd.array(before + head, dtype="Int64")
    df["end_char"] = pd.array(before + head + text_len, dtype="Int64")
    return df


def describe_columns() -> pd.DataFrame:
    """The documented columns, as a table (for notebooks and the README)."""
    return pd.DataFrame(
        [(c.name, c.dtype, c.description) for c in COLUMNS], columns=["colonne", "type", "description"]
    )
