"""Replacing personal data in a text, for a known set of people: names (every form of each
person), phones, emails, addresses, dwellings, door codes, birth dates, the folders of a
file's path, denied words."""

from __future__ import annotations

import re
from collections.abc import Iterable

from enquete.labels import is_role_label
from enquete.pseudonymise import patterns
from enquete.pseudonymise.names import People, Person, fold, is_title, name_lists, pseudonym_for
from enquete.pseudonymise.places import not_a_person, place_spans, place_words

TAGS = {
    "PHONE": "[TÉLÉPHONE]",
    "EMAIL": "[EMAIL]",
    "URL": "[URL]",
    "ADDRESS": "[ADRESSE]",
    "POSTCODE": "[CODE_POSTAL]",
    "DWELLING": "[LOGEMENT]",
    "DOOR_CODE": "[CODE]",
    "BIRTH_DATE": "[DATE_NAISSANCE]",
    "MASKED": "[MASQUÉ]",
    "PLACE": "[LIEU_{:02d}]",
    "PATH": "",  # a file's folders are dropped, its name is kept: "C:\\Users\\marie\\E04.mp3" → "E04.mp3"
}
LETTERS = re.compile(r"[^\W\d_]+")
#: After a name: no letter, nor a lower-case part joined by a hyphen ("Wo-bbu-ffet" is a word, not
#: the name "Wo"; "Resume-Dmitry-Starkov" holds names).
NAME_END = r"(?![\w])(?![-‐][a-zà-ÿ])"
#: What decorates a display name without being part of it: emoji, a tilde, stars ("John Doe 🤓", "~ Nadia").
DECORATION = re.compile(r"^[^\w(]+|[^\w.)]+$")


def undecorated(name: str) -> str:
    """A display name without its emoji and marks ("John Doe 🤓" → "John Doe")."""
    return DECORATION.sub("", name)


