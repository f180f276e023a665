"""What a topic can be named by: the words and phrases residents wrote.

A segment's terms are its words, each as the lemma the corpus writes (« fêtes » → fête) or, when
that lemma is never written anywhere in the corpus (a lemmatiser's slip: « agencer » for
*agence*, « pendre » for *pendant*, « taire » for *tu*), as the word itself; and its phrases, two
words that follow each other, possibly through « de », « à » and an article (« assemblée
générale », « fête des voisins », « café du samedi »). Never a term: a stop word, an oral
filler, a sound a transcriber wrote (« hum », « pff »), a generic word (``mots_themes.yaml``), a
proper noun, a word of fewer than three letters. Transcription notes (« (rires) »,
« [claquement de langue] », anything in square brackets) are taken out of the text first.
A term is shown as residents most often wrote it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache

from enquete.datafiles import package_yaml
from enquete.words import fold, oral_fillers, stop_words

WORD = re.compile(r"[^\W\d_]+")
#: A phrase never crosses punctuation.
BREAK = re.compile(r"[.,;:!?…()\[\]{}<>«»\"“”/|\n\r\t–—]+|\s-\s")
LINKS = frozenset({"de", "du", "des", "d", "a", "au", "aux", "en"})
ARTICLES = frozenset({"la", "le", "les", "l"})
BRACKETED = re.compile(r"\[[^\[\]\n]{0,80}\]|\{[^{}\n]{0,80}\}|<[^<>\n]{0,80}>|/{2,}")
NOTE_CANDIDATE = re.compile(r"\(([^()\n]{0,60})\)|\*([^*\n]{1,40})\*")
MIN_LENGTH = 3


@lru_cache(maxsize=1)
def _lists() -> dict[str, frozenset[str]]:
    data = package_yaml("enquete.topics", "mots_themes.yaml")
    return {name: frozenset(fold(w) for w in words) for name, words in data.items()}


@lru_cache(maxsize=1)
def excluded() -> frozenset[str]:
    """Folded words that never name a topic: stop words, oral fillers, sounds, generic words."""
    lists = _lists()
    return frozenset(fold(w) for w in stop_words() | oral_fillers()) | lists["sounds"] | lists["generic"]


def strip_annotations(text: str) -> str:
    """The text without its transcription notes: anything in square brackets, braces or angle
    brackets, ``//`` pauses, and a parenthesised or starred note that holds a transcription word
    or no letter at all (« (rires) », « (..) », « *soupir* »; « (couture, cuisine) » stays)."""
    notes = _lists()["notes"] | _lists()["sounds"]

    def note(match: re.Match) -> str:
        inside = match.group(1) if match.group(1) is not None else match.group(2)
        words = [fold(w) for w in WORD.findall(inside)]
        return " " if not words or any(w in notes for w in words) else match.group(0)

    return NOTE_CANDIDATE.sub(note, BRACKETED.sub(" ", text))


class Terms:
    """A segment's terms (``terms(text)``: a CountVectorizer analyzer) and how to show each one.

    Parameters
    ----------
    lemmas, words : per segment, its folded lemmas and its words as written, aligned one to one
        (:class:`enquete.nlp.Analysis`).
    proper : folded proper nouns of the corpus (people, places): never terms.
    """

    def __init__(self, lemmas: Iterable[str], words: Iterable[str], proper: frozenset[str] = frozenset()):
        # every written word (folded) → its lemma, the last one seen (no list of every pair: 10 M of them per million segments)
        self.lemma_of = {fold(word): lemma for lemma_text, word_text in zip(lemmas, words) for lemma, word in zip(lemma_text.split(), word_text.split())}
        self.term_of = {word: lemma if lemma in self.lemma_of else word for word, lemma in self.lemma_of.items()}
        self.unwanted = excluded() | proper
        self.shown: dict[str, Counter] = {}
        self._terms: dict[str, str | None] = {}  # written word → its term: a corpus writes few distinct words, each many times

    def word(self, written: str) -> str | None:
        """The term of one word as written, or None if it never names a topic (the word, its
        lemma or its term is unwanted: « faut » is falloir's, a generic verb)."""
        if written not in self._terms:
            self._terms[written] = self._word(written)
        return self._terms[written]

    def _word(self, written: str) -> str | None:
        folded = fold(written)
        term = self.term_of.get(folded, folded)
        if len(folded) < MIN_LENGTH or {folded, term, self.lemma_of.get(folded, folded)} & self.unwanted:
            return None
        return term

    def units(self, text: str) -> Iterator[tuple[str, str]]:
        """(term, as written) for each word and phrase of a text."""
        for run in BREAK.split(text):
            written = WORD.findall(run.lower())
            terms = [self.word(w) for w in written]
            for k, term in enumerate(terms):
                if term is None:
                    continue
                yield term, written[k]
                end = k + 1
                if end < len(written) and fold(written[end]) in LINKS:
                    end += 1
                    if end < len(written) and fold(written[end]) in ARTICLES:
                        end += 1
                if end < len(written) and terms[end] is not None:
                    phrase = written[k : end + 1]
                    yield " ".join(fold(w) for w in phrase), " ".join(phrase)

    def __call__(self, text: str) -> list[str]:
        return [term for term, _ in self.units(text)]

    def learn_forms(self, texts: Iterable[str]) -> None:
        """Count how each term is written in ``texts`` (what :meth:`show` gives)."""
        for text in texts:
            for term, written in self.units(text):
                self.shown.setdefault(term, Counter())[written] += 1

    def show(self, term: str) -> str:
        """The term as residents most often wrote it (ties: the first in alphabetical order)."""
        forms = self.shown.get(term)
        return min(forms.items(), key=lambda kv: (-kv[1], kv[0]))[0] if forms else term

    def found(self, term: str, text: str) -> bool:
        """Whether a segment's text holds the term."""
        return term in self(text)
