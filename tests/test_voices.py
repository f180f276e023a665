"""Residents' words and voices kept exactly (issue #30), on real French transcripts.

tests/fixtures/real/voix.yaml says, per real fixture, how many people speak, which place
names it writes and which person names. Reading must find no more speakers than people;
pseudonymisation must change no word of the language written in lower case, give no place
a person's pseudonym, and say what it replaced without original values in the outputs.
"""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from enquete import nlp
from enquete.cli import app
from enquete.corpus import load_corpus
from enquete.ingest import ingest_paths, read_transcript, speaker_flags, speakers_by_document
from enquete.io import read_table
from enquete.labels import is_role_label
from enquete.pseudonymise import pseudonymise
from enquete.pseudonymise.names import name_lists
from enquete.pseudonymise.patterns import PHONE
from enquete.pseudonymise.places import place_spans
from enquete.words import fold
from tests.conftest import DEMO, FIXTURES

REAL = FIXTURES / "real" / "transcripts"
GOLD = yaml.safe_load((FIXTURES / "real" / "voix.yaml").read_text(encoding="utf-8"))["transcripts"]
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
runner = CliRunner()


@pytest.fixture(scope="module")
def real():
    """The real fixtures of voix.yaml read as one corpus, and pseudonymised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        segments, _ = ingest_paths([REAL / name for name in GOLD])
    return segments, pseudonymise(segments)


def lowercase_words_replaced(segments: pd.DataFrame, result) -> list[str]:
    """Lower-case words of the language inside a span replaced as a person or a place."""
    language = nlp.dictionary()
    words = []
    for text in segments["text"].unique():
        for start, end, entity, replacement in result.labeller.spans(text):
            if entity in ("PERSON", "PLACE"):
                kept = set(WORD.findall(replacement))  # a title kept in the pseudonym ("monsieur Perrin")
                words += [w for w in WORD.findall(text[start:end]) if w[:1].islower() and w not in kept and fold(w) in language]
    return words


@pytest.mark.parametrize("name", sorted(n for n, g in GOLD.items() if "people" in g))
def test_no_more_speakers_than_people(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = read_transcript(REAL / name)
    speakers = df.loc[df["message_type"] == "turn", "speaker"].dropna().unique()
    assert len(speakers) in (0, GOLD[name]["people"]), speakers  # 0: a file without labels (subtitles)


def test_no_word_of_the_language_in_lower_case_is_rewritten(real):
    segments, result = real
    assert lowercase_words_replaced(segments, result) == []
    before = " ".join(segments["text"])
    for word in ("nouvelle", "noël", "inspiration", "juste", "voilà"):
        assert re.search(rf"(?<!\w){word}(?!\w)", before)  # the fixtures do write them
    for text in segments["text"]:
        new = result.labeller.replace(text)[0]
        for word in ("nouvelle", "noël", "inspiration", "juste", "voilà"):
            assert len(re.findall(rf"(?<!\w){word}(?!\w)", new)) == len(re.findall(rf"(?<!\w){word}(?!\w)", text))


@pytest.mark.slow
def test_no_word_of_the_language_in_lower_case_is_rewritten_in_the_demo(demo_segments):
    segments, _ = demo_segments
    corpus = load_corpus(DEMO)
    config = corpus.manifest.pseudonymisation
    result = pseudonymise(segments, names=config.names, allow=corpus.manifest.kept_names(), deny=config.deny)
    assert lowercase_words_replaced(segments, result) == []


def test_places_keep_their_name_or_get_a_place_tag_never_a_person(real):
    segments, result = real
    checked = 0
    for path, text in zip(segments["source_path"], segments["text"]):
        for place in GOLD[Path(path).name].get("places", []):
            for m in re.finditer(re.escape(place), text):
                checked += 1
                covering = [s for s in result.labeller.spans(text) if s[0] < m.end() and m.start() < s[1]]
                assert all(entity == "PLACE" for _, _, entity, _ in covering), (place, covering)
    assert checked >= 20
    new = " ".join(result.labeller.replace(t)[0] for t in segments["text"])
    assert "Saint-Gaudens" in new and "Castelnau-de-Montmirail" in new and "Saint-Jean-de-Luz" in new  # towns kept
    assert "lycée [LIEU_" in new and "maison de quartier [LIEU_" in new  # institutions named after people: a place tag
    assert "l'école Jules Ferry" in new and "à Lyon" in new  # named with words of the language, a town: kept


def test_person_names_of_the_gold_are_replaced(real):
    segments, result = real
    new = " ".join(result.labeller.replace(t)[0] for t in segments["text"])
    for name in ("Suzanne Rolland", "Jean-Pierre Vidal", "Christine Le Guérec", "Paul Martin", "Jean Dupont", "Luc Bernard"):
        assert name not in new
    assert "Monsieur Pignon" not in new


def test_annotations_opening_a_line_stay_in_the_turn_before():
    df = read_transcript(REAL / "entretien_annotations_fr.txt")
    turns = df[df["message_type"] == "turn"]
    assert set(turns["speaker"]) == {"E", "L"}
    assert turns.iloc[2]["text"].endswith("[inspiration de L]") and turns.iloc[2]["speaker"] == "L"
    assert "[claquement de langue]" in turns.iloc[1]["text"]
    assert df.loc[df["message_type"] == "metadata", "text"].tolist()[:2] == [
        "Entretien 12 – habitante du quartier Bellevue, 14 novembre 2023", "Top."]
    assert "[bruit de moteur]" in df["annotations"].dropna().str.cat(sep=";")
    question = turns[turns["text"].str.contains("l'école était loin")]
    assert question["speaker_role"].tolist() == ["interviewer"]


def test_header_blocks_are_metadata():
    for name, header in (("otter_resume_fr.docx", ["SUMMARY KEYWORDS", "SPEAKERS"]),
                         ("pseudobsidian_entretien_03.md", ["Corpus : UJAA-2026", "Enquêtrice : INV"])):
        df = read_transcript(REAL / name)
        meta = df.loc[df["message_type"] == "metadata", "text"].tolist()
        assert all(h in meta for h in header), meta


@pytest.mark.parametrize("label", ["Expérimentateur", "SC01", "Checheur", "INV", "PAR", "Enquetrce", "B", "spk_1", "speaker_0", "Guest-2"])
def test_role_labels_and_speaker_codes_are_not_names(label):
    assert is_role_label(label)


@pytest.mark.parametrize("label", ["Martine", "Martin", "Charlie", "Suzanne Hamidi"])
def test_names_are_not_role_labels(label):
    assert not is_role_label(label)


def test_a_title_with_dates_is_no_phone_number():
    assert PHONE.search("Entretien 01 24.10.03 01") is None
    assert PHONE.search("01 24 10 03 01").group() == "01 24 10 03 01"


@pytest.mark.parametrize(
    "text, places",
    [("on est arrivés de Saint-Gaudens, du côté de Saint-Gaudens", ["Saint-Gaudens", "Saint-Gaudens"]),
     ("au lycée Jean Jaurès, à Castelnau-de-Montmirail", ["Jean Jaurès", "Castelnau-de-Montmirail"]),
     ("la maison de quartier Pablo Neruda", ["Pablo Neruda"]),
     ("la place de Nadia dans l'association", []),
     ("Tu connais Paul Martin, qui travaille à Saint-Paul ?", ["Saint-Paul"])],
)
def test_place_shapes(text, places):
    assert [text[s:e] for s, e, _ in place_spans(text)] == places


def _group(rows):
    from tests.test_pseudonymise import table

    return table(rows)


ESTATES = ["Ormes", "Tilleuls", "Peupliers", "Genêts", "Bruyères", "Glycines", "Acacias", "Bouleaux"]


@pytest.mark.parametrize("estate", ESTATES)
@pytest.mark.parametrize("sentence", ["Le comité des {} a écrit au bailleur.", "Les {} ont voté contre la démolition.",
                                      "Martine habite les {}.", "C'est Karim qui s'occupe des {}.", "Ceux des {} ne viennent jamais."])
def test_an_estate_named_after_trees_or_flowers_is_no_person(estate, sentence):
    """A plural common noun ("les Ormes", "des Genêts") is a word of the language, whatever NER says."""
    text = sentence.format(estate)
    result = pseudonymise(_group([("Paul Roche", text)]), style="tags")
    assert estate in result.segments["text"].iloc[0]
    assert estate not in result.replacements["original"].str.cat(sep=" ")


def test_a_sender_named_with_an_estate_keeps_the_estate_in_the_texts():
    """WhatsApp contacts saved with their building ("Nadia Les Ormes", "Gardien Tilleuls"): the
    estate is not their surname, and « les Ormes » in a message stays."""
    rows = [("Nadia Les Ormes", "Bonjour, réunion aux Ormes samedi"), ("Gardien Tilleuls", "Les Tilleuls sont fermés demain"),
            ("Amicale des Glycines", "La fête des Glycines est annulée"), ("Paul", "Les Ormes et les Tilleuls ensemble, merci Nadia !")]
    result = pseudonymise(_group(rows), style="tags")
    texts = result.segments["text"].tolist()
    assert texts[:3] == [t for _, t in rows[:3]]
    assert texts[3] == "Les Ormes et les Tilleuls ensemble, merci [PERSONNE_01] !"
    assert not result.segments["speaker"].isin([s for s, _ in rows]).any()  # the senders themselves are still replaced


def test_a_named_estate_is_tagged_the_same_everywhere():
    result = pseudonymise(_group([("Paul Roche", "La résidence Les Ormes et le quartier des Tilleuls."), ("Paul Roche", "Aux Ormes, aux Tilleuls.")]), style="tags")
    first, second = result.segments["text"]
    tags = re.findall(r"\[LIEU_\d+\]", first)
    assert len(set(tags)) == 2 and second == f"Aux {tags[0]}, aux {tags[1]}."


def test_a_first_name_alone_gets_the_pseudonym_first_name_and_its_gender():
    result = pseudonymise(_group([("Dmitry Starkov", "Bonjour"), ("Suzanne Hamidi", "Merci Dmitry, et la réunion avec Hamidi ?")]), use_ner=False)
    key = result.key.set_index("original")
    text = result.segments["text"].iloc[1]
    assert text == f"Merci {key.loc['Dmitry Starkov', 'pseudo_first']}, et la réunion avec {key.loc['Suzanne Hamidi', 'pseudo_last']} ?"
    assert name_lists().gender(key.loc["Dmitry Starkov", "pseudo_first"]) == "m"
    assert name_lists().gender(key.loc["Suzanne Hamidi", "pseudo_first"]) == "f"


def test_handles_and_attachments_are_pseudonymised_like_the_member_they_name():
    df = _group([("Dmitry Starkov", "Mon CV"), ("Suzanne Hamidi", "Merci @dmitry_starkov, vois avec @suzyhamidi")])
    df["attachment"] = pd.array(["Resume-Dmitry-Starkov.pdf", None], dtype="string")
    result = pseudonymise(df, use_ner=False)
    first, last = result.key.set_index("original").loc["Dmitry Starkov", ["pseudo_first", "pseudo_last"]]
    assert result.segments["attachment"].iloc[0] == f"Resume-{first}-{last}.pdf"
    text = result.segments["text"].iloc[1]
    assert f"@{fold(first)}_{fold(last)}" in text and "dmitry" not in text.lower() and "hamidi" not in text.lower()


def test_the_review_list_holds_no_original_in_outputs(real):
    _, result = real
    public, private = result.review("fr"), result.review("fr", originals=True)
    assert len(public) and set(public.columns) == {"entity", "repere_par", "remplace_par", "occurrences", "documents"}
    assert "forme_originale" in private.columns and "Jean Jaurès" in set(private["forme_originale"])
    assert public["occurrences"].sum() == private["occurrences"].sum()
    originals = set(private["forme_originale"])
    assert not originals & set(public.astype(str).to_numpy().ravel())


def test_speakers_by_document_and_flags():
    segments, _ = ingest_paths([REAL / "noscribe_interview.html", REAL / "entretien_annotations_fr.txt"])
    table = speakers_by_document(segments)
    assert table.loc[table["document_id"] == "entretien_annotations_fr", "speaker"].tolist() == ["L", "E"]
    assert speaker_flags(segments) == ["noscribe_interview : locuteur(s) vu(s) une seule fois : S02"]


def test_corpus_info_lists_speakers_and_flags_invented_ones(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "entretien.txt").write_text(
        "E : bonjour\nL : bonjour\n" + "".join(f"Bruit{i} : un bruit\nE : et alors ?\nL : oui\n" for i in range(4)), encoding="utf-8")
    result = runner.invoke(app, ["corpus", "info", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "Locuteurs des transcriptions" in result.output
    assert "6 locuteurs pour un entretien" in result.output and "vu(s) une seule fois" in result.output


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_a_table_written_by_ingest_is_read_back_by_pseudonymise(tmp_path, suffix):
    chat = FIXTURES / "real" / "whatsapp" / "cas" / "Discussion WhatsApp avec Médias et appels.txt"
    table = tmp_path / f"segments{suffix}"
    written = runner.invoke(app, ["ingest", str(chat), str(REAL / "entretien_annotations_fr.txt"), "--out", str(table)])
    assert written.exit_code == 0, written.output
    assert (read_table(table)["text"].isna() | (read_table(table)["text"] == "")).any()  # empty texts: the case that failed
    out = tmp_path / f"pseudo{suffix}"
    result = runner.invoke(app, ["pseudonymise", str(table), "--out", str(out), "--private-dir", str(tmp_path / "secret")])
    assert result.exit_code == 0, result.output
    assert len(read_table(out)) == len(read_table(table))
    assert (tmp_path / "secret" / "pseudonymisation_a_verifier.csv").is_file() and out.with_name(out.stem + ".a_verifier.csv").is_file()


def test_run_writes_the_review_list_and_counts_it_in_the_method_section(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "pii_corpus", corpus, ignore=shutil.ignore_patterns(".enquete-private"))
    (corpus / "planted.yaml").unlink()
    shutil.copy(REAL / "entretien_annotations_fr.txt", corpus)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(corpus), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "pseudonymisation à vérifier" in " ".join(result.output.split())
    public = read_table(out / "pseudonymisation_a_verifier.csv")
    private = read_table(corpus / ".enquete-private" / "pseudonymisation_a_verifier.csv")
    assert len(public) and "forme_originale" not in public.columns and "forme_originale" in private.columns
    import docx

    report = "\n".join(p.text for p in docx.Document(out / "rapport_restitution.docx").paragraphs)
    assert f"{len(public)} formes remplacées sans avoir été données" in report
    segments = pd.read_parquet(out / "segments.parquet")
    assert "lycée [LIEU_" in " ".join(segments["text"]) and "Saint-Gaudens" in " ".join(segments["text"])


def test_a_member_named_like_a_town_stays_a_person():
    result = pseudonymise(_group([("Nancy Martin", "Bonjour"), ("Paul Roche", "Merci Nancy, on se voit au lycée Jean Jaurès, à Toulouse")]))
    first = result.key.set_index("original").loc["Nancy Martin", "pseudo_first"]
    assert result.segments["text"].iloc[1] == f"Merci {first}, on se voit au lycée [LIEU_01], à Toulouse"


def test_the_dictionary_is_kept_in_the_cache_folder_and_read_back(tmp_path):
    built = nlp.dictionary(cache_dir=tmp_path)
    files = list(tmp_path.glob("dictionnaire-*.txt"))
    assert len(files) == 1 and files[0].read_text(encoding="utf-8").count("\n") + 1 == len(built)
    files[0].write_text("orme\normes", encoding="utf-8")  # read back, not rebuilt
    nlp.dictionary.cache_clear()
    assert nlp.dictionary(cache_dir=tmp_path) == {"orme", "ormes"}
    nlp.dictionary.cache_clear()


def test_the_dictionary_has_the_plurals_of_nouns_but_not_of_names():
    words = nlp.dictionary()
    assert {"ormes", "tilleuls", "bouleaux", "genets", "canaux", "bois"} <= words
    assert not {"gilles", "denis"} & words