class Replacer:
    """Finds and replaces personal data in one text, for a given set of people."""

    def __init__(
        self, people: People, style: str, allow: Iterable[str], deny: Iterable[str], lowercase_words: frozenset[str] = frozenset(),
        words_of_language: frozenset[str] = frozenset(), function_words: frozenset[str] = frozenset(),
    ):
        """``lowercase_words``: words the corpus uses in lower case; ``words_of_language``: the
        dictionary; ``function_words``: those of French and of the languages chats are written
        in ("keine", "vielleicht": :func:`enquete.nlp.function_words`).

        Which forms of a person are replaced (:meth:`_replaced_forms`): the names as written
        (a sender's display name, a speaker label, a name given), case as written, whole
        words; a single word of a name alone only when it is a name, not a word of the
        language ("Test", "Keine", "Vielleicht" stay, and a title: "Prof." of "Prof. Oak");
        a first name in lower case ("nadia") only when the name lists know it and it is no
        word of the language ("claire", "noël" stay)."""
        self.people, self.style = people, style
        self.ordinary = lowercase_words | words_of_language
        self.words_of_language = words_of_language
        self.written_as_words = lowercase_words | function_words  # never a name alone, not even a display name
        variants = self._replaced_forms(people)
        self.variants = variants
        alternatives = sorted(variants, key=len, reverse=True)
        self.names = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, alternatives)) + r")" + NAME_END) if alternatives else None
        # a name can only match where the text holds the letters it starts with: a cheap test first
        starts = [LETTERS.match(a) for a in alternatives]
        self.first_words = None if not all(starts) else frozenset(m.group() for m in starts)
        self.allow = patterns.any_phrase(allow)
        self.deny = patterns.any_phrase(deny)
        self.folded = {fold(v): pv for v, pv in variants.items() if len(v) > 2}
        self.anonymous = {f: p for p in people.persons if not (p.first or p.last or p.initials) for f in p.forms}
        self.members = {f: p for p in people.persons for f in p.forms}  # each name as given → its person
        # places: towns kept, named places (after a place word) given a numbered tag, the same everywhere
        self.places = dict(people.places)
        names = sorted(self.places, key=len, reverse=True)
        self.place_names = re.compile(r"(?<![\w])(?:" + "|".join(map(re.escape, names)) + r")(?![\w])") if names else None
        self.place_tags: dict[str, str] = {}
        for name in sorted(n for n, kind in self.places.items() if kind == "named"):
            self._place_tag(name)

    def _replaced_forms(self, people: People) -> dict[str, tuple[Person, str]]:
        """Form as searched in texts → (person, form it stands for)."""
        variants: dict[str, tuple[Person, str]] = {}
        self.kept_words: dict[str, Person] = {}  # words of a member's name kept where written alone ("Test")
        lists = name_lists()
        articles = place_words().articles
        for written, person in people.forms().items():
            form = undecorated(written) if person.first or person.last else written  # a phone number keeps its "+"
            if len(form) < 2 or is_role_label(form) or form in people.places or is_title(form):
                continue
            if " " not in form and not self._name_alone(form, person):
                if person.sources & {"speaker", "names"} and form in {person.first, person.last, *map(undecorated, person.forms)}:
                    self.kept_words[form] = person
                continue
            words = [fold(w) for w in LETTERS.findall(form) if fold(w) not in articles]
            if form == person.last and form not in person.forms and words and all(w in self.ordinary for w in words):
                continue  # "Les Ormes" (a sender "Nadia Les Ormes"): only with the first name
            variants.setdefault(form, (person, form))
            if form == person.first and lists.is_first_name(form) and fold(form) not in lists.ambiguous | self.words_of_language:
                variants.setdefault(form.lower(), (person, form))
                variants.setdefault(fold(form), (person, form))
        return variants

    def _name_alone(self, word: str, person: Person) -> bool:
        """Whether one word of a person's name is replaced wherever it is written alone: a name
        the user gave, a known first name ("Pierre", not "Noël" alone), a display name the corpus
        never writes as an ordinary word ("Bob", not "Test", "Vielleicht"), a part of a name that
        is no word of the language ("Wobbuffet", "Benali", not "Petit", "Keine", "Prof.")."""
        if "names" in person.sources and word in person.forms:
            return True
        if name_lists().is_first_name(word):
            return word in person.forms or not not_a_person(word)
        key = fold(word.rstrip("."))
        if key in self.written_as_words:
            return False
        return word in person.forms or key not in self.ordinary

    def _place_tag(self, name: str) -> str | None:
        """The tag of a named place (None: kept, for a name made of words of the language, "rue de la République";
        not a plural, which names an estate: "résidence des Tilleuls" is tagged)."""
        key = fold(name)
        if key not in self.place_tags:
            words = [fold(w) for w in re.findall(r"[^\W\d_]+", name)]
            articles = place_words().articles
            if all(w in articles or (w in self.ordinary and not (w[-1] in "sx" and w[:-1] in self.ordinary)) for w in words):
                return None
            self.place_tags[key] = TAGS["PLACE"].format(len(self.place_tags) + 1)
        return self.place_tags[key]

    def _places_in(self, text: str) -> list[tuple[int, int, str | None]]:
        """(start, end, tag or None when kept) of the places of a text."""
        found = {(s, e): ("named" if named else "town") for s, e, named in place_spans(text)}
        for m in self.place_names.finditer(text) if self.place_names else ():
            found.setdefault(m.span(), self.places.get(m.group(), "town"))
        out = []
        for (s, e), kind in sorted(found.items()):
            name = text[s:e]
            if name in self.variants and name not in self.places:
                continue  # "à ton tour Karim": a person the corpus knows, not a place
            kind = "named" if self.places.get(name) == "named" else kind
            out.append((s, e, self._place_tag(name) if kind == "named" else None))
        return out

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
                protect(start, end)

        def protect(start: int, end: int) -> None:
            for i in range(start, end):
                taken[i] = True

        allowed = [m.span() for m in self.allow.finditer(text)] if self.allow else []
        digits = patterns.DIGIT.search(text) is not None  # patterns that need a character the text lacks are skipped
        for m in patterns.FOLDERS.finditer(text) if "/" in text or "\\" in text else ():
            add(*m.span(), "PATH", TAGS["PATH"])
        for m in patterns.EMAIL.finditer(text) if "@" in text else ():
            add(*m.span(), "EMAIL", TAGS["EMAIL"])
        for m in patterns.URL.finditer(text) if "http" in text or "www." in text else ():
            if patterns.PERSONAL_URL.search(m.group()) or self._names_inside(m.group()) or re.search(r"\d{8,}", m.group()):
                add(*m.span(), "URL", TAGS["URL"])
        for m in patterns.PHONE.finditer(text) if digits else ():
            if sum(c.isdigit() for c in m.group()) >= 8:
                add(*m.span(), "PHONE", TAGS["PHONE"])
        for m in patterns.ADDRESS.finditer(text) if digits else ():
            add(*m.span(), "ADDRESS", TAGS["ADDRESS"])
        for m in patterns.DWELLING.finditer(text) if patterns.may_be_dwelling(text) else ():
            add(*m.span(), "DWELLING", TAGS["DWELLING"])
        for m in patterns.DOOR_CODE.finditer(text) if digits else ():
            add(*m.span(1), "DOOR_CODE", TAGS["DOOR_CODE"])
        for m in patterns.BIRTH_DATE.finditer(text) if digits else ():
            add(*m.span(1), "BIRTH_DATE", TAGS["BIRTH_DATE"])
        for m in patterns.POSTAL_CODE.finditer(text) if digits else ():
            add(*m.span(), "POSTCODE", TAGS["POSTCODE"])
        if self.deny:
            for m in self.deny.finditer(text):
                add(*m.span(), "MASKED", TAGS["MASKED"])
        for start, end in allowed:
            protect(start, end)
        for start, end, tag in self._places_in(text):
            if tag is None:
                protect(start, end)  # a town, or a place named with words of the language: kept
            elif not any(taken[start:end]):
                add(start, end, "PLACE", tag)
        if self.names and (self.first_words is None or not self.first_words.isdisjoint(LETTERS.findall(text))):
            for m in self.names.finditer(text):
                add(*m.span(), "PERSON", self._person_text(m.group()))
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
        new, done = self.replace(label)
        person = self.members.get(label)
        if person is not None and not any(entity == "PERSON" for entity, _, _ in done):  # "Test": a sender, not a word to replace
            name = undecorated(label) or label
            return label.replace(name, pseudonym_for(person, name, self.style))
        return new

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
