"""Build corpora/demo from the hand-written sources in scripts/demo_source/.

The sources hold the interviews and WhatsApp threads as written (and coded) by the
authors; this script renders them into the file formats a survey team really collects
(.docx, .txt, .vtt, noScribe .html; Android and iOS WhatsApp exports, French and English,
.txt and .zip; an observation notebook in Markdown, statutes as PDF, minutes as .docx, a
Telegram Desktop export), writes corpus.yaml, then reads the corpus back with enquete and writes
gold_codes.csv (segment_id, text, codes) from the codes given in the sources.

    uv run python scripts/build_demo.py
"""

from __future__ import annotations

import datetime as dt
import html
import io
import random
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "scripts" / "demo_source"
DEMO = ROOT / "corpora" / "demo"
PARA = "¶"  # paragraph break inside a turn in the sources
FIXED_ZIP_TIME = (2023, 1, 1, 0, 0, 0)


# --- interviews -----------------------------------------------------------------------


def _turns(source: dict) -> list[dict]:
    labels = {"Q": source["interviewer_label"], "A": source["respondent_label"]}
    out = []
    for item in source["turns"]:
        who, text = item[0], item[1]
        codes = item[2] if len(item) > 2 else ""
        out.append({"who": who, "label": labels[who], "text": text.strip(), "codes": codes})
    return out


def _seconds_for(text: str) -> float:
    return max(2.0, len(text.split()) / 2.6)


def _hms(seconds: float, sep: str = ".") -> str:
    ms = int(round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def render_docx(source: dict, path: Path) -> None:
    import docx

    document = docx.Document()
    props = document.core_properties
    props.author, props.title = "Équipe enquête", source["title"]
    props.created = props.modified = dt.datetime(2022, 6, 1)
    document.add_paragraph(source["title"])
    document.add_paragraph(source["header"])
    bold_labels = source.get("bold_labels", False)
    for turn in _turns(source):
        paragraphs = turn["text"].split(PARA)
        p = document.add_paragraph()
        if bold_labels:
            p.add_run(turn["label"]).bold = True
            p.add_run(" " + paragraphs[0].strip())
        else:
            p.add_run(f"{turn['label']}\u00a0: {paragraphs[0].strip()}")
        for extra in paragraphs[1:]:
            document.add_paragraph(extra.strip())
    document.save(path)
    _fix_zip_times(path)


def _fix_zip_times(path: Path) -> None:
    """Rewrite a zip package with fixed timestamps, so that rebuilding gives the same bytes."""
    with zipfile.ZipFile(path) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            zf.writestr(zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME), data)


def render_txt(source: dict, path: Path) -> None:
    lines = [source["title"], source["header"], ""]
    clock = 0.0
    for i, turn in enumerate(_turns(source)):
        paragraphs = [p.strip() for p in turn["text"].split(PARA)]
        stamp = f"[{_hms(clock)[:8]}] " if source.get("timestamps") and i % 6 == 0 else ""
        lines.append(f"{stamp}{turn['label']} : {paragraphs[0]}")
        lines.extend(paragraphs[1:])
        lines.append("")
        clock += _seconds_for(turn["text"])
    path.write_text("\n".join(lines), encoding=source.get("encoding", "utf-8"))


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.?!…])\s+", text.replace(PARA, " "))
    return [p for p in parts if p.strip()]


def render_vtt(source: dict, path: Path) -> None:
    out = ["WEBVTT", "", f"NOTE {source['title']} — {source['header']}", ""]
    clock = 1.0
    for turn in _turns(source):
        for sentence in _sentences(turn["text"]):
            dur = _seconds_for(sentence)
            out += [f"{_hms(clock)} --> {_hms(clock + dur)}", f"<v {turn['label']}>{sentence}</v>", ""]
            clock += dur + 0.4
    path.write_text("\n".join(out), encoding="utf-8")


