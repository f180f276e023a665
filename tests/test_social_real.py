"""Social-network exports reproducing real layouts (tests/fixtures/real/social, see SOURCES.md),
each with what reading the file by hand gives: rows by type, authors, first and last time."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from enquete.errors import ReadingWarning
from enquete.ingest import detect_kind, ingest_paths, read_document
from enquete.ingest.common import document_for
from enquete.ingest.social import read_social
from enquete.schema import validate_segments
from enquete.settings import make_settings
from tests.conftest import FIXTURES

SOCIAL = FIXTURES / "real" / "social"

# file: (rows by type, authors, first and last time (wall-clock, Paris), layout)
EXPECTED = {
    "telegram_services_fr.json": ({"call": 3, "system": 14, "text": 3}, ("Karim Ouali", "Nadia Ferreira", "Paul Lemoine", "Samia Benali"),
                                  "2023-03-04 10:00:00", "2023-04-04 07:00:00", "telegram"),
    "telegram_messages_seuls.json": ({"text": 3}, ("Hélène Morel", "Rachid Amrani"), "2023-10-28 23:50:00", "2023-10-29 09:05:00", "telegram"),
    "instagram_message_1.json": ({"media": 2, "system": 2, "text": 2}, ("amicale.voltaire", "sandrine_roux"), "2024-01-15 18:02:11", "2024-01-16 09:15:00", "messenger"),
    "messenger_notices_fr.json": ({"call": 3, "poll": 1, "system": 5, "text": 3}, ("Chloé Dumas", "Hélène Marchal", "Karim Ouali"),
                                  "2023-06-01 19:00:00", "2023-06-03 10:00:00", "messenger"),
    "messenger_notices_en.json": ({"call": 3, "system": 2, "text": 2}, ("Josiane Perret", "Marc Dupuis"), "2022-11-20 14:00:00", "2022-11-21 08:00:00", "messenger"),
    "facebook_your_posts_1.json": ({"media": 4, "system": 4, "text": 3}, ("Marie Roux",), "2020-09-21 20:00:00", "2022-01-04 09:00:00", "facebook"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_social_export_is_read_right(name):
    types, authors, first, last, layout = EXPECTED[name]
    path = SOCIAL / name
    assert detect_kind(path) == "social"
    df = validate_segments(read_document(document_for(path, None)))
    assert {k: int(v) for k, v in df["message_type"].value_counts().items()} == types
    assert tuple(sorted(set(df["speaker"].dropna()) - {""})) == authors
    assert (str(df["timestamp"].iloc[0]), str(df["timestamp"].iloc[-1])) == (first, last)
    assert df["timestamp"].is_monotonic_increasing and df.attrs["reading"]["layout"] == layout
    assert (df["speaker_role"] == "system").eq(df["message_type"] == "system").all() and df.loc[df["speaker_role"] == "system", "speaker"].fillna("").eq("").all()


def test_every_telegram_action_says_what_happened_in_its_own_words():
    df = read_social(SOCIAL / "telegram_services_fr.json")
    said = df.loc[df["message_type"] != "text", "text"].tolist()
    assert said == [
        "Samia Benali a créé le groupe « Jardin de la cour » avec Samia Benali, Paul Lemoine",
        "Samia Benali a ajouté Nadia Ferreira, Karim Ouali",
        "Samia Benali a renommé le groupe « Jardin partagé de la cour »",
        "Samia Benali a changé la photo du groupe",
        "Samia Benali a épinglé un message",
        "Appel de Paul Lemoine (3 min 12 s)",
        "Appel manqué de Karim Ouali",
        "Léa Martin a rejoint le groupe par un lien d'invitation de Samia Benali",
        "Karim Ouali a quitté le groupe",
        "Samia Benali a retiré Léa Martin",
        "Samia Benali a transformé le groupe en supergroupe",
        "Samia Benali a transformé le groupe « Jardin partagé de la cour » en supergroupe",
        "Nadia Ferreira a lancé un appel de groupe (30 min 30 s)",
        "Samia Benali a supprimé la photo du groupe",
        "Nadia Ferreira a créé le sujet « Arrosage de l'été »",
        "Paul Lemoine send premium gift",  # an action the phrase table does not know keeps its name
        "Nadia Ferreira a rejoint le groupe",
    ]
    calls = df[df["message_type"] == "call"]
    assert calls["speaker"].tolist() == ["Paul Lemoine", "Karim Ouali", "Nadia Ferreira"] and calls["speaker_role"].eq("member").all()


def test_messenger_notices_written_as_messages_are_not_speech():
    fr = read_social(SOCIAL / "messenger_notices_fr.json")
    speech = fr[fr["message_type"] == "text"]
    assert speech["text"].tolist() == ["Bonsoir à tous, voici le groupe de l'amicale.", "Merci Hélène ! Je propose une réunion samedi.",
                                       "Désolée, je voulais juste savoir pour samedi 🙂"]
    assert fr.loc[fr["message_type"] == "poll", "speaker"].tolist() == ["Hélène Marchal"]
    en = read_social(SOCIAL / "messenger_notices_en.json")
    assert en.loc[en["message_type"] == "call", "text"].tolist() == ["Josiane called you.", "You missed a call from Josiane.", "The video chat ended."]


def test_instagram_messages_without_participants_are_a_chat():
    df = read_social(SOCIAL / "instagram_message_1.json")
    assert df.loc[df["message_type"] == "media", "attachment"].tolist() == ["417_5678.jpg", "https://www.instagram.com/p/C2abcDEF/"]
    assert df.loc[df["message_type"] == "system", "text"].tolist() == ["Liked a message", "Reacted 👍 to your message "]
    assert df["text"].iloc[0] == "Bonsoir ! L'AG aura lieu jeudi à 18h30 dans la salle commune."  # Latin-1 escapes repaired


def test_every_post_of_a_your_posts_export_is_a_row_by_its_owner():
    entries = json.loads((SOCIAL / "facebook_your_posts_1.json").read_text(encoding="utf-8"))
    df = read_social(SOCIAL / "facebook_your_posts_1.json")
    assert len(df) == len(entries) == 11  # nothing dropped: photos, links, a video, an event, a life event, an empty update
    assert df.loc[df["speaker_role"] == "member", "speaker"].eq("Marie Roux").all()  # titled or not
    assert df.loc[df["message_type"] == "media", "attachment"].tolist() == [
        "https://www.saint-aubin-les-ormes.fr/budget-participatif", "188438_490353074319539_n.jpg", "1199405_10200191443018829_n.mp4",
        "81159700_10215011770077743_n.jpg"]
    assert df.loc[df["message_type"] == "system", "text"].tolist() == [
        "Fête des voisins de la résidence", "Marie Roux a ajouté un événement marquant : A commencé à travailler chez Habitat des Ormes", "",
        "Marie Roux a partagé une vidéo de la playlist Quartiers"]


def test_a_your_posts_export_naming_nobody_takes_the_author_from_corpus_yaml_or_says_so(tmp_path):
    entries = json.loads((SOCIAL / "facebook_your_posts_1.json").read_text(encoding="utf-8"))
    path = tmp_path / "your_posts_1.json"
    path.write_text(json.dumps([{k: v for k, v in e.items() if k != "title"} for e in entries]), encoding="utf-8")
    with pytest.warns(ReadingWarning, match="aucune publication ne nomme son auteur.*auteur"):
        df = read_social(path)
    assert df.loc[df["speaker_role"] == "member", "speaker"].eq("titulaire du compte").all()
    import dataclasses

    named = read_social(path, dataclasses.replace(document_for(path, None), attributes={"auteur": "Marie Roux"}))
    assert named.loc[named["speaker_role"] == "member", "speaker"].eq("Marie Roux").all() and len(named) == 11


def test_unix_times_are_read_in_the_study_timezone_setting_or_the_documents(tmp_path):
    path = SOCIAL / "telegram_messages_seuls.json"
    paris, _ = ingest_paths([path])
    assert paris["timestamp"].dt.strftime("%Y-%m-%d %H:%M").tolist() == ["2023-10-28 23:50", "2023-10-29 02:30", "2023-10-29 09:05"]  # summer, then winter time
    montreal, _ = ingest_paths([path], make_settings(timezone="America/Montreal"))
    assert montreal["timestamp"].dt.strftime("%Y-%m-%d %H:%M").tolist() == ["2023-10-28 17:50", "2023-10-28 21:30", "2023-10-29 04:05"]
    from enquete.corpus import load_corpus
    from enquete.ingest import ingest_corpus

    (tmp_path / "a.json").write_bytes(path.read_bytes())
    (tmp_path / "b.json").write_bytes((SOCIAL / "messenger_notices_en.json").read_bytes())
    (tmp_path / "corpus.yaml").write_text("settings: {timezone: America/Montreal}\ndocuments:\n  - file: a.json\n  - file: b.json\n    timezone: Asia/Tokyo\n",
                                          encoding="utf-8")
    df, _ = ingest_corpus(load_corpus(tmp_path))
    assert str(df.loc[df["document_id"] == "a", "timestamp"].iloc[0]) == "2023-10-28 17:50:00"
    assert str(df.loc[df["document_id"] == "b", "timestamp"].iloc[0]) == "2022-11-20 22:00:00"  # 14:00 in Paris, 22:00 in Tokyo


def test_an_unknown_timezone_is_refused_with_its_name(tmp_path):
    from enquete.corpus import load_corpus
    from enquete.errors import ConfigError, CorpusError

    with pytest.raises(ConfigError, match="fuseau horaire inconnu « Paris »"):
        make_settings(timezone="Paris")
    (tmp_path / "corpus.yaml").write_text("documents:\n  - file: a.json\n    timezone: Europe/Pari\n", encoding="utf-8")
    (tmp_path / "a.json").write_text("[]", encoding="utf-8")
    with pytest.raises(CorpusError, match="fuseau horaire inconnu « Europe/Pari »"):
        load_corpus(tmp_path)


@pytest.mark.parametrize(
    ("content", "looked_like"),
    [
        ({"version": 2, "items": [{"id": 1, "body": "x"}]}, "un objet aux clés « version, items », dont « items » : une liste de 1 objet(s) aux clés « id, body »"),
        ([1, 2, 3], "une liste de 3 valeur(s)"),
        ({"messages": [{"author": "A", "when": 1}]}, "un objet aux clés « messages », dont « messages » : une liste de 1 objet(s) aux clés « author, when »"),
    ],
)
def test_a_rejected_json_says_what_it_looked_like(tmp_path, content, looked_like):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    _, rejects = ingest_paths([path])
    reason = rejects.loc[0, "reason"]
    assert reason.startswith(f"JSON non reconnu : {looked_like} ; attendu : une transcription") and re.search("Telegram, Messenger, Instagram ou Facebook", reason)


def test_the_reading_says_which_export_it_was():
    from enquete.ingest import describe_reading

    df = read_social(SOCIAL / "instagram_message_1.json")
    assert describe_reading(df.attrs["reading"]) == "export Messenger ou Instagram : 6 message(s), 0 réponse(s) rattachée(s)"
    assert isinstance(df["timestamp"].iloc[0], pd.Timestamp)
