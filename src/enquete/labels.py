"""Speaker labels that name a role or a code, not a person (shared by ingest and pseudonymise).

The words and patterns are data, in ``labels.yaml``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from enquete.datafiles import package_yaml


def normalise_label(label: str) -> str:
    """Lower-case, accent-free, without dots or spaces: how labels are compared."""
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[\s.]+", "", ascii_label.lower())


@dataclass(frozen=True)
class LabelWords:
    """The contents of labels.yaml, ready to use."""

    interviewer: frozenset[str]
    respondent: frozenset[str]
    code: re.Pattern
    not_labels: frozenset[str]
    non_speech: re.Pattern
    pause_prefix: re.Pattern
    annotation: re.Pattern  # a bracketed or parenthesised note that is not speech, whole
    announced: re.Pattern  # a tool header announcing the number of speakers (its one group: the number)


@lru_cache(maxsize=1)
def label_words() -> LabelWords:
    data = package_yaml("enquete", "labels.yaml")

    def words(key: str) -> frozenset[str]:
        return frozenset(normalise_label(w) for w in data[key])

    pauses = "|".join(map(re.escape, data["pause_prefixes"]))
    notes = "|".join(map(re.escape, sorted({*data["non_speech_words"], *data["placeholders"]}, key=len, reverse=True)))
    return LabelWords(
        interviewer=words("interviewer"),
        respondent=words("respondent"),
        code=re.compile("|".join(f"(?:{p})" for p in data["codes"]), re.IGNORECASE),
        not_labels=words("not_labels"),
        non_speech=re.compile("|".join(f"(?:{p})" for p in data["non_speech"]), re.IGNORECASE),
        announced=re.compile("|".join(f"(?:{p})" for p in data["announced_speakers"]), re.IGNORECASE),
        pause_prefix=re.compile(rf"^\s*((?:{pauses})\s*\.)\s+", re.IGNORECASE),
        annotation=re.compile(
            rf"\((?:{notes})(?![\w])[^()\n]{{0,60}}\)|\[[^\]\n]{{0,30}}?(?<![\w])(?:{notes})(?![\w])[^\]\n]{{0,40}}\]"
            r"|(?-i:\[[a-zà-ÿ]+\s[^\]\n]{1,60}\])|\(\((?:[^()\n]{1,60})\)\)",
            re.IGNORECASE,
        ),
    )


def is_code_label(label: str) -> bool:
    """True for "S01", "SPEAKER_00", "Speaker 2", "Locuteur 1": codes a tool wrote."""
    return bool(label_words().code.fullmatch(label.strip()))


def letter_codes(labels: Iterable[str]) -> set[str]:
    """The labels of one document that are letters given in order (A, B, C…), as AssemblyAI
    names the voices it tells apart: codes that carry no role, although « A » is also a role
    word (answer) elsewhere."""
    letters = sorted({label.strip() for label in labels if len(label.strip()) == 1 and label.strip().isupper()})
    return set(letters) if len(letters) >= 2 and letters == [chr(ord("A") + i) for i in range(len(letters))] else set()


def is_role_label(label: str) -> bool:
    """True for "Enquêtrice", "E", "R", "S01", "SPEAKER_00", "Checheur" (a role word misspelt)...:
    labels that are not names."""
    key = normalise_label(label)
    words = label_words()
    return key in words.interviewer or key in words.respondent or is_code_label(label) or _misspelt_role(key)


@lru_cache(maxsize=4096)
def _misspelt_role(key: str) -> bool:
    """One letter away (missing, extra or changed) from a role word of six letters or more."""
    if len(key) < 5:
        return False
    words = label_words()
    return any(len(word) >= 6 and abs(len(word) - len(key)) <= 1 and _one_edit(key, word) for word in words.interviewer | words.respondent)


def _one_edit(a: str, b: str) -> bool:
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), len(a))
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]
