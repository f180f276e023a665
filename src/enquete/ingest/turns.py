"""From transcript lines to speaker turns: one mechanism for every format.

A format reader (:mod:`enquete.ingest.formats`) gives :class:`~formats.Line` objects
with what the file's structure says. Here, each line's head is parsed the same way
whatever the format: a leading time or time range, then a speaker label in one of the
known forms::

    Enquêtrice : Bonjour.                       inline  (also "Label: text")
    [SPEAKER_01]: Bonjour.                      bracketed
    [0:00:06.835 - 0:00:07.235] SPEAKER_00 - Hello.   dash (codes, or when the document writes it so)
    Sara Mannheimer  00:13                      label line: the speech follows on the next lines
    [Chercheur] (0:01 - 0:11)                   label line
    **Emma** [0:00] text                        a bold or italic label (the reader found it)

The document's labels are then accepted together (a name must recur or sit among other
labels), times are lifted into ``time_offset``, lines that are not speech become
metadata rows, lines without a label continue the current turn, and roles are decided
(:func:`assign_roles`). Nothing is dropped: every word of a line is in a turn, a
metadata row or the speaker column.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache

from enquete.ingest.lines import BRACKETED_TIME, LABEL_DECORATION, LEADING_TIME, ONLY_TIME, TIME, Line, time_value
from enquete.ingest.lines import SPACE as _SP
from enquete.ingest.lines import TIME_RANGE as _RANGE
from enquete.labels import is_code_label, label_words, letter_codes, normalise_label

_LABEL = rf"[^\W\d_][\w.'’\-]*(?:{_SP}[\w.'’\-]+){{0,3}}(?:{_SP}*\([^()\n]{{1,30}}\))?"
_STAMP = rf"[\[(]?{_SP}*{_RANGE}{_SP}*[\])]?"
INLINE = re.compile(rf"^(?P<label>{_LABEL}){_SP}*(?:[\[(](?P<time>{_RANGE})[\])]{_SP}*)?:{_SP}*(?P<rest>.*)$", re.S)
BRACKETED = re.compile(rf"^\[(?P<label>[^\]\n:]{{1,40}})\]{_SP}*:?{_SP}*(?P<rest>.*)$", re.S)
DASH = re.compile(rf"^(?P<label>{_LABEL}){_SP}+[-–]{_SP}+(?P<rest>.*)$", re.S)
LABEL_LINE = re.compile(rf"^(?P<label>{_LABEL}){_SP}+(?P<time>{_STAMP}){_SP}*:?{_SP}*$")
ALONE = re.compile(rf"^(?P<label>{_LABEL}){_SP}*:?{_SP}*$")
PARENTHETICAL = re.compile(rf"{_SP}*\((?P<note>[^()\n]{{1,30}})\)$")
INITIALS = re.compile(r"^(?:[A-ZÀ-Þ]{1,3}\d{0,2}|(?:[A-ZÀ-Þ]\.){1,3})$")
NAME_WORD = re.compile(r"^(?:[A-ZÀ-Þ][\w'’\-]*\.?|de|du|des|la|le|van|von|el|ben|d'\w+)$")
#: Transcription conventions that are not words: pauses "(..)", "(3 s)", "[…]", overlaps "//".
_MARKS = r"\((?:\.{1,3}|…|\d+(?:[.,]\d+)?\s*(?:s|sec|secondes?|seconds?)?(?:\s+(?:de\s+)?pause)?)\)|\[(?:\.\.\.|…)\]|//"


@lru_cache(maxsize=1)
def conventions() -> re.Pattern:
    """Annotations a transcriber writes: the marks above and the non-speech notes and
    placeholders of labels.yaml ("(rires)", "[claquement de langue]", "[Prénom]")."""
    return re.compile(f"{_MARKS}|{label_words().annotation.pattern}", re.IGNORECASE)


@lru_cache(maxsize=1)
def _only_conventions() -> re.Pattern:
    return re.compile(rf"^{_SP}*(?:(?:{conventions().pattern}){_SP}*)+$", re.IGNORECASE)


@lru_cache(maxsize=1)
def _leading_note() -> re.Pattern:
    """Annotations opening a line, before the rest of it ("[inspiration de L] E : …")."""
    return re.compile(rf"^{_SP}*((?:(?:{label_words().annotation.pattern}){_SP}*)+)(?=\S)", re.IGNORECASE)


#: How each accepted label form is named in the reading report.
LAYOUTS = {
    "speaker": "format",  # the file's structure names the speaker (voice tag, JSON, anchor)
    "decorated": "decorated",  # bold, italic or table-cell label
    "inline": "inline",
    "bracketed": "bracketed",
    "dash": "dash",
    "line": "label_line",
}


def strip_timestamps(text: str) -> tuple[str, float | None]:
    """Remove bracketed times and ranges ("[00:12:34]", "(0:01 - 0:11)"); return the first as seconds."""
    first = None
    for m in BRACKETED_TIME.finditer(text):
        if first is None:
            first = time_value(m.group("time"))
    if first is None and not BRACKETED_TIME.search(text):
        return text, None
    return BRACKETED_TIME.sub(lambda m: " " if m.start() and m.end() < len(text) else "", text).strip(), first


def annotations(text: str) -> str:
    """Transcription conventions found in a text, in order, ';'-separated."""
    return ";".join(m.group(0) for m in conventions().finditer(text))


@dataclass
class Head:
    """What the start of a line says: a label candidate, its form, a time, and the rest."""

    text: str  # the line without its leading time (what is kept when no label is accepted)
    label: str | None = None
    form: str | None = None
    rest: str = ""
    start: float | None = None
    ranged: bool = False
    bare_time: bool = False
    prefix: str = ""  # a non-speech prefix ("PAUSE.") split off the line
    note: str = ""  # annotations before the label ("[inspiration de L] E : …"): they belong to the turn before


def _lift_time(text: str, bare: bool) -> tuple[str, float | None, bool, bool]:
    """(text without a leading time, the time, whether it was a range, whether it was bare).

    A bare time ("00:13 So…") is lifted only when the document writes them (``bare``) or
    when it is alone on its line.
    """
    m = LEADING_TIME.match(text)
    if not m or (m.group("bare") and not bare and text[m.end() :].strip()):
        return text, None, False, False
    written = m.group("bracketed") or m.group("bare")
    ranged = not TIME.fullmatch(written.strip())
    return text[m.end() :], time_value(written), ranged, bool(m.group("bare"))


FORMS = (("line", LABEL_LINE), ("bracketed", BRACKETED), ("inline", INLINE), ("dash", DASH), ("alone", ALONE))


def parse_head(line: Line, bare_times: bool = True, known: frozenset[str] = frozenset()) -> Head:
    """The label candidate, time and rest of one line (no decision yet).

    ``known`` holds the normalised labels corpus.yaml gives for the interviewer.
    """
    text, start, ranged, bare = _lift_time(line.text.strip(), bare_times)
    prefix = ""
    pause = label_words().pause_prefix.match(text)
    if pause:
        prefix, text = pause.group(1), text[pause.end() :]
    head = Head(text, start=start, ranged=ranged, bare_time=bare, prefix=prefix)
    note = _leading_note().match(text)
    spoken = text[note.end() :] if note else text
    if line.speaker:
        head.label, head.form, head.rest = line.speaker, "speaker", text
    elif line.label and text.startswith(line.label):
        head.label, head.form, head.rest = line.label, "decorated", text[len(line.label) :].lstrip(LABEL_DECORATION)
    else:
        for form, pattern in FORMS:
            m = pattern.match(spoken)
            if not m or (form == "alone" and start is None and not _strong_label(m.group("label"), known)):
                continue  # a lone label needs a time before it, or to be a role word or code
            label = m.group("label").strip()
            if form == "bracketed" and conventions().fullmatch(f"[{label}]"):
                continue  # "[Rires]", "[bruit de moteur]": a note, not a speaker
            if len(label) <= 40 and (_strong_label(label, known) or _name_label(label) or (form == "bracketed" and _tag_label(label))):
                head.label, head.form = label, "line" if form == "alone" else form
                head.rest = m.group("rest") if "rest" in m.re.groupindex else ""
                head.note = note.group(1).strip() if note else ""
                written = (m.group("time") or "").strip("[]() ") if "time" in m.re.groupindex else ""
                if written:
                    head.start, head.ranged = time_value(written), not TIME.fullmatch(written)
                break
        note = PARENTHETICAL.search(head.label or "")
        if note and head.form != "speaker" and (time_value(note.group("note")) is not None or conventions().fullmatch(note.group(0).strip())):
            head.label = head.label[: note.start()]  # "Speaker 1 (00:00)" or "Marie (rires)": the note is not the name
            if time_value(note.group("note")) is not None:
                head.start = head.start if head.start is not None else time_value(note.group("note"))
            else:
                head.rest = f"{note.group(0).strip()} {head.rest}".strip()
    if head.label and head.rest:
        rest, again, again_ranged, _ = _lift_time(head.rest, True)
        if again is not None:
            head.rest = rest
            head.start = head.start if head.start is not None else again
            head.ranged = head.ranged or again_ranged
    return head


def role_keys(label: str) -> set[str]:
    """The normalised forms a role word may take in a label: "Marie (enquêtrice)" gives marie(enquetrice), marie, enquetrice."""
    note = PARENTHETICAL.search(label)
    keys = {normalise_label(label)}
    if note:
        keys |= {normalise_label(label[: note.start()]), normalise_label(note.group("note"))}
    return keys


def _base(label: str) -> str:
    note = PARENTHETICAL.search(label)
    return label[: note.start()] if note else label


def _strong_label(label: str, interviewer: set[str] | frozenset[str]) -> bool:
    """A label that is a speaker label wherever it appears: role words, codes, initials."""
    words = label_words()
    base = _base(label)
    return bool(role_keys(label) & (words.interviewer | words.respondent | interviewer)) or is_code_label(base) or bool(INITIALS.match(base))


def _name_label(label: str) -> bool:
    """A label shaped like a person's name ("Martine", "Mme Dupuis", "Amélie Durand")."""
    label = _base(label)
    words = label.split()
    not_labels = label_words().not_labels
    return (
        1 <= len(words) <= 4
        and all(NAME_WORD.match(w) for w in words)
        and normalise_label(words[0]) not in not_labels
        and normalise_label(label) not in not_labels
    )


