"""People: parsing names, merging the mentions of one person, drawing pseudonyms.

A person is known by a first name, a surname, or both ("Nadia Benali", "Nadia",
"Mme Benali", "Nadia B."): every form maps to the same pseudonym, in every document.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from functools import lru_cache

from enquete.datafiles import package_yaml
from enquete.words import fold

NAME_TOKEN = re.compile(r"[A-ZÀ-Þ][\w'’\-]*\.?|(?:de|du|da|van|von|el|ben|le|la|dos|das|di)(?=\s+[A-ZÀ-Þ])")
INITIALS = re.compile(r"^(?:[A-ZÀ-Þ]\.?\s?){1,3}$")
PARTICLES = {"de", "du", "da", "van", "von", "el", "ben", "le", "la", "dos", "das", "di"}


@dataclass(frozen=True)
class NameLists:
    female: frozenset[str]
    male: frozenset[str]
    surnames: frozenset[str]
    ambiguous: frozenset[str]

    def gender(self, first: str) -> str:
        key = fold(first)
        in_f, in_m = key in self.female, key in self.male
        return "f" if in_f and not in_m else "m" if in_m and not in_f else ""

    def is_first_name(self, word: str) -> bool:
        return fold(word) in self.female or fold(word) in self.male


@lru_cache(maxsize=1)
def name_lists() -> NameLists:
    data = package_yaml("enquete.pseudonymise", "noms.yaml")
    words = {k: data[k].split() for k in ("female", "male", "ambiguous", "more_female", "more_male")}
    words["female"] += words["more_female"]  # recognised, not drawn (see _pools)
    words["male"] += words["more_male"]
    return NameLists(
        female=frozenset(fold(w) for w in words["female"]),
        male=frozenset(fold(w) for w in words["male"]),
        surnames=frozenset(re.split(r"\s+(?=[A-ZÀ-Þ])", data["surnames"].strip())),
        ambiguous=frozenset(fold(w) for w in words["ambiguous"]),
    )


@lru_cache(maxsize=1)
def _pools() -> dict[str, list[str]]:
    data = package_yaml("enquete.pseudonymise", "noms.yaml")
    female, male = sorted(set(data["female"].split())), sorted(set(data["male"].split()))
    excluded = {fold(w) for w in data["not_pseudonyms"].split()} | {fold(w) for w in female + male}
    surnames = sorted({s for s in re.split(r"\s+(?=[A-ZÀ-Þ])", data["surnames"].strip()) if fold(s) not in excluded})
    return {"f": female, "m": male, "": sorted(set(female + male)), "last": surnames}


@dataclass
class ParsedName:
    title: str = ""
    first: str = ""
    last: str = ""
    initials: str = ""


@lru_cache(maxsize=1)
def titles() -> dict[str, str]:
    """Titles written before a name (folded, without their full stop) → the gender they say
    ('m', 'f' or '': "Prof.", "Dr"), from noms.yaml."""
    data = package_yaml("enquete.pseudonymise", "noms.yaml")["titles"]
    return {fold(t.rstrip(".")): ("" if gender == "none" else gender) for gender, words in data.items() for t in words.split()}


def _title_pattern(genders: str) -> str:
    """The titles as written (and folded), a full stop after them (required after one letter: "M.")."""
    data = package_yaml("enquete.pseudonymise", "noms.yaml")["titles"]
    written = {w.rstrip(".") for gender, words in data.items() if gender in genders for t in words.split() for w in (t, fold(t))}
    return "|".join(rf"{re.escape(t)}\." if len(t) == 1 else rf"{re.escape(t)}\.?" for t in sorted(written, key=len, reverse=True))


@lru_cache(maxsize=1)
def _title_regexes() -> tuple[re.Pattern, re.Pattern]:
    """(a title opening a name as written, a gendered title before a name in running text)."""
    opening = re.compile(rf"^\s*((?i:{_title_pattern(('m', 'f', 'none'))}))\s+")
    before = re.compile(rf"(?<![\w])({_title_pattern(('m', 'f'))})[ \u00a0\u202f]+(?=[A-ZÀ-Þ])", re.IGNORECASE)
    return opening, before


def is_title(word: str) -> bool:
    """A title ("Prof.", "Mme", "Dr"): never a name, nor a part of one."""
    return fold(word.rstrip(".")) in titles()


def title_gender(title: str) -> str:
    """'m', 'f' or '' for a title as written ("Mme", "M.", "Monsieur")."""
    return titles().get(fold(title.rstrip(".")), "")
TITLE_FORMS = ("Mme", "M.", "Madame", "Monsieur", "Mlle", "madame", "monsieur")


def parse_name(text: str) -> ParsedName:
    """Split a name as written into title, first name and surname (emoji, roles dropped)."""
    text = re.sub(r"\([^)]*\)", " ", text)
    title = ""
    m = _title_regexes()[0].match(text)
    if m:
        title, text = m.group(1), text[m.end() :]
    tokens = NAME_TOKEN.findall(text)
    if not tokens:
        return ParsedName()
    if not title and INITIALS.match(text.strip()) and len(text.strip()) <= 8:
        return ParsedName(initials=text.strip())
    if not tokens:
        return ParsedName()
    if title:
        if len(tokens) > 1 and name_lists().is_first_name(tokens[0]):  # "Monsieur Rachid Amrani"
            return ParsedName(title=title, first=tokens[0], last=" ".join(tokens[1:]))
        return ParsedName(title=title, last=" ".join(tokens))
    if fold(tokens[0]) in PARTICLES:
        return ParsedName(last=" ".join(tokens))
    if len(tokens) == 1:
        word = tokens[0]
        if name_lists().is_first_name(word) or word not in name_lists().surnames:
            return ParsedName(first=word) if name_lists().is_first_name(word) else ParsedName(last=word)
        return ParsedName(last=word)
    first, rest = tokens[0], tokens[1:]
    return ParsedName(first=first, last=" ".join(rest))


@dataclass
class Person:
    id: int
    first: str = ""
    last: str = ""
    initials: str = ""
    forms: set[str] = field(default_factory=set)
    pseudo_first: str = ""
    pseudo_last: str = ""
    gender: str = ""  # from a title written before the name ("Mme Benali"): wins over the first name lists
    handles: set[str] = field(default_factory=set)  # platform handles that name this person ("dmitry_starkov")
    sources: set[str] = field(default_factory=set)  # where the person was found: speaker, names, mention, ner

    @property
    def key(self) -> str:
        return f"{fold(self.first)}|{fold(self.last.rstrip('.'))}|{fold(self.initials)}"


class People:
    """The persons of a corpus, built from every name mention, with their pseudonyms."""

    def __init__(self) -> None:
        self.persons: list[Person] = []
        self.places: dict[str, str] = {}  # place names found on the way → "town" (kept) or "named" (a place tag)

    def add(self, text: str, source: str = "") -> Person | None:
        """Register a name as written (found as ``source``); merge it into the person it designates."""
        parsed = parse_name(text)
        if not (parsed.first or parsed.last or parsed.initials):
            return None
        person = self._match(parsed)
        if person is None:
            person = Person(id=len(self.persons) + 1)
            self.persons.append(person)
        if parsed.first and not person.first:
            person.first = parsed.first
        if parsed.last and (not person.last or (person.last.endswith(".") and not parsed.last.endswith("."))):
            person.last = parsed.last
        if parsed.initials:
            person.initials = parsed.initials
        if parsed.title and title_gender(parsed.title):
            person.gender = title_gender(parsed.title)
        person.forms.add(text.strip())
        person.sources.add(source)
        return person

    def add_handle(self, handle: str) -> Person:
        """A platform handle ("dmitry_starkov", "suzyhamidi"): a form of the person whose names
        it spells, else a person known by it alone."""
        spelt = fold(handle)
        parts = set(re.split(r"[_.\-\d]+", spelt)) - {""}

        def score(p: Person) -> int:
            names = [fold(n) for n in (p.first, p.last.rstrip(".")) if len(n) > 2]
            return sum(2 if n in parts else 1 for n in names if n in parts or (len(n) >= 4 and n in spelt))

        scored = sorted(((score(p), p.id) for p in self.persons if p.first or p.last), reverse=True)
        if scored and scored[0][0] and (len(scored) == 1 or scored[1][0] < scored[0][0]):
            person = self.persons[scored[0][1] - 1]
        else:
            person = self.add_anonymous(handle)
        person.forms.add(handle)
        person.handles.add(handle)
        person.sources.add("mention")
        return person

    def learn_titles(self, texts) -> None:
        """Set each person's gender from the titles written before their names ("Monsieur Rachid Amrani")."""
        forms = self.forms()
        alternatives = sorted((f for f in forms if len(f) > 1), key=len, reverse=True)
        if not alternatives:
            return
        before = _title_regexes()[1]
        titled = re.compile(before.pattern + r"(" + "|".join(map(re.escape, alternatives)) + r")(?![\w])", re.IGNORECASE)
        votes: dict[int, dict[str, int]] = {}
        for text in texts:
            if not before.search(text):
                continue
            for m in titled.finditer(text):
                person = forms.get(m.group(2)) or next((p for f, p in forms.items() if f.lower() == m.group(2).lower()), None)
                gender = title_gender(m.group(1))
                if person is not None and gender:
                    votes.setdefault(person.id, {}).setdefault(gender, 0)
                    votes[person.id][gender] += 1
        for person in self.persons:
            if person.id in votes:
                person.gender = max(sorted(votes[person.id]), key=votes[person.id].__getitem__)

    def add_anonymous(self, label: str) -> Person:
        """A person known only by a label that is not a name (a phone number as sender)."""
        for person in self.persons:
            if label in person.forms:
                return person
        person = Person(id=len(self.persons) + 1, forms={label})
        self.persons.append(person)
        return person

    def _match(self, parsed: ParsedName) -> Person | None:
        if parsed.initials:
            return next((p for p in self.persons if p.initials == parsed.initials), None)
        first, last = fold(parsed.first), fold(parsed.last.rstrip("."))
        abbreviated = parsed.last.endswith(".") and len(last) <= 2
        if not parsed.title and bool(first) != bool(last) and " " not in (parsed.first or parsed.last):
            word = first or last  # one word alone: the first name or the surname of someone known
            alone = [p for p in self.persons if word in (fold(p.first), fold(p.last.rstrip(".")))]
            if len({p.id for p in alone}) == 1:
                return alone[0]

        def same_last(p: Person) -> bool:
            pl = fold(p.last.rstrip("."))
            if abbreviated or (p.last.endswith(".") and len(pl) <= 2):
                return bool(pl) and bool(last) and pl[0] == last[0]
            return pl == last

        candidates = []
        for p in self.persons:
            pf = fold(p.first)
            if first and last:
                if pf == first and (not p.last or same_last(p)):
                    candidates.append(p)
                elif not pf and p.last and same_last(p):
                    candidates.append(p)
            elif first:
                if pf == first:
                    candidates.append(p)
            elif last and p.last and same_last(p):
                candidates.append(p)
        full = [p for p in candidates if p.first and p.last]
        chosen = full or candidates
        return chosen[0] if len({p.id for p in chosen}) == 1 or (chosen and first and last) else None

    def assign_pseudonyms(self, seed: int, reserved: set[str], previous: dict[str, tuple[str, str]] | None = None) -> None:
        """Draw a pseudonym (first name, surname) for every person, deterministically.

        Names found in the corpus (``reserved``) are never drawn; a person written in a way
        ``previous`` knows (name as written → pseudonym, from a key kept from an earlier run)
        keeps the pseudonym it had.
        """
        pools = _pools()
        taken = {fold(x) for x in reserved}
        previous = previous or {}
        for person in sorted(self.persons, key=lambda p: (p.key, sorted(p.forms))):
            known = next((previous[form] for form in sorted(person.forms) if form in previous), None)
            if known:
                person.pseudo_first, person.pseudo_last = known
            taken |= {fold(person.pseudo_first), fold(person.pseudo_last)} - {""}
        for person in sorted(self.persons, key=lambda p: (p.key, sorted(p.forms))):
            if person.pseudo_first or person.pseudo_last:
                continue
            rng = random.Random(f"{seed}:{person.key}:{sorted(person.forms)}")
            gender = person.gender or (name_lists().gender(person.first) if person.first else "")
            person.pseudo_first = _draw(pools[gender], taken, rng)
            person.pseudo_last = _draw(pools["last"], taken, rng) if (person.last or person.initials) else ""
            if not person.first and not person.last and not person.initials:
                person.pseudo_last = ""

    def forms(self) -> dict[str, Person]:
        """Every way a person is written (full, first name, surname, with initial) → person."""
        out: dict[str, Person] = {}
        for p in self.persons:
            variants = set(p.forms)
            if p.first:
                variants.add(p.first)
            if p.last and not p.last.endswith("."):
                variants.add(p.last)
                variants.update(f"{title} {p.last}" for title in TITLE_FORMS)
                if p.first:
                    variants.add(f"{p.first} {p.last}")
                    variants.add(f"{p.first} {p.last[0]}.")
            for v in variants:
                out.setdefault(v, p)
        return out


