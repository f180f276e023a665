"""WhatsApp exports from other parsers' test suites and reproductions of real cases
(tests/fixtures/real/whatsapp, see SOURCES.md), each with its expected rows."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import PurePosixPath

import pytest

from enquete.errors import CorpusWarning, ReadingWarning
from enquete.ingest import IngestError, Reject, detect_kind, ingest_paths, read_document
from enquete.ingest.common import document_for
from enquete.ingest.whatsapp import count_lines
from enquete.schema import validate_segments
from tests.conftest import FIXTURES, reading_warnings
from tests.test_whatsapp import lines_read

REAL = FIXTURES / "real" / "whatsapp"

# file: (messages by type, senders, first and last timestamp, header format, language ('' when no notice says))
EXPECTED = {
"WhatsR/englishandroid24h.txt": ({'location': 2, 'media': 3, 'system': 8, 'text': 37}, ('Alice', 'Bob', 'Carol', 'Dave', 'Mallory'), "2018-01-29 12:24", "2018-01-30 00:23", "android", "en"),
    "WhatsR/englishandroidampm.txt": ({'location': 2, 'media': 3, 'system': 8, 'text': 37}, ('Alice', 'Bob', 'Carol', 'Dave', 'Mallory'), "2018-01-29 12:24", "2018-01-30 00:23", "android", "en"),
    "WhatsR/englishios24h.txt": ({'location': 2, 'media': 3, 'system': 8, 'text': 37}, ('Alice', 'Bob', 'Carol', 'Dave', 'Mallory'), "2018-01-29 12:24", "2018-01-30 00:23", "ios", "en"),
    "WhatsR/englishiosampm.txt": ({'location': 2, 'media': 3, 'system': 8, 'text': 37}, ('Alice', 'Bob', 'Carol', 'Dave', 'Mallory'), "2018-01-29 12:24", "2018-01-30 00:23", "ios", "en"),
    "WhatsR/germanandroid24h.txt": ({'location': 2, 'media': 3, 'system': 8, 'text': 37}, ('Alice', 'Bob', 'Carol', 'Dave', 'Mallory'), "2018-01-29 12:24", "2018-01-30 00:13", "android", "de"),
    "WhatsR/germanandroidampm.txt": ({'location': 2, 'media': 3, 'system': 8, 'text': 37}, ('Alice', 'Bob', 'Carol', 'Dave', 'Mallory'), "2018-01-29 12:24", "2018-01-30 00:23", "android", "de"),
    "WhatsR/germanios24h.txt": ({'location': 2, 'media': 3, 'system': 8, 'text': 37}, ('Alice', 'Bob', 'Carol', 'Dave', 'Mallory'), "2018-01-29 12:24", "2018-01-30 00:13", "ios", "de"),
    "WhatsR/germaniosampm.txt": ({'location': 2, 'media': 3, 'system': 8, 'text': 37}, ('Alice', 'Bob', 'Carol', 'Dave', 'Mallory'), "2018-01-29 12:24", "2018-01-30 00:23", "ios", "de"),
    "cas/Discussion WhatsApp avec Jardin partagé.txt": ({'text': 6, 'media': 1}, ('Hervé', 'Samia'), "2026-02-03 18:02", "2026-02-04 09:21", "ios", ""),
    "cas/Discussion WhatsApp avec AG Amicale.txt": ({'text': 4}, ('Ahmed Benali', 'Josiane Perret', 'Marie-Claire Dubois'), "2023-09-04 20:15", "2023-09-05 09:10", "android", ""),
    "cas/Discussion WhatsApp avec Résidences.txt": ({'text': 7}, ('Gardien Tilleuls', 'Josiane Perret', 'Karim (Peupliers)', 'Mme Diallo Acacias', 'Nadia Les Ormes'), "2024-03-12 18:02", "2024-03-12 18:31", "android", ""),
    "cas/Discussion WhatsApp avec Conseil citoyen.txt": ({'text': 5}, ('Hélène Morel', 'Rachid Amrani'), "2023-11-28 19:00", "2024-01-02 10:00", "android", ""),
    "cas/Discussion WhatsApp avec Deux téléphones.txt": ({'text': 24}, ('Amélie Durand',), "2023-10-01 10:00", "2023-10-07 21:11", "android+ios", ""),
    "cas/Discussion WhatsApp avec Pièces jointes.txt": ({'text': 6}, ('Alice', 'Bob'), "2026-02-01 09:12", "2026-02-02 18:41", "ios", ""),
    "cas/Discussion WhatsApp avec Médias et appels.txt": ({'call': 2, 'deleted': 1, 'location': 2, 'media': 3, 'system': 2, 'text': 3}, ('Karim Haddad', 'Nadia Benali'), "2023-04-12 18:00", "2023-04-12 18:12", "android", "fr"),
    "cas/Discussion WhatsApp avec Voisins du 8.txt": ({'media': 1, 'system': 4, 'text': 2}, ('Amélie Durand', 'Bruno Petit'), "2023-02-14 19:02", "2023-02-14 21:40", "android", "fr"),
    "cas/Komşular ile WhatsApp Sohbeti.txt": ({'call': 1, 'deleted': 1, 'location': 1, 'media': 1, 'system': 4, 'text': 1}, ('Ayşe Yılmaz', 'Mehmet Kaya'), "2023-03-14 09:00", "2023-03-14 09:15", "android", "tr"),
    "cas/WhatsApp Chat - Fatima.txt": ({'call': 1, 'media': 1, 'system': 2, 'text': 4}, ('Fatima', 'Sandrine Roux'), "2023-05-03 19:10", "2023-05-04 08:05", "ios", "fr"),
    "cas/WhatsApp Chat - Fatima.zip": ({'media': 1, 'text': 2}, ('Fatima', 'Sandrine Roux'), "2023-06-10 10:00", "2023-06-10 10:02", "ios", ""),
    "cas/WhatsApp Chat - Jardin des Lilas.txt": ({'contact': 1, 'media': 2, 'system': 5, 'text': 3}, ('Karim Haddad', 'Lucie Martin', 'Sandrine Roux'), "2023-05-03 19:12", "2023-05-03 19:30", "ios", "fr"),
    "cas/WhatsApp Chat with Jardin Nord.txt": ({'text': 3}, ('Anna Kowalska', 'Paul Girard'), "2017-07-12 10:35", "2017-07-12 18:02", "android", ""),
    "chat-miner/test_[mmddyy]_24hrs.txt": ({'system': 2, 'text': 7}, ('Jahn Doe', 'John Doe', 'John Doe 🤓', 'John-John Doe', '🤓'), "2019-01-01 11:25", "2021-12-30 22:01", "ios", "en"),
    "chat-miner/test_ddmmyy_24hrs.txt": ({'system': 2, 'text': 7}, ('Jahn Doe', 'John Doe', 'John Doe 🤓', 'John-John Doe', '🤓'), "2019-01-01 11:25", "2021-12-30 22:01", "android", "en"),
    "chat-miner/test_mmddyy_24hrs.txt": ({'system': 2, 'text': 7}, ('Jahn Doe', 'John Doe', 'John Doe 🤓', 'John-John Doe', '🤓'), "2019-01-01 11:25", "2021-12-30 22:01", "android", "en"),
    "chat-miner/test_mmddyyyy_12hrs.txt": ({'system': 2, 'text': 7}, ('Jahn Doe', 'John Doe', 'John Doe 🤓', 'John-John Doe', '🤓'), "2019-01-01 11:25", "2021-12-30 22:01", "android", "en"),
    "chat-miner/test_yyyymmdd_24hrs.txt": ({'system': 2, 'text': 7}, ('Jahn Doe', 'John Doe', 'John Doe 🤓', 'John-John Doe', '🤓'), "2019-01-01 11:25", "2021-12-30 22:01", "android", "en"),
    "rwhatsapp/sample.txt": ({'media': 1, 'system': 2, 'text': 6}, ('Johannes Gruber', 'Test'), "2017-07-12 22:35", "2018-09-28 13:30", "android", "en"),
    "rwhatsapp/sample.zip": ({'media': 1, 'system': 2, 'text': 6}, ('Johannes Gruber', 'Test'), "2017-07-12 22:35", "2018-09-28 13:30", "android", "en"),
    "whats_json/Buddhist iOS.txt": ({'contact': 1, 'deleted': 3, 'location': 2, 'media': 15, 'system': 3, 'text': 4}, ('Dmitry S', 'Elon Musk'), "2022-03-18 14:56", "2023-01-12 15:35", "ios", "en"),
    "whats_json/Japanese iOS.txt": ({'contact': 1, 'deleted': 3, 'location': 2, 'media': 15, 'system': 3, 'text': 4}, ('Dmitry S', 'Elon Musk'), "2022-03-18 14:56", "2023-01-12 15:35", "ios", "en"),
    "whats_json/WhatsApp Chat - Elon Musk (EN+Media).txt": ({'contact': 1, 'deleted': 2, 'location': 2, 'media': 10, 'system': 3, 'text': 7}, ('Dmitry S', 'Elon Musk'), "2022-03-18 14:56", "2023-01-07 23:32", "ios", "en"),
    "whats_json/WhatsApp Chat with Group Chat XXX Android.txt": ({'deleted': 1, 'system': 16, 'text': 3}, ('Dmitry S',), "2023-01-11 16:13", "2023-01-11 16:57", "android", "en"),
    "whats_json/arabic2_ios.txt": ({'contact': 1, 'deleted': 2, 'location': 2, 'media': 13, 'system': 1, 'text': 4}, ('Dmitry Starkov', 'Elon Musk'), "2022-03-18 14:56", "2022-03-27 21:56", "ios", "ar"),
    "whats_json/arabic_ios.txt": ({'contact': 1, 'deleted': 2, 'location': 2, 'media': 13, 'system': 1, 'text': 4}, ('+40\xa0521\xa0028\xa061\xa088', 'Dmitry S'), "2022-03-18 14:56", "2022-03-27 21:56", "ios", "ar"),
    "whats_json/deutch_android_media.txt": ({'call': 2, 'contact': 2, 'deleted': 7, 'location': 3, 'media': 12, 'system': 1, 'text': 14}, ('Dmitry S', 'Elon'), "2022-03-23 13:31", "2023-01-07 23:32", "android", "nl"),
    "whats_json/deutch_ios.txt": ({'contact': 1, 'deleted': 2, 'location': 2, 'media': 13, 'system': 1, 'text': 4}, ('Dmitry S', 'Elon Musk'), "2022-03-18 14:56", "2022-03-27 21:56", "ios", "de"),
    "whats_json/english_android_media.txt": ({'call': 2, 'contact': 2, 'deleted': 8, 'location': 3, 'media': 18, 'system': 1, 'text': 26}, ('Dmitry S', 'Elon'), "2022-03-23 13:31", "2023-01-07 23:32", "android", "en"),
    "whats_json/french_ios.txt": ({'contact': 1, 'deleted': 2, 'location': 2, 'media': 13, 'system': 1, 'text': 4}, ('Dmitry S', 'Elon Musk'), "2022-03-18 14:56", "2022-03-27 21:56", "ios", "fr"),
    "whats_json/iOS Vietnamese.txt": ({'contact': 1, 'deleted': 3, 'location': 2, 'media': 15, 'system': 3, 'text': 4}, ('Dmitry S', 'Musk Elon'), "2022-03-18 14:56", "2023-01-12 15:35", "ios", "vi"),
    "whats_json/russian_android.txt": ({'call': 2, 'contact': 2, 'deleted': 8, 'location': 3, 'media': 29, 'system': 1, 'text': 15}, ('Dmitry S', 'Elon'), "2022-03-23 13:31", "2023-01-07 23:32", "android", "ru"),
    "whats_json/czech_android.txt": ({'call': 2, 'contact': 2, 'deleted': 8, 'location': 3, 'media': 29, 'system': 1, 'text': 15}, ('Dmitry S', 'Elon'), "2022-03-23 13:31", "2023-01-07 23:32", "android", "cs"),
    "whats_json/russian_ios.txt": ({'contact': 1, 'deleted': 2, 'location': 2, 'media': 13, 'system': 1, 'text': 4}, ('Dmitry S', 'Elon Musk'), "2022-03-18 14:56", "2022-03-27 21:56", "ios", "ru"),
    "whats_json/ukrainian_ios.txt": ({'contact': 1, 'deleted': 2, 'location': 2, 'media': 13, 'system': 1, 'text': 4}, ('Dmitry S', 'Elon Musk'), "2022-03-18 14:56", "2022-03-27 21:56", "ios", "uk"),
    "whats_json/czech_ios.txt": ({'contact': 1, 'deleted': 2, 'location': 2, 'media': 13, 'system': 1, 'text': 4}, ('Dmitry S', 'Elon Musk'), "2022-03-18 14:56", "2022-03-27 21:56", "ios", "cs"),
    "whats_json/indonesian_ios.txt": ({'contact': 1, 'deleted': 2, 'location': 2, 'media': 13, 'system': 1, 'text': 4}, ('Dmitry S', 'Elon Musk'), "2022-03-18 14:56", "2022-03-27 21:56", "ios", "id"),
    "whats_json/hindi_ios.txt": ({'contact': 1, 'deleted': 2, 'location': 2, 'media': 13, 'system': 1, 'text': 4}, ('Dmitry S', 'Elon Musk'), "2022-03-18 14:56", "2022-03-27 21:56", "ios", "hi"),
    "whats_json/japanese_ios.txt": ({'contact': 1, 'deleted': 2, 'location': 2, 'media': 13, 'system': 1, 'text': 4}, ('Dmitry S', 'Elon Musk'), "2022-03-18 14:56", "2022-03-27 21:56", "ios", "ja"),
    "whats_json/thai_ios.txt": ({'contact': 1, 'deleted': 2, 'location': 2, 'media': 13, 'system': 1, 'text': 4}, ('Dmitry S', 'Elon Musk'), "2022-03-18 14:56", "2022-03-27 21:56", "ios", "th"),
    "whats_json/vietnamese_ios.txt": ({'contact': 1, 'deleted': 2, 'location': 2, 'media': 13, 'system': 1, 'text': 4}, ('Dmitry S', 'Musk Elon'), "2022-03-18 14:56", "2022-03-27 21:56", "ios", "vi"),
    "whats_json/italian_ios.txt": ({'contact': 1, 'deleted': 2, 'location': 2, 'media': 13, 'system': 1, 'text': 4}, ('Dmitry S', 'Elon Musk'), "2022-03-18 14:56", "2022-03-27 21:56", "ios", "it"),
    "whats_json/portugal_ios.txt": ({'contact': 1, 'deleted': 2, 'location': 2, 'media': 13, 'system': 1, 'text': 4}, ('Dmitry S', 'Elon Musk'), "2022-03-18 14:56", "2022-03-27 21:56", "ios", "pt"),
    "whats_json/spanish_ios.txt": ({'contact': 1, 'deleted': 2, 'location': 2, 'media': 13, 'system': 1, 'text': 4}, ('Dmitry S', 'Elon Musk'), "2022-03-18 14:56", "2022-03-27 21:56", "ios", "es"),
    "whatstk/lorem-merge-part2.txt": ({'text': 300}, ('+1 123 456 789', 'Giuseppe', 'John', 'Maria', 'Maria2'), "2020-06-20 10:16", "2020-09-10 00:00", "android", ""),
    "whatstk/pokemon.txt": ({'system': 2, 'text': 18}, ('Ash Ketchum', 'Brock', 'Jessie & James', 'Meowth', 'Misty', 'Prof. Oak', 'Raichu', 'Wobbuffet'), "2016-04-15 15:04", "2016-10-31 12:23", "android", "en"),
}


def test_every_fixture_has_expectations():
    files = {p.relative_to(REAL).as_posix() for p in REAL.rglob("*") if p.is_file() and p.name != "SOURCES.md"}
    assert files == set(EXPECTED) | {"cas/Discussion WhatsApp avec Format inconnu.txt"} | set(YEARLESS)


def _read(path, rejects=None):
    with reading_warnings(""):  # real files: their reading decisions may deserve a look
        return read_document(document_for(path, None), rejects=rejects)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_export_is_read_right(name):
    types, senders, first, last, header, language = EXPECTED[name]
    rejects: list[Reject] = []
    path = REAL / name
    assert detect_kind(path) == "whatsapp"
    df = validate_segments(_read(path, rejects))
    assert not rejects
    assert {k: int(v) for k, v in df["message_type"].value_counts().items()} == types
    assert tuple(sorted(df["speaker"].dropna().unique())) == senders
    assert df["timestamp"].notna().all()
    assert (f"{df['timestamp'].iloc[0]:%Y-%m-%d %H:%M}", f"{df['timestamp'].iloc[-1]:%Y-%m-%d %H:%M}") == (first, last)
    assert (df.attrs["reading"]["header_format"], df.attrs["reading"]["language"]) == (header, language)
    data = zipfile.ZipFile(path).read("_chat.txt") if path.suffix == ".zip" and "Fatima" in name else None
    if path.suffix == ".txt":
        data = path.read_bytes()
    if data is not None:  # every line is in a message
        assert lines_read(df, data) == count_lines(data.replace(b"\r\n", b"\n"))


def test_a_chat_in_an_unknown_header_form_is_rejected_never_read_as_an_interview():
    path = REAL / "cas" / "Discussion WhatsApp avec Format inconnu.txt"
    assert detect_kind(path) == "whatsapp"
    with pytest.raises(IngestError, match="ressemble à une discussion.*pas un format WhatsApp connu") as err:
        _read(path)
    assert path.name in str(err.value) and err.value.line == 1


# Old Android exports whose headers have no year (layouts of real exports, see SOURCES.md):
# (year given in corpus.yaml, messages by type, senders, first and last timestamp), read from the files.
YEARLESS = {
    "cas/WhatsApp Chat with Potager des Lilas.txt": (2013, {"media": 1, "text": 7}, ("Anna Kowalska", "Paul Girard"), "2013-12-28 19:02", "2014-01-03 09:40"),
    "cas/WhatsApp Chat with Amicale Voltaire.zip": (None, {"media": 1, "system": 5, "text": 4}, ("Josiane Perret", "Karim Haddad", "Sandrine Roux"),
                                                    "2014-03-18 12:14", "2014-11-14 09:32"),
}


@pytest.mark.parametrize("name", sorted(YEARLESS))
def test_headers_without_a_year_take_it_from_corpus_yaml_or_the_zip_entry(tmp_path, name):
    from enquete.corpus import load_corpus
    from enquete.ingest import ingest_corpus

    year, types, senders, first, last = YEARLESS[name]
    shutil.copy(REAL / name, tmp_path / PurePosixPath(name).name)
    entry = f"  - file: {PurePosixPath(name).name}\n" + (f"    year: {year}\n" if year else "")
    (tmp_path / "corpus.yaml").write_text(f"documents:\n{entry}", encoding="utf-8")
    with pytest.warns(ReadingWarning, match="en-têtes sans année.*" + ("corpus.yaml" if year else "date de la discussion dans le zip \\(20/11/2014\\)")):
        df, rejects = ingest_corpus(load_corpus(tmp_path))
    assert len(rejects) == 0
    assert {k: int(v) for k, v in df["message_type"].value_counts().items()} == types
    assert tuple(sorted(df["speaker"].dropna().unique())) == senders
    assert (f"{df['timestamp'].iloc[0]:%Y-%m-%d %H:%M}", f"{df['timestamp'].iloc[-1]:%Y-%m-%d %H:%M}") == (first, last)
    assert df["timestamp"].is_monotonic_increasing  # the year turns with the months (December, then January)


def test_headers_without_a_year_and_nothing_to_date_them_are_rejected_never_an_interview(tmp_path):
    path = REAL / "cas" / "WhatsApp Chat with Potager des Lilas.txt"
    assert detect_kind(path) == "whatsapp"
    segments, rejects = ingest_paths([path])
    assert len(segments) == 0
    assert rejects["reason"].tolist() == [
        "en-têtes de messages sans année (« Dec 28, 7:02 PM - … ») : indiquez year: (l'année du premier message) "
        "pour ce document dans corpus.yaml ; non lu"
    ]


def test_ios_one_to_one_keeps_the_contact_and_its_notices_are_system():
    df = _read(REAL / "cas" / "WhatsApp Chat - Fatima.txt")
    fatima = df[df["speaker"] == "Fatima"]
    assert fatima["message_type"].tolist() == ["text", "media", "text"]
    assert df.loc[df["message_type"] == "system", "text"].str.startswith(("Les messages", "Votre code")).all()


def test_ios_group_name_is_never_a_member():
    df = _read(REAL / "cas" / "WhatsApp Chat - Jardin des Lilas.txt")
    assert "Jardin des Lilas" not in set(df["speaker"].dropna())
    assert df.loc[df["message_type"] == "system", "text"].tolist() == [
        "Les messages et les appels sont chiffrés de bout en bout. Aucun tiers, pas même WhatsApp, ne peut les lire ou les écouter.",
        "Sandrine Roux a créé ce groupe", "Sandrine Roux vous a ajouté", "Sandrine Roux a ajouté Lucie Martin", "Karim Haddad est parti",
    ]
    assert df["attachment"].dropna().tolist() == ["00000003-PHOTO-2023-05-03-19-13-01.jpg", "Compte rendu.pdf"]


def test_media_captions_calls_view_once_and_empty_messages():
    df = _read(REAL / "cas" / "Discussion WhatsApp avec Médias et appels.txt")
    got = [(s, t, m, x) for s, t, m, x in df[["speaker", "message_type", "media", "text"]].itertuples(index=False)]
    assert got[1:4] == [
        ("Karim Haddad", "text", True, "Photo du potager après la pluie"),
        ("Karim Haddad", "text", True, "La récolte de la semaine !"),
        ("Karim Haddad", "media", True, "IMG-20230412-WA0005.jpg (fichier joint)"),
    ]
    assert [t for t in df["message_type"].iloc[4:8]] == ["call", "call", "media", "location"]
    assert got[8] == ("Karim Haddad", "media", True, "")  # "Karim Haddad:" with nothing after (the phrase table's `empty`)
    assert df["attachment"].iloc[2] == "IMG-20230412-WA0004.jpg"


def test_an_empty_message_keeps_its_sender_even_when_it_is_their_only_one():
    df = _read(REAL / "cas" / "Discussion WhatsApp avec Voisins du 8.txt")
    bruno = df[df["speaker"] == "Bruno Petit"]
    assert bruno[["message_type", "text", "speaker_role", "media"]].values.tolist() == [["media", "", "member", True]]
    assert f"{bruno['timestamp'].iloc[0]:%H:%M}" == "19:07"
    assert df.loc[df["message_type"] == "system", "text"].iloc[-1] == "Bruno Petit a quitté"


def test_mixed_header_styles_are_both_read():
    with pytest.warns(ReadingWarning, match="deux formats d'en-tête"):
        df = read_document(document_for(REAL / "cas" / "Discussion WhatsApp avec Deux téléphones.txt", None))
    assert len(df) == 24 and df["text"].str.startswith("message").all()
    assert df["timestamp"].is_monotonic_increasing


def test_a_few_header_lines_of_another_format_stay_in_their_message_with_a_warning(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text("13/10/2023 10:00 - Amélie: je recopie le message de Karim :\n[13/10/2023 09:00:00] Karim: rdv demain\n"
                    "13/10/2023 10:05 - Karim: merci\n", encoding="utf-8")
    with pytest.warns(ReadingWarning, match="laissées dans le message"):
        df = read_document(document_for(path, None))
    assert df["text"].tolist() == ["je recopie le message de Karim :\n[13/10/2023 09:00:00] Karim: rdv demain", "merci"]


@pytest.mark.parametrize(("name", "order"), [("Conseil citoyen", "YMD"), ("Jardin Nord", "DMY")])
def test_date_order_from_the_whole_file(name, order):
    path = next((REAL / "cas").glob(f"*{name}.txt"))
    assert _read(path).attrs["date_order"] == order


def _colliding(folder):
    (folder / "a").mkdir(parents=True)
    (folder / "b").mkdir()
    source = REAL / "chat-miner"
    shutil.copy(source / "test_ddmmyy_24hrs.txt", folder / "X.txt")
    shutil.copy(REAL / "cas" / "WhatsApp Chat - Fatima.zip", folder / "X.zip")
    shutil.copy(REAL / "WhatsR" / "englishios24h.txt", folder / "a" / "_chat.txt")
    shutil.copy(REAL / "WhatsR" / "germanios24h.txt", folder / "b" / "_chat.txt")
    shutil.copy(source / "test_[mmddyy]_24hrs.txt", folder / "test_[mmddyy]_24hrs.txt")
    shutil.copy(source / "test_mmddyy_24hrs.txt", folder / "test_mmddyy_24hrs.txt")
    return folder


def test_ingest_reads_a_folder_of_exports_with_colliding_names(tmp_path):
    folder = _colliding(tmp_path / "exports")
    with reading_warnings("ordre des dates ambigu"):
        segments, rejects = ingest_paths([folder])
        again, _ = ingest_paths([folder])
    assert len(rejects) == 0
    ids = segments.groupby("document_id", sort=False)["source_path"].first().to_dict()
    assert len(ids) == 6 and len(set(ids.values())) == 6
    assert ids["exports_a_chat"] == "exports/a/_chat.txt" and ids["exports_b_chat"] == "exports/b/_chat.txt"
    assert {"exports_x_txt", "exports_x_zip"} <= set(ids)
    assert segments["segment_id"].tolist() == again["segment_id"].tolist()  # the same files give the same ids


def test_run_reads_a_corpus_with_colliding_names(tmp_path):
    from enquete.corpus import load_corpus
    from enquete.ingest import ingest_corpus

    folder = _colliding(tmp_path / "corpus")
    with pytest.warns(CorpusWarning, match="pas de corpus.yaml"):
        corpus = load_corpus(folder)
    with reading_warnings("ordre des dates ambigu"):
        segments, rejects = ingest_corpus(corpus)
    assert len({d.id for d in corpus.documents}) == 6 and len(rejects) == 0
    assert segments["document_id"].nunique() == 6


def test_attachment_notices_after_the_words_make_them_a_caption_and_no_message_ends_with_a_line_break():
    """The files say: « Merci ! Voici le plan des parcelles < piece jointe : 00000001-PHOTO-….jpg > »,
    two notices after « Deux photos des bacs », iOS's « Template.docx ‎<attached: 00000048-Template.docx> »,
    « Wo-bbu-ffet » then two newlines at the end of pokemon.txt."""
    garden = _read(REAL / "cas" / "Discussion WhatsApp avec Jardin partagé.txt")
    assert garden["text"].iloc[1] == "Merci ! Voici le plan des parcelles"
    assert (garden["attachment"].iloc[1], bool(garden["media"].iloc[1])) == ("00000001-PHOTO-2026-02-03-18-05-40.jpg", True)
    assert garden["attachment"].iloc[4] == "00000003-PHOTO-2026-02-04-09-16-03.jpg; 00000004-PHOTO-2026-02-04-09-16-04.jpg"
    assert garden["text"].iloc[4] == "Deux photos des bacs"
    assert garden["message_type"].iloc[5] == "media" and garden["attachment"].iloc[5] == "00000005-AUDIO-2026-02-04-09-20-45.opus"
    assert garden["text"].iloc[3] == "Les bacs sont montés, on a fini à midi\net il reste du terreau pour tout le monde."
    assert garden["text"].iloc[-1] == "Super, à jeudi !"
    musk = _read(REAL / "whats_json" / "WhatsApp Chat - Elon Musk (EN+Media).txt")
    row = musk[musk["attachment"] == "00000048-Template.docx"]
    assert row["text"].tolist() == ["Template.docx"] and row["media"].all()
    assert _read(REAL / "whatstk" / "pokemon.txt")["text"].iloc[-1] == "Wo-bbu-ffet"
    android = _read(REAL / "WhatsR" / "englishandroidampm.txt")
    assert android["text"].iloc[-1] == "Maybe next time!"
    assert "No idea, lets try it out!" in android["text"].tolist()  # the file writes « \u200eNo idea… »: WhatsApp's mark, not the member's
    assert not android["text"].str.endswith("\n").any()
