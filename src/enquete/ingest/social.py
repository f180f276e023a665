"""Social-network groups: Telegram Desktop, Facebook, Messenger and Instagram JSON exports,
one row per post, comment or message, with the reply structure where the export keeps it.

- Telegram Desktop (``result.json``): one chat (``name``, ``type``, ``messages``), a whole
  account (``chats.list``) or only ``messages``; a message's text is a string or a list of
  entities; media, polls, ``reply_to_message_id`` (``reply_to``) and service messages (each
  action in its own words, ``social_phrases.yaml``) are kept.
- Facebook "Download your information": Messenger threads and Instagram direct messages
  (messages carrying ``sender_name`` and ``timestamp_ms``, newest first, whatever keys
  surround them; the notices Messenger writes as messages are system rows or calls), and
  posts and comments in groups, pages and the timeline (lists of ``{"timestamp", "data":
  [{"post"} | {"comment": {...}}], "attachments", "title"}``, bare or under a ``*_v2`` key:
  every entry is a row, a post without text is a media or system row). These files write
  UTF-8 as Latin-1 escapes ("Ã©" for "é"): repaired.

A file is recognised by what its messages or entries carry, not by the keys around them.
Authors are members (``member``), service lines ``system``; the chat, group or page name is
the ``section``. Unix times become the wall-clock time of the study's place (the
``timezone`` setting, or the document's in corpus.yaml), as WhatsApp writes the phone's.
"""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

import pandas as pd

from enquete.corpus import Document
from enquete.datafiles import package_yaml
from enquete.errors import IngestError, ReadingWarning
from enquete.ingest.common import document_for, finish
from enquete.ingest.formats import EXPECTED_JSON, describe_json
from enquete.ingest.text import read_text
from enquete.settings import DEFAULTS, Settings

TELEGRAM_MEDIA = ("photo", "file", "media_type", "sticker_emoji", "location_information", "contact_information")
MESSENGER_MEDIA = ("photos", "videos", "audio_files", "files", "gifs", "sticker", "share")
POST_MEDIA = ("media", "note", "external_context")  # what makes a post without text a media row (a photo, a note, a shared link)
SAMPLE = 50  # messages or entries looked at to recognise a file


@lru_cache(maxsize=1)
def social_phrases() -> dict:
    """social_phrases.yaml: how Facebook titles name authors, Telegram's actions and Messenger's notices in words."""
    data = package_yaml("enquete.ingest", "social_phrases.yaml")
    who = ".+?"
    data["messenger_patterns"] = {
        kind: re.compile("|".join(f"(?:{p.replace('{who}', who)})" for p in patterns), re.IGNORECASE)
        for kind, patterns in data["messenger_notices"].items()
    }
    return data


# --- recognising an export ---------------------------------------------------------------------


def _message_format(message) -> str:
    """'telegram' or 'messenger' for one message, from the keys it carries."""
    if not isinstance(message, dict):
        return ""
    if message.get("type") in ("message", "service") and ("date" in message or "date_unixtime" in message):
        return "telegram"
    if "sender_name" in message and "timestamp_ms" in message:
        return "messenger"  # Messenger and Instagram
    return ""


def _messages_format(messages: list) -> str:
    """The format most of the first messages have ('' when none has one)."""
    votes = Counter(_message_format(m) for m in messages[:SAMPLE])
    votes.pop("", None)
    return votes.most_common(1)[0][0] if votes else ""


def social_format(data) -> str:
    """'telegram', 'messenger', 'facebook' or '' for a parsed JSON document."""
    if isinstance(data, dict):
        if isinstance(data.get("chats"), dict) and isinstance(data["chats"].get("list"), list):
            return "telegram"
        messages = data.get("messages")
        if isinstance(messages, list):
            found = _messages_format(messages)
            if found or messages:
                return found
            return "messenger" if "participants" in data or "thread_path" in data else "telegram" if "type" in data else ""
        entries = [v for k, v in data.items() if k.endswith("_v2") and isinstance(v, list)]
        return "facebook" if entries and _facebook_entries(entries[0]) else ""
    if isinstance(data, list):
        return _messages_format(data) or ("facebook" if _facebook_entries(data) else "")
    return ""


