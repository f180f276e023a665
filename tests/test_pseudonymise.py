"""Pseudonymisation: detection, consistency, styles, key handling, and zero leaks in outputs/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from enquete.cli import app
from enquete.corpus import Document
from enquete.ingest.common import finish
from enquete.io import read_table, write_table
from enquete.pseudonymise import common_words, may_name, pseudonymise
from enquete.pseudonymise.patterns import ADDRESS, DOOR_CODE, DWELLING, FOLDERS, PHONE, may_be_dwelling
from enquete.schema import document_text, validate_segments
from tests.conftest import FIXTURES
from tests.leakscan import home_folders, scan

PII = FIXTURES / "pii_corpus"
PLANTED = yaml.safe_load((PII / "planted.yaml").read_text(encoding="utf-8"))
ALL_PLANTED = sorted({v for values in PLANTED.values() for v in values})
runner = CliRunner()


def table(rows, source_type="whatsapp", doc="D1"):
    """A small segment table: rows of (speaker, text)."""
    document = Document(id=doc, path=None, relpath=f"{doc}.txt")
    return finish(
        {
            "speaker": [s for s, _ in rows],
            "speaker_role": ["member" if source_type == "whatsapp" else "respondent"] * len(rows),
            "timestamp": pd.Timestamp("2023-01-15 18:00") if source_type == "whatsapp" else pd.NaT,
            "message_type": ["text" if source_type == "whatsapp" else "turn"] * len(rows),
            "text": [t for _, t in rows],
        },
        document,
        source_type,
    )


def run_pseudo(df, **kwargs):
    kwargs.setdefault("use_ner", True)
    result = pseudonymise(df, **kwargs)
    validate_segments(result.segments)
    return result


# --- patterns -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    ["06 12 34 56 78", "06.12.34.56.78", "0612345678", "+33 6 12 34 56 78", "0033 6 12 34 56 78", "+33 (0)6 12 34 56 78",
     "06-12-34-56-78", "+44 20 7946 0958", "+1 514 555 0199"],
)
def test_phone_formats(phone):
    assert PHONE.search(f"appelle au {phone} stp").group() == phone


@pytest.mark.parametrize("text", ["IMG-2023-04-10-17-08-52.jpg", "le 12/03/2023 à 18h", "10 000 euros", "2020-04-10"])
def test_not_phones(text):
    assert PHONE.search(text) is None


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("J'habite au 12 rue des Glycines depuis 1991.", "12 rue des Glycines"),
        ("au 4 allée des Tilleuls, près du parc", "4 allée des Tilleuls"),
        ("local au 3 bis avenue Jean Jaurès et on mange", "3 bis avenue Jean Jaurès"),
        ("au 7, boulevard de la Villette depuis", "7, boulevard de la Villette"),
        ("le 18 Rue Saint-Maur à Paris", "18 Rue Saint-Maur"),
    ],
)
def test_addresses_have_bounded_endings(text, address):
    assert ADDRESS.search(text).group() == address


def test_dwellings_and_door_codes():
    assert DWELLING.search("au bâtiment B, 3e étage, porte 12 depuis").group() == "bâtiment B, 3e étage, porte 12"
    assert DWELLING.search("Bât 2 porte 14 !").group() == "Bât 2 porte 14"
    assert DWELLING.search("le bâtiment C a voté") is None
    assert DOOR_CODE.search("Le code de la porte c'est le 4521B").group(1) == "4521B"
    assert DOOR_CODE.search("digicode du local : 1984").group(1) == "1984"
    assert DOOR_CODE.search("le digicode du local c'est 5B73").group(1) == "5B73"
    assert DOOR_CODE.search("le code de conduite") is None
    assert DWELLING.search("elle supporte 12 enfants") is None  # a door number starts a word
    assert all(may_be_dwelling(t) for t in ("bâtiment B, 3e étage", "BÂT 2 porte 14", "Appt 5", "premier étage, escalier A", "N° 12"))


def test_only_texts_that_may_hold_a_name_go_through_ner():
    common = common_words(["bonjour à tous", "merci pour la soupe", "petit rappel", "on se voit au square"])
    assert not may_name("Bonjour à tous, merci pour la soupe !", common)
    assert not may_name("Petit rappel : on se voit au square", common)
    assert may_name("Merci Nadia", common)  # a known first name
    assert may_name("Mme Kouyaté a appelé", common)  # a title
    assert may_name("Rendez-vous chez les Vasseur", common)  # never written in lower case here
    assert not may_name("Merci Nadia", common, known=frozenset({"nadia", "benali"}))  # a known person
    language = frozenset({"info", "petite", "question", "marchand", "soupe"})
    assert not may_name("Info : soupe demain", common, words_of_language=language)  # a word of the language, alone
    assert not may_name("Petite question pour demain", common, words_of_language=language)
    assert may_name("Info : soupe demain", common)  # without the dictionary, a word never written in lower case
    assert not may_name("le local est au 3 rue des Glycines", common)  # inside a place's name: never a person
    assert may_name("Chez Glycines demain", common)
    known = frozenset({"nadia"})
    assert may_name("Nadia Marchand passe demain", common, known, language)  # a surname that is a word, after a name
    assert may_name("Marchand Nadia passe demain", common, known, language)
    assert may_name("on attend monsieur Marchand", common, known, language)  # after a title, in any case


@pytest.mark.parametrize(
    "text, folders",
    [
        (r"Fichier audio : C:\Users\marie.dupont\Documents\Enquête Lilas\entretien_P04.mp3", "C:\\Users\\marie.dupont\\Documents\\Enquête Lilas\\"),
        ("Audio file: C:/Users/marie.dupont/OneDrive/E04.wav", "C:/Users/marie.dupont/OneDrive/"),
        ("NOTE Transcribed with noScribe vers. 0.7 Audio file: /home/marie/entretiens/E04.mp3 (Language: English (en) | x: 1)", "/home/marie/entretiens/"),
        ("voir file:///Users/jdupont/Desktop/E1.m4a et puis oui/non", "file:///Users/jdupont/Desktop/"),
        (r"\\serveur\homes\mdurand\E2.wav", "\\\\serveur\\homes\\mdurand\\"),
        (r"C:\Users\marie\x.mp3 et puis oui/non", "C:\\Users\\marie\\"),  # the folders only, not the words after the file
        ("Audio file: ./Ein Gespräch.mp3", None),  # beside the transcript: no folder named
        ("de 9h/12h, oui/non, et/ou, 1/2, https://exemple.org/home/marie/", None),
    ],
)
def test_the_folders_of_a_path_are_found(text, folders):
    found = [m.group() for m in FOLDERS.finditer(text)]
    assert found == ([folders] if folders else [])


def test_a_path_keeps_its_file_name_and_loses_its_folders():
    df = table([("S00", "Fichier audio : C:\\Users\\marie.dupont\\Documents\\entretien_P04.mp3 (Langue : French (fr))")], "interview")
    result = run_pseudo(df, use_ner=False)
    assert result.segments["text"].tolist() == ["Fichier audio : entretien_P04.mp3 (Langue : French (fr))"]
    assert result.replacements[["entity", "original", "pseudonym"]].values.tolist() == [["PATH", "C:\\Users\\marie.dupont\\Documents\\", ""]]
    assert result.summary("fr")["entity"].tolist() == ["CHEMIN"]


@pytest.mark.parametrize("name, user", [("entretien_P04.html", "marie.dupont"), ("entretien_P05.vtt", "hdurand"), ("entretien_P06.txt", "sylvie.marchand")])
def test_noscribe_headers_name_the_audio_file_without_its_folders(name, user):
    """noScribe writes the audio file's full path in its header (HTML, WebVTT NOTE, text): the
    header is a metadata row, and pseudonymisation leaves the file's name only."""
    from enquete.ingest import read_transcript

    df = read_transcript(PII / name, Document(id="P", path=PII / name, relpath=name, interviewer=["S00"]))
    header = df.loc[df["message_type"] == "metadata", "text"].str.cat(sep="\n")
    assert user in header and "Fichier audio" in header
    assert df.loc[df["message_type"] == "turn", "speaker"].unique().tolist() == ["S00", "S01"]
    after = run_pseudo(df, use_ner=False).segments
    assert user not in after["text"].str.cat(sep="\n") and f"Fichier audio : {name.split('.')[0]}." in after["text"].str.cat(sep="\n")


