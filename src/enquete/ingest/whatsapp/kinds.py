"""Message types: text, system, deleted, media, contact, location, poll or call, from the
phrase table; the edited marker, the media marker before a caption and the attachment
notices after the words are removed."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from enquete.ingest.whatsapp.arrays import mask, replace_rows
from enquete.ingest.whatsapp.headers import MARKS
from enquete.ingest.whatsapp.phrasebook import phrase_table


def export_language(texts: list[str]) -> str:
    """The export's language: the one whose system phrases occur most ('' when none does)."""
    counts = {lang: sum(1 for t in texts if rx.match(t.lstrip(MARKS))) for lang, rx in phrase_table().system_by_language.items()}
    best = max(counts, key=lambda lang: (counts[lang], lang == "fr"))
    return best if counts[best] else ""


#: message_type codes, in the order the checks win.
KINDS = ("text", "system", "deleted", "media", "contact", "location", "poll", "call")


def classify(texts: pa.Array | list[str], is_system: np.ndarray | None = None):
    """(message_type, text, edited, attachment, media) for message texts.

    The edited marker is removed from the text; a media marker followed by a caption
    leaves the caption as the message's text (type text, ``media`` true), and so do
    attachment notices that follow words (their file names ``;``-separated); an empty
    message is of the type the phrase table gives (``empty``).
    """
    ph = phrase_table()
    texts = pa.array(texts, pa.large_string()) if isinstance(texts, list) else texts
    n = len(texts)
    is_system = np.zeros(n, dtype=bool) if is_system is None else is_system
    edited = mask(texts, ph.edited, np.flatnonzero(pc.ends_with(texts, ">").to_numpy(zero_copy_only=False) & ~is_system))
    texts = replace_rows(texts, np.flatnonzero(edited), lambda t: pc.replace_substring_regex(t, ph.edited, ""))
    candidates = np.flatnonzero(mask(texts, ph.markup_hint) & ~is_system)
    texts = replace_rows(texts, candidates, lambda t: pc.utf8_ltrim(t, MARKS))
    view = replace_rows(texts, candidates, lambda t: pc.replace_substring_regex(t, f"[{MARKS}]", ""))  # "x.txt \u200edocument omitted"
    masks = {kind: mask(view, getattr(ph, kind), candidates) for kind in ("deleted", "media", "attachment", "contact", "location", "poll", "call")}
    short = np.flatnonzero(pc.less_equal(pc.binary_length(texts), 16).to_numpy(zero_copy_only=False) & ~is_system)  # no full-length copy
    masks[ph.empty] |= mask(texts, f"^[ \\t\\n{MARKS}]*$", short)
    media = masks["media"] | masks["attachment"]
    codes = np.select(
        [is_system, masks["deleted"], masks["contact"], media, masks["location"], masks["poll"], masks["call"]],
        [1, 2, 4, 3, 5, 6, 7],
        0,
    )
    attachments: list[str | None] = [None] * n
    captioned = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(media & (codes == 3))
    values = pc.take(view, pa.array(rows)).to_pylist() if len(rows) else []
    captions = {}
    for i, value in zip(rows, values):
        m = ph.file_names.match(value)
        attachments[i] = next((v.strip() for v in m.groupdict().values() if v), None) if m else None
        first, _, caption = value.partition("\n")
        if caption.strip():
            captioned[i], captions[i] = True, caption
    codes[captioned] = 0
    closing = pc.ends_with(pc.utf8_rtrim_whitespace(texts), ">").to_numpy(zero_copy_only=False) & (codes == 0) & ~is_system
    after = np.flatnonzero(mask(texts, ph.attachment_after, np.flatnonzero(closing)))
    for i, value in zip(after, pc.take(texts, pa.array(after)).to_pylist() if len(after) else []):
        notices = list(ph.attachment_after_one.finditer(value))
        first = next(k for k in range(len(notices)) if all(n.end() == m.start() for n, m in zip(notices[k:], notices[k + 1 :])) and notices[-1].end() >= len(value.rstrip()))
        attachments[i] = "; ".join(m.group("file").strip() for m in notices[first:])
        captioned[i], captions[i] = True, value[: notices[first].start()].rstrip(f" \t{MARKS}")
    if captions:
        keys = np.array(sorted(captions))
        texts = replace_rows(texts, keys, lambda _: pa.array([captions[i] for i in keys], pa.large_string()))
    kinds = pc.take(pa.array(list(KINDS), pa.large_string()), codes)
    return kinds, texts, edited, attachments, (media | captioned) & ~is_system