def _facebook_entries(items: list) -> bool:
    """Facebook's entries: a Unix time and what was posted, its attachments or its title."""
    return bool(items) and all(
        isinstance(i, dict) and isinstance(i.get("timestamp"), (int, float)) and any(k in i for k in ("data", "attachments", "title")) for i in items[:20]
    )


def load_json(path: Path):
    text, _ = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(path, f"JSON invalide ({exc.msg})", exc.lineno) from None


def read_social(path: str | Path, document: Document | None = None, settings: Settings = DEFAULTS) -> pd.DataFrame:
    """A Telegram, Facebook, Messenger or Instagram export as the segment table (one row per post, comment or message).

    Parameters
    ----------
    path : the .json file.
    document : its corpus entry (its ``timezone`` wins over the settings').
    settings : the run's settings (``timezone``: where Unix times are read).
    """
    path = Path(path)
    document = document_for(path, document)
    data = load_json(path)
    kind = social_format(data)
    if not kind:
        raise IngestError(path, f"JSON non reconnu : {describe_json(data)} ; {EXPECTED_JSON}")
    zone = document.timezone or settings.timezone
    rows = {"telegram": _telegram, "messenger": _messenger, "facebook": _facebook}[kind](data, zone, document)
    if not rows:
        raise IngestError(path, "export sans aucun message")
    frame = finish(_columns(rows), document, "social")
    frame["reply_to"] = _reply_ids(rows, frame["segment_id"])
    frame.attrs["reading"] = {"layout": kind, "messages": len(rows), "replies": int(frame["reply_to"].notna().sum())}
    return frame


def _columns(rows: list[dict]) -> dict:
    names = ("speaker", "speaker_role", "timestamp", "message_type", "text", "section", "attachment", "media", "edited", "reactions")
    return {name: [r.get(name) for r in rows] for name in names}


def _reply_ids(rows: list[dict], segment_ids: pd.Series) -> pd.Series:
    """Each row's parent as a segment id (from the export's own message ids)."""
    by_key = {r["key"]: sid for r, sid in zip(rows, segment_ids) if r.get("key") is not None}
    return pd.Series([by_key.get(r.get("parent")) for r in rows], dtype="string")


def _row(speaker, when, kind, text, section, media: bool = False, **extra) -> dict:
    role = "system" if kind == "system" else "member"
    return {"speaker": "" if kind == "system" else speaker or "", "speaker_role": role, "timestamp": when, "message_type": kind,
            "text": text, "section": section, "media": media or kind == "media", **extra}


def _kind(text: str, media) -> str:
    """A message's type: its text is the message (a caption too); without text, its media."""
    return "media" if media and not text.strip() else "text"


def _epoch(seconds, zone: str) -> pd.Timestamp:
    """A Unix time as the wall-clock time of ``zone`` (naive, as WhatsApp's)."""
    return pd.Timestamp(float(seconds), unit="s", tz="UTC").tz_convert(zone).tz_localize(None) if seconds else pd.NaT


# --- Telegram --------------------------------------------------------------------------------


def _telegram(data, zone: str, document: Document) -> list[dict]:
    chats = data["chats"]["list"] if "chats" in data else [data]
    rows = []
    for chat in chats:
        name = str(chat.get("name") or "")
        for message in chat.get("messages", []):
            rows.append(_telegram_message(message, name, chat.get("id"), zone))
    return rows


def _telegram_message(message: dict, chat: str, chat_id, zone: str) -> dict:
    when = _epoch(message["date_unixtime"], zone) if message.get("date_unixtime") else pd.Timestamp(message["date"]) if message.get("date") else pd.NaT
    text = _telegram_text(message.get("text", ""))
    key = (chat_id, message.get("id"))
    parent = (chat_id, message["reply_to_message_id"]) if "reply_to_message_id" in message else None
    if message.get("type") == "service":
        kind, body = _telegram_service(message, text)
        return _row(str(message.get("actor") or ""), when, kind, body, chat, key=key)
    media = next((k for k in TELEGRAM_MEDIA if message.get(k)), None)
    reactions = sum(int(r.get("count", 1)) for r in message.get("reactions", []) if isinstance(r, dict)) if "reactions" in message else None
    if "poll" in message:
        poll = message["poll"]
        body = " / ".join([str(poll.get("question", "")), *(str(a.get("text", "")) for a in poll.get("answers", []))])
        return _row(message.get("from"), when, "poll", body, chat, key=key, parent=parent, reactions=reactions)
    attachment = Path(str(message.get("file") or message.get("photo") or "")).name if media in ("photo", "file") else None
    return _row(message.get("from"), when, _kind(text, media), text, chat, key=key, parent=parent, media=bool(media), reactions=reactions,
                attachment=attachment if attachment and not attachment.startswith("(") else None, edited="edited" in message)