def render_noscribe(source: dict, path: Path) -> None:
    speakers = {"Q": "S01", "A": "S02"}
    body = [
        f'<p style="font-weight:600;">{html.escape(source["title"])}</p>',
        f'<p style="color:#909090; font-size:8pt;">{html.escape(source["header"])}<br />'
        f"Transcribed with noScribe vers. 0.6.2<br />Audio source: {source['id']}.mp3</p>",
    ]
    clock = 0.0
    for turn in _turns(source):
        spk = speakers[turn["who"]]
        anchors = []
        for j, sentence in enumerate(_sentences(turn["text"])):
            dur = _seconds_for(sentence)
            start, end = int(clock * 1000), int((clock + dur) * 1000)
            shown = f"{spk}: {sentence}" if j == 0 else f" {sentence}"
            anchors.append(f'<a name="ts_{start}_{end}_{spk}"><span>{html.escape(shown)}</span></a>')
            clock += dur
        body.append("<p>" + "".join(anchors) + "</p>")
    page = (
        '<!DOCTYPE html>\n<html><head><meta charset="UTF-8" /><meta name="qrichtext" content="1" />'
        f'<meta name="audio_source" content="{source["id"]}.mp3" />'
        '<style type="text/css">p, li { white-space: pre-wrap; }</style></head>\n'
        "<body style=\"font-family:'Arial'; font-size:12pt;\">\n" + "\n".join(body) + "\n</body></html>\n"
    )
    path.write_text(page, encoding="utf-8")


RENDERERS = {"docx": render_docx, "txt": render_txt, "vtt": render_vtt, "html": render_noscribe}


# --- WhatsApp ---------------------------------------------------------------------------

LOCALES = {
    "fr": {
        "created": "{who} a créé le groupe « {group} »",
        "added": "{who} a ajouté {other}",
        "left": "{who} est parti",
        "joined": "{who} a rejoint ce groupe via le lien d'invitation",
        "subject": "{who} a changé le sujet de « {group} » en « {new} »",
        "icon": "{who} a changé l'icône de ce groupe",
        "encrypted": "Les messages et les appels sont chiffrés de bout en bout. Aucun tiers, pas même WhatsApp, ne peut les lire ou les écouter. Appuyez pour en savoir plus.",
        "media": "<Médias omis>",
        "deleted": "Ce message a été supprimé",
        "edited": " <Ce message a été modifié>",
    },
    "en": {
        "created": 'created group "{group}"',
        "added": "{who} added {other}",
        "left": "{who} left",
        "joined": "{who} joined using this group's invite link",
        "subject": 'changed the subject from "{group}" to "{new}"',
        "icon": "{who} changed this group's icon",
        "encrypted": "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them. Tap to learn more.",
        "media": "<Media omitted>",
        "deleted": "This message was deleted",
        "edited": " <This message was edited>",
    },
}


def _when(ts: dt.datetime, style: str) -> str:
    if style == "android_fr":
        return f"{ts:%d/%m/%Y %H:%M} - "
    if style == "android_fr_old":
        return f"{ts:%d/%m/%Y} à {ts:%H:%M} - "
    if style == "android_en":
        hour = ts.hour % 12 or 12
        return f"{ts.month}/{ts.day}/{ts:%y}, {hour}:{ts:%M}\u202f{'AM' if ts.hour < 12 else 'PM'} - "
    return f"[{ts:%d/%m/%Y %H:%M:%S}] "


def _system_text(locale: dict, event: dict, group: str) -> str:
    key = event["system"]
    text = locale[key].format(who=event.get("who", ""), other=event.get("other", ""), group=group, new=event.get("new", ""))
    if key in ("created", "subject") and "{who}" not in locale[key]:
        text = f"{event.get('who', '')} {text}"
    return text


def _timeline(source: dict) -> list[tuple[dt.datetime, dict]]:
    """Hand-written messages with noise messages drawn between them, and their times."""
    rng = random.Random(source["seed"])
    noise = source.get("noise", [])
    members = [m for m in source["members"]]
    ts = dt.datetime.fromisoformat(source["start"])
    events: list[dict] = []
    for item in source["messages"]:
        events.append(item)
        if "system" in item or len(events) < 4:
            continue
        if noise and rng.random() < source.get("noise_rate", 0.6):
            for _ in range(rng.randint(1, source.get("noise_max", 2))):
                events.append({"from": rng.choice(members), "text": rng.choice(noise), "noise": True})
    timeline = []
    for event in events:
        gap = event.get("days")
        if gap is not None:
            ts = (ts + dt.timedelta(days=gap)).replace(hour=rng.randint(8, 21), minute=rng.randint(0, 59))
        else:
            ts += dt.timedelta(minutes=rng.randint(1, 50), seconds=rng.randint(0, 59))
        timeline.append((ts, event))
    return timeline


