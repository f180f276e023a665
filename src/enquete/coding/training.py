"""What the coder learns from: human codings matched to the segment table, or taken for their text.

A coding made on this corpus (review decisions, the gold file of the demo) is matched by
``segment_id`` and read on the table's (pseudonymised) text. A coding from elsewhere (last
year's study, a published coding, another project's REFI-QDA export) has other ids: its rows
are used for their own ``text``. Rows with neither a known id nor a text are counted, never
silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from enquete.words import text_key

FOREIGN_ID = "apprentissage#{}"  # how a foreign row is named in the evidence (its own id may name someone)


@dataclass
class TrainingSet:
    """Human-coded rows (``segment_id``, ``text``) and their codes, with where they came from."""

    rows: pd.DataFrame
    codes: pd.Series
    by_id: int = 0
    by_text: int = 0
    unusable: int = 0  # neither an id of the table nor a text
    sources: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def describe(self) -> str:
        """Where the training rows came from, in a sentence (French, as the command line speaks)."""
        if not len(self) and not self.unusable:
            return "aucun segment codé à la main : codage zéro-shot (la grille seule)"
        parts = []
        if self.by_id:
            parts.append(f"{self.by_id} retrouvé(s) dans le corpus par leur identifiant")
        if self.by_text:
            parts.append(f"{self.by_text} d'un autre corpus, pris pour leur texte")
        if self.unusable:
            parts.append(f"{self.unusable} ignoré(s) (ni identifiant du corpus ni texte)")
        origin = f" ({', '.join(self.sources)})" if self.sources else ""
        return f"{len(self)} segment(s) codé(s) à la main{origin} : " + " ; ".join(parts)


def training_set(segments: pd.DataFrame, *codings: pd.DataFrame | None, sources: list[str] | None = None) -> TrainingSet:
    """The rows a coder can learn from: each coding's rows matched to ``segments`` by id, or
    used for their own text; the last coding wins for a segment (decisions after a gold file).

    Parameters
    ----------
    segments : the segment table to code (its texts are used for the rows matched by id).
    codings : human codings (``segment_id`` and/or ``text``, and ``codes``), oldest first.
    sources : names of the codings, for :meth:`TrainingSet.describe`.
    """
    tables = [c for c in codings if c is not None and len(c)]
    if not tables:
        return TrainingSet(pd.DataFrame({"segment_id": pd.Series(dtype=str), "text": pd.Series(dtype=str)}), pd.Series(dtype=str), sources=sources or [])
    known = segments.assign(segment_id=segments["segment_id"].astype(str)).drop_duplicates("segment_id").set_index("segment_id")["text"]
    matched, foreign, unusable = {}, {}, 0
    for table in tables:
        ids = table["segment_id"].astype(str) if "segment_id" in table else pd.Series("", index=table.index)
        texts = table["text"].fillna("").astype(str) if "text" in table else pd.Series("", index=table.index)
        for row, (segment_id, text, codes) in enumerate(zip(ids, texts, table["codes"].fillna("").astype(str))):
            if segment_id in known.index:
                matched[segment_id] = codes
            elif text.strip():
                foreign[text_key(text)] = (FOREIGN_ID.format(row + 2), text, codes)  # row 2: the file's first data line
            else:
                unusable += 1
    in_order = [i for i in known.index if i in matched]  # the table's order: the same rows give the same fit
    rows = pd.DataFrame(
        {
            "segment_id": [*in_order, *(f[0] for f in foreign.values())],
            "text": [*(known[i] for i in in_order), *(f[1] for f in foreign.values())],
        }
    )
    codes = pd.Series([*(matched[i] for i in in_order), *(f[2] for f in foreign.values())], index=rows.index, dtype=str)
    return TrainingSet(rows, codes, by_id=len(matched), by_text=len(foreign), unusable=unusable, sources=sources or [])