def _tag_label(label: str) -> bool:
    """A short bracketed tag that may be a speaker ("[id1]", "[Chercheur]"), not a convention ("[rires]")."""
    return len(label.split()) <= 3 and not conventions().fullmatch(f"[{label}]") and any(c.isalpha() for c in label)


def accepted_labels(heads: list[Head], interviewer: list[str]) -> set[str]:
    """The label candidates of a document that are speaker labels.

    Labels the file's structure gives always are. Role words, codes and initials are; a
    name is when it starts at least two lines, or one line of a document that has other
    labels. The dash form ("Label - text") counts only for strong labels or when the
    document writes most of its labels that way.
    """
    known = {normalise_label(x) for x in interviewer}
    counts = Counter(h.label for h in heads if h.label and h.form != "speaker")
    strong = {label for label in counts if _strong_label(label, known)}
    bracketed = {h.label for h in heads if h.form == "bracketed"}
    names = {label for label, n in counts.items() if label not in strong and (_name_label(label) or label in bracketed and _tag_label(label))}
    repeated = {label for label in names if counts[label] >= 2}
    accepted = strong | names if strong or repeated else set()
    forms = Counter(h.form for h in heads if h.label in accepted)
    if forms and forms["dash"] * 2 <= sum(forms.values()):
        dash_only = {h.label for h in heads if h.form == "dash"} - {h.label for h in heads if h.form != "dash"}
        accepted -= dash_only - strong
    return accepted | {h.label for h in heads if h.form == "speaker"}


