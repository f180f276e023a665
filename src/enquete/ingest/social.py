"""Social-network groups: Telegram Desktop and Facebook JSON exports, one row per post,
comment or message, with the reply structure where the export keeps it.

- Telegram Desktop (``result.json``): one chat (``name``, ``type``, ``messages``) or a whole
  account (``chats.list``); a message's text is a string or a list of entities; media,
  polls, service messages and ``reply_to_message_id`` are kept (``reply_to``).
- Facebook "Download your information": Messenger threads (``participants``,
  ``messages``, newest first), and posts and comments in groups and pages (lists of
  ``{"timestamp", "data": [{"post"} | {"comment": {...}}], "title"}``, bare or under a
  ``*_v2`` key). These files write UTF-8 as Latin-1 escapes ("Ã©" for "é"): repaired.

Authors are members (``member``), service lines ``system``; the chat, group or page name is
the ``section``. Unix times are read as wall-clock time in France (WhatsApp, too, writes
the phone's local time).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pandas as pd

from enquete.corpus import Document
from enquete.datafiles import package_yaml
from enquete.errors import IngestError
from enquete.ingest.common import document_for, finish
from enquete.ingest.text import read_text

LOCAL_TIME = "Europe/Paris"  # Unix times (Facebook, Telegram's date_unixtime) are shown as wall-clock time here
TELEGRAM_MEDIA = ("photo", "file", "media_type", "sticker_emoji", "location_information", "contact_information")
MESSENGER_MEDIA = ("photos", "videos", "audio_files", "files", "gifs", "sticker", "share")


@lru_cache(maxsize=1)
def phrases() -> dict:
    """social_phrases.yaml: how Facebook titles name authors, Telegram's service actions in words."""
    return package_yaml("enquete.ingest", "social_phrases.yaml")


def social_format(data) -> str:
    """'telegram', 'messenger', 'facebook' or '' for a parsed JSON document."""
    if isinstance(data, dict):
        if isinstance(data.get("messages"), list) and ("participants" in data or "thread_path" in data):
            return "messenger"
        if isinstance(data.get("messages"), list) and "type" in data:
            return "telegram"
        if isinstance(data.get("chats"), dict) and isinstance(data["chats"].get("list"), list):
            return "telegram"
        entries = [v for k, v in data.items() if k.endswith("_v2") and isinstance(v, list)]
        return "facebook" if entries and _facebook_entries(entries[0]) else ""
    return "facebook" if isinstance(data, list) and _facebook_entries(data) else ""


def _facebook_entries(items: list) -> bool:
    return bool(items) and all(isinstance(i, dict) and "timestamp" in i for i in items[:20])


def load_json(path: Path):
    text, _ = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(path, f"JSON invalide ({exc.msg})", exc.lineno) from None


def read_social(path: str | Path, document: Document | None = None) -> pd.DataFrame:
    """A Telegram or Facebook export as the segment table (one row per post, comment or message)."""
    path = Path(path)
    document = document_for(path, document)
    data = load_json(path)
    kind = social_format(data)
    if not kind:
        raise IngestError(path, "JSON d'un format de réseau social inconnu (attendu : export Telegram Desktop ou Facebook)")
    rows = {"telegram": _telegram, "messenger": _messenger, "facebook": _facebook}[kind](data)
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
    return {"speaker": speaker or "", "speaker_role": role, "timestamp": when, "message_type": kind, "text": text, "section": section,
            "media": media or kind == "media", **extra}


def _kind(text: str, media) -> str:
    """A message's type: its text is the message (a caption too); without text, its media."""
    return "media" if media and not text.strip() else "text"


# --- Telegram --------------------------------------------------------------------------------


def _telegram(data: dict) -> list[dict]:
    chats = data["chats"]["list"] if "chats" in data else [data]
    rows = []
    for chat in chats:
        name = str(chat.get("name") or "")
        for message in chat.get("messages", []):
            rows.append(_telegram_message(message, name, chat.get("id")))
    return rows


