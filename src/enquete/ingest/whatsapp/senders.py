"""Senders: who wrote each message, and which bodies are system notices (no sender, or
the group's own name on iOS)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from enquete.ingest.whatsapp.arrays import isin, mask, replace_rows, starting
from enquete.ingest.whatsapp.headers import MARKS, HeaderFormat
from enquete.ingest.whatsapp.phrasebook import phrase_table


def clean_senders(heads: pa.Array) -> pa.Array:
    """Senders as displayed: direction marks, spaces and the '~ ' (not in contacts) prefix removed.

    Cleaned once per distinct value (a chat has few senders).
    """
    encoded = pc.dictionary_encode(heads)
    names = pc.utf8_trim(encoded.dictionary, MARKS + " \u202f\u00a0")
    names = pc.utf8_trim(pc.replace_substring_regex(names, r"^~[ \x{202f}\x{a0}]*", ""), MARKS + " ")
    return pc.take(names, encoded.indices)


def split_senders(messages: pa.Array, fmt: HeaderFormat, chat: str):
    """(speaker, text, is_system) of message bodies whose header was removed.

    A body without "Name: " is a system notice, except "Name:" alone (Name's empty
    message) and "Name:text" when Name is a sender. iOS writes group notices under the group's name with a
    direction mark: a sender all of whose messages start with one and say what
    notices say (or bear the chat's name) is the chat, not a member. A one-to-one
    export is named after the contact: that name is then a member like any other.
    """
    ph = phrase_table()
    parts = pc.split_pattern(messages, ": ", max_splits=1)
    bounds = parts.offsets.to_numpy()
    two = np.diff(bounds) == 2
    head = pc.take(parts.values, pa.array(bounds[:-1]))
    rest = pc.take(parts.values, pa.array(np.where(two, bounds[:-1] + 1, bounds[:-1])))  # the whole body when no ": "
    del parts
    has_sep = two & ~mask(head, "\n", np.flatnonzero(two))
    rest = replace_rows(rest, np.flatnonzero(two & ~has_sep), lambda _: pc.filter(messages, pa.array(two & ~has_sep)))
    senders = clean_senders(head)
    known = set(pc.unique(pc.filter(senders, pa.array(has_sep))).to_pylist())
    lone = np.flatnonzero(~has_sep & mask(messages, r"^[^:\n]+:", np.flatnonzero(~has_sep)))
    if len(lone):  # "Carol:" (an empty message, whoever Carol is) or "John Doe:." (no space: a known sender's)
        bodies = pc.take(messages, pa.array(lone))
        split = pc.split_pattern(bodies, ":", max_splits=1)
        names = clean_senders(pc.list_element(split, 0))
        empty = mask(bodies, rf"^[^:\n]+:[ \t{MARKS}]*$") & ~mask(bodies, starting(f"[{MARKS}]*", ph.system))
        mine = isin(names, known) | empty
        if mine.any():
            rows = lone[mine]
            has_sep[rows] = True
            senders = replace_rows(senders, rows, lambda _: pc.filter(names, pa.array(mine)))
            after = pc.binary_join(pc.list_slice(split, 1), pa.scalar(":", messages.type))
            rest = replace_rows(rest, rows, lambda _: pc.filter(after, pa.array(mine)))
    rest = pc.fill_null(rest, "")
    starts_marked = pc.starts_with(rest, "\u200e").to_numpy(zero_copy_only=False) | pc.starts_with(rest, "\u200f").to_numpy(zero_copy_only=False)
    marked_rows = np.flatnonzero(starts_marked & has_sep)
    announced = mask(rest, starting(f"[{MARKS}]*", ph.system), marked_rows)
    announced &= ~mask(rest, starting(f"[{MARKS}]*", ph.deleted_phrases), np.flatnonzero(announced))  # "Se eliminó este mensaje"
    noticed = mask(rest, ph.notice, np.flatnonzero(has_sep & mask(rest, ph.notice_hint)))
    if fmt.ios:
        news = np.flatnonzero(announced)
        group_news = mask(rest, starting(f"[{MARKS}]*", ph.group_system), news)
        markup = mask(rest, ph.markup_hint, marked_rows)
        by_sender = pd.DataFrame({"sender": senders.to_pandas(), "marked": starts_marked, "announced": group_news, "markup": markup, "sep": has_sep})
        by_sender = by_sender[by_sender["sep"]].groupby("sender").agg(
            all_marked=("marked", "all"), announces=("announced", "any"), markup=("markup", "any")
        )
        named = (by_sender.index == chat) & ~by_sender["markup"]  # the chat's name, never sending media
        chats = set(by_sender.index[by_sender["all_marked"] & (by_sender["announces"] | named)])
        is_chat = has_sep & isin(senders, chats) if chats else np.zeros(len(rest), dtype=bool)
        whole = ~has_sep  # the notice is the whole message; else it follows the chat's name
        is_system = whole | is_chat | announced | noticed
    else:
        counts = pc.value_counts(pc.filter(head, pa.array(has_sep)))
        values, freq = counts.field("values").to_pylist(), counts.field("counts").to_pylist()
        suspect = [h for h in values if SYSTEM_HINT.search(h) or len(h) > 80]
        single = {h for h, n in zip(values, freq) if n == 1}
        suspicious = has_sep & isin(head, suspect)
        matches = mask(messages, starting(f"[{MARKS}]*", ph.system), np.flatnonzero(suspicious))
        lone_head = suspicious & isin(head, single)
        whole = ~has_sep | matches | lone_head  # "Amélie a changé le sujet en « AG : 18h »" is one notice
        is_system = whole | noticed
    full = whole & has_sep  # a notice with ": " in it: the whole body (rows without ": " already are)
    texts = replace_rows(rest, np.flatnonzero(full), lambda _: pc.filter(messages, pa.array(full)))
    texts = replace_rows(texts, np.flatnonzero(starts_marked | is_system), lambda t: pc.utf8_ltrim(t, MARKS))
    speakers = pc.if_else(pa.array(is_system), pa.scalar(None, senders.type), senders)
    return speakers, texts, is_system


SYSTEM_HINT = re.compile(r"\s(?:a|ont|est|vous|has|have|was|were|is|hat|ha|heeft|foi|se)\s|\s(?:changed|added|removed|left|joined|created)\b")