@dataclass
class Turn:
    speaker: str | None
    text: str
    offset: float | None
    type: str  # turn | paragraph | metadata
    cue: bool = False


@dataclass
class Layout:
    """How a transcript was read, for the reading report."""

    layout: str = "none"
    times: str = "none"  # none | format | single | range
    speakers: int = 0
    roles: str = ""  # how the roles were decided
    uncertain: str = ""  # why the decision is uncertain (empty when it is not)
    declared: dict[str, str] = field(default_factory=dict)  # speaker -> role, as the file's structure declares them
    notes: list[str] = field(default_factory=list)


def _uses_bare_times(lines: list[Line]) -> bool:
    """True when many lines start with a bare time ("00:13 So…"), as Otter's Word export writes them."""
    spoken = [line.text.strip() for line in lines if line.text.strip() and not line.metadata]
    bare = sum(1 for text in spoken if (m := LEADING_TIME.match(text)) and m.group("bare"))
    return bare >= 2 and bare * 4 >= len(spoken)


def _non_speech(text: str) -> bool:
    return bool(label_words().non_speech.fullmatch(text.strip()))


def _written_label(line: Line, known: frozenset[str], voices: set[str]) -> str | None:
    """The label a cue's text opens with ("S01: …") when it is a voice of the file or a strong label."""
    m = INLINE.match(LEADING_TIME.sub("", line.text.strip(), count=1))
    label = m.group("label").strip() if m else None
    return label if label and (label in voices or _strong_label(label, known)) else None


