"""Regular expressions for personal data that is not a person's name.

Each pattern is bounded so that it takes the personal datum and not the rest of the
sentence ("au 14 rue des Glycines depuis 1991" → "14 rue des Glycines").
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable

#: Unicode blocks of styled letters and digits: letterlike and enclosed, fullwidth, mathematical
#: alphanumerics, enclosed supplement, segmented digits.
STYLED_BLOCKS = ((0x2100, 0x2500), (0xFF00, 0xFFF0), (0x1D400, 0x1D800), (0x1F100, 0x1F200), (0x1FBF0, 0x1FBFA))


def _styled() -> dict[int, str]:
    """Styled letter or digit (𝐌, 𝑴, ℳ, Ｍ, Ⓜ) → the plain one it stands for, one for one."""
    chars = itertools.chain.from_iterable(range(*block) for block in STYLED_BLOCKS)
    return {
        c: plain
        for c in chars
        if unicodedata.decomposition(chr(c)).split(" ")[0] in ("<font>", "<wide>", "<circle>")
        and len(plain := unicodedata.normalize("NFKC", chr(c))) == 1 and plain.isascii() and plain.isalnum()
    }


PLAIN = str.maketrans(_styled())
FIRST_STYLED = chr(STYLED_BLOCKS[0][0])


def plain(text: str) -> str:
    """The text with styled letters and digits made plain: same length, same offsets."""
    return text if max(text, default="") < FIRST_STYLED else text.translate(PLAIN)


_SP = r"[ \u00a0\u202f.\-]?"
PHONE = re.compile(
    r"(?<![\w+./\-])(?:"
    rf"(?:\+|00){_SP}33{_SP}(?:\(0\){_SP})?[1-9](?P<i>{_SP})\d{{2}}(?:(?P=i)\d{{2}}){{3}}"  # +33 6 12 34 56 78, 0033 6…
    rf"|0[1-9](?P<n>{_SP})\d{{2}}(?:(?P=n)\d{{2}}){{3}}"  # 06 12 34 56 78, 06.12.34.56.78, 0612345678: one separator throughout
    r"|\+(?!33)\d{1,3}(?:[ \u00a0\u202f.\-]?\(?\d{1,4}\)?){2,5}"  # other international numbers
    r")(?![\w]|[\-./]\d)"
)
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?![\w-])")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>«»\"]+[^\s<>«»\".,;:!?)\]]")
PERSONAL_URL = re.compile(
    r"(?:facebook\.com|fb\.com|instagram\.com|linkedin\.com/in|twitter\.com|x\.com|tiktok\.com|wa\.me|t\.me|"
    r"youtube\.com/@|maps\.google|goo\.gl/maps|maps\.app\.goo\.gl|openstreetmap\.org/\?mlat|[?&](?:q|ll)=-?\d+\.\d+,)",
    re.IGNORECASE,
)
STREET_TYPES = (
    r"rue|avenue|av\.|boulevard|bd|bld|allée|allee|impasse|place|chemin|route|quai|cours|square|passage|villa|"
    r"cité|sentier|voie|rond-point|esplanade|faubourg|résidence|hameau|lotissement|parvis"
)
_PARTICLE = r"(?:de|du|des|la|le|les|l['’]|d['’]|aux?|en|sur|sous|saint|sainte|st|ste)"
_NAME_WORD = r"(?:[A-ZÀ-Þ0-9][\w'’\-]*)"
ADDRESS = re.compile(
    rf"\b\d{{1,4}}(?:\s?(?:bis|ter|quater|[A-D]))?,?\s+(?i:{STREET_TYPES})\s+"
    rf"(?:(?i:{_PARTICLE})\s*)*{_NAME_WORD}(?:[\s\-]+(?:(?i:{_PARTICLE})\s*)*{_NAME_WORD}){{0,4}}"
)
POSTAL_CODE = re.compile(
    r"(?:\b(?:CP|code postal)\s*:?\s*(?:0[1-9]|[1-8]\d|9[0-8])\d{3}\b)"
    r"|(?:\b(?:0[1-9]|[1-8]\d|9[0-8])\d{3}(?=\s+[A-ZÀ-Þ][a-zà-ÿ]))"
)
_ORDINAL = r"(?:\d{1,2}\s?(?:e|è|ème|eme|er|ère|re)|premier|première|deuxième|second|seconde|troisième|quatrième|cinquième|sixième|septième|huitième|neuvième|dixième|onzième|douzième|rez-de-chaussée)"
_BUILDING = r"(?:bâtiment|batiment|bât\.?|bat\.?|immeuble|escalier|esc\.?|tour)\s+[A-Z0-9]{1,3}\b"
_FLOOR = rf"(?:au\s+)?{_ORDINAL}(?:\s+étage)?"
_DOOR = r"(?:porte|appartement|appart\.?|appt\.?|apt\.?|logement|log\.?|n°|numéro)\s*\d{1,4}[A-Z]?\b"
DWELLING = re.compile(
    rf"(?i:\b(?:(?:{_BUILDING}|{_FLOOR}\s+étage|{_FLOOR})(?:\s*,?\s*(?:{_BUILDING}|{_FLOOR}\s+étage|{_DOOR}))+|{_DOOR}))"
)
#: Words one of which every DWELLING match holds, in lower case (a cheap test before the costly pattern).
DWELLING_WORDS = ("bât", "bat", "immeuble", "esc", "tour", "étage", "porte", "app", "apt", "log", "n°", "numéro")
#: A digit: PHONE, ADDRESS, DOOR_CODE, BIRTH_DATE and POSTAL_CODE all need one.
DIGIT = re.compile(r"\d")


def may_be_dwelling(text: str) -> bool:
    """Whether DWELLING can match: the text holds one of its words."""
    lowered = text.lower()
    return any(word in lowered for word in DWELLING_WORDS)
DOOR_CODE = re.compile(
    r"(?i:\b(?:digicode|code)(?:\s+(?:de|du|d['’])\s*(?:la\s+|l['’])?[a-zà-ÿ]+)?"
    r"\s*(?::|c['’]est|est)?\s*(?:le\s+)?)(?=[0-9A-Z]*\d)([0-9A-Z]{3,8})\b"
)
_MONTHS = r"janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"
BIRTH_DATE = re.compile(
    rf"(?i:\b(?:née?s?|date\s+de\s+naissance\s*:?)\s+(?:le\s+)?)"
    rf"(\d{{1,2}}(?:er)?\s+(?i:{_MONTHS})\s+\d{{4}}|\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}})"
)
#: The folders of a file's path ("C:\\Users\\marie.dupont\\Documents\\", "/home/marie/", "file:///Users/marie/"),
#: as noScribe writes the audio file in its header: a home folder is named after its user. A
#: drive, a network share or a system's top folder opens it; the file's own name after it is left.
FOLDERS = re.compile(
    r"(?<![\w.:/\\~-])(?:file:/{2,3})?"
    r"(?:[A-Za-z]:[\\/]|\\\\(?=\w)|/(?=(?:home|Users|mnt|media|Volumes|run|var|tmp|data|srv|opt|root|private|net|nfs|afs|export|storage|sdcard)/))"
    r"(?:(?![^\s\\/]*\.\w{1,5}\s)[^\\/\s<>\"|?*:()\[\]][^\\/\n<>\"|?*:()\[\]]{0,80}?[\\/])+"  # not "x.mp3 et puis/"
)
MENTION = re.compile(r"@\u2068?([^\s\u2069@][^@\n\u2069]{0,40}?)\u2069|@(\+?\d[\d ]{7,16}\d|[\w\-]{2,30})")


def any_phrase(words: Iterable[str]) -> re.Pattern | None:
    """Any of the given words or phrases, whole, ignoring case (None when there are none)."""
    items = sorted({w.strip() for w in words if w and w.strip()}, key=len, reverse=True)
    if not items:
        return None
    return re.compile(r"(?<![\w])(?:" + "|".join(map(re.escape, items)) + r")(?![\w])", re.IGNORECASE)
