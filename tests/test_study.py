"""One front door: a notebook that calls the Study step by step gets what `enquete run` writes."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest

import enquete
from enquete.analysis import write_analyses
from enquete.errors import ConfigError
from enquete.topics import with_topics
from enquete.vocabulary import internal
from tests.conftest import DEMO


@pytest.mark.slow  # the demo read, pseudonymised, coded, analysed and mapped, beside a run of it
def test_the_notebook_path_gives_the_runs_segments_codes_and_tables(demo_run, tmp_path):
    _, outputs = demo_run
    corpus = tmp_path / "corpus"  # a fresh copy: no pseudonym key kept from the run
    shutil.copytree(DEMO, corpus, ignore=shutil.ignore_patterns(".enquete-private"))
    study = enquete.Study(corpus)
    coded = study.code(study.segments(study.ingest()))
    topics = study.topics(coded)
    run_segments = internal(pd.read_parquet(outputs / "segments.parquet"))
    pd.testing.assert_frame_equal(with_topics(coded, topics).reset_index(drop=True), run_segments)
    tables = {**study.analyse(coded), **study.topic_tables(topics, coded)}
    written = write_analyses(tables, tmp_path / "tables")
    for path in written:
        if path.suffix == ".csv":
            assert path.read_bytes() == (outputs / "tables" / path.name).read_bytes(), path.name
    assert {p.name for p in written if p.suffix == ".csv"} == {p.name for p in (outputs / "tables").glob("*.csv")}


def test_overrides_win_over_corpus_yaml_and_say_where_each_setting_comes_from(tmp_path):
    (tmp_path / "corpus.yaml").write_text("language: en\nsettings:\n  seed: 7\n  topics: 3\n", encoding="utf-8")
    study = enquete.Study(tmp_path, seed=1)
    assert (study.settings.language, study.settings.seed, study.settings.topics) == ("en", 1, 3)
    table = study.settings_table().set_index("setting")
    assert table.loc["seed", "source"] == "option" and table.loc["topics", "source"] == "corpus.yaml"
    assert table.loc["language", "source"] == "corpus.yaml" and table.loc["pseudonym_style", "source"] == "défaut"
    assert table["description"].str.len().gt(10).all()  # every setting says what it does


def test_the_language_is_given_once(tmp_path):
    (tmp_path / "corpus.yaml").write_text("language: en\nsettings:\n  language: fr\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="deux langues"):
        enquete.Study(tmp_path)


def test_every_setting_has_a_description_and_is_read_somewhere():
    from pathlib import Path

    from enquete.settings import Settings, describe_settings

    assert all(help for _, _, help in describe_settings(Settings()))
    source = "\n".join(p.read_text(encoding="utf-8") for p in Path(enquete.__file__).parent.rglob("*.py") if p.name != "settings.py")
    unread = [name for name in Settings.model_fields if f".{name}" not in source and f'"{name}"' not in source]
    assert unread == []


def test_importing_enquete_and_its_study_loads_no_heavy_library():
    probe = ("import sys, enquete\nenquete.Study\nprint(' '.join(m for m in ('pandas', 'spacy', 'sklearn', 'matplotlib', 'bertopic') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split() == []


def test_one_meaning_per_public_name():
    assert callable(enquete.verify) and callable(enquete.Study) and callable(enquete.load_run)
    assert set(dir(enquete)) >= {"Study", "ingest_paths", "pseudonymise", "Coder", "load_codebook", "agreement", "verify"}


@pytest.mark.slow  # a whole run of the demo
def test_a_run_lets_go_of_the_topic_model_before_the_report(tmp_path):
    import gc

    alive: dict[str, int] = {}

    class Watched(enquete.Study):
        def stage(self, name):
            gc.collect()
            alive[name] = sum(type(o).__name__ == "BERTopic" for o in gc.get_objects())
            return super().stage(name)

    corpus = tmp_path / "corpus"
    shutil.copytree(DEMO, corpus, ignore=shutil.ignore_patterns(".enquete-private"))
    result = Watched(corpus).run(tmp_path / "outputs")
    assert alive["topics"] == 0 and alive["report"] == alive["exports"] == alive["outputs"] == 0, alive
    assert result.topics.model is None and result.topics.embeddings.size == 0 and len(result.topics.topics) >= 2
    assert result.segments["topic"].notna().sum() > 100
