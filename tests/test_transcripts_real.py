"""Transcripts written by real tools (tests/fixtures/real/transcripts, see SOURCES.md).

Every fixture is read with its expected turns, speakers, interviewer, first and last
times and layout, and every word of the file must be in a turn, a metadata row or the
speaker column.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter

import pandas as pd
import pytest

from enquete.errors import ReadingWarning
from enquete.ingest import read_transcript
from enquete.schema import document_text, validate_segments
from tests.conftest import FIXTURES, reading_warnings

REAL = FIXTURES / "real" / "transcripts"

# file: (turns, speakers in order of appearance, interviewer, first time, last time, layout)
EXPECTED = {
    "noscribe_interview.vtt": (52, ("S01", "S00", "S02"), "S01", 34.57, 737.141, "format"),
    "noscribe_interview.html": (55, ("S01", "S00", "S02"), "S01", 12.14, 726.46, "inline"),
    "noscribe_interview.txt": (55, ("S01", "S00", "S02"), "S01", 12.0, 726.0, "inline"),
    "zoom_meeting001_transcript.vtt": (30, ("Andrew Knight", "Paul McCartney", "George Harrison", "Ringo Starr", "John Lennon"), None, 4.859, 3303.36, "inline"),
    "qualcoder_transcript.txt": (7, ("id1", "id2", "id3"), None, None, None, "bracketed"),
    "qualcoder_ID1.docx": (0, (), None, None, None, "none"),
    "qualcoder_ID2.odt": (0, (), None, None, None, "none"),
    "otter_export_fr.txt": (8, ("Claire Martin", "Fatoumata Diallo"), "Claire Martin", 0.0, 107.0, "label_line"),
    "otter_export_fr.srt": (6, ("Julien Roche", "Josiane Perret"), "Julien Roche", 0.0, 66.55, "inline"),
    "otter_export_fr.docx": (6, ("Nadia Benali", "Thierry Vasseur"), "Nadia Benali", 0.0, 67.0, "label_line"),
    "recherche_chercheur_fr.docx": (6, ("Chercheur", "Participante"), "Chercheur", 0.0, 66.0, "label_line"),
    "whisperx_fr.json": (5, ("SPEAKER_01", "SPEAKER_00"), "SPEAKER_00", 0.0, 107.1, "format"),
    "whisperx_fr.srt": (6, ("SPEAKER_00", "SPEAKER_01"), "SPEAKER_00", 0.0, 67.25, "bracketed"),
    "pyannote_script_fr.txt": (6, ("SPEAKER_00", "SPEAKER_01"), "SPEAKER_00", 0.0, 66.55, "dash"),
    "teams_fr.vtt": (8, ("Anaïs Lefèvre", "Françoise García"), "Anaïs Lefèvre", 0.0, 107.1, "format"),
    "teams_export_fr.docx": (6, ("Camille Rey", "Ousmane Ba"), "Camille Rey", 0.0, 79.0, "label_line"),
    "zoom_fr.vtt": (6, ("Hélène Morel", "Rachid Amrani"), "Hélène Morel", 0.0, 67.25, "inline"),
    "notes_fr.md": (8, ("Emma", "Yasmina"), "Emma", 0.0, 107.0, "decorated"),
    "corpus_socioling_fr.txt": (7, ("E", "L"), "E", None, None, "inline"),
    "noscribe_renomme_fr.html": (6, ("Expérimentateur", "Mme Rolland"), "Expérimentateur", 4.1, 70.65, "inline"),
    "entretien_noms_fr.txt": (6, ("Sophie", "Mohamed"), "Sophie", None, None, "inline"),
    "assemblyai_fr.json": (4, ("A", "B"), "A", 0.32, 18.9, "format"),
    "deepgram_fr.json": (4, ("SPEAKER_00", "SPEAKER_01"), "SPEAKER_00", 0.32, 18.9, "format"),
    "funasr_fr.json": (4, ("SPEAKER_00", "SPEAKER_01"), "SPEAKER_00", 0.32, 18.9, "format"),
    "elevenlabs_fr.json": (4, ("speaker_0", "speaker_1"), "speaker_0", 0.32, 18.9, "format"),
    "aws_transcribe_fr.json": (4, ("spk_0", "spk_1"), "spk_0", 0.32, 18.9, "format"),
    "markdown_participants_fr.md": (6, ("Enquêtrice", "Mme Roux"), "Enquêtrice", None, None, "decorated"),
    "markdown_horodate_es.md": (4, ("Entrevistadora", "SPEAKER_01"), "Entrevistadora", 5.0, 80.0, "inline"),
    "artisans_24.10.03_01.docx": (36, ("Chercheur", "Interviewe"), "Chercheur", 1.0, 1304.0, "label_line"),
    "artisans_25.01.15_04.docx": (47, ("Checheur", "Interviewe"), "Checheur", 2.0, 746.0, "label_line"),
    "artisans_25.03.13_01.docx": (29, ("Chercheur", "Interviewe"), "Chercheur", 1.0, 1228.0, "label_line"),
    "artisans_25.04.02.docx": (18, ("Chercheur", "Interviewe"), "Chercheur", 0.0, 961.0, "label_line"),
    "entretien_annotations_fr.txt": (15, ("E", "L"), "E", None, None, "inline"),
    "noscribe_libelle_heure_fr.html": (7, ("Expérimentateur", "SC01"), "Expérimentateur", 2.13, 1668.98, "inline"),
    "otter_resume_fr.txt": (6, ("Claire Martin", "Speaker 1"), "Claire Martin", 3.0, 55.0, "label_line"),
    "otter_resume_fr.docx": (6, ("Karim Haddad", "Josiane Perret"), "Karim Haddad", 0.0, 47.0, "label_line"),
    "pseudobsidian_entretien_01.srt": (0, (), None, 1.0, 22.5, "none"),
    "pseudobsidian_entretien_03.md": (12, ("INV", "PAR"), "INV", None, None, "inline"),
    "pseudobsidian_juste_leblanc.html": (12, ("S00", "S01"), "S01", 88.08, 133.25, "inline"),
    "entretien_conventions_fr.txt": (24, ("Enquêtrice", "Habitante"), "Enquêtrice", None, None, "inline"),
    "entretien_residences_fr.txt": (10, ("Enquêteur", "Mme Diallo"), "Enquêteur", None, None, "inline"),
    # the labels written in the cues, not the voice tags; nobody is an interviewer in this film dialogue: the cues' pick
    "noscribe_fight_club_fr.vtt": (18, ("S00", "S01", "S02"), "S02", 0.53, 70.176, "inline"),
    "pseudobsidian_entretien_02.cha": (8, ("INV", "PAR"), "INV", None, None, "format"),
    "talkbank_french_child_speech.cha": (2, ("SOF",), None, 2.93, 9.996, "format"),
    "talkbank_fra_conversation.cha": (5, ("CHI", "CHR"), "CHR", None, None, "format"),
    "talkbank_media_bullets.cha": (2, ("CHI", "MOT"), None, 2041.689, 5041.689, "format"),
}


def test_every_fixture_has_expectations():
    files = {p.name for p in REAL.iterdir() if p.name != "SOURCES.md"}
    assert files == set(EXPECTED)
    assert sum(1 for name in EXPECTED if "_fr" in name) >= 8


def _read(name: str) -> pd.DataFrame:
    with reading_warnings(""):  # real files: their reading decisions may deserve a look
        df = read_transcript(REAL / name)
    validate_segments(df)
    plain = document_text(df)
    assert all(plain[s:e] == t for s, e, t in zip(df["start_char"], df["end_char"], df["text"]))
    return df


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_transcript_is_read_right(name):
    n_turns, speakers, interviewer, first, last, layout = EXPECTED[name]
    df = _read(name)
    spoken = df[df["message_type"] == "turn"]
    assert len(spoken) == n_turns
    assert tuple(dict.fromkeys(spoken["speaker"])) == speakers
    asking = spoken.loc[spoken["speaker_role"] == "interviewer", "speaker"].unique().tolist()
    assert asking == ([interviewer] if interviewer else [])
    times = df["time_offset"].dropna()
    assert (times.iloc[0] if len(times) else None, times.iloc[-1] if len(times) else None) == pytest.approx((first, last))
    assert df.attrs["reading"]["layout"] == layout
    assert not spoken["text"].str.contains(r"^\s*(?:\[|\()?\d{1,2}:\d{2}", regex=True).any(), "times are lifted out of the text"


def _source_text(path) -> str:
    """The words a person sees in the file (markup, cue timings and ids removed)."""
    suffix = path.suffix
    if suffix == ".docx":
        import docx

        document = docx.Document(str(path))
        cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    if suffix == ".odt":
        from odf import teletype
        from odf.opendocument import load
        from odf.text import P

        return "\n".join(teletype.extractText(p) for p in load(str(path)).getElementsByType(P))
    text = path.read_text(encoding="utf-8")
    if suffix == ".json":  # the segments, else the whole transcript as the tool writes it beside them
        data = json.loads(text)
        if isinstance(data, dict) and "segments" in data:
            return "\n".join(s["text"] for s in data["segments"])
        if isinstance(data, list):
            return data[0]["text"]
        results = data.get("results", {})
        if "transcripts" in results:
            return results["transcripts"][0]["transcript"]
        return results["channels"][0]["alternatives"][0]["transcript"] if "channels" in results else data["text"]
    if suffix == ".html":
        import lxml.html

        return "\n".join(p.text_content() for p in lxml.html.fromstring(text).iter("p"))
    if suffix in (".vtt", ".srt"):
        kept = []
        for block in re.split(r"\n\s*\n", text):
            lines = block.split("\n")
            timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
            kept += lines if timing is None else lines[timing + 1 :]
        text = html.unescape(re.sub(r"<[^>]+>", " ", "\n".join(kept)))
    return text


def _words(text: str) -> Counter:
    return Counter(w.lower() for w in re.findall(r"[^\W\d_]+", text))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_word_of_the_file_is_kept(name):
    df = _read(name)
    kept = _words("\n".join(df["text"]))
    labels = _words(" ".join(df["speaker"].dropna().unique()))
    missing = _words(_source_text(REAL / name)) - kept
    assert set(missing) <= set(labels) | {"webvtt", "note", "utf", "begin", "end"}, f"lost: {dict(missing)}"  # CHAT's @UTF8, @Begin, @End


def test_no_arrangement_of_lines_crashes_the_turn_builder_and_no_word_is_lost():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from enquete.ingest.lines import Line
    from enquete.ingest.turns import assign_roles, build_turns

    pieces = st.sampled_from(["Enquêtrice :", "E :", "[SPEAKER_01]:", "Martine", "**Emma**", "00:13", "(0:01 - 0:11)",
                              "[00:00:05]", "PAUSE.", "(rires)", "<TXT=a>", "Transcribed by https://otter.ai", "Bonjour ?",
                              "oui", "alors : non", "Speaker 1 (00:00):", "-", "", "  "])
    line = st.builds(
        Line,
        text=st.lists(pieces, max_size=5).map(" ".join),
        speaker=st.none() | st.sampled_from(["S00", "S01", "Carlos Farías"]),
        label=st.none() | st.sampled_from(["Emma", "Note"]),
        start=st.none() | st.floats(0, 5000),
        cue=st.booleans(),
        metadata=st.booleans(),
    )

    @settings(max_examples=300, deadline=None)
    @given(st.lists(line, max_size=25), st.lists(st.sampled_from(["E", "Martine", "S01"]), max_size=2))
    def check(lines, interviewer):
        turns, layout = build_turns(lines, interviewer)
        roles = assign_roles(turns, interviewer, layout)
        assert len(roles) == len(turns)
        labels = _words(" ".join(t.speaker or "" for t in turns))
        missing = _words(" ".join(line.text for line in lines)) - _words(" ".join(t.text for t in turns)) - labels
        assert set(missing) <= set(labels), "every word is in a turn, a metadata row or a speaker label (once per turn)"

    check()


def test_a_markdown_participants_block_and_headings_are_not_turns():
    df = _read("markdown_participants_fr.md")
    meta = df.loc[df["message_type"] == "metadata", "text"].tolist()
    assert meta == ["Entretien E12 — Jardin partagé de la cour", "Participants :", "Enquêtrice : Claire Martin, sociologue",
                    "Mme Roux : habitante du bâtiment C, 67 ans", "Date : 14 mars 2023 — Lieu : salle commune", "Deuxième partie : l'association"]
    assert str(df["document_date"].iloc[0]) == "2023-03-14 00:00:00"  # the header's date dates the interview
    assert df.loc[df["message_type"] == "turn", "annotations"].dropna().tolist() == ["(rires)"]


def test_a_json_of_text_alone_is_one_paragraph(tmp_path):
    path = tmp_path / "openai.json"
    path.write_text(json.dumps({"text": "Bonjour, je vous écoute."}), encoding="utf-8")
    with reading_warnings("aucun nom de locuteur"):
        df = read_transcript(path)
    assert df[["message_type", "text"]].values.tolist() == [["paragraph", "Bonjour, je vous écoute."]]


def _diarized(tmp_path, speakers: list[str], texts: list[str]):
    """An AssemblyAI-shaped JSON (utterances with speaker letters, milliseconds)."""
    path = tmp_path / "diarise.json"
    utterances = [{"speaker": s, "start": 1000 * i, "end": 1000 * i + 900, "text": t} for i, (s, t) in enumerate(zip(speakers, texts))]
    path.write_text(json.dumps({"status": "completed", "utterances": utterances}), encoding="utf-8")
    return path


ASKING = ["Bonjour, vous habitez ici depuis quand ?", "Depuis 2009, au bâtiment C, et on a monté le jardin avec les voisins.",
          "Qui a lancé le jardin ?", "Une voisine, avec le centre social, et maintenant on est une vingtaine.",
          "Et la mairie vous aide ?", "Un peu, pour l'eau et les bacs, mais c'est surtout nous qui faisons tout."]


@pytest.mark.parametrize("letters", [("A", "B"), ("B", "A"), ("C", "A"), ("E", "A")])
def test_diarization_letters_carry_no_role(tmp_path, letters):
    """AssemblyAI names the voices A, B, C… in order: « A » (answer) or « E » (enquêteur) is a
    code there, and the interviewer is the one who asks, whoever was heard first."""
    asker, answerer = letters
    path = _diarized(tmp_path, [asker, answerer] * 3, ASKING)
    with reading_warnings(""):
        df = read_transcript(path)
    spoken = df[df["message_type"] == "turn"]
    if {asker, answerer} == {"A", "B"}:  # letters in order: codes, decided by who asks
        assert spoken.loc[spoken["speaker_role"] == "interviewer", "speaker"].unique().tolist() == [asker]
        assert df.attrs["reading"]["roles"] == "déduit"
    else:  # not a tool's run of letters: role words ("E", "A") decide as in a typed transcript
        assert df.attrs["reading"]["roles"] == "libellés"


def test_diarization_letters_follow_corpus_yaml(tmp_path):
    from enquete.corpus import Document

    path = _diarized(tmp_path, ["A", "B", "C"] * 2, ASKING)
    document = Document(id="d", path=path, relpath=path.name, interviewer=["C"])
    df = read_transcript(path, document)
    assert df.loc[df["speaker_role"] == "interviewer", "speaker"].unique().tolist() == ["C"]


def test_labels_written_in_noscribe_cues_win_over_their_voice_tags():
    """fight_club.vtt: `<v S00>S01: ` then the words in the next cues; the file's three speakers,
    every line in its speaker's turn (read from the file), times from the cues that carry words."""
    df = _read("noscribe_fight_club_fr.vtt")
    turns = df[df["message_type"] == "turn"]
    said = list(zip(turns["speaker"], turns["text"]))
    assert said[:6] == [
        ("S00", "Après un combat, tout le reste de la vie prenait beaucoup moins d'importance."),
        ("S01", "Qu'est-ce vous avez encore fichu hier soir ?"),
        ("S00", "Quoi ?"),
        ("S02", "On pouvait endurer n'importe quoi."),
        ("S01", "Vous avez fini ces rapports ?"),
        ("S02", "Tu pouvais choisir ton adversaire, qui tu prendrais ? (..)"),
    ]
    assert said[9] == ("S02", "Je prendrais mon père. (.)")
    assert said[10][0] == "S00" and said[10][1].endswith("Il va dans une autre ville et il fonde une nouvelle famille.")
    assert said[-1] == ("S01", "On a une génération d'hommes élevés par des femmes. (.) J'suis pas sûr qu'une autre femme soit la solution à nos problèmes.")
    assert not turns["text"].str.contains(r"\bS0\d:").any()
    assert turns["time_offset"].is_monotonic_increasing
    assert df.attrs["reading"]["speakers"] == 3 and not df.attrs["reading"]["notes"]  # as « Détection des locuteurs : 3 » says


