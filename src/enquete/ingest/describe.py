"""How documents were read, in French words, and the speakers to check (for ``enquete corpus
info`` and the end of a run)."""

from __future__ import annotations

import pandas as pd

from enquete.vocabulary import word


def describe_reading(info: dict) -> str:
    """How a document was read, in a few French words (for ``enquete corpus info``)."""
    if "header_format" in info:
        return f"WhatsApp {info['header_format']}, dates {info.get('date_order', '?')}, langue {info.get('language', '?')}"
    layout = info.get("layout", "")
    if layout == "observation":
        return f"notes d'observation : {info['entries']} entrée(s), {info['dated']} ligne(s) datée(s)"
    if layout == "document":
        return f"document : {info['passages']} passage(s)" + (f" sur {info['pages']} page(s)" if info.get("pages") else "")
    if layout in ("telegram", "messenger", "facebook"):
        return f"export {word('social_export', layout, 'fr')} : {info['messages']} message(s), {info['replies']} réponse(s) rattachée(s)"
    parts = [word("layout", layout, "fr"), word("times", info.get("times", ""), "fr"), word("roles", info.get("roles", ""), "fr")]
    return ", ".join(p for p in parts if p)


#: More speakers than an interview usually has: a reading to check (annotations taken for labels?).
INTERVIEW_SPEAKERS = 4


def speakers_by_document(segments: pd.DataFrame) -> pd.DataFrame:
    """One row per speaker label of each transcript: document_id, speaker, speaker_role, turns."""
    turns = segments[(segments["source_type"] == "interview") & (segments["message_type"] == "turn")]
    table = turns.groupby(["document_id", "speaker", "speaker_role"], sort=False).size().rename("turns").reset_index()
    return table.sort_values(["document_id", "turns"], ascending=[True, False], kind="stable").reset_index(drop=True)


def speaker_flags(segments: pd.DataFrame) -> list[str]:
    """« À vérifier » lines, in French: interviews with more speakers than an interview has
    (more than four), and labels seen once in a transcript with other speakers (a note or a
    header taken for a speaker?)."""
    table = speakers_by_document(segments)
    flags = []
    for document, rows in table.groupby("document_id", sort=True):
        kind = segments.loc[segments["document_id"] == document, "document_kind"].iloc[0]
        if kind == "interview" and len(rows) > INTERVIEW_SPEAKERS:
            flags.append(f"{document} : {len(rows)} locuteurs pour un entretien ({', '.join(rows['speaker'])})")
        once = rows.loc[rows["turns"] == 1, "speaker"].tolist()
        if once and len(rows) > 1:
            flags.append(f"{document} : locuteur(s) vu(s) une seule fois : {', '.join(once)}")
    return flags
