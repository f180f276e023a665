"""Topics stage: what residents talk about, discovered bottom-up with BERTopic.

Offline and without torch: BERTopic gets precomputed embeddings (by default TF-IDF + SVD
over the cached lemmas; spaCy vectors or a model2vec model on request), a seeded
reduction (PCA by default, UMAP on request), a KMeans clustering whose number of topics
scales with the corpus (so no outliers), and a CountVectorizer over lemmas without French
stop words and oral fillers (c-TF-IDF then reads as words, not inflections). The defaults
were chosen by measurement (benchmarks/bench_topics.py). The same input gives the same
topics.
"""

from __future__ import annotations

from enquete.errors import TopicError
from enquete.topics.maps import write_topics
from enquete.topics.model import Topics, default_topic_count, embed, fit_topics, layout_2d, proper_nouns
from enquete.topics.tables import topic_tables, with_topics

__all__ = [
    "TopicError",
    "Topics",
    "default_topic_count",
    "embed",
    "fit_topics",
    "layout_2d",
    "proper_nouns",
    "topic_tables",
    "with_topics",
    "write_topics",
]