def written_over_voices(lines: list[Line], known: frozenset[str] = frozenset()) -> list[Line]:
    """Cues whose text names the speaker, against their voice tag (noScribe's WebVTT writes
    ``<v S00>S01: …``): when two cues or more open with a label, the labels written in the
    text decide. From the first such cue on, voice tags are set aside, a cue is split where
    one of those labels follows the end of a sentence ("… ? S02: Sérieux ?"), a cue without a
    label continues the turn before, and a cue holding only a label or a time gives no time
    (the tool writes such cues with the time of another).
    """
    voices = {line.speaker for line in lines if line.cue and line.speaker}
    written = [i for i, line in enumerate(lines) if line.cue and line.speaker and _written_label(line, known, voices)]
    if len(written) < 2:
        return lines
    labels = sorted({_written_label(lines[i], known, voices) for i in written}, key=len, reverse=True)
    inside = re.compile(rf"(?<=[.?!…]){_SP}+(?=(?:{'|'.join(map(re.escape, labels))}){_SP}*:)")
    out = lines[: written[0]]
    for line in lines[written[0] :]:
        if not line.cue:
            out.append(line)
            continue
        for piece in inside.split(line.text):
            head = INLINE.match(piece.strip())
            empty = ONLY_TIME.match(piece) or (head and head.group("label").strip() in labels and not head.group("rest").strip())
            out.append(replace(line, text=piece, speaker=None, start=None if empty else line.start))
    return out


def announced_speakers(lines: list[Line]) -> int | None:
    """The number of speakers a tool's header announces (noScribe: « Détection des locuteurs : 3 »)."""
    for line in lines:
        if line.metadata and (m := label_words().announced.search(line.text)):
            return int(next(g for g in m.groups() if g))
    return None


