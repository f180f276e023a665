"""Factor tables from the coded segment table: by initiative, source, role; co-occurrence;
verbatims; the commitments and levers the observed factors point to.

Every function takes the coded segments (columns ``codes`` and ``score_<id>`` from the
code stage) and returns a tidy DataFrame (English names; files get the run's language, see
:mod:`enquete.vocabulary`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from enquete import schema
from enquete.codebook import Codebook, load_codebook
from enquete.io import word_counts
from enquete.schema import code_indicators, speech_rows

ROLE_WHATSAPP = "whatsapp_member"


def coded_segments(coded: pd.DataFrame, columns: list[str] | None = None, speech_only: bool = True) -> pd.DataFrame:
    """Rows that went through coding: residents' speech (respondents' and members'), and with
    ``speech_only=False`` the observation notes and document passages too; ``columns`` only, if
    given (a million-row table is not copied whole for the few columns a table needs)."""
    mask = coded["codes"].notna().to_numpy(dtype=bool) & (speech_rows(coded) if speech_only else schema.coded_rows(coded))
    return coded.loc[mask, coded.columns if columns is None else [c for c in dict.fromkeys(columns) if c in coded]]


def long_codes(coded: pd.DataFrame, codebook: Codebook, columns: list[str] | None = None, speech_only: bool = True) -> pd.DataFrame:
    """One row per (segment, applied code) with the segment's context columns (``columns`` only, if given)."""
    rows = coded_segments(coded, None if columns is None else ["codes", *columns], speech_only)
    row, column = np.nonzero(code_indicators(rows["codes"], codebook.ids).to_numpy())
    return rows.iloc[row].assign(code=np.asarray(codebook.ids, dtype=object)[column]).reset_index(drop=True)


SPEAKER_COLUMNS = ["speaker", "source_type", "document_id"]


def speaker_key(df: pd.DataFrame) -> pd.Series:
    """Who spoke: a WhatsApp member (same pseudonym across groups) or a document's speaker."""
    speaker = df["speaker"].fillna("?").astype(str)
    return speaker.where(df["source_type"] == "whatsapp", df["document_id"].astype(str) + "|" + speaker)


def _by(coded: pd.DataFrame, codebook: Codebook, group: str, label: str, language: str = "fr", speech_only: bool = True) -> pd.DataFrame:
    totals = coded_segments(coded, [group], speech_only).groupby(group, dropna=False).size()
    long = long_codes(coded, codebook, [group, "segment_id", *SPEAKER_COLUMNS], speech_only)
    long = long.assign(speaker_key=speaker_key(long))
    counts = long.groupby(["code", group], dropna=False).agg(segments=("segment_id", "size"), speakers=("speaker_key", "nunique"))
    index = pd.MultiIndex.from_product([codebook.ids, totals.index], names=["code", group])
    table = counts.reindex(index, fill_value=0).reset_index()
    table["base"] = table[group].map(totals)
    table["share"] = (table["segments"] / table["base"]).round(4)
    table.insert(1, "factor", table["code"].map(codebook.labels(language)))
    return table.rename(columns={group: label})[["code", "factor", label, "base", "segments", "share", "speakers"]]


def factors_by_initiative(coded: pd.DataFrame, codebook: Codebook | None = None, language: str = "fr") -> pd.DataFrame:
    """Per factor and initiative: the initiative's coded segments (``base``, the N of its shares),
    segments coded with the factor, their share, speakers."""
    return _by(coded, codebook or load_codebook("facteurs_reussite"), "initiative", "initiative", language)


def factors_by_source(coded: pd.DataFrame, codebook: Codebook | None = None, language: str = "fr") -> pd.DataFrame:
    """Per factor and source type (interview, whatsapp, social; observation notes and documents
    too: coded, though not residents' speech)."""
    return _by(coded, codebook or load_codebook("facteurs_reussite"), "source_type", "source", language, speech_only=False)


