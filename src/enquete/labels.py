"""Speaker labels that name a role or a code, not a person (shared by ingest and pseudonymise)."""

from __future__ import annotations

import re
import unicodedata

INTERVIEWER_LABELS = frozenset({"enqueteur", "enquetrice", "intervieweur", "intervieweuse", "interviewer", "e", "q", "i", "question"})
RESPONDENT_LABELS = frozenset(
    {"r", "reponse", "interviewe", "interviewee", "enquete", "enquetee", "repondant", "repondante"}
)
SPEAKER_CODE = re.compile(
    r"^(?:S\d{1,3}|SPEAKER_\d+|(?:Locuteur|Locutrice|Speaker|Intervenant|Intervenante)\s?\d+)$", re.IGNORECASE
)


def normalise_label(label: str) -> str:
    """Lower-case, accent-free, without dots or spaces: how labels are compared."""
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[\s.]+", "", ascii_label.lower())


def is_role_label(label: str) -> bool:
    """True for "Enquêtrice", "E", "R", "S01", "SPEAKER_00"...: labels that are not names."""
    key = normalise_label(label)
    return key in INTERVIEWER_LABELS or key in RESPONDENT_LABELS or bool(SPEAKER_CODE.match(label.strip()))
