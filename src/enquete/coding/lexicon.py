"""What the codebook alone says about each code: phrases, distinctive lemmas, a prototype.

Indicators become lemma sequences matched anywhere in a segment's lemmas; definitions,
criteria and examples give each code its distinctive lemmas (frequent for this code, rare
for the others) and a prototype vector; ``not_indicators`` ("au lieu de", "sens de
circulation") are removed from a segment before its code's cues are looked for, so that
a trigger word used in another sense counts for nothing.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from enquete.codebook import Codebook
from enquete.nlp import Analysis, analyse
from enquete.words import fold, stop_words

STOP = frozenset(fold(w) for w in stop_words()) | {"etre", "avoir", "faire", "aller", "dire", "pouvoir", "falloir", "voir"}
PHRASE_WEIGHT = 1.5
SIMILARITY_WEIGHT = 5.0
#: Number of cue features per code (phrases matched, lemma score, similarity to prototype).
FEATURES_PER_CODE = 3


@dataclass
class CodeLexicon:
    code: str
    phrases: dict[str, str]  # folded lemma sequence → indicator as written
    words: dict[str, float]  # folded content lemma → weight
    negatives: list[str]  # folded lemma sequences of not_indicators
    prototype: np.ndarray = field(repr=False)


def _content(lemmas: str) -> list[str]:
    return [w for w in lemmas.split() if w not in STOP and len(w) > 2 and not w.isdigit()]


def build_lexicons(codebook: Codebook, model: str, cache_dir=None) -> list[CodeLexicon]:
    """Cue lexicons for every code of a codebook (deterministic, from the codebook only)."""
    texts: dict[str, list[tuple[str, int]]] = {}
    for code in codebook.codes:
        weighted = [(code.label, 2), (code.definition, 1)] + [(x, 1) for x in code.include]
        weighted += [(x, 2) for x in code.indicators] + [(x, 1) for x in code.examples]
        texts[code.id] = weighted
    everything = sorted({t for items in texts.values() for t, _ in items} | {x for c in codebook.codes for x in c.not_indicators})
    analysis = analyse(everything, model, cache_dir)
    lemmas = dict(zip(everything, analysis.lemmas))
    vectors = dict(zip(everything, analysis.vectors))
    counts = {cid: Counter() for cid in texts}
    for cid, items in texts.items():
        for text, weight in items:
            for lemma in set(_content(lemmas[text])):
                counts[cid][lemma] += weight
    totals = sum(counts.values(), Counter())
    lexicons = []
    for code in codebook.codes:
        words = {
            w: round((n / totals[w]) * math.log1p(n), 4)
            for w, n in sorted(counts[code.id].items())
            if n / totals[w] >= 0.5
        }
        phrases = {lemmas[x]: x for x in code.indicators if len(lemmas[x].split()) >= 2}
        for x in code.indicators:
            single = _content(lemmas[x])
            if len(lemmas[x].split()) < 2 and single:
                words[single[0]] = max(words.get(single[0], 0.0), 1.0)
        parts = [vectors[t] for t, _ in texts[code.id] if np.any(vectors[t])]
        prototype = np.mean(parts, axis=0) if parts else np.zeros(analysis.vectors.shape[1], dtype=np.float32)
        norm = float(np.linalg.norm(prototype))
        lexicons.append(
            CodeLexicon(
                code=code.id,
                phrases=phrases,
                words=words,
                negatives=sorted({lemmas[x] for x in code.not_indicators if lemmas[x]}, key=len, reverse=True),
                prototype=(prototype / norm if norm else prototype).astype(np.float32),
            )
        )
    return lexicons


def cue_features(analysis: Analysis, lexicons: list[CodeLexicon]) -> tuple[np.ndarray, list[dict[str, list[str]]]]:
    """Per segment and code: phrases matched, lemma score, similarity; and the cues found.

    Returns a (n, codes × 3) array and, per segment, {code: [cues as written]}.
    """
    n, k = len(analysis.lemmas), len(lexicons)
    features = np.zeros((n, k * FEATURES_PER_CODE), dtype=np.float32)
    similarity = analysis.vectors @ np.stack([lex.prototype for lex in lexicons]).T if n else np.zeros((0, k))
    cues: list[dict[str, list[str]]] = []
    for i, (lemmas, written) in enumerate(zip(analysis.lemmas, analysis.words)):
        padded = f" {lemmas} "
        surface = dict(zip(lemmas.split(), written.split()))
        found: dict[str, list[str]] = {}
        for j, lex in enumerate(lexicons):
            text = padded
            for negative in lex.negatives:
                text = text.replace(f" {negative} ", " | ")
            phrases = [written for seq, written in lex.phrases.items() if f" {seq} " in text]
            words = sorted({w for w in text.split() if w in lex.words})
            features[i, j * 3] = len(phrases)
            features[i, j * 3 + 1] = sum(lex.words[w] for w in words)
            if phrases or words:
                found[lex.code] = [f"« {p} »" for p in phrases] + [surface.get(w, w) for w in words]
        cues.append(found)
    if n:
        features[:, 2::3] = similarity - similarity.mean(axis=1, keepdims=True)
    return features, cues


def without_negatives(lemmas: list[str], lexicons: list[CodeLexicon]) -> list[str]:
    """Lemma strings with every code's not_indicators removed ("au lieu de", "sens de circulation")."""
    negatives = sorted({n for lex in lexicons for n in lex.negatives}, key=len, reverse=True)
    out = []
    for text in lemmas:
        padded = f" {text} "
        for negative in negatives:
            if f" {negative} " in padded:
                padded = padded.replace(f" {negative} ", " | ")
        out.append(padded.strip())
    return out


def zero_shot_scores(features: np.ndarray) -> np.ndarray:
    """Scores in 0..1 from the cue features alone (no training): phrases weigh most."""
    phrases, words, similarity = features[:, 0::3], features[:, 1::3], features[:, 2::3]
    raw = PHRASE_WEIGHT * phrases + words + SIMILARITY_WEIGHT * similarity
    return 1.0 / (1.0 + np.exp(-2.0 * (raw - 1.6)))