def _telegram_service(message: dict, text: str) -> tuple[str, str]:
    """(message_type, text) of a service message: its action in words, with its title, members, duration..."""
    table = social_phrases()["telegram_actions"]
    action = str(message.get("action") or "")
    actor = str(message.get("actor") or "")
    members = [str(m) for m in message.get("members", []) if m]
    key = f"{action}_self" if members == [actor] and f"{action}_self" in table else action
    if action == "phone_call" and message.get("discard_reason") in ("missed", "busy"):
        key = "phone_call_missed"
    values = {
        "actor": actor, "members": ", ".join(members), "title": str(message.get("title") or ""), "new_title": str(message.get("new_title") or ""),
        "inviter": str(message.get("inviter") or ""), "duration": _duration(message.get("duration_seconds") or message.get("duration")),
        "period": _duration(message.get("period")), "emoticon": str(message.get("emoticon") or ""), "score": str(message.get("score") or ""),
        "boosts": str(message.get("boosts") or ""),
    }
    if key in table:
        body = _fill(table[key], values)
    else:  # an action the table does not know: its name in words
        body = " ".join(p for p in (actor, action.replace("_", " "), values["members"], str(message.get("information_text") or "")) if p)
    body = " ".join(p for p in (body, text) if p)
    return ("call" if action in social_phrases()["telegram_calls"] else "system"), body


def _fill(template: str, values: dict) -> str:
    """A sentence from its template: {fields} filled, [parts] left out when one of their fields is empty."""

    def optional(part: re.Match) -> str:
        return part.group(1) if all(values.get(name) for name in re.findall(r"{(\w+)}", part.group(1))) else ""

    return re.sub(r"\[([^\]]*)\]", optional, template).format_map(defaultdict(str, values)).strip()


def _duration(seconds) -> str:
    """A duration in words: "3 min 12 s", "45 s" ('' when none)."""
    if not isinstance(seconds, (int, float)) or seconds <= 0:
        return ""
    minutes, rest = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return " ".join(f"{n} {unit}" for n, unit in ((hours, "h"), (minutes, "min"), (rest, "s")) if n)


def _telegram_text(value) -> str:
    if isinstance(value, list):
        return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in value)
    return str(value or "")


# --- Facebook, Messenger, Instagram -----------------------------------------------------------


def repair(value):
    """Facebook's Latin-1 escapes of UTF-8 bytes ("Ã©") back to text ("é"), through lists and dicts."""
    if isinstance(value, str):
        try:
            return value.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return value
    if isinstance(value, list):
        return [repair(v) for v in value]
    if isinstance(value, dict):
        return {k: repair(v) for k, v in value.items()}
    return value


def _messenger(data, zone: str, document: Document) -> list[dict]:
    data = repair({"messages": data} if isinstance(data, list) else data)
    title = str(data.get("title") or "")
    notices = social_phrases()["messenger_patterns"]
    rows = []
    for message in sorted(data["messages"], key=lambda m: m.get("timestamp_ms", 0)):
        when = _epoch(message.get("timestamp_ms", 0) / 1000, zone)
        sender, text = message.get("sender_name"), str(message.get("content") or "")
        notice = next((kind for kind, pattern in notices.items() if text and pattern.fullmatch(text.strip())), None)
        if message.get("is_unsent"):
            rows.append(_row(sender, when, "deleted", "", title))
        elif message.get("type") in ("Subscribe", "Unsubscribe") or (message.get("type") == "Generic" and not sender):
            rows.append(_row("", when, "system", text or str(sender or ""), title))
        elif message.get("type") == "Call" or notice:
            rows.append(_row(sender, when, notice or "call", text, title))
        else:
            media = next((k for k in MESSENGER_MEDIA if message.get(k)), None)
            files = message.get(media) if media else None
            first = files[0] if isinstance(files, list) and files else files
            uri = first.get("uri", "") if isinstance(first, dict) else ""
            link = str(first.get("link") or "") if media == "share" and isinstance(first, dict) else ""
            rows.append(_row(sender, when, _kind(text, media), text, title, media=bool(media) and media != "share", attachment=link or Path(uri).name or None,
                             reactions=len(message.get("reactions", []))))
    return rows


