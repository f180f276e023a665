"""Places and institutions: found by their shape, so that they never get a person's pseudonym.

A name after a place word ("lycée Jean Jaurès", "rue Pasteur", "maison de quartier Pablo
Neruda") is a named place; a saint's name ("Saint-Gaudens") and a compound joined by a
connector ("Castelnau-de-Montmirail") are towns or places. The words are data
(``lieux.yaml``). spaCy's LOC and ORG entities are added by :mod:`.detect`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from enquete.datafiles import package_yaml
from enquete.pseudonymise.names import name_lists
from enquete.words import fold

_CAP = r"[A-ZÀ-Þ][\w'’]+"
WORDS = re.compile(r"[^\W\d_][\w-]*")
_S = r"[ \t\u00a0\u202f]"  # a space within a line
_PARTICLE = rf"(?:de{_S}+la|de{_S}+l['’]|d['’]|de|du|des|les|aux)"  # "résidence Les Ormes": the name is "Ormes"


@dataclass(frozen=True)
class PlaceWords:
    named: re.Pattern  # a place word and the name after it (group "name")
    compound: re.Pattern  # Saint-X, X-de-Y
    not_persons: frozenset[str]
    first_words: frozenset[str]  # the place words' first words, lower case: where a named place may start
    articles: frozenset[str]  # the connectors of place names ("les", "des", "aux"), folded


@lru_cache(maxsize=1)
def place_words() -> PlaceWords:
    data = package_yaml("enquete.pseudonymise", "lieux.yaml")
    words = "|".join(re.escape(w).replace(r"\ ", f"{_S}+") for w in sorted(data["place_words"], key=len, reverse=True))
    name = rf"{_CAP}(?:(?:{_S}|-)+(?:(?:de|du|des|la|le|l['’]|d['’]){_S}*)?{_CAP}){{0,3}}"
    named = re.compile(rf"(?<![\w])(?i:{words})s?{_S}+(?P<particle>(?i:{_PARTICLE}){_S}*)?(?P<name>{name})")
    connectors = "|".join(map(re.escape, data["connectors"]))
    saints = "|".join(map(re.escape, data["saints"]))
    compound = re.compile(
        rf"(?<![\w\-])(?:(?i:{saints})-{_CAP}(?:-[\w'’]+)*|{_CAP}(?:-(?:{connectors})(?:-|['’]){_CAP})+(?:-[\w'’]+)*)(?![\w\-])"
    )
    first_words = frozenset(w.split()[0].lower() for w in data["place_words"])
    return PlaceWords(named, compound, frozenset(fold(w) for w in data["not_persons"]), first_words | {f"{w}s" for w in first_words},
                      frozenset(fold(w) for w in data["connectors"]))


def place_spans(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, named) of the place names in a text: ``named`` for a name after a place
    word (an institution, a street, a quartier), else a town-like compound."""
    words = place_words()
    spans = []
    at = [w.start() for w in WORDS.finditer(text.lower()) if w.group() in words.first_words]  # where a place word may open a name
    for m in filter(None, (words.named.match(text, i) for i in at)):
        particle = fold(m.group("particle") or "").strip()
        if particle and name_lists().is_first_name(m.group("name")):
            continue  # "la place de Nadia": hers
        of_town = (particle in ("de", "d'", "d’") or re.match(r"[ \u00a0]\d", text[m.end() :])) and " " not in m.group("name")
        # "CHU de Montpellier", "mairie de Toulouse", "université Lyon 2": the town's own name
        if not spans or spans[-1][:2] != (m.start("name"), m.end("name")):  # "maison de quartier X" matches twice
            spans.append((m.start("name"), m.end("name"), not of_town))
    compounds = words.compound.finditer(text) if "-" in text else ()
    spans += [(m.start(), m.end(), False) for m in compounds if not any(s <= m.start() < e for s, e, _ in spans)]
    return sorted(spans)


def not_a_person(word: str) -> bool:
    """A holiday, month or day ("Noël", "Pâques", "Mardi"): never a person alone."""
    return fold(word) in place_words().not_persons