def _draw(pool: list[str], taken: set[str], rng: random.Random) -> str:
    free = [x for x in pool if fold(x) not in taken]
    choice = rng.choice(free or pool)
    taken.add(fold(choice))
    return choice


def pseudonym_for(person: Person, written: str, style: str) -> str:
    """The replacement of one written form of a person, in the chosen style.

    A word written alone is the person's first name or surname as the person's full name
    says, whatever the name lists know ("Dmitry" of "Dmitry Starkov" → the pseudonym's first
    name); a handle becomes a handle of the pseudonym ("dmitry_starkov" → "odile_lambert")."""
    if style == "tags":
        return f"[PERSONNE_{person.id:02d}]"
    if written in person.handles:
        separator = next((c for c in written if c in "_.-"), "_")
        words = [fold(w).replace(" ", separator) for w in (person.pseudo_first, person.pseudo_last) if w]
        spelt = separator.join(words) or f"personne{person.id:02d}"
        return spelt if written.islower() or not written[:1].isupper() else spelt.title()
    alone = written.strip()
    if " " not in alone and not alone.endswith("."):
        if person.first and fold(alone) == fold(person.first):
            return person.pseudo_first
        if person.last and fold(alone) == fold(person.last):
            return person.pseudo_last or person.pseudo_first
    parsed = parse_name(written)
    if parsed.initials:
        dotted = "." in parsed.initials
        letters = [person.pseudo_first[:1], person.pseudo_last[:1]]
        return "".join(f"{x}." for x in letters if x) if dotted else "".join(letters)
    if parsed.first and parsed.last:
        last = f"{person.pseudo_last[:1]}." if parsed.last.endswith(".") and len(parsed.last) <= 3 else person.pseudo_last
        return f"{person.pseudo_first} {last}".strip()
    if parsed.last:
        name = person.pseudo_last or person.pseudo_first
        return f"{parsed.title} {name}" if parsed.title else name
    if parsed.first:
        return person.pseudo_first
    return person.pseudo_first or f"[PERSONNE_{person.id:02d}]"