def _facebook(data, zone: str, document: Document) -> list[dict]:
    """Posts and comments, one row per post or comment; an entry with neither is one media or system row."""
    data = repair(data)
    entries = data if isinstance(data, list) else [e for k, v in data.items() if k.endswith("_v2") for e in v]
    verbs = social_phrases()["facebook_author_verbs"]
    owner = _owner(entries, verbs, document)
    rows = []
    for entry in sorted(entries, key=lambda e: e.get("timestamp", 0)):
        when = _epoch(entry.get("timestamp"), zone)
        title = str(entry.get("title") or "")
        author = _author(title, verbs) or owner
        attached = [item for block in entry.get("attachments") or [] if isinstance(block, dict) for item in block.get("data", []) if isinstance(item, dict)]
        media = [item for item in attached if any(k in item for k in POST_MEDIA)]
        items = [item for item in entry.get("data", []) if isinstance(item, dict)]
        for item in items:
            if isinstance(item.get("comment"), dict):
                comment = item["comment"]
                body = str(comment.get("comment") or "")
                rows.append(_row(comment.get("author") or author, _epoch(comment.get("timestamp") or entry.get("timestamp"), zone),
                                 _kind(body, entry.get("attachments")), body, str(comment.get("group") or "")))
            elif str(item.get("post") or "").strip():
                rows.append(_row(author, when, "text", str(item["post"]), _where(title), media=bool(media), attachment=_attachment(media)))
        if not any(isinstance(i.get("comment"), dict) or str(i.get("post") or "").strip() for i in items):
            kind = "media" if media else "system"
            rows.append(_row(author, when, kind, "" if media else _described(title, attached), _where(title), attachment=_attachment(media)))
    return rows


def _owner(entries: list, verbs: list[str], document: Document) -> str:
    """The account's owner: the document's ``auteur`` attribute, else the author most titles name."""
    if document.attributes.get("auteur"):
        return str(document.attributes["auteur"])
    named = Counter(a for e in entries if isinstance(e, dict) and (a := _author(str(e.get("title") or ""), verbs)))
    if named:
        return named.most_common(1)[0][0]
    warnings.warn(f"{document.relpath} : aucune publication ne nomme son auteur ; « {social_phrases()['facebook_owner']} » retenu "
                  "(indiquez attributes: {auteur: …} pour ce document dans corpus.yaml)", ReadingWarning, stacklevel=4)
    return social_phrases()["facebook_owner"]


def _attachment(media: list[dict]) -> str | None:
    """The first attached file's name, or the shared link."""
    for item in media:
        found = item.get("media") or (item.get("note") or {}).get("media") or item.get("external_context")
        found = found[0] if isinstance(found, list) and found else found
        if isinstance(found, dict) and (found.get("uri") or found.get("url")):
            return Path(found["uri"]).name if found.get("uri") else str(found["url"])
    return None


def _described(title: str, attached: list[dict]) -> str:
    """A post without text or media in words: its title, and what it is about (an event, a place...)."""
    names = []
    for item in attached:
        for value in item.values():
            if isinstance(value, dict) and (value.get("title") or value.get("name")):
                names.append(str(value.get("title") or value.get("name")))
            elif isinstance(value, str) and value.strip():
                names.append(value.strip())
    return " : ".join(p for p in (title.rstrip("."), " ; ".join(names)) if p)


def _author(title: str, verbs: list[str]) -> str:
    """The author named at the start of an entry's title ("Marie Roux a publié dans …")."""
    cut = min((title.find(v) for v in verbs if v in title), default=-1)
    return title[:cut].strip() if cut > 0 else ""


def _where(title: str) -> str:
    """The group or page an entry's title names after its verb ("… dans Voisins du 11e.")."""
    for marker in (" dans ", " in "):
        if marker in title:
            return title.rsplit(marker, 1)[1].strip().rstrip(".")
    return ""