def test_the_manifest_names_the_corpus_without_the_home_folder(tmp_path, monkeypatch):

    from enquete.reproducibility import corpus_from, corpus_location

    home = tmp_path / "marie.dupont"
    monkeypatch.setenv("HOME", str(home))
    corpus, beside, elsewhere = home / "Enquêtes" / "corpus", home / "Enquêtes" / "sorties", tmp_path / "ailleurs" / "sorties"
    for folder in (corpus, beside, elsewhere):
        folder.mkdir(parents=True)
    assert corpus_location(corpus, beside) == "../corpus"
    assert corpus_location(corpus, corpus / "outputs") == ".."
    assert corpus_location(corpus, elsewhere) == "~/Enquêtes/corpus"  # not ../../marie.dupont/…
    for out in (beside, corpus / "outputs", elsewhere):
        assert corpus_from({"corpus": corpus_location(corpus, out)}, out) == corpus.resolve()


# --- people ---------------------------------------------------------------------------


def test_same_person_same_pseudonym_everywhere_including_speakers():
    wa = table([("Nadia Benali", "Bonjour à tous"), ("Karim", "Merci Nadia !"), ("Karim", "merci nadia 🙏")])
    itv = table([("Enquêtrice", "Vous connaissez Nadia Benali ?"), ("Martine", "Oui, Mme Benali est au bureau.")], "interview", "E1")
    result = run_pseudo(pd.concat([wa, itv], ignore_index=True))
    out = result.segments
    pseudo = out["speaker"].iloc[0]
    first, last = pseudo.split()
    assert pseudo != "Nadia Benali"
    assert out["text"].tolist()[1:] == [f"Merci {first} !", f"merci {first} 🙏", f"Vous connaissez {pseudo} ?", f"Oui, Mme {last} est au bureau."]
    assert out["speaker"].tolist()[3] == "Enquêtrice"
    assert out["speaker"].iloc[4] != "Martine" and out["speaker"].iloc[1] != "Karim"
    text = document_text(out[out["document_id"] == "E1"])
    assert all(text[s:e] == t for s, e, t in zip(out["start_char"][3:], out["end_char"][3:], out["text"][3:]))


