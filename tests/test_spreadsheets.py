"""Files a French spreadsheet opens: CSV written for the run's language (« ; », decimal comma,
a BOM in French), French values in French files, readable names, and all of it read back."""

from __future__ import annotations

import shutil
import warnings

import pandas as pd
import pytest
from typer.testing import CliRunner

from enquete.cli import app
from enquete.corpus import load_corpus
from enquete.errors import CorpusWarning
from enquete.io import csv_format, read_table, write_table
from enquete.runfolder import load_run
from enquete.schema import document_names, file_title
from enquete.vocabulary import internal, localise
from tests.conftest import DEMO, small_corpus

runner = CliRunner()
TABLE = pd.DataFrame(
    {
        "document_id": ["E01", "WA_1", "E02"],
        "text": ["Oui ; enfin, 3,5 euros", "=SOMME(A1)", "« le local »"],
        "share": [0.125, 1.0, float("nan")],
        "segments": [12, 1290, 0],
        "initiative": ["voisins", "voisins", None],
        "source_type": ["interview", "whatsapp", "interview"],
        "speaker_role": ["respondent", "member", "interviewer"],
        "message_type": ["turn", "media", "turn"],
    }
)


@pytest.mark.parametrize(("language", "separator", "decimal"), [("fr", ";", ","), ("en", ",", ".")])
def test_a_table_is_written_for_its_language_and_reads_back(tmp_path, language, separator, decimal):
    path = write_table(localise(TABLE, language), tmp_path / "t.csv", language)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel shows the accents
    header, first = raw.decode("utf-8-sig").splitlines()[:2]
    assert header.split(separator)[:3] == ["document_id", "text", "part" if language == "fr" else "share"]
    assert f"0{decimal}125" in first and "0.125" not in first or language == "en"
    assert csv_format(path) == (separator, decimal)
    spreadsheet = pd.read_csv(path, sep=separator, decimal=decimal, encoding="utf-8-sig")  # as the spreadsheet opens it
    assert spreadsheet.shape == TABLE.shape and spreadsheet.iloc[:, 2].dtype == float
    back = internal(read_table(path))
    assert back["text"].tolist() == TABLE["text"].tolist()  # « ; » and « , » inside a text, and the formula, intact
    pd.testing.assert_series_equal(back["share"], TABLE["share"])
    assert back["segments"].tolist() == [12, 1290, 0]
    assert back[["source_type", "speaker_role", "message_type"]].equals(TABLE[["source_type", "speaker_role", "message_type"]])
    assert back["initiative"].isna().tolist() == [False, False, True]


def test_french_files_use_french_words_and_say_what_an_empty_initiative_means():
    written = localise(TABLE, "fr")
    assert written["source_type"].tolist() == ["entretien", "WhatsApp", "entretien"]
    assert written["speaker_role"].tolist() == ["répondant", "membre", "enquêteur"]
    assert written["message_type"].tolist() == ["tour de parole", "média", "tour de parole"]
    assert written["initiative"].tolist() == ["voisins", "voisins", "initiative non précisée"]
    assert localise(TABLE, "en")["initiative"].tolist() == ["voisins", "voisins", "initiative not specified"]
    assert localise(TABLE, "en")["source_type"].tolist() == ["interview", "whatsapp", "interview"]


def test_a_file_saved_by_a_french_spreadsheet_is_read(tmp_path):
    """French Excel's « CSV (séparateur : point-virgule) », without a BOM, in cp1252-free UTF-8; and a tab-separated export."""
    path = tmp_path / "revue.csv"
    path.write_text('segment_id;codes;score_sens;text\nE01-000001;sens;0,75;"Bonjour; merci"\n', encoding="utf-8")
    table = read_table(path)
    assert table.columns.tolist() == ["segment_id", "codes", "score_sens", "text"]
    assert table["score_sens"].tolist() == [0.75] and table["text"].tolist() == ["Bonjour; merci"]
    excel = tmp_path / "revue_excel.csv"  # the layout Windows Excel in French saves: CRLF, ANSI code page, quoted texts
    excel.write_bytes('segment_id;lieu;commentaire;score_lieu\r\nE01-000001;1;"Réunion à l\'école; le local";0,5\r\n'.encode("cp1252"))
    table = read_table(excel)
    assert table["commentaire"].tolist() == ["Réunion à l'école; le local"] and table["score_lieu"].tolist() == [0.5]
    tabs = tmp_path / "tabs.csv"
    tabs.write_text("segment_id\tcodes\nE01-000001\tsens;lieu\n", encoding="utf-8")
    assert read_table(tabs)["codes"].tolist() == ["sens;lieu"]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("whatsapp/whatsapp_chat_amicale.txt", "amicale"),
        ("whatsapp/WhatsApp Chat with Femmes Acacias.txt", "Femmes Acacias"),
        ("Discussion WhatsApp avec Ensemble Bâtiment C.txt", "Ensemble Bâtiment C"),
        ("whatsapp/WhatsApp Chat - Résidence Mistral.zip", "Résidence Mistral"),
        ("reseaux/telegram_les_peupliers_entraide.json", "les peupliers entraide"),
        ("groupes/amicale des locataires/_chat.txt", "amicale des locataires"),
        ("entretiens/E03_habitante.docx", "E03 habitante"),
    ],
)
def test_a_file_without_a_name_gets_a_readable_one(path, name):
    assert file_title(path) == name


