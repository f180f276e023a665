"""Interview transcripts: each format, labels, roles, timestamps, conventions, offsets, bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from enquete.corpus import CorpusWarning, Document
from enquete.ingest import IngestError, read_transcript
from enquete.ingest.turns import annotations, strip_timestamps
from enquete.schema import document_text, validate_segments

NBSP, NNBSP = "\u00a0", "\u202f"


def read(path, **document):
    """Read a transcript and check the offsets invariant on it."""
    doc = Document(id="T", path=path, relpath=path.name, **document) if document else None
    df = read_transcript(path, doc)
    validate_segments(df)
    plain = document_text(df)
    assert all(plain[s:e] == t for s, e, t in zip(df["start_char"], df["end_char"], df["text"]))
    return df


def turns(df, *columns):
    columns = columns or ("speaker", "speaker_role", "text")
    return [tuple(None if pd.isna(v) else v for v in row) for row in df[list(columns)].itertuples(index=False)]


# --- Word and OpenDocument --------------------------------------------------------------


def make_docx(path, paragraphs, bold_labels=False, table_rows=()):
    import docx

    document = docx.Document()
    for item in paragraphs:
        p = document.add_paragraph()
        if bold_labels and isinstance(item, tuple):
            p.add_run(item[0]).bold = True
            p.add_run(item[1])
        else:
            p.add_run(item)
    if table_rows:
        table = document.add_table(rows=0, cols=2)
        for label, text in table_rows:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = label, text
    document.save(path)
    return path


def test_docx_labels_spacing_and_multi_paragraph_turns(tmp_path):
    path = make_docx(
        tmp_path / "E07.docx",
        [
            "Entretien E07 – réalisé le 14 mars 2022",
            f"Enquêtrice{NBSP}: Bonjour, vous pouvez vous présenter ?",
            f"Martine D.{NNBSP}: Oui alors (rires) moi c'est Martine.",
            "J'habite ici depuis 1998.",
            "",
            "Enquêtrice : Et l'association ?",
            "Martine D. :On l'a créée en 2020.",
        ],
    )
    df = read(path)
    assert turns(df) == [
        (None, "unknown", "Entretien E07 – réalisé le 14 mars 2022"),
        ("Enquêtrice", "interviewer", "Bonjour, vous pouvez vous présenter ?"),
        ("Martine D.", "respondent", "Oui alors (rires) moi c'est Martine.\nJ'habite ici depuis 1998."),
        ("Enquêtrice", "interviewer", "Et l'association ?"),
        ("Martine D.", "respondent", "On l'a créée en 2020."),
    ]
    assert df["message_type"].tolist() == ["metadata"] + ["turn"] * 4
    assert df["document_date"].iloc[0] == pd.Timestamp("2022-03-14")
    assert df["document_title"].iloc[0] == "Entretien E07 – réalisé le 14 mars 2022"
    assert df["annotations"].iloc[2] == "(rires)"


def test_docx_bold_labels_and_table_rows(tmp_path):
    path = make_docx(
        tmp_path / "bold.docx",
        [("Enquêteur", " Première question ?"), ("Karim", " Réponse un."), ("Enquêteur", " Deuxième ?"), ("Karim", " Réponse deux.")],
        bold_labels=True,
        table_rows=[("Enquêteur", "Et en tableau ?"), ("Karim", "Aussi.")],
    )
    assert turns(read(path)) == [
        ("Enquêteur", "interviewer", "Première question ?"),
        ("Karim", "respondent", "Réponse un."),
        ("Enquêteur", "interviewer", "Deuxième ?"),
        ("Karim", "respondent", "Réponse deux."),
        ("Enquêteur", "interviewer", "Et en tableau ?"),
        ("Karim", "respondent", "Aussi."),
    ]


def test_odt(tmp_path):
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    document = OpenDocumentText()
    for line in ["Q : Vous habitez ici depuis longtemps ?", "R : Depuis 2012.", "Au bâtiment B.", "Q : Merci."]:
        document.text.addElement(P(text=line))
    path = tmp_path / "entretien.odt"
    document.save(str(path))
    assert turns(read(path)) == [
        ("Q", "interviewer", "Vous habitez ici depuis longtemps ?"),
        ("R", "respondent", "Depuis 2012.\nAu bâtiment B."),
        ("Q", "interviewer", "Merci."),
    ]


# --- plain text ------------------------------------------------------------------------


def test_txt_timestamps_become_offsets_and_are_removed(tmp_path):
    path = tmp_path / "E02.txt"
    path.write_text(
        "[00:00:05] E : Bonjour.\n"
        "R : (00:12:34) Bonjour, alors euh [inaudible] voilà.\n"
        "E : [12:34] Et ensuite ?\n"
        "R : On a fait (..) une fête [Prénom] // oui.\n",
        encoding="utf-8",
    )
    df = read(path)
    assert turns(df, "speaker", "time_offset", "text") == [
        ("E", 5.0, "Bonjour."),
        ("R", 754.0, "Bonjour, alors euh [inaudible] voilà."),
        ("E", 754.0, "Et ensuite ?"),
        ("R", None, "On a fait (..) une fête [Prénom] // oui."),
    ]
    assert df["annotations"].fillna("").tolist()[1:] == ["[inaudible]", "", "(..);[Prénom];//"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_txt_encodings(tmp_path, encoding):
    path = tmp_path / "t.txt"
    path.write_text("Enquêteur : Où étiez-vous ?\nRéponse : À l'école, l'été dernier…\n", encoding=encoding)
    assert turns(read(path), "speaker", "text") == [("Enquêteur", "Où étiez-vous ?"), ("Réponse", "À l'école, l'été dernier…")]


def test_markdown_labels_in_bold(tmp_path):
    path = tmp_path / "t.md"
    path.write_text("# Entretien\n\n**Enquêtrice :** Bonjour.\n\n**Amélie** : Bonjour !\n\n*Enquêtrice :* Merci.\n", encoding="utf-8")
    assert turns(read(path)) == [
        (None, "unknown", "Entretien"),
        ("Enquêtrice", "interviewer", "Bonjour."),
        ("Amélie", "respondent", "Bonjour !"),
        ("Enquêtrice", "interviewer", "Merci."),
    ]


def test_full_name_labels_and_initials(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("CB : Première question ?\nAmélie Durand : Oui.\nCB : Deuxième ?\nAmélie Durand : Non.\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="« CB » retenu"):
        df = read(path)
    assert turns(df, "speaker", "speaker_role") == [
        ("CB", "interviewer"), ("Amélie Durand", "respondent"), ("CB", "interviewer"), ("Amélie Durand", "respondent")
    ]


def test_manifest_interviewer_labels_win(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("Hugo : Vous êtes d'accord ?\nSamira : Oui ? Pourquoi ? Comment ?\nHugo : Merci.\nSamira : Voilà.\n", encoding="utf-8")
    df = read(path, interviewer=["Hugo"])
    assert df["speaker_role"].tolist() == ["interviewer", "respondent", "interviewer", "respondent"]


def test_colons_inside_speech_are_not_labels(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(
        "E : Et alors ?\nR : Alors : on a décidé.\nDonc : rien.\nMon fils : il vient aussi.\nE : Merci.\n", encoding="utf-8"
    )
    assert turns(read(path), "speaker", "text")[1] == ("R", "Alors : on a décidé.\nDonc : rien.\nMon fils : il vient aussi.")


def test_without_labels_one_segment_per_paragraph_with_a_warning(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("Premier paragraphe.\n\nDeuxième paragraphe : suite.\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="aucun nom de locuteur"):
        df = read(path)
    assert turns(df, "speaker", "message_type", "text") == [
        (None, "paragraph", "Premier paragraphe."),
        (None, "paragraph", "Deuxième paragraphe : suite."),
    ]


def test_manifest_metadata_wins_over_the_header(tmp_path):
    import datetime as dt

    path = tmp_path / "t.txt"
    path.write_text("Entretien réalisé le 14 mars 2022\nE : Bonjour ?\nR : Bonjour.\n", encoding="utf-8")
    df = read(path, date=dt.date(2022, 4, 1), title="Titre du manifeste")
    assert df["document_date"].iloc[0] == pd.Timestamp("2022-04-01")
    assert df["document_title"].iloc[0] == "Titre du manifeste"


# --- subtitles and JSON -----------------------------------------------------------------


def test_srt_whisperx_speakers_merge_consecutive_cues(tmp_path):
    path = tmp_path / "w.srt"
    path.write_text(
        "1\n00:00:00,000 --> 00:00:02,500\n[SPEAKER_00]: Bonjour, merci d'être là.\n\n"
        "2\n00:00:02,500 --> 00:00:04,000\n[SPEAKER_00]: Première question ?\n\n"
        "3\n00:00:04,200 --> 00:00:09,000\n[SPEAKER_01]: Alors euh\nsur deux lignes.\n\n"
        "4\n01:02:03,400 --> 01:02:05,000\n[SPEAKER_00]: Merci.\n",
        encoding="utf-8",
    )
    df = read(path)  # the cues agree: the decision is certain, no warning (warnings are errors in the tests)
    assert (df.attrs["reading"]["roles"], df.attrs["reading"]["uncertain"]) == ("déduit", "")
    assert turns(df, "speaker", "speaker_role", "time_offset", "text") == [
        ("SPEAKER_00", "interviewer", 0.0, "Bonjour, merci d'être là. Première question ?"),
        ("SPEAKER_01", "respondent", 4.2, "Alors euh sur deux lignes."),
        ("SPEAKER_00", "interviewer", 3723.4, "Merci."),
    ]


def test_vtt_without_hours_with_voice_tags_and_notes(tmp_path):
    path = tmp_path / "n.vtt"
    path.write_text(
        "WEBVTT\n\nNOTE transcription noScribe\n\nSTYLE\n::cue { color: white }\n\n"
        "00:01.000 --> 00:04.000\n<v S01>Bonjour.</v>\n\n"
        "intro-2\n00:04.000 --> 00:06.500 align:start\n<v S02>Bonjour <i>à vous</i>.</v>\n\n"
        "00:06.500 --> 00:08.000\n<v S02>Oui.</v>\n",
        encoding="utf-8",
    )
    df = read(path, interviewer=["S01"])
    assert turns(df, "speaker", "speaker_role", "time_offset", "text") == [
        (None, "unknown", None, "transcription noScribe"),
        ("S01", "interviewer", 1.0, "Bonjour."),
        ("S02", "respondent", 4.0, "Bonjour à vous. Oui."),
    ]


def test_whisper_srt_without_speakers_keeps_one_segment_per_cue(tmp_path):
    path = tmp_path / "w.srt"
    path.write_text("1\n00:00:00,000 --> 00:00:02,000\nBonjour.\n\n2\n00:00:02,000 --> 00:00:03,000\nSalut.\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="aucun nom de locuteur"):
        df = read(path)
    assert turns(df, "speaker", "message_type", "time_offset") == [(None, "paragraph", 0.0), (None, "paragraph", 2.0)]


def test_whisper_json(tmp_path):
    path = tmp_path / "w.json"
    segments = [
        {"start": 0.0, "end": 2.0, "text": " Bonjour ?", "speaker": "SPEAKER_00"},
        {"start": 2.0, "end": 5.0, "text": " Oui bonjour.", "speaker": "SPEAKER_01"},
        {"start": 5.0, "end": 6.0, "text": " Merci.", "speaker": "SPEAKER_01"},
    ]
    path.write_text(json.dumps({"text": "…", "segments": segments}), encoding="utf-8")
    df = read(path, interviewer=["SPEAKER_00"])
    assert turns(df, "speaker", "time_offset", "text") == [("SPEAKER_00", 0.0, "Bonjour ?"), ("SPEAKER_01", 2.0, "Oui bonjour. Merci.")]


def test_otranscribe_otr(tmp_path):
    html = (
        '<p><span class="timestamp" data-timestamp="12.5">00:12</span> Enquêtrice : Bonjour ?</p>'
        '<p><span class="timestamp" data-timestamp="15.0">00:15</span> Lucie : Bonjour, <b>merci</b>.</p>'
    )
    path = tmp_path / "e.otr"
    path.write_text(json.dumps({"text": html, "media": "e.mp3", "media-time": 20.1}), encoding="utf-8")
    assert turns(read(path), "speaker", "speaker_role", "time_offset", "text") == [
        ("Enquêtrice", "interviewer", 12.5, "Bonjour ?"),
        ("Lucie", "respondent", 15.0, "Bonjour, merci."),
    ]


# --- noScribe HTML -----------------------------------------------------------------------

NOSCRIBE = """<!DOCTYPE html><html><head><meta charset="UTF-8" /></head><body>
<p style="font-weight:600;">entretien_08</p>
<p style="color:#909090; font-size:8pt;">Transcribed with noScribe vers. 0.6.2<br />Audio source: e08.mp3</p>
<p><a name="ts_0_2500_S01"><span>S01: Bonjour Manuel.</span></a><a name="ts_2500_4000_S01"><span> Vous êtes gardien ?</span></a></p>
<p><a name="ts_4000_9000_S02"><span>S02: Oui (.) depuis 2005 (12 seconds pause) // enfin oui.</span></a></p>
<p><a name="ts_9000_9800_S01"><span>S01: D'accord (..)</span></a></p>
</body></html>"""


def test_noscribe_html(tmp_path):
    path = tmp_path / "e08.html"
    path.write_text(NOSCRIBE, encoding="utf-8")
    df = read(path)
    assert turns(df, "speaker", "speaker_role", "message_type", "time_offset", "text") == [
        (None, "unknown", "metadata", None, "entretien_08"),
        (None, "unknown", "metadata", None, "Transcribed with noScribe vers. 0.6.2\nAudio source: e08.mp3"),
        ("S01", "interviewer", "turn", 0.0, "Bonjour Manuel. Vous êtes gardien ?"),
        ("S02", "respondent", "turn", 4.0, "Oui (.) depuis 2005 (12 seconds pause) // enfin oui."),
        ("S01", "interviewer", "turn", 9.0, "D'accord (..)"),
    ]
    assert df["annotations"].iloc[3] == "(.);(12 seconds pause);//"


def test_older_noscribe_with_href_anchors_and_no_speaker(tmp_path):
    html = NOSCRIBE.replace('name="ts_0_2500_S01"', 'href="#ts_0_2500"').replace("ts_4000_9000_S02", "ts_4000_9000")
    path = tmp_path / "old.html"
    path.write_text(html, encoding="utf-8")
    df = read(path)
    assert df["speaker"].tolist()[2:] == ["S01", "S02", "S01"]
    assert df["time_offset"].tolist()[2:] == [0.0, 4.0, 9.0]


# --- helpers ----------------------------------------------------------------------------


def test_strip_timestamps_and_annotations():
    assert strip_timestamps("[00:01:02] Bonjour (00:00:09) toi") == ("Bonjour toi", 62.0)
    assert strip_timestamps("sans marque") == ("sans marque", None)
    assert annotations("oui (rires) [inaudible] (...) […] (3 secondes) [Nom de la rue]") == (
        "(rires);[inaudible];(...);[…];(3 secondes);[Nom de la rue]"
    )


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cassé.docx", b"PK\x03\x04 truncated", "document Word illisible"),
        ("faux.docx", b"%PDF-1.7\n...", "PDF"),
        ("protégé.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "mot de passe"),
        ("pas_zip.odt", b"plain text, not a zip", "pas une archive"),
        ("vide.docx", b"", "fichier vide"),
        ("vide.txt", b"", "fichier vide"),
        ("espaces.txt", b"\n  \n", "fichier vide"),
        ("binaire.txt", bytes(range(256)) * 8, "données binaires"),
        ("audio.mp3", b"ID3\x03\x00", "format non pris en charge"),
        ("mauvais.json", b"{not json", "JSON invalide"),
        ("autre.json", b'{"words": []}', "segments"),
        ("vide.vtt", b"WEBVTT\n\n", "aucun texte"),
        ("faux.srt", b"juste du texte\n", "aucun sous-titre"),
    ],
)
def test_bad_files_give_clear_errors_naming_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError, match=message) as err:
        read_transcript(path)
    assert name in str(err.value)


def test_one_bad_file_does_not_stop_the_corpus(tmp_path):
    from enquete.corpus import load_corpus
    from enquete.ingest import ingest_corpus

    (tmp_path / "ok.txt").write_text("E : Bonjour ?\nR : Bonjour.\n", encoding="utf-8")
    (tmp_path / "ko.docx").write_bytes(b"%PDF-1.4")
    with pytest.warns(CorpusWarning, match="pas de corpus.yaml"):
        segments, rejects = ingest_corpus(load_corpus(tmp_path))
    assert segments["document_id"].unique().tolist() == ["ok"]
    assert rejects["source_path"].tolist() == ["ko.docx"] and "PDF" in rejects["reason"].iloc[0]


def test_demo_transcripts_every_turn_is_a_segment(demo_segments):
    from tests.conftest import DEMO

    segments, _ = demo_segments
    e02 = (DEMO / "entretiens" / "E02_voisins_square_elu.txt").read_text(encoding="utf-8")
    labelled = sum(1 for line in e02.splitlines() if line.split("] ")[-1].startswith(("E : ", "R : ")))
    doc = segments[segments["document_id"] == "E02"]
    assert (doc["message_type"] == "turn").sum() == labelled
    assert doc["time_offset"].notna().sum() >= 5


def test_every_transcript_suffix_the_corpus_accepts_has_a_reader():
    from enquete.corpus import TRANSCRIPT_SUFFIXES
    from enquete.ingest.transcripts import READERS

    assert set(READERS) == set(TRANSCRIPT_SUFFIXES)