def build_turns(lines: list[Line], interviewer: list[str]) -> tuple[list[Turn], Layout]:
    """Group lines into speaker turns (or unattributed paragraphs when the document has no labels)."""
    known = frozenset(normalise_label(x) for x in interviewer)
    lines = written_over_voices(lines, known)
    bare_times = _uses_bare_times(lines)
    heads = [parse_head(line, bare_times, known) for line in lines]
    accepted = accepted_labels([h for h, line in zip(heads, lines) if not line.metadata], interviewer)
    labelled = bool(accepted)
    header = _header_lines(lines, heads, accepted)
    turns: list[Turn] = []
    current: Turn | None = None  # the turn that unlabelled lines continue
    pending: float | None = None  # a time written alone on a line, for the next turn
    for i, (line, head) in enumerate(zip(lines, heads)):
        text = head.text.strip()
        if line.metadata or (text and _non_speech(text)):
            kept = line.text.strip() if line.metadata else f"{head.prefix} {text}".strip()
            if kept:
                turns.append(Turn(None, kept, None, "metadata"))
            continue
        if head.prefix:
            turns.append(Turn(None, head.prefix, None, "metadata"))
        label = head.label if head.label in accepted and i not in header else None
        if label is None:
            text, stamp = strip_timestamps(text)
            start = line.start if line.start is not None else head.start if head.start is not None else stamp
            if not text:
                pending = start if start is not None else pending
                continue
            start = start if start is not None else pending
            pending = None
            if not labelled:
                turns.append(Turn(None, text, start, "paragraph", line.cue))
            elif current is None:  # before the first turn: a header, or (subtitles) unattributed speech
                speech = line.cue and not _only_conventions().match(text)
                turns.append(Turn(None, text, start if speech else None, "paragraph" if speech else "metadata", line.cue))
            else:
                current.text = (current.text + (" " if line.cue else "\n") + text).strip()
                if current.offset is None:
                    current.offset = start
            continue
        if head.note:  # a breath or a laugh before the label: the end of the turn in progress
            if current is not None:
                current.text = f"{current.text} {head.note}".strip()
            else:
                turns.append(Turn(None, head.note, None, "metadata"))
        rest, stamp = strip_timestamps(head.rest.strip())
        start = line.start if line.start is not None else head.start if head.start is not None else stamp
        start = start if start is not None else pending
        pending = None
        if line.cue and current is not None and current.cue and current.speaker == label and turns[-1] is current:
            current.text = (current.text + " " + rest).strip()
            continue
        current = Turn(label, rest, start, "turn", line.cue)
        turns.append(current)
    layout = _layout(lines, heads, accepted, turns)
    layout.declared = {line.speaker: line.role for line in lines if line.speaker and line.role}
    announced = announced_speakers(lines)
    if announced is not None and announced != layout.speakers:
        layout.notes.append(f"l'en-tête annonce {announced} locuteur(s), {layout.speakers} trouvé(s) : à vérifier")
    return turns, layout


def _header_lines(lines: list[Line], heads: list[Head], accepted: set[str]) -> set[int]:
    """Lines of a header block: before the first turn of a recurring speaker, a label written
    once ("Corpus : UJAA-2026", "SUMMARY KEYWORDS", "Enquêtrice : INV") is a field of the header."""
    spoken = [(i, h) for i, (h, line) in enumerate(zip(heads, lines)) if h.label in accepted and not line.metadata]
    counts = Counter(h.label for _, h in spoken)
    first = next((i for i, h in spoken if counts[h.label] >= 2), None)
    if first is None:
        return set()
    return {i for i, h in spoken if i < first and counts[h.label] == 1 and h.form != "speaker"}


def _layout(lines: list[Line], heads: list[Head], accepted: set[str], turns: list[Turn]) -> Layout:
    labelled = [h for h in heads if h.label in accepted]
    forms = Counter(h.form for h in labelled)
    if sum(1 for h in labelled if not h.rest.strip()) * 2 > len(labelled):
        layout = "label_line"  # the label stands alone, the speech follows on the next lines
    else:
        layout = LAYOUTS[forms.most_common(1)[0][0]] if forms else "none"
    if any(h.ranged for h in heads):
        times = "range"
    elif any(h.start is not None for h in heads):
        times = "single"
    elif any(line.start is not None for line in lines):
        times = "format"
    else:
        times = "none"
    speakers = len({t.speaker for t in turns if t.type == "turn"})
    return Layout(layout=layout, times=times, speakers=speakers)


