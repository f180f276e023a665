"""Words without spaCy: folding, text keys, stop words (light enough for the command line).

:mod:`enquete.nlp` runs spaCy; what only compares, hashes or filters words lives here,
so that reading a corpus or listing codebooks never loads a language model.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from importlib import resources
from itertools import islice


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lower-case, accent-free: how words, lemmas and names are compared (WhatsApp often drops
    accents). Lower-cased last, so that styled letters ("𝐌𝐚𝐫𝐭𝐢𝐧𝐞", "ᴬ") fold to lower case too."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def text_key(text: str) -> str:
    """A short stable hash of a text (cache keys, review decisions)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


def joined(texts: Iterable[str], size: int = 50_000) -> Iterator[str]:
    """Texts joined by newlines, ``size`` at a time: corpus-wide regexes without one huge string."""
    texts = iter(texts)
    while chunk := list(islice(texts, size)):
        yield "\n".join(chunk)


def _word_file(name: str) -> list[str]:
    text = (resources.files("enquete") / name).read_text("utf-8")
    return [w for line in text.splitlines() if not line.startswith("#") for w in line.split()]


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """spaCy's French stop words, as written (``mots_vides.txt``, read without loading spaCy)."""
    return frozenset(_word_file("mots_vides.txt"))


@lru_cache(maxsize=1)
def oral_fillers() -> frozenset[str]:
    """Oral fillers and chat words ("euh", "ouais", "mdr"), as written (``mots_vides_oral.txt``)."""
    return frozenset(_word_file("mots_vides_oral.txt"))