def test_document_names_prefer_the_title_and_never_share_a_name():
    segments = pd.DataFrame(
        {
            "document_id": ["WA_a", "WA_b", "WA_c", "WA_d"],
            "document_title": ["Non au parking !", None, "Voisins", "voisins"],
            "source_path": ["a.txt", "whatsapp_chat_amicale.txt", "c.txt", "d.txt"],
        }
    )
    assert document_names(segments).tolist() == ["Non au parking !", "amicale", "Voisins (WA_c)", "voisins (WA_d)"]
    assert document_names(pd.DataFrame({"document_id": ["E04"], "document_title": ["E04_acacias_zahra"]})).tolist() == ["E04 acacias zahra"]


def test_an_unlisted_file_gets_the_entry_to_paste(tmp_path):
    corpus = small_corpus(tmp_path / "c")
    shutil.copy(DEMO / "whatsapp" / "Discussion WhatsApp avec Ensemble Bâtiment C.txt", corpus / "whatsapp_chat_amicale.txt")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load_corpus(corpus)
    messages = [str(w.message) for w in caught if issubclass(w.category, CorpusWarning)]
    ids = ", ".join(loaded.initiatives)
    assert messages == [
        "whatsapp_chat_amicale.txt n'est pas dans corpus.yaml : lu quand même, sans initiative (« initiative non précisée » dans les "
        "tableaux et le rapport). Pour le décrire, ajoutez sous « documents: » de corpus.yaml :\n"
        '- file: "whatsapp_chat_amicale.txt"\n'  # indented as the file's own entries
        "  kind: whatsapp\n"
        f"  initiative: à_préciser        # l'une de : {ids}\n"
        '  name: "amicale"        # le nom du groupe dans les tableaux, les figures et le rapport'
    ]


@pytest.mark.slow
def test_every_csv_of_a_french_run_opens_in_a_french_spreadsheet(demo_run):
    _, out = demo_run
    paths = sorted(out.rglob("*.csv"))
    assert len(paths) >= 20
    for path in paths:
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path
        table = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
        assert table.shape[1] > 1 or path.name == "rejets.csv", path  # columns, not one column of commas
        assert table.columns.tolist() == read_table(path).columns.tolist(), path
    shares = pd.read_csv(out / "tables" / "facteurs_par_source.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert shares["part"].dtype == float and shares["part"].between(0, 1).all() and shares["part"].gt(0).any()
    assert {"entretien", "WhatsApp", "réseau social", "note d'observation", "document"} == set(shares["source"])
    coding = pd.read_csv(out / "codage.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert set(coding["speaker_role"]) <= {"répondant", "membre", "auteur", "observateur"} and "répondant" in set(coding["speaker_role"])
    assert coding["score_sens"].dtype == float and coding["revision"].isin(["auto", "humain"]).all()
    groups = pd.read_csv(out / "tables" / "whatsapp_groupes.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert "Non au parking !" in set(groups["groupe"]) and not groups["groupe"].str.contains("_").any()
    documents = pd.read_csv(out / "corpus_documents.csv", sep=";", decimal=",", encoding="utf-8-sig").set_index("document_id")
    assert documents.loc["WA_batiment_c", "nom"] == "Non au parking !" and documents.loc["E01", "source_type"] == "entretien"
    e04 = documents.loc["E04", "nom"]  # the title the transcript gave (its file's name « E04_acacias_fatou »), in words and pseudonymised
    assert e04.startswith("E04 acacias ") and "fatou" not in e04.lower()
    assert documents.loc["DOC_cr_bailleur", "nom"] == "Compte rendu de la rencontre avec Habitat des Ormes"  # a place allowed stays
    segments = pd.read_parquet(out / "segments.parquet")  # the code's values, whatever the language
    assert set(segments["source_type"]) == {"interview", "whatsapp", "social", "observation", "document"}


@pytest.mark.slow
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_run_reads_back_as_it_was_made(tmp_path, language):
    import enquete

    corpus = small_corpus(tmp_path / "c")
    made = enquete.Study(corpus, language=language).run(tmp_path / "out")
    loaded = load_run(tmp_path / "out")
    separator = ";" if language == "fr" else ","
    assert (tmp_path / "out" / "codage.csv").read_text(encoding="utf-8-sig").split("\n", 1)[0].count(separator) > 10
    assert set(made.tables) <= set(loaded.tables)
    for name, table in made.tables.items():
        back = loaded.tables[name]
        assert back.columns.tolist() == table.columns.tolist(), name
        pd.testing.assert_frame_equal(back, table.reset_index(drop=True), check_dtype=False, check_exact=False, atol=1e-9, obj=name)
    pd.testing.assert_frame_equal(loaded.segments, made.segments.reset_index(drop=True), check_dtype=False)
    coding = internal(read_table(tmp_path / "out" / "codage.csv"))
    assert set(coding["source_type"]) <= set(made.segments["source_type"]) and set(coding["speaker_role"]) <= {"respondent", "member"}
    assert runner.invoke(app, ["code", str(tmp_path / "out" / "codage.csv"), "--out", str(tmp_path / "recoded.csv")]).exit_code == 0