def assign_roles(turns: list[Turn], interviewer: list[str], layout: Layout) -> list[str]:
    """interviewer / respondent per turn (unknown for other rows); records the decision in ``layout``.

    corpus.yaml's ``interviewer:`` labels decide; else the roles the file declares (CHAT's
    ``@Participants``); else role words in the labels ("Enquêtrice", "Q", "Chercheur"), but not in
    a diarization tool's letters (A, B…); else,
    with several speakers, the cues a person would use (:func:`likely_interviewer`).
    """
    speakers = list(dict.fromkeys(t.speaker for t in turns if t.type == "turn" and t.speaker))
    codes = letter_codes(speakers)
    keys = {s: set() if s in codes else role_keys(s) for s in speakers}
    words = label_words()
    wanted = {normalise_label(x) for x in interviewer}
    interviewers: set[str] = set()
    if wanted:
        interviewers = {s for s in speakers if role_keys(s) & wanted}
        layout.roles = "corpus.yaml"
        if not interviewers and speakers:
            layout.notes.append(f"aucun des locuteurs indiqués comme enquêteur ({', '.join(interviewer)}) n'apparaît")
    declared = not interviewers and speakers and set(speakers) <= set(layout.declared)
    if declared:  # the file says who is who: nobody asking is its answer too (a child and its mother)
        interviewers = {s for s in speakers if layout.declared[s] == "interviewer"}
        layout.roles = "en-tête"
    if not interviewers and not declared:
        interviewers = {s for s, k in keys.items() if k & words.interviewer}
        layout.roles = "libellés" if interviewers else layout.roles
    if not interviewers and not declared and len(speakers) == 2:
        answering = [s for s, k in keys.items() if k & words.respondent]
        if len(answering) == 1:
            interviewers = set(speakers) - set(answering)
            layout.roles = "libellés"
    if not interviewers and not declared and len(speakers) >= 2:
        asker, layout.uncertain = likely_interviewer(turns, speakers)
        interviewers = {asker} if asker else set()
        layout.roles = "déduit"
    return [
        "unknown" if t.type != "turn" or not t.speaker else ("interviewer" if t.speaker in interviewers else "respondent")
        for t in turns
    ]


def _asks(text: str) -> bool:
    return text.rstrip(" .…»\"')/").endswith("?")


def likely_interviewer(turns: list[Turn], speakers: list[str]) -> tuple[str | None, str]:
    """(the speaker the cues point to, why the choice is uncertain, or '').

    Among the main speakers (a tenth of the turns at least), three cues vote: the largest
    share of turns ending in a question (by a clear margin), the shortest turns on average
    (half as long at most), speaking first. Nobody asking a question means no interviewer
    (a meeting, a group discussion).
    """
    spoken = [t for t in turns if t.type == "turn" and t.speaker]
    counts = Counter(t.speaker for t in spoken)
    main = [s for s in speakers if counts[s] >= max(2, len(spoken) / 10)] or speakers
    questions = {s: sum(_asks(t.text) for t in spoken if t.speaker == s) / counts[s] for s in main}
    length = {s: sum(len(t.text.split()) for t in spoken if t.speaker == s) / counts[s] for s in main}
    if max(questions.values()) == 0:
        return None, "personne ne pose de question : aucun enquêteur retenu"
    by_questions = sorted(main, key=questions.__getitem__, reverse=True)
    by_length = sorted(main, key=length.__getitem__)
    votes: dict[str, str] = {"parle en premier": next(t.speaker for t in spoken if t.speaker in main)}
    if len(main) < 2 or questions[by_questions[0]] >= max(1.5 * questions[by_questions[1]], questions[by_questions[1]] + 0.1):
        votes["pose le plus de questions"] = by_questions[0]
    if len(main) < 2 or length[by_length[1]] >= 1.5 * max(length[by_length[0]], 1):
        votes["interventions les plus courtes"] = by_length[0]
    tally = Counter(votes.values())
    best = max(tally, key=lambda s: (tally[s], s == votes.get("pose le plus de questions"), s == votes.get("interventions les plus courtes")))
    against = [f"« {who} » {why}" for why, who in votes.items() if who != best]
    if not against and tally[best] < 2:
        against.append("un seul indice")
    return best, ", ".join(against)
