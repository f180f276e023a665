"""Topics: determinism, small corpora, outputs and their shape, an offline interactive page."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from enquete.codebook import load_codebook
from enquete.errors import ConfigError
from enquete.topics import TopicError, default_topic_count, fit_topics, proper_nouns, topic_tables, write_topics
from tests.conftest import DEMO

FACTORS = load_codebook("facteurs_reussite")


@pytest.fixture(scope="module")
def gold():
    df = pd.read_csv(DEMO / "gold_codes.csv", keep_default_na=False)
    df["initiative"] = df["segment_id"].str.split("-").str[0]
    df["source_type"] = ["whatsapp" if s.startswith("WA") else "interview" for s in df["segment_id"]]
    df["timestamp"] = pd.date_range("2021-01-01", periods=len(df), freq="D")
    return df


@pytest.fixture(scope="module")
def fitted(gold, tmp_path_factory):
    return fit_topics(gold, seed=7, cache_dir=tmp_path_factory.mktemp("cache"))


def test_same_input_same_topics(gold, fitted, tmp_path):
    again = fit_topics(gold, seed=7, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(fitted.assignments, again.assignments)
    pd.testing.assert_frame_equal(fitted.topics, again.topics)


def test_topics_table_shape_and_readable_labels(fitted):
    table = fitted.topics
    assert list(table.columns) == ["topic", "size", "label", "words", "quotes", "representative_segment", "catch_all"]
    assert len(table) == default_topic_count(len(fitted.assignments)) and table["size"].sum() == len(fitted.assignments)
    assert (table["size"].diff().dropna() <= 0).all()
    words = {w.strip() for cell in table["words"] for w in cell.split(",")}
    assert not words & {"euh", "ben", "voilà", "hein", "être", "avoir", "le", "de"}
    corpus = " ".join(fitted.documents).lower()
    assert all(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", corpus) for w in words)  # written forms, not folded lemmas


def test_small_corpus_gives_at_least_two_topics(gold, tmp_path):
    small = gold.iloc[:200]
    result = fit_topics(small, cache_dir=tmp_path)
    assert result.topics["topic"].nunique() >= 2 and len(result.assignments) > 100


def test_a_large_corpus_is_learnt_on_a_seeded_sample_and_every_segment_is_assigned(gold, tmp_path, monkeypatch):
    import enquete.topics.model as topics

    monkeypatch.setattr(topics, "FIT_SAMPLE", 200)
    sampled = fit_topics(gold, seed=7, cache_dir=tmp_path)
    again = fit_topics(gold, seed=7, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(sampled.assignments, again.assignments)
    assert len(sampled.documents) == len(sampled.assignments) > 200  # every kept segment has a topic
    assert sampled.topics["size"].sum() == len(sampled.assignments)
    assert set(sampled.assignments["topic"]) == set(sampled.topics["topic"]) and len(sampled.topics) >= 2


def test_too_few_segments_is_a_clear_error(tmp_path):
    tiny = pd.DataFrame({"segment_id": ["1", "2"], "text": ["Bonjour à tous", "ok"]})
    with pytest.raises(TopicError, match="trop peu de segments"):
        fit_topics(tiny, cache_dir=tmp_path)


def test_crossings_and_alignment_with_factors(gold, fitted):
    tables = topic_tables(fitted, gold, FACTORS.ids)
    by_factor = tables["themes_par_facteur"]
    assert list(by_factor.columns) == ["topic", *FACTORS.ids]
    assert ((by_factor[FACTORS.ids] >= 0) & (by_factor[FACTORS.ids] <= 1)).all().all()
    themes = tables["themes"]
    assert themes["main_factor"].isin(FACTORS.ids).all()
    shares = by_factor.set_index("topic")[FACTORS.ids]
    for row in themes.itertuples():  # the factor named is the one the topics × factors table shows largest
        assert row.main_share == pytest.approx(shares.loc[row.topic].max()) and shares.loc[row.topic, row.main_factor] == shares.loc[row.topic].max()
    assert tables["themes_par_initiative"]["segments"].sum() == len(fitted.assignments)
    assert tables["themes_dans_le_temps"]["messages"].sum() == (fitted.assignments["segment_id"].str.startswith("WA")).sum()


def test_outputs_and_an_offline_page(gold, fitted, tmp_path):
    tables = topic_tables(fitted, gold, FACTORS.ids)
    paths = write_topics(fitted, tables, gold, FACTORS, tmp_path)
    assert {p.name for p in paths} == {
        "carte_themes.png", "carte_themes.svg", "themes_par_facteur.png", "themes_par_facteur.svg", "carte_themes.html",
        "themes_par_initiative.png", "themes_par_initiative.svg", "themes_dans_le_temps.png", "themes_dans_le_temps.svg", "plotly.min.js",
    }
    html = (tmp_path / "carte_themes.html").read_text(encoding="utf-8")
    assert (tmp_path / "plotly.min.js").stat().st_size > 1_000_000
    scripts = re.findall(r"<script[^>]*src=\"([^\"]+)\"", html)
    assert scripts == ["plotly.min.js"]
    assert "cdn.plot.ly" not in html and not re.search(r"src=\"https?://", html)
    assert 'id="carte-themes"' in html and "scattergl" in html


def test_proper_nouns_are_not_topic_words():
    assert proper_nouns(["Merci Lucie pour le Square", "le square est beau", "Réunion demain, réunion importante"]) == {"lucie"}


def test_embedding_backends(tmp_path):
    from enquete.nlp import analyse
    from enquete.topics import embed

    analysis = analyse(["La fête des voisins dans la cour", "Le bailleur prête la salle", "On jardine ensemble"], cache_dir=tmp_path)
    assert embed(analysis, "spacy").shape == (3, 300)
    with pytest.raises(ConfigError, match="plongements inconnus"):
        embed(analysis, "word2vec")
    try:
        import model2vec  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match="uv sync --extra embeddings"):
            embed(analysis, "model2vec:minishlab/potion-base-8M")


def test_topics_command(gold, tmp_path):
    from typer.testing import CliRunner

    from enquete.cli import app

    source = tmp_path / "codage.csv"
    gold.to_csv(source, index=False)
    out = tmp_path / "themes"
    result = CliRunner().invoke(app, ["topics", str(source), "--out", str(out), "--n-topics", "5", "--cache", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "5 thèmes" in result.output
    assert {"themes.csv", "themes.xlsx", "carte_themes.html", "carte_themes.png", "plotly.min.js"} <= {p.name for p in out.iterdir()}


def test_unknown_options_are_configuration_errors_raised_before_any_work():
    segments = pd.DataFrame({"segment_id": ["a"], "text": ["une seule phrase"]})
    with pytest.raises(ConfigError, match="réduction inconnue"):
        fit_topics(segments, reduction="tsne")
    with pytest.raises(ConfigError, match="plongements inconnus"):
        fit_topics(segments, embeddings="glove")


@pytest.mark.slow
def test_loading_bertopic_leaves_the_warning_filters_as_they_were():
    """In a fresh interpreter (BERTopic imported for the first time), as in a notebook or a run."""
    import subprocess
    import sys

    check = "import warnings; from enquete.topics.model import _bertopic; before = list(warnings.filters); {}; print(warnings.filters == before)"
    changed = {how: subprocess.run([sys.executable, "-c", check.format(how)], capture_output=True, text=True).stdout.strip() for how in ("import bertopic", "_bertopic()")}
    assert changed == {"import bertopic": "False", "_bertopic()": "True"}  # BERTopic alone ignores every UserWarning from then on


def test_labels_are_words_residents_wrote_and_each_is_checked_against_its_segments(gold, fitted):
    """No generic word, filler or lemmatiser's slip in a label; every label term is in its topic's segments."""
    from enquete.topics.terms import excluded

    texts = gold.set_index("segment_id")["text"].str.lower()
    for row in fitted.topics.itertuples():
        if row.catch_all:
            assert row.label.startswith("divers")
            continue
        own = texts[fitted.assignments.loc[fitted.assignments["topic"] == row.topic, "segment_id"]]
        for term in row.label.split(" · "):
            assert not set(term.split()) & {"petit", "jamais", "mois", "appeler", "demander", "faire", "agencer", "pendre", "taire", "maintenir"}
            assert own.str.contains(rf"(?<!\w){re.escape(term)}(?!\w)").mean() >= 0.08, (row.label, term)  # as written, in its own segments
    assert {"petit", "jamais", "mois", "appeler", "faire", "dire", "hum", "pff", "rire"} <= excluded()


def test_transcription_notes_and_fillers_never_reach_topic_words(gold, tmp_path):
    """A third of the answers carry the notes real transcripts hold: none becomes a topic word."""
    import numpy as np

    rng = np.random.default_rng(3)
    notes = ["(rires)", "[claquement de langue]", "hum", "pff", "<rire>", "(rire)", "mmh", "[inaudible]", "hum hum", "*soupir*"]
    noisy = gold.assign(text=[" ".join([*t.split(), *rng.choice(notes, 3)]) if rng.random() < 0.4 else t for t in gold["text"]])
    result = fit_topics(noisy, seed=7, cache_dir=tmp_path)
    shown = " ".join(result.topics["label"]) + " " + " ".join(result.topics["words"])
    assert not re.search(r"\b(rires?|claquement|langue|hum|pff|mmh|inaudible|soupir)\b", shown), shown


def test_terms_keep_written_words_and_phrases():
    from enquete.topics.terms import Terms, strip_annotations

    lemmas = ["agencer voir salle commune", "pendre le fete de voisin", "falloir fete"]  # folded, as the analysis gives them
    words = ["agence voir salle commune", "pendant la fête des voisins", "faut fêtes"]
    terms = Terms(lemmas, words)
    assert terms.word("agence") == "agence" and terms.word("pendant") is None and terms.word("faut") is None  # slips, stop and generic words
    assert terms.word("fêtes") == "fete" and terms.word("voir") is None
    units = terms("Pendant la fête des voisins, l'agence (rires) ouvre la salle commune.")
    assert "fete des voisins" in units and "salle commune" in units and "agence" in units
    assert strip_annotations("Oui (rires) [claquement de langue] on a fait // la fête (couture, cuisine) *soupir*") == (
        "Oui     on a fait   la fête (couture, cuisine)  ")


def test_a_transcript_s_notes_and_fillers_are_never_terms(tmp_path):
    """A French transcript written with CFPP2000's and other transcribers' conventions
    (tests/fixtures/real/transcripts/entretien_conventions_fr.txt): its answers' terms hold none of them."""
    from enquete.ingest import read_transcript
    from enquete.nlp import analyse
    from enquete.topics.terms import Terms, strip_annotations
    from tests.conftest import FIXTURES

    turns = read_transcript(FIXTURES / "real" / "transcripts" / "entretien_conventions_fr.txt")
    answers = turns.loc[turns["speaker_role"] == "respondent", "text"].map(strip_annotations).tolist()
    assert not any(re.search(r"[\[\]{}<>]|\((?:rires?|\.\.)\)", a) for a in answers)
    analysis = analyse(answers, cache_dir=tmp_path)
    terms = Terms(analysis.lemmas, analysis.words)
    found = {t for a in answers for t in terms(a)}
    assert not {w for t in found for w in t.split()} & {"rires", "rire", "pff", "hhh", "mm", "mh", "hmm", "hum", "claquement", "soupir", "inaudible"}
    assert {"fete des voisins", "salle commune", "jardin partage", "bailleur"} <= found  # what she talks about stays