def test_names_and_numbers_in_styled_letters_are_found():
    df = table([("Martine Lefèvre", "Bonjour"), ("Karim", "Merci 𝐌𝐚𝐫𝐭𝐢𝐧𝐞 ! Ｍａｒｔｉｎｅ au 𝟎𝟔 𝟏𝟐 𝟑𝟒 𝟓𝟔 𝟕𝟖")])
    out = run_pseudo(df).segments
    first = out["speaker"].iloc[0].split()[0]
    assert out["text"].iloc[1] == f"Merci {first} ! {first} au [TÉLÉPHONE]"


def test_a_person_named_only_in_a_full_name_mention_keeps_no_surname():
    done = pseudonymise(table([("Amélie", "@Sylvie Marchand je passe ce soir avec les clés"), ("Karim", "@Sylvie Merci pour hier"),
                               ("Karim", "le marchand de légumes viendra aussi")]), use_ner=False)
    texts = done.segments["text"].tolist()
    assert "Sylvie" not in " ".join(texts) and "Marchand" not in " ".join(texts)
    assert texts[2] == "le marchand de légumes viendra aussi"  # the ordinary word stays
    full, first = texts[0].split(" je ")[0][1:], texts[1].split(" Merci")[0][1:]
    assert full.split()[0] == first, "one person, one pseudonym"


@pytest.mark.parametrize("title, gender", [("Monsieur", "m"), ("M.", "m"), ("Madame", "f"), ("Mme", "f")])
def test_a_pseudonym_agrees_with_the_title_written_before_it(title, gender):
    from enquete.pseudonymise.names import name_lists

    names = ["Rachid Amrani", "Camille Roux", "Dominique Leroy", "Claude Martin"]  # first names the lists may not know
    rows = [(n, "Bonjour") for n in names] + [("Karim", f"On a vu {title} {n} au marché") for n in names]
    done = pseudonymise(table(rows), use_ner=False)
    key = done.key.set_index("original")
    for name in names:
        first = key.loc[name, "pseudo_first"]
        assert name_lists().gender(first) == gender, f"{title} {name} → {first}"


def test_tags_style():
    df = table([("Nadia Benali", "Mon numéro : 06 12 34 56 78, écris à nadia@exemple.fr"), ("Karim", "ok Nadia")])
    out = run_pseudo(df, style="tags").segments
    assert out["speaker"].tolist() == ["[PERSONNE_01]", "[PERSONNE_02]"] or out["speaker"].tolist() == ["[PERSONNE_02]", "[PERSONNE_01]"]
    nadia = out["speaker"].iloc[0]
    assert out["text"].tolist() == ["Mon numéro : [TÉLÉPHONE], écris à [EMAIL]", f"ok {nadia}"]