def factors_by_role(coded: pd.DataFrame, codebook: Codebook | None = None, language: str = "fr") -> pd.DataFrame:
    """Per factor and respondent role (WhatsApp members grouped as one role)."""
    df = coded.copy(deep=False)
    role = df["respondent_role"].astype("object") if "respondent_role" in df else pd.Series(np.nan, index=df.index, dtype=object)
    df["role"] = role.where(df["source_type"] != "whatsapp", ROLE_WHATSAPP).fillna("unspecified")
    return _by(df, codebook or load_codebook("facteurs_reussite"), "role", "role", language)


def cooccurrence(coded: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """Pairs of factors coded on the same segment: count, Jaccard index and lift."""
    codebook = codebook or load_codebook("facteurs_reussite")
    rows = coded_segments(coded, ["codes"])
    n = len(rows)
    matrix = code_indicators(rows["codes"], codebook.ids).to_numpy(dtype=int)
    together = matrix.T @ matrix
    alone = np.diag(together)
    out = []
    for i, a in enumerate(codebook.ids):
        for j, b in enumerate(codebook.ids):
            if j <= i:
                continue
            both = int(together[i, j])
            union = int(alone[i] + alone[j] - both)
            lift = (both * n) / (alone[i] * alone[j]) if alone[i] and alone[j] else np.nan
            out.append((a, b, both, both / union if union else 0.0, lift))
    table = pd.DataFrame(out, columns=["code_a", "code_b", "segments", "jaccard", "lift"])
    table["jaccard"] = table["jaccard"].round(4)
    table["lift"] = table["lift"].round(4)
    return table.sort_values(["segments", "code_a", "code_b"], ascending=[False, True, True], kind="stable").reset_index(drop=True)


def cooccurrence_matrix(table: pd.DataFrame, codebook: Codebook, value: str = "jaccard") -> pd.DataFrame:
    """The pairs table as a symmetric code × code matrix."""
    matrix = pd.DataFrame(np.nan, index=codebook.ids, columns=codebook.ids)
    for row in table.itertuples(index=False):
        matrix.loc[row.code_a, row.code_b] = matrix.loc[row.code_b, row.code_a] = getattr(row, value)
    return matrix


# --- verbatims ------------------------------------------------------------------------------

SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def trim(text: str, cues: list[str], min_words: int, max_words: int) -> str:
    """The sentences of a long text that carry the cues, within max_words (with « […] »)."""
    sentences = [s.strip() for s in SENTENCE_END.split(text) if s.strip()]
    if len(text.split()) <= max_words or len(sentences) <= 1:
        return " ".join(text.split()[:max_words]) + (" […]" if len(text.split()) > max_words else "")
    lowered = [s.lower() for s in sentences]
    hits = [sum(c in s for c in cues) for s in lowered]
    best = int(np.argmax(hits)) if any(hits) else 0
    start = end = best
    words = len(sentences[best].split())
    while words < min_words * 2 and (start > 0 or end < len(sentences) - 1):
        if end < len(sentences) - 1 and words + len(sentences[end + 1].split()) <= max_words:
            end += 1
            words += len(sentences[end].split())
        elif start > 0 and words + len(sentences[start - 1].split()) <= max_words:
            start -= 1
            words += len(sentences[start].split())
        else:
            break
    chosen = " ".join(sentences[start : end + 1])
    if len(chosen.split()) > max_words:
        chosen = " ".join(chosen.split()[:max_words])
    return ("[…] " if start > 0 else "") + chosen + (" […]" if end < len(sentences) - 1 or len(chosen.split()) >= max_words else "")


def _cues(evidence: str, code: str) -> list[str]:
    for part in str(evidence or "").split(" | "):
        if part.startswith(f"{code} — "):
            found = re.findall(r"indices : ([^;]+)", part) + re.findall(r"mots appris : ([^;]+)", part)
            return [w.strip(" «»").lower() for chunk in found for w in chunk.split(",") if w.strip(" «»")]
    return []


def attribution(row, initiatives: dict[str, str]) -> str:
    """« E04, habitante motrice, Les Voisins du Square » or « groupe WhatsApp, membre, … »."""
    initiative = initiatives.get(row.initiative, row.initiative) if isinstance(row.initiative, str) else "initiative non précisée"
    if row.source_type == "whatsapp":
        return f"{row.document_id}, membre du groupe WhatsApp, {initiative}"
    role = row.respondent_role if isinstance(row.respondent_role, str) and row.respondent_role else "enquêté·e"
    return f"{row.document_id}, {role}, {initiative}"


def verbatims(
    coded: pd.DataFrame,
    codebook: Codebook | None = None,
    per_factor: int = 5,
    min_words: int = 6,
    max_words: int = 60,
    initiatives: dict[str, str] | None = None,
    language: str = "fr",
) -> pd.DataFrame:
    """The best quotations per factor: highest scores first, one per speaker, initiatives in turn.

    Segments shorter than ``min_words`` are skipped; long ones are trimmed to the sentences
    that carry the code. Only the (pseudonymised) text of the table is used.
    """
    codebook = codebook or load_codebook("facteurs_reussite")
    initiatives = initiatives or {}
    context = ["codes", "segment_id", "text", "initiative", "respondent_role", "evidence", *SPEAKER_COLUMNS]
    rows = coded_segments(coded, context + [f"score_{code}" for code in codebook.ids])
    long = long_codes(rows[word_counts(rows["text"]).to_numpy() >= min_words], codebook)
    for column in ("respondent_role", "initiative"):
        if column not in long:
            long[column] = np.nan
    rows = []
    for code in codebook.ids:
        candidates = long[long["code"] == code].copy()
        if candidates.empty:
            continue
        candidates["score"] = candidates.get(f"score_{code}", pd.Series(1.0, index=candidates.index)).astype(float)
        candidates["speaker_key"] = speaker_key(candidates)
        candidates = candidates.sort_values(["score", "segment_id"], ascending=[False, True], kind="stable")
        candidates = candidates.drop_duplicates("speaker_key")
        by_initiative = [g for _, g in candidates.groupby(candidates["initiative"].fillna(""), sort=True)]
        by_initiative.sort(key=lambda g: -g["score"].iloc[0])
        picked, k = [], 0
        while len(picked) < per_factor and any(k < len(g) for g in by_initiative):
            for group in by_initiative:
                if k < len(group) and len(picked) < per_factor:
                    picked.append(group.iloc[k])
            k += 1
        for rank, row in enumerate(picked, start=1):
            text = trim(str(row["text"]), _cues(row.get("evidence", ""), code), min_words, max_words)
            rows.append(
                {
                    "code": code,
                    "factor": codebook.labels(language)[code],
                    "rank": rank,
                    "quote": text,
                    "attribution": attribution(row, initiatives),
                    "segment_id": row["segment_id"],
                    "score": round(float(row["score"]), 4),
                    "initiative": row["initiative"],
                }
            )
    return pd.DataFrame(rows, columns=["code", "factor", "rank", "quote", "attribution", "segment_id", "score", "initiative"])


# --- codebook mappings ----------------------------------------------------------------------


def mapping_table(coded: pd.DataFrame, codebook: Codebook, target: Codebook, language: str = "fr") -> pd.DataFrame:
    """Codes of ``target`` (levers, commitments) that the observed factors point to, weighted
    by how often those factors were coded."""
    counts = long_codes(coded, codebook, [])["code"].value_counts()
    links = codebook.mapping(target.id)
    if links.empty:
        return pd.DataFrame(columns=["code", "label", "segments", "factors"])
    links = links.assign(segments=links["code"].map(counts).fillna(0).astype(int))
    grouped = links.groupby(target.id).agg(
        segments=("segments", "sum"),
        factors=("code", lambda c: ", ".join(f"{codebook.labels(language)[x]} ({counts.get(x, 0)})" for x in c)),
    )
    grouped = grouped.reindex(target.ids).dropna(subset=["segments"]).reset_index().rename(columns={target.id: "code"})
    grouped.insert(1, "label", grouped["code"].map(target.labels(language)))
    grouped["segments"] = grouped["segments"].astype(int)
    return grouped.sort_values(["segments", "code"], ascending=[False, True], kind="stable").reset_index(drop=True)