def render_whatsapp(source: dict) -> tuple[str, list[dict]]:
    style, locale = source["style"], LOCALES[source["language"]]
    group = source["group"]
    lines, coded = [], []
    media_counter = 0
    for ts, event in _timeline(source):
        head = _when(ts, style)
        if "system" in event:
            text = _system_text(locale, event, group)
            if style == "ios_fr":
                lines.append(f"{head}{group}: \u200e{text}")
            else:
                lines.append(f"{head}{text}")
            if event["system"] == "subject":
                group = event["new"]
            continue
        sender = event["from"]
        if style.startswith("android") and sender.startswith("+"):
            sender = f"\u202a{sender}\u202c"
        text = event.get("text", "")
        if event.get("media"):
            media_counter += 1
            if style == "ios_fr":
                name = f"{media_counter:08d}-PHOTO-{ts:%Y-%m-%d-%H-%M-%S}.jpg"
                event = {**event, "file": name}
                text = f"\u200e<pièce jointe : {name}>"
            else:
                text = locale["media"]
        elif event.get("deleted"):
            text = ("\u200e" if style == "ios_fr" else "") + locale["deleted"]
        elif event.get("edited"):
            text = text + locale["edited"]
        lines.append(f"{head}{sender}: {text}")
        if "codes" in event:
            coded.append({"text": event["text"], "codes": event["codes"]})
    return "\n".join(lines) + "\n", coded


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 80)).save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


def write_whatsapp(source: dict) -> list[dict]:
    text, coded = render_whatsapp(source)
    path = DEMO / source["file"]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(zipfile.ZipInfo("_chat.txt", FIXED_ZIP_TIME), text.encode("utf-8"))
            for name in sorted(set(re.findall(r"<pièce jointe : ([^>]+)>", text)))[:1]:
                zf.writestr(zipfile.ZipInfo(name, FIXED_ZIP_TIME), _jpeg())
    else:
        path.write_text(text, encoding="utf-8")
    return coded


# --- corpus -----------------------------------------------------------------------------


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace(PARA, " ")).strip()


# --- observation notes, documents, social-network group ------------------------------------


def render_notebook_md(source: dict, path: Path) -> None:
    lines = [f"# {source['title']}", ""]
    for block in source["blocks"]:
        lines += [f"## {block['heading']}" if "heading" in block else block["text"], ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def render_document_docx(source: dict, path: Path) -> None:
    import docx

    document = docx.Document()
    props = document.core_properties
    props.author, props.title = source["attributes"]["auteur"], source["title"]
    props.created = props.modified = dt.datetime(2022, 6, 1)
    for k, block in enumerate(source["blocks"]):
        if "heading" in block:
            document.add_heading(block["heading"], level=1 if k == 0 else 2)
        else:
            document.add_paragraph(block["text"])
    document.save(path)
    _fix_zip_times(path)


PDF_WIDTH, PDF_HEIGHT, PDF_MARGIN, PDF_LEADING, PDF_CHARS = 595, 842, 64, 15, 92


def render_document_pdf(source: dict, path: Path) -> None:
    """A text-only PDF (Helvetica, WinAnsi), the way an office suite prints a short document."""
    import textwrap

    lines: list[tuple[str, str]] = []  # (font, text); "" text: a blank line
    for block in source["blocks"]:
        if "heading" in block:
            lines += [("F2", block["heading"]), ("F1", "")]
        else:
            lines += [("F1", line) for line in textwrap.wrap(block["text"], PDF_CHARS)] + [("F1", "")]
    per_page = (PDF_HEIGHT - 2 * PDF_MARGIN) // PDF_LEADING
    pages = [lines[i : i + per_page] for i in range(0, len(lines), per_page)]
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"]
    kids = []
    for page in pages:
        y, ops = PDF_HEIGHT - PDF_MARGIN, []
        for font, text in page:
            if text:
                escaped = text.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
                ops.append(b"BT /%s %d Tf %d %d Td (%s) Tj ET" % (font.encode(), 12 if font == "F2" else 10, PDF_MARGIN, y, escaped))
            y -= PDF_LEADING
        stream = b"\n".join(ops)
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
                       % (PDF_WIDTH, PDF_HEIGHT, len(objects)))
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))