def _telegram_message(message: dict, chat: str, chat_id) -> dict:
    when = _telegram_time(message)
    text = _telegram_text(message.get("text", ""))
    key = (chat_id, message.get("id"))
    parent = (chat_id, message["reply_to_message_id"]) if "reply_to_message_id" in message else None
    if message.get("type") == "service":
        action = phrases()["telegram_actions"].get(message.get("action"), str(message.get("action", "")).replace("_", " "))
        members = ", ".join(str(m) for m in message.get("members", []) if m)
        return _row("", when, "system", " ".join(p for p in (str(message.get("actor") or ""), action, members, text) if p), chat, key=key)
    media = next((k for k in TELEGRAM_MEDIA if message.get(k)), None)
    reactions = sum(int(r.get("count", 1)) for r in message.get("reactions", []) if isinstance(r, dict)) if "reactions" in message else None
    if "poll" in message:
        poll = message["poll"]
        body = " / ".join([str(poll.get("question", "")), *(str(a.get("text", "")) for a in poll.get("answers", []))])
        return _row(message.get("from"), when, "poll", body, chat, key=key, parent=parent, reactions=reactions)
    attachment = Path(str(message.get("file") or message.get("photo") or "")).name if media in ("photo", "file") else None
    return _row(message.get("from"), when, _kind(text, media), text, chat, key=key, parent=parent, media=bool(media), reactions=reactions,
                attachment=attachment if attachment and not attachment.startswith("(") else None, edited="edited" in message)


def _telegram_text(value) -> str:
    if isinstance(value, list):
        return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in value)
    return str(value or "")


def _telegram_time(message: dict) -> pd.Timestamp:
    if message.get("date"):
        return pd.Timestamp(message["date"])
    return _epoch(message.get("date_unixtime"))


# --- Facebook --------------------------------------------------------------------------------


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


def _epoch(seconds) -> pd.Timestamp:
    """A Unix time as the wall-clock time in France (the export says UTC; WhatsApp writes local time)."""
    return pd.Timestamp(float(seconds), unit="s", tz="UTC").tz_convert(LOCAL_TIME).tz_localize(None) if seconds else pd.NaT


def _messenger(data: dict) -> list[dict]:
    data = repair(data)
    title = str(data.get("title") or "")
    rows = []
    for message in sorted(data["messages"], key=lambda m: m.get("timestamp_ms", 0)):
        when = _epoch(message.get("timestamp_ms", 0) / 1000)
        sender, text = message.get("sender_name"), str(message.get("content") or "")
        if message.get("is_unsent"):
            rows.append(_row(sender, when, "deleted", "", title))
        elif message.get("type") in ("Subscribe", "Unsubscribe") or (message.get("type") == "Generic" and not sender):
            rows.append(_row("", when, "system", text or str(sender or ""), title))
        else:
            media = next((k for k in MESSENGER_MEDIA if message.get(k)), None)
            files = message.get(media) if media else None
            first = files[0] if isinstance(files, list) and files else files
            uri = first.get("uri", "") if isinstance(first, dict) else ""
            rows.append(_row(sender, when, _kind(text, media), text, title, media=bool(media) and media != "share", attachment=Path(uri).name or None,
                             reactions=len(message.get("reactions", []))))
    return rows


def _facebook(data) -> list[dict]:
    data = repair(data)
    entries = data if isinstance(data, list) else [e for k, v in data.items() if k.endswith("_v2") for e in v]
    verbs = phrases()["facebook_author_verbs"]
    rows = []
    for entry in sorted(entries, key=lambda e: e.get("timestamp", 0)):
        when = _epoch(entry.get("timestamp"))
        title = str(entry.get("title") or "")
        for item in entry.get("data", []):
            if "comment" in item and isinstance(item["comment"], dict):
                comment = item["comment"]
                body = str(comment.get("comment") or "")
                rows.append(_row(comment.get("author") or _author(title, verbs), _epoch(comment.get("timestamp") or entry.get("timestamp")),
                                 _kind(body, entry.get("attachments")),
                                 body, str(comment.get("group") or "")))
            elif "post" in item:
                rows.append(_row(_author(title, verbs), when, "text", str(item["post"]), _where(title)))
        if not any("post" in i or "comment" in i for i in entry.get("data", [])) and entry.get("attachments"):
            rows.append(_row(_author(title, verbs), when, "media", "", _where(title), media=True))
    return [r for r in rows if r["text"].strip() or r["message_type"] != "text"]


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