def test_phone_number_senders_become_persons():
    df = table([("\u202a+33 6 45 78 12 90\u202c".strip("\u202a\u202c"), "Bonjour"), ("Karim", "Salut")])
    out = run_pseudo(df).segments
    assert "+33" not in out["speaker"].iloc[0] and out["speaker"].iloc[0][:1].isupper()


def test_false_positives_are_avoided():
    itv = table(
        [("E", "Réunion demain ?"), ("R", "Oui. Petit rappel : la fête au Square Voltaire."), ("E", "Le bâtiment C vote.")],
        "interview",
    )
    out = run_pseudo(itv, allow=["Square Voltaire"]).segments
    assert out["text"].tolist() == ["Réunion demain ?", "Oui. Petit rappel : la fête au Square Voltaire.", "Le bâtiment C vote."]
    assert out["speaker"].tolist() == ["E", "R", "E"]


def test_allow_and_deny_lists_and_user_names():
    df = table([("Karim", "La Bastringue chez Honorine Dupuis-Vasseur, au Jardin Lamartine")])
    out = run_pseudo(df, allow=["Jardin Lamartine"], deny=["Bastringue"], names=["Honorine Dupuis-Vasseur"]).segments
    text = out["text"].iloc[0]
    assert "[MASQUÉ]" in text and "Honorine" not in text and "Jardin Lamartine" in text


def test_previous_key_keeps_pseudonyms_stable_and_is_deterministic():
    df = table([("Nadia Benali", "Bonjour"), ("Karim Belkacem", "Salut Nadia")])
    first = run_pseudo(df)
    again = run_pseudo(df)
    assert first.segments["text"].tolist() == again.segments["text"].tolist()
    grown = pd.concat([table([("Zoé Martin", "coucou")], doc="D0"), df], ignore_index=True)
    reused = run_pseudo(grown, previous_key=first.key)
    assert reused.segments["speaker"].tolist()[1:] == first.segments["speaker"].tolist()


def test_a_kept_key_is_a_fixed_point_even_for_senders_known_by_their_number_only(tmp_path):
    df = table([("+33 6 71 28 44 19", "Bonjour"), ("+33 7 52 18 90 33", "Salut"), ("+33 6 98 41 25 07", "Coucou"), ("Nadia Benali", "Hello")])
    first = run_pseudo(df, use_ner=False)
    assert first.segments["speaker"].nunique() == 4
    saved = write_table(first.key, tmp_path / "pseudonymes.csv")  # as the run keeps it (formula-safe CSV)
    second = run_pseudo(df, use_ner=False, previous_key=read_table(saved))
    assert second.segments["speaker"].tolist() == first.segments["speaker"].tolist()
    assert second.key.equals(first.key)


def test_pseudonyms_never_reuse_a_real_name_of_the_corpus():
    names = ["Nadia Benali", "Karim Belkacem", "Sylvie Martin", "Léa Dubois", "Hugo Petit", "Anaïs Roche"]
    df = table([(n, "Bonjour") for n in names])
    pseudos = run_pseudo(df, use_ner=False).segments["speaker"].tolist()
    real_words = {w for n in names for w in n.split()}
    assert not real_words & {w for p in pseudos for w in p.split()}


def test_file_names_and_document_ids_are_pseudonymised():
    df = table([("Nadia Benali", "Bonjour")], doc="discussion_avec_nadia_benali")
    df["source_path"] = "Discussion WhatsApp avec Nadia Benali.txt"
    out = run_pseudo(df).segments
    assert "nadia" not in out["document_id"].iloc[0].lower() and "Nadia" not in out["source_path"].iloc[0]
    assert out["segment_id"].iloc[0].startswith(out["document_id"].iloc[0])


def test_summary_has_counts_and_no_originals():
    df = table([("Nadia Benali", "06 12 34 56 78")])
    result = run_pseudo(df)
    summary = result.summary()
    assert set(summary.columns) == {"document_id", "entity", "replacements"} and "PERSON" in set(summary["entity"])
    french = result.summary("fr")  # as written in a French run's outputs
    assert set(french.columns) == {"document_id", "entity", "remplacements"} and {"PERSONNE", "TELEPHONE"} <= set(french["entity"])
    assert "Nadia" not in summary.to_csv()
    assert set(result.replacements["original"]) >= {"Nadia Benali", "06 12 34 56 78"}


# --- the last line of defence ---------------------------------------------------------


def _copy_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(PII, corpus)
    (corpus / "planted.yaml").unlink()
    return corpus