def render_telegram(source: dict, path: Path) -> list[dict]:
    """A Telegram Desktop export (result.json) of the source's group; returns the coded messages."""
    import json

    when = dt.datetime.fromisoformat(source["start"])
    messages, coded = [], []
    for number, item in enumerate(source["messages"], start=1):
        when += dt.timedelta(days=item.get("days", 0), minutes=item.get("minutes", 0) or (0 if item.get("days") else 7))
        base = {"id": number, "type": "message", "date": when.isoformat(), "date_unixtime": str(int(when.replace(tzinfo=dt.timezone(dt.timedelta(hours=2))).timestamp()))}
        if "system" in item:
            message = {**base, "type": "service", "actor": item["who"], "actor_id": f"user{sum(map(ord, item['who'])) * 7919}", "action": item["system"],
                       "title": source["group"], "members": item.get("members", []), "text": "", "text_entities": []}
        else:
            message = {**base, "from": item["from"], "from_id": f"user{sum(map(ord, item['from'])) * 7919}"}
            if "reply" in item:
                message["reply_to_message_id"] = item["reply"] + 1
            if item.get("photo"):
                message.update(photo="(File not included. Change data exporting settings to download.)", width=1280, height=960)
            if item.get("voice"):
                message.update(file="(File not included. Change data exporting settings to download.)", media_type="voice_message", mime_type="audio/ogg", duration_seconds=14)
            if "poll" in item:
                message["poll"] = {"question": item["poll"], "closed": False, "total_voters": 0, "answers": [{"text": a, "voters": 0, "chosen": False} for a in item["answers"]]}
            text = item.get("text", "")
            message.update(text=text, text_entities=[{"type": "plain", "text": text}] if text else [])
            if "codes" in item:
                coded.append({"text": text, "codes": item["codes"]})
        messages.append(message)
    export = {"name": source["group"], "type": "private_supergroup", "id": 1900000042, "messages": messages}
    path.write_text(json.dumps(export, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return coded


FIELD_RENDERERS = {"md": render_notebook_md, "docx": render_document_docx, "pdf": render_document_pdf}


def write_field(source: dict) -> tuple[dict, list[dict]]:
    """Render an observation notebook, a document or a social-network export; its corpus.yaml entry and coded texts."""
    path = DEMO / source["file"]
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {"file": source["file"], "id": source["id"], "initiative": source["initiative"], "kind": source["kind"]}
    if source["kind"] == "social":
        return {**entry, "title": source["group"], "attributes": {"format": source["format"]}}, render_telegram(source, path)
    FIELD_RENDERERS[source["format"]](source, path)
    entry.update({"title": source["title"], **({"date": source["date"]} if "date" in source else {})})
    if source["kind"] == "observation":
        entry["interviewer"] = [source["observer"]]
    entry["attributes"] = {"format": source["format"], **source.get("attributes", {})}
    return entry, [{"text": b["text"], "codes": b["codes"]} for b in source["blocks"] if "codes" in b]


def main() -> None:
    meta = yaml.safe_load((SOURCE / "corpus.yaml").read_text("utf-8"))
    coded_by_doc: dict[str, list[dict]] = {}
    documents = []
    for src_path in sorted((SOURCE / "interviews").glob("*.yaml")):
        source = yaml.safe_load(src_path.read_text("utf-8"))
        path = DEMO / source["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        RENDERERS[source["format"]](source, path)
        coded_by_doc[source["id"]] = [
            {"text": t["text"], "codes": t["codes"]} for t in _turns(source) if t["who"] == "A"
        ]
        documents.append(
            {
                "file": source["file"],
                "id": source["id"],
                "initiative": source["initiative"],
                "kind": "interview",
                "date": source["date"],
                "respondent_role": source["role"],
                "interviewer": [source["interviewer_label"]],
                "attributes": {"format": source["format"]},
            }
        )
    for src_path in sorted((SOURCE / "whatsapp").glob("*.yaml")):
        source = yaml.safe_load(src_path.read_text("utf-8"))
        coded_by_doc[source["id"]] = write_whatsapp(source)
        documents.append(
            {
                "file": source["file"],
                "id": source["id"],
                "initiative": source["initiative"],
                "kind": "whatsapp",
                "title": source["group"],
                "attributes": {"format": source["style"]},
            }
        )
    for src_path in sorted((SOURCE / "field").glob("*.yaml")):
        source = yaml.safe_load(src_path.read_text("utf-8"))
        entry, coded_by_doc[source["id"]] = write_field(source)
        documents.append(entry)
    manifest = {**meta, "documents": documents}
    (DEMO / "corpus.yaml").write_text(
        "# Corpus de démonstration d'enquete : initiatives, personnes, numéros et adresses sont FICTIFS.\n"
        "# Fichiers produits par scripts/build_demo.py à partir de scripts/demo_source/.\n"
        + yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False, width=100),
        encoding="utf-8",
    )
    write_review_sample(write_gold(coded_by_doc))


REVIEW_SAMPLE = 200


def write_review_sample(gold: pd.DataFrame) -> None:
    """A SIMULATED random review: segments drawn at random among the coded ones (speech), with the
    gold codes ("" for the greetings and small talk the gold leaves uncoded)."""
    from enquete.corpus import load_corpus
    from enquete.ingest import ingest_corpus
    from enquete.schema import speech_rows
    from enquete.settings import Settings

    segments, _ = ingest_corpus(load_corpus(DEMO), Settings())
    speech = segments.loc[speech_rows(segments), "segment_id"].to_numpy()
    drawn = sorted(np.random.default_rng(2021).choice(speech, size=REVIEW_SAMPLE, replace=False))
    codes = dict(zip(gold["segment_id"], gold["codes"]))
    sample = pd.DataFrame({"segment_id": drawn, "codes": [codes.get(s, "") for s in drawn], "note": "relecture simulée (codage de référence)"})
    sample.to_csv(DEMO / "echantillon_controle.csv", index=False, encoding="utf-8", lineterminator="\n")
    print(f"review sample: {len(sample)} segments drawn at random, {(sample['codes'] != '').sum()} with codes")


def write_gold(coded_by_doc: dict[str, list[dict]]) -> pd.DataFrame:
    from enquete.corpus import load_corpus
    from enquete.ingest import ingest_corpus
    from enquete.settings import Settings

    segments, rejects = ingest_corpus(load_corpus(DEMO), Settings())  # reading needs no setting; the sample file comes next
    if len(rejects):
        raise SystemExit(f"the demo corpus has rejects:\n{rejects}")
    rows = []
    for doc_id, items in coded_by_doc.items():
        doc = segments[segments["document_id"] == doc_id]
        by_text: dict[str, list[str]] = {}
        for seg_id, text in zip(doc["segment_id"], doc["text"]):
            by_text.setdefault(_squash(text), []).append(seg_id)
        for item in items:
            key = _squash(item["text"])
            if not by_text.get(key):
                raise SystemExit(f"{doc_id}: coded text not found after ingest: {key[:80]!r}")
            seg_id = by_text[key].pop(0)
            text = doc.loc[doc["segment_id"] == seg_id, "text"].iloc[0]
            rows.append({"segment_id": seg_id, "text": text, "codes": ";".join(sorted(_codes(item["codes"])))})
    gold = pd.DataFrame(rows).sort_values("segment_id", kind="stable")
    gold.to_csv(DEMO / "gold_codes.csv", index=False, encoding="utf-8", lineterminator="\n")
    print(f"{len(segments)} segments, {len(gold)} coded by hand ({(gold['codes'] != '').sum()} with codes)")
    return gold


def _codes(value) -> list[str]:
    if isinstance(value, list):
        return value
    return [c.strip() for c in str(value or "").split(";") if c.strip()]


if __name__ == "__main__":
    main()
