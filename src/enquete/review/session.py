"""A review session: the segments to review, each in its context, the decisions saved at once.

The session reads a run (its pseudonymised segments, codes and scores: ``outputs/``), proposes
the segments in the order of :func:`enquete.coding.selection.select_for_review`, and writes
every decision to the corpus's private store (the one ``enquete review import`` feeds, that
``enquete run`` applies). Every ``refit_every`` decisions the coder learns again from all the
human codings (training file and decisions) and the suggestions of the segments still to
review are recomputed. The interface (:mod:`enquete.review.widget`) only displays and sends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from enquete.codebook import Codebook
from enquete.coding import Coder, DecisionStore, learning_set
from enquete.coding.review import COMMENT, HASH
from enquete.coding.selection import RANDOM_SHARE, select_for_review, thresholds_from
from enquete.errors import ReviewError
from enquete.private import cache_dir, private_dir
from enquete.runfolder import load_run
from enquete.schema import split_codes
from enquete.words import text_key

if TYPE_CHECKING:
    from enquete.study import Study

CONTEXT_BEFORE, CONTEXT_AFTER = 3, 2
REFIT_EVERY = 10
CUES = re.compile(r"(?:indices|mots appris) : ([^;|]+)")


@dataclass
class Filters:
    """Which segments of the queue to show (empty: no filter)."""

    code: str = ""  # suggested for this code
    document: str = ""
    initiative: str = ""
    uncertain: bool = False  # some code's score near its threshold


class ReviewSession:
    """The segments to review and the decisions made, for one corpus and one run.

    Parameters
    ----------
    study : the study (:class:`enquete.Study`): its private folder keeps the decisions, its human
        codings (training, decisions, random control sample) are not proposed again.
    out : the run's output folder (``enquete run``): pseudonymised segments, codes, scores.
    segments, codebook : instead of a run, a coded segment table and its codebook (a notebook's).
    select : how many segments to propose (the selection of ``review export --select``).
    refit_every : the coder learns again after this many decisions (0: never).
    seed, random_share : the selection's seed (default: the study's) and random share.
    store : where the decisions go (default: the corpus's private store, which ``enquete run`` applies).
    use_training : learn from the corpus's training coding (``settings.training_codes``), and do not
        propose its segments again.
    """

    def __init__(
        self,
        study: Study,
        out: str | Path | None = "outputs",
        *,
        segments: pd.DataFrame | None = None,
        codebook: Codebook | None = None,
        select: int = 200,
        refit_every: int = REFIT_EVERY,
        seed: int | None = None,
        random_share: float = RANDOM_SHARE,
        store: str | Path | None = None,
        use_training: bool = True,
    ):
        self.study = study
        self.corpus = study.corpus
        if segments is None:
            run = load_run(out, self.study)
            self.settings, self.codebook, segments = run.settings, run.codebook, run.segments
        else:
            self.settings = self.study.settings
            self.codebook = codebook or self.study.codebook
        self.segments = segments.reset_index(drop=True)
        self.private = private_dir(self.corpus.root, self.settings, Path(out) if out else None)
        self.store = DecisionStore(store) if store else self.study.decisions()
        self.use_training = use_training
        self.refit_every, self.since_refit, self.refits = refit_every, 0, 0
        self.initiatives = self.study.initiatives
        self.thresholds = thresholds_from(self.segments, self.codebook.ids)
        human = pd.concat([t.reindex(columns=["segment_id", "codes"]) for t in self._human_coding() if t is not None], ignore_index=True)
        self.queue = select_for_review(self.segments, self.codebook, select, human=human, thresholds=self.thresholds,
                                       seed=self.settings.seed if seed is None else seed, random_share=random_share)
        self.position = 0
        self.filters = Filters()

    # --- what a person sees -------------------------------------------------------------

    def visible(self) -> pd.DataFrame:
        """The queue under the current filters."""
        rows, f = self.queue, self.filters
        if f.document:
            rows = rows[rows["document_id"] == f.document]
        if f.initiative:
            rows = rows[rows["initiative"] == f.initiative]
        if f.code:
            rows = rows[rows["codes"].fillna("").str.split(";").map(lambda codes: f.code in codes)]
        if f.uncertain:
            rows = rows[self._hesitation(rows) < 0.1]
        return rows

    def item(self) -> dict | None:
        """The segment at the current position, in its context, with its suggestions and cues."""
        rows = self.visible()
        if not len(rows):
            return None
        self.position = min(self.position, len(rows) - 1)
        row = rows.iloc[self.position]
        decided = self._decisions().get(row["segment_id"])
        suggested = set(split_codes(decided["codes"] if decided is not None else row["codes"]))
        labels = self.codebook.labels(self.settings.language)
        return {
            "segment_id": row["segment_id"],
            "document": row["document_id"],
            "initiative": self.initiatives.get(_text(row.get("initiative")), _text(row.get("initiative"))),
            "speaker": _text(row.get("speaker")),
            "text": row["text"],
            "cues": sorted({c for c in self._cues(row["evidence"])}, key=len, reverse=True),
            "before": self._context(row, -CONTEXT_BEFORE),
            "after": self._context(row, CONTEXT_AFTER),
            "codes": [
                {
                    "id": code.id, "label": labels[code.id], "color": code.color, "score": round(float(row[f"score_{code.id}"]), 2),
                    "on": code.id in suggested, "suggested": code.id in set(split_codes(row["codes"])),
                }
                for code in self.codebook.codes
            ],
            "evidence": [part for part in _text(row["evidence"]).split(" | ") if part],
            "why": row["why"],
            "draw": row["draw"],
            "comment": _text(decided[COMMENT]) if decided is not None else "",
            "decided": decided is not None,
            "position": self.position,
            "shown": len(rows),
        }

    def progress(self) -> dict:
        decided = self._decisions()
        return {"decided": int(self.queue["segment_id"].isin(list(decided)).sum()), "total": len(self.queue), "refits": self.refits}

    def move(self, step: int) -> None:
        self.position = int(np.clip(self.position + step, 0, max(len(self.visible()) - 1, 0)))

    def set_filters(self, **values) -> None:
        self.filters = Filters(**{**self.filters.__dict__, **values})
        self.position = 0

    # --- what a person decides ------------------------------------------------------------

    def decide(self, codes: list[str], comment: str = "") -> bool:
        """Save the decision on the current segment and move on; True when the coder learned again."""
        rows = self.visible()
        if not len(rows):
            raise ReviewError("aucun segment à décider (filtres trop restrictifs, ou relecture finie)")
        row = rows.iloc[self.position]
        unknown = set(codes) - set(self.codebook.ids)
        if unknown:
            raise ReviewError(f"codes inconnus de la grille {self.codebook.id} : {', '.join(sorted(unknown))}")
        decision = pd.DataFrame(
            {
                "segment_id": [row["segment_id"]], HASH: [text_key(row["text"])], "codebook": [self.codebook.id],
                "codes": [";".join(c for c in self.codebook.ids if c in codes)], COMMENT: [comment.strip()], "draw": [row["draw"]],
            }
        )
        self.store.add(decision, self.codebook.id)
        self.since_refit += 1
        refitted = bool(self.refit_every) and self.since_refit >= self.refit_every
        if refitted:
            self.refit()
        self.move(1)
        return refitted

    def refit(self) -> None:
        """Learn again from every human coding, and refresh the suggestions of the segments not yet decided."""
        coder = Coder(self.codebook, model=self.settings.spacy_model, cache_dir=cache_dir(self.private), seed=self.settings.seed)
        learned = learning_set(self.segments, *self._human_coding())
        coder.fit(learned.rows, learned.codes)
        pending = ~self.queue["segment_id"].isin(list(self._decisions()))
        self.since_refit, self.refits = 0, self.refits + 1
        if not pending.any():
            return
        fresh = coder.predict(self.queue.loc[pending, self.segments.columns])
        columns = ["codes", "evidence", *(f"score_{c}" for c in self.codebook.ids)]
        self.queue.loc[pending, columns] = fresh[columns].to_numpy()
        self.thresholds = {c: coder.threshold(c) for c in self.codebook.ids}

    # --- helpers -----------------------------------------------------------------------------

    def _human_coding(self) -> tuple[pd.DataFrame | None, pd.DataFrame]:
        """What people coded: the study's (training, random control sample, the corpus's decisions),
        and this session's store when it has one of its own."""
        training, decisions = self.study.human_coding(self.segments)
        if self.store.folder != self.study.decisions().folder:
            decisions = pd.concat([decisions, self.store.load(self.codebook.id)], ignore_index=True)
        return (training if self.use_training else None), decisions

    def _decisions(self) -> dict[str, pd.Series]:
        return {r["segment_id"]: r for _, r in self.store.load(self.codebook.id).iterrows()}

    def _context(self, row: pd.Series, offset: int) -> list[dict]:
        document = self.segments[self.segments["document_id"] == row["document_id"]]
        here = int(np.flatnonzero(document["segment_id"].to_numpy() == row["segment_id"])[0])
        chosen = document.iloc[max(0, here + offset) : here] if offset < 0 else document.iloc[here + 1 : here + 1 + offset]
        return [{"speaker": _text(r.speaker), "role": _text(r.speaker_role), "text": _text(r.text)} for r in chosen.itertuples()]

    def _hesitation(self, rows: pd.DataFrame) -> np.ndarray:
        """Each row's smallest distance between a code's score and its threshold."""
        scores = rows[[f"score_{c}" for c in self.codebook.ids]].to_numpy(dtype=float)
        cut = np.array([self.thresholds[c] for c in self.codebook.ids])
        return np.abs(scores - cut).min(axis=1) if len(rows) else np.array([])

    @staticmethod
    def _cues(evidence) -> list[str]:
        return [w.strip(" «»") for found in CUES.findall(_text(evidence)) for w in found.split(",") if len(w.strip(" «»")) > 2]


def _text(value) -> str:
    """A cell as text ('' when missing)."""
    return "" if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) else str(value)