def test_a_cue_is_split_at_a_written_label_and_a_header_that_announces_other_speakers_is_flagged(tmp_path):
    path = tmp_path / "noscribe.vtt"
    path.write_text(
        "WEBVTT\n\nNOTE\nTranscrit avec noScribe vers. 0.7\n(Langue : French (fr) | Détection des locuteurs : 4 | Horodatage : 1)\n\n"
        "1\n00:00:01.000 --> 00:00:03.000\n<v S00>S00: Vous habitez ici ?\n\n"
        "2\n00:00:03.000 --> 00:00:06.000\n<v S00>S01: Depuis vingt ans. S00: Et la fête des voisins ?\n\n"
        "3\n00:00:06.000 --> 00:00:09.000\n<v S00>S01: On la fait chaque année.\n",
        encoding="utf-8",
    )
    with pytest.warns(ReadingWarning, match="annonce 4 locuteur.*2 trouvé.*à vérifier"):
        df = read_transcript(path)
    turns = df[df["message_type"] == "turn"]
    assert list(zip(turns["speaker"], turns["text"])) == [
        ("S00", "Vous habitez ici ?"), ("S01", "Depuis vingt ans."), ("S00", "Et la fête des voisins ?"), ("S01", "On la fait chaque année."),
    ]


def test_a_chat_transcript_keeps_its_conventions_roles_and_times():
    """entretien_02.cha: main tiers are turns, word for word; @ headers and %com tiers are metadata;
    @Participants says INV is the investigator."""
    df = _read("pseudobsidian_entretien_02.cha")
    turns = df[df["message_type"] == "turn"]
    assert turns["text"].iloc[0] == "bonjour Marie, tu peux te présenter ?"
    assert turns["text"].iloc[-1] == "oui (0.5) à Nancy (.) la ville (.) pas le prénom ."
    assert (turns.groupby("speaker")["speaker_role"].first() == pd.Series({"INV": "interviewer", "PAR": "respondent"})).all()
    meta = df.loc[df["message_type"] == "metadata", "text"].tolist()
    assert "%com: PAR marque une hésitation avant de répondre" in meta and "@Location: Lyon" in meta
    assert len(meta) == 9  # 7 headers (@Begin and @End mark, carry nothing) and 2 comments
    assert df.attrs["reading"]["roles"] == "en-tête"


def test_chat_bullets_become_times_and_tab_lines_continue_the_line_before():
    df = _read("talkbank_french_child_speech.cha")
    turns = df[df["message_type"] == "turn"]
    assert turns["text"].tolist() == ["l'escargot dort parc(e) qu'il fait beau dehors .", "un nuage arrive et fait tomber la pluie !"]
    assert turns["time_offset"].tolist() == [2.93, 9.996]
    assert not df["text"].str.contains("\x15").any()
    media = _read("talkbank_media_bullets.cha")
    meta = media.loc[media["message_type"] == "metadata", "text"].tolist()
    assert "@Comment:\tConstructs: inline_bullet, timing_annotation, text_with_bullets, text_with_bullets_and_pics, media bullets on dependent tiers, inline_pic" in meta
    assert set(media["speaker_role"].dropna()) <= {"respondent", "unknown"}  # a child and its mother: nobody interviews
