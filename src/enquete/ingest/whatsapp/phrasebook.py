"""The phrase table (``whatsapp_phrases.yaml``) compiled: what makes a message a notice, a
deleted message, a media, a contact card... in every language, and an export's file name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from re import _parser as sre_parse  # the regex parser (re's own, Python 3.11 to 3.13)

from enquete.datafiles import package_yaml
from enquete.ingest.whatsapp.headers import MARKS


@dataclass(frozen=True)
class Phrases:
    """Phrase patterns of every language (see whatsapp_phrases.yaml), as RE2 strings."""

    system: str  # alternation of the system phrases and notices, matched at the start of a body
    group_system: str  # the system phrases only (what a group's name announces, never a contact)
    system_by_language: dict[str, re.Pattern]
    notice: str
    notice_hint: str  # the notices a member's name can carry without a mark start with fixed text (a cheap pre-test)
    markup_hint: str  # literals every media, deleted, call... phrase contains (a cheap pre-test)
    deleted: str
    deleted_phrases: str
    media: str
    attachment: str
    file_names: re.Pattern  # a group `file` per alternative, numbered
    attachment_after: str  # attachment notices ending a text that has words before them
    attachment_after_one: re.Pattern  # one of them, its name in the group `file`
    contact: str
    location: str
    poll: str
    call: str
    edited: str
    empty: str  # the type of a message with nothing after "Name:"
    months: tuple[re.Pattern, ...]  # January to December, each a month's names and abbreviations in every language
    chat_file: re.Pattern  # an export's file name (stem)
    chat_names: tuple[re.Pattern, ...]  # the same, with the chat's name in the group `chat`


def _literals(pattern: str) -> tuple[bool, list[str]]:
    """(anchored, literals): literals one of which every match of ``pattern`` contains.

    Anchored when the pattern starts with them (a cheap test of a text's first
    characters); else the longest literal run of its top level, or the literals of each
    branch of a top-level alternation. A phrase without any is a mistake in the phrase
    table (it could never be pre-tested): ValueError.
    """
    parsed = sre_parse.parse(pattern)
    leading = _leading_of(parsed)
    if leading:
        return True, leading
    found = _literals_of(parsed)
    if not found:
        raise ValueError(f"whatsapp_phrases.yaml : la phrase « {pattern} » ne contient aucun texte fixe")
    return False, found


def _leading_of(seq) -> list[str]:
    """The literal prefixes every match of ``seq`` starts with ([] when it starts with a wildcard).

    The regex parser factors common prefixes ("Voice|Video" becomes "V", then a branch):
    a literal run followed by a branch of literals continues into each branch.
    """
    run, i = "", 0
    while i < len(seq) and seq[i][0] is sre_parse.LITERAL:
        run += chr(seq[i][1])
        i += 1
    if i == len(seq):
        return [run] if run else []
    op, arg = seq[i]
    branches = None
    if op is sre_parse.SUBPATTERN and len(arg[-1]) == 1 and arg[-1][0][0] is sre_parse.BRANCH:
        branches = arg[-1][0][1][1]
    elif op is sre_parse.BRANCH:
        branches = arg[1]
    elif op is sre_parse.SUBPATTERN:
        inner = _leading_of(arg[-1])
        if inner:
            return [run + lit for lit in inner]
    if branches:
        found = [_leading_of(b) for b in branches]
        if all(found):
            return [run + lit for f in found for lit in f]
    return [run] if run else []


def _literals_of(seq) -> list[str]:
    best, run = "", ""
    for op, arg in seq:
        if op is sre_parse.LITERAL:
            run += chr(arg)
            best = max(best, run, key=len)
        else:
            run = ""
    if len(best.strip()) >= 3:
        return [best]
    for op, arg in seq:  # a required group: (?:image|vidéo) omise
        if op is sre_parse.SUBPATTERN:
            inner = arg[-1]
            if len(inner) == 1 and inner[0][0] is sre_parse.BRANCH:
                branches = [_literals_of(b) for b in inner[0][1][1]]
                if all(branches):
                    return [lit for b in branches for lit in b]
            elif (found := _literals_of(inner)):
                return found
        elif op is sre_parse.BRANCH:
            branches = [_literals_of(b) for b in arg[1]]
            if all(branches):
                return [lit for b in branches for lit in b]
    return [best] if best.strip() else []


def _hint(patterns: list[str]) -> str:
    """A cheap RE2 pre-test for the patterns: their leading literals at the start of the text, or their literals anywhere."""
    anchored, anywhere = set(), set()
    for p in patterns:
        leading, literals = _literals(p)
        # a literal found anywhere is trimmed: WhatsApp may put a direction mark where the phrase has a space
        (anchored if leading else anywhere).update(lit.lower() if leading else lit.strip().lower() for lit in literals if lit.strip() or leading)
    anywhere = {lit for lit in anywhere if not any(other != lit and other in lit for other in anywhere)}  # the shorter suffices

    def alternation(literals):
        return "|".join(re.escape(lit) for lit in sorted(literals, key=len, reverse=True))

    parts = ([f"^[{MARKS}]*(?:{alternation(anchored)})"] if anchored else []) + ([alternation(anywhere)] if anywhere else [])
    return "(?i)" + "|".join(parts)


@lru_cache(maxsize=1)
def phrase_table() -> Phrases:
    data = package_yaml("enquete.ingest", "whatsapp_phrases.yaml")
    who = r"[^:\n]+?"

    def items(*kinds: str, languages=None) -> list[str]:
        return [
            p.replace("{who}", who) for lang, table in data.items() if languages is None or lang in languages for kind in kinds for p in table.get(kind, [])
        ]

    def alternation(*kinds: str, languages=None) -> str:
        return "|".join(f"(?:{p})" for p in items(*kinds, languages=languages))

    def unnamed(pattern: str) -> str:
        return re.sub(r"\(\?P<\w+>", "(", pattern)

    named = "|".join(f"(?:{p.replace('(?P<file>', f'(?P<file{i}>')})" for i, p in enumerate(items("media") + items("attachment")))
    languages = [lang for lang in data if lang != "any"]
    return Phrases(
        system=alternation("system", "notice"),
        group_system=alternation("system"),
        system_by_language={lang: re.compile(alternation("system", "notice", languages=[lang]), re.IGNORECASE) for lang in languages},
        notice=rf"(?i)^[{MARKS}]*(?:{unnamed(alternation('notice'))})",
        notice_hint=_hint([unnamed(p) for p in items("notice") if _literals(unnamed(p))[0]]),
        markup_hint=_hint([unnamed(p) for kind in ("deleted", "media", "attachment", "contact", "location", "poll", "call") for p in items(kind)]),
        deleted=rf"(?i)^(?:{alternation('deleted')})\s*$",
        deleted_phrases=alternation("deleted"),
        media=rf"(?i)^(?:{unnamed(alternation('media'))})[ \t]*(?:\n|$)",
        attachment=rf"(?i)^(?:{unnamed(alternation('attachment'))})[ \t]*(?:\n|$)",
        file_names=re.compile(rf"(?:{named})[ \t]*(?:\n|$)", re.IGNORECASE),
        attachment_after=rf"(?i)\S[ \t{MARKS}]*(?:(?:{unnamed(alternation('attachment_after'))})[ \t{MARKS}]*)+$",
        attachment_after_one=re.compile(f"[ \t{MARKS}]*(?:{alternation('attachment_after')})", re.IGNORECASE),
        contact=rf"(?i)^(?:{alternation('contact')})",
        location=rf"(?i)^(?:{unnamed(alternation('location'))})",
        poll=rf"(?i)^(?:{alternation('poll')})",
        call=rf"(?i)^(?:{alternation('call')})\s*$",
        edited=rf"(?i)[ \x{{200e}}]*(?:{alternation('edited')})$",
        empty=data["any"]["empty"],
        months=tuple(re.compile("|".join(f"(?:{table['months'][i]})" for table in data.values() if "months" in table), re.IGNORECASE) for i in range(12)),
        chat_file=re.compile(unnamed("|".join(f"(?:{p})" for p in items("file_name"))), re.IGNORECASE),
        chat_names=tuple(re.compile(p, re.IGNORECASE) for p in items("file_name") if "(?P<chat>" in p),
    )


def chat_name(file_name: str) -> str:
    """The contact's or group's name an export's file name carries ('' when none)."""
    stem = PurePosixPath(file_name).stem
    for pattern in phrase_table().chat_names:
        m = pattern.fullmatch(stem)
        if m:
            return m.group("chat").strip()
    return ""