@pytest.mark.slow
def test_no_planted_value_leaks_into_any_output(tmp_path):
    corpus = _copy_corpus(tmp_path)
    out = tmp_path / "outputs"
    result = runner.invoke(app, ["run", str(corpus), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir())  # something was written
    assert scan(out, ALL_PLANTED) == []
    assert home_folders(out) == []  # noScribe's audio paths: no user's folder, planted or not
    key = corpus / ".enquete-private" / "pseudonymes.csv"
    assert key.is_file() and "Gisèle Marchadier" in key.read_text(encoding="utf-8-sig")
    assert not list(out.rglob("pseudonymes*"))


@pytest.mark.slow
def test_the_scanner_finds_what_is_there_without_pseudonymisation(tmp_path):
    corpus = _copy_corpus(tmp_path)
    out = tmp_path / "outputs"
    result = runner.invoke(app, ["run", str(corpus), "--out", str(out), "--no-pseudonymise"])
    assert result.exit_code == 0 and "PSEUDONYMISATION DÉSACTIVÉE" in result.output
    found = {value for _, value in scan(out, ALL_PLANTED)}
    assert {"Gisèle Marchadier", "0612345678", "y.fontanel@bailleur-exemple.fr", "27 rue Lamartine", "marie.dupont", "hdurand"} <= found
    assert {user for _, user in home_folders(out)} >= {"C:\\Users\\marie.dupont", "/home/hdurand"}


@pytest.mark.slow
def test_irreversible_mode_keeps_no_key(tmp_path):
    corpus = _copy_corpus(tmp_path)
    (corpus / "corpus.yaml").write_text(
        (corpus / "corpus.yaml").read_text(encoding="utf-8") + "settings:\n  keep_pseudonym_key: false\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["run", str(corpus), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    private = corpus / ".enquete-private"
    assert not (private / "pseudonymes.csv").exists() and not (private / "remplacements.csv").exists()
    # only the analysis cache of pseudonymised texts, the entity cache as offsets, and the word list of
    # the language (built from spaCy's tables, no text of the corpus: it holds first names as words)
    found = [(file, value) for file, value in scan(private, ALL_PLANTED) if not Path(file).name.startswith("dictionnaire-")]
    assert found == []
    assert scan(tmp_path / "o", ALL_PLANTED) == [] and home_folders(tmp_path / "o") == []


@pytest.mark.slow
def test_private_folder_inside_outputs_is_refused(tmp_path):
    corpus = _copy_corpus(tmp_path)
    result = runner.invoke(app, ["run", str(corpus), "--out", str(corpus / ".enquete-private" / "out")])
    assert result.exit_code == 1 and "doivent être séparés" in result.output


def test_pseudonymise_command_round_trip(tmp_path):
    segments = tmp_path / "seg.parquet"
    assert runner.invoke(app, ["ingest", str(PII / "entretien_gisele.txt"), "--out", str(segments)]).exit_code == 0
    out_dir = tmp_path / "pseudo"
    result = runner.invoke(
        app, ["pseudonymise", str(segments), "--out", str(out_dir / "p.csv"), "--private-dir", str(tmp_path / "secret"), "--style", "tags"]
    )
    assert result.exit_code == 0, result.output
    assert scan(out_dir, ["Gisèle Marchadier", "Koulibaly", "06 12 34 56 78", "27 rue Lamartine"]) == []
    assert (tmp_path / "secret" / "pseudonymes.csv").is_file()
    text = (out_dir / "p.csv").read_text(encoding="utf-8-sig")
    assert "[PERSONNE_" in text and "[TÉLÉPHONE]" in text and "[ADRESSE]" in text


def test_private_folder_and_outputs_never_hold_each_other(tmp_path):
    from enquete.errors import CorpusError
    from enquete.private import private_dir
    from enquete.settings import DEFAULTS

    assert private_dir(tmp_path, DEFAULTS, tmp_path / "p.csv") == (tmp_path / ".enquete-private").resolve()  # a table beside it
    for out in (tmp_path, tmp_path / ".enquete-private", tmp_path / ".enquete-private" / "p.csv"):
        with pytest.raises(CorpusError, match="séparés"):
            private_dir(tmp_path, DEFAULTS, out)
    secret = tmp_path / "secret"
    result = runner.invoke(app, ["pseudonymise", str(tmp_path / "seg.csv"), "--out", str(secret / "p.csv"), "--private-dir", str(secret)])
    assert result.exit_code == 1 and "séparés" in result.output
