"""Coding with a language model (opt-in), against a stand-in server on 127.0.0.1: every path of
the protocol, and only pseudonymised text reaching the server."""

from __future__ import annotations

import json
import socket

import pandas as pd
import pytest
from typer.testing import CliRunner

from enquete.cli import app
from enquete.codebook import load_codebook
from enquete.coding.llm import LLMCoder, endpoint_host
from enquete.coding.llm.prompt import UnreadableAnswer, answer_schema, answer_tokens, check_codes, parse_answer, quote_in, system_prompt
from enquete.errors import ConfigError, LLMError, PrivacyError
from enquete.io import read_table
from enquete.settings import DEFAULTS, LLMSettings, make_settings
from tests.llm_server import StandIn

FACTORS = load_codebook("facteurs_reussite")
runner = CliRunner()

INTERVIEW = pd.DataFrame({
    "document_id": "E1", "segment_id": [f"E1-{i}" for i in range(6)], "position": range(6),
    "speaker_role": ["interviewer", "respondent"] * 3, "message_type": "turn",
    "text": [
        "Comment est né le jardin ?",
        "On a fait le jardin ensemble, avec l'aide de la mairie.",
        "Et les fêtes ?",
        "Une fête dans le local, tous les voisins sont venus.",
        "Et aujourd'hui ?",
        "Ça continue, on a un local et un jardin.",
    ],
})


@pytest.fixture
def server():
    with StandIn() as running:
        yield running


def coder(server, tmp_path, **settings) -> LLMCoder:
    given = {"url": server.url, "model": "test-model", "examples": 0, **settings}
    return LLMCoder(FACTORS, LLMSettings(**given), cache_dir=tmp_path / "cache", progress=False, backoff=0.01)


def test_the_prompt_carries_the_codebook_and_the_answer_its_schema():
    prompt = system_prompt(FACTORS)
    for code in FACTORS.codes:
        assert code.id in prompt and code.label in prompt and code.include[0] in prompt and code.exclude[0] in prompt
    assert answer_schema(FACTORS)["properties"]["codes"]["items"]["properties"]["code"]["enum"] == FACTORS.ids


@pytest.mark.parametrize("answer", [
    '{"codes": [{"code": "lieu", "quote": "jardin"}]}',
    'Voici :\n```json\n{"codes": [{"code": "lieu", "quote": "jardin"}]}\n```\nVoilà.',
    '<think>{"brouillon": 1} je réfléchis</think>{"codes": [{"code": "lieu", "quote": "jardin"}]}',
])
def test_answers_are_read_through_fences_prose_and_thinking(answer):
    assert parse_answer(answer)[0]["code"] == "lieu"


def test_an_answer_without_the_json_object_is_unreadable():
    with pytest.raises(UnreadableAnswer):
        parse_answer("Je pense que c'est le lieu.")


def test_a_quote_must_be_the_segments_own_words():
    text = "On s’est  retrouvés au Jardin des Lilas, puis on a rangé le local."
    assert quote_in("on s'est retrouvés au jardin", text)  # case, spacing, typographic apostrophe
    assert quote_in("« retrouvés au jardin […] rangé le local »", text)  # cut, in order
    assert not quote_in("rangé le local … retrouvés", text)  # out of order
    assert not quote_in("on a planté des tomates", text) and not quote_in("", text)
    checked = check_codes([{"code": "lieu", "quote": "Jardin des Lilas", "confidence": "0.7"}, {"code": "sens", "quote": "la vie"},
                           {"code": "inconnu", "quote": "local"}], text, FACTORS)
    assert [c["code"] for c in checked.codes] == ["lieu"] and checked.codes[0]["confidence"] == 0.7
    assert checked.invented_quotes == ["sens"] and checked.unknown == ["inconnu"]


def test_only_local_or_private_hosts_unless_confirmed():
    assert endpoint_host("http://127.0.0.1:11434/v1") == "127.0.0.1"
    assert endpoint_host("http://localhost:8080/v1") == "localhost"
    assert [endpoint_host(f"http://{ip}/v1") for ip in ("10.2.3.4", "192.168.1.9")] == ["10.2.3.4", "192.168.1.9"]
    with pytest.raises(PrivacyError, match="--llm-allow-remote"):
        endpoint_host("https://8.8.8.8/v1")
    with pytest.raises(PrivacyError):
        endpoint_host("https://llm.example.invalid/v1")
    assert endpoint_host("https://8.8.8.8/v1", allow_remote=True) == "8.8.8.8"
    with pytest.raises(ConfigError, match="key_env"):
        make_settings(llm={"url": "http://user:secret@127.0.0.1/v1", "model": "m"})


def test_codes_quotes_and_context_and_a_rerun_sends_nothing(server, tmp_path):
    first = coder(server, tmp_path)
    coded = first.predict(INTERVIEW)
    assert coded["codes"].tolist()[1] == "facilitateurs;faire_ensemble;lieu" and pd.isna(coded["codes"][0])  # the question is not coded
    assert "« jardin »" in coded.loc[1, "evidence"] and coded.loc[1, "score_lieu"] == 0.9 and coded.loc[1, "score_sens"] == 0
    asked = next(r for r in server.requests if "On a fait le jardin" in r["messages"][1]["content"])  # requests run two at a time: any order
    assert asked["temperature"] == 0 and asked["response_format"]["type"] == "json_schema"
    assert asked["max_tokens"] == answer_tokens(FACTORS) == 10 + 10 * (48 + 2 * 20 * 2)  # every code, 20-word justification and quote
    assert "Question posée juste avant (contexte) : « Comment est né le jardin ? »" in asked["messages"][1]["content"]
    report = first.report_
    assert report["sent"] == 3 and report["from_cache"] == 0 and report["read"] == 3
    assert report["tokens"]["prompt"] == sum(sum(len(m["content"]) // 3 + 1 for m in r["messages"]) for r in server.requests)  # as the server counts
    assert 0 < report["tokens"]["cached"] < report["tokens"]["prompt"] and report["tokens"]["completion"] > 0
    assert report["estimate"]["requests"] == 3 and report["estimate"]["estimated"] > 0 and report["seconds_per_segment"] > 0
    assert "tokens envoyés dont" in first.describe_asking() and "estimation à sec" in first.describe_asking()
    again = coder(server, tmp_path)
    assert again.predict(INTERVIEW).equals(coded) and len(server.requests) == 3 and again.report_["from_cache"] == 3
    assert again.report_["tokens"] == {"prompt": 0, "cached": 0, "completion": 0} and again.report_["read"] == 3  # nothing sent, nothing spent


COUNTS = ("invented_quotes", "unknown_codes", "cut", "unreadable", "repaired", "no_answer", "failed")


@pytest.mark.parametrize(("behaviour", "codes", "counted"), [
    ("fence", "faire_ensemble;facilitateurs;lieu", {}),
    ("malformed", "faire_ensemble;facilitateurs;lieu", {"unreadable": 1, "repaired": 1}),  # asked again for a shorter answer
    ("cut", "faire_ensemble;facilitateurs;lieu", {"cut": 1, "repaired": 1}),  # finish_reason "length": unreadable, asked again
    ("invented", "faire_ensemble;facilitateurs", {"invented_quotes": 1}),  # "lieu" had a quote nobody said
    ("busy", "faire_ensemble;facilitateurs;lieu", {}),  # 429, then an answer
])
def test_every_way_a_server_misbehaves(server, tmp_path, behaviour, codes, counted):
    server.behaviours = {"mairie": behaviour}
    coding = coder(server, tmp_path)
    coded = coding.predict(INTERVIEW)
    assert set(coded.loc[1, "codes"].split(";")) == set(codes.split(";"))
    assert {key: coding.report_[key] for key in COUNTS} == {key: counted.get(key, 0) for key in COUNTS}
    asked = [r for r in server.requests if "mairie" in r["messages"][1]["content"]]
    if counted.get("repaired"):
        first, repair = asked
        assert first["messages"][0] == repair["messages"][0] and repair["messages"][1]["content"].startswith(first["messages"][1]["content"])
        assert "bref : 3 codes au plus, justification et citation de 10 mots au plus" in repair["messages"][1]["content"]
        assert first["max_tokens"] == answer_tokens(FACTORS) > repair["max_tokens"] == answer_tokens(FACTORS, 3, 10)
        assert "réponse(s) redemandée(s) plus brève(s) puis lue(s)" in coding.describe_asking()


@pytest.mark.parametrize(("behaviour", "counted"), [("prose", {"unreadable": 2}), ("loop", {"cut": 2})])
def test_an_answer_never_readable_leaves_the_segment_to_the_offline_coder(server, tmp_path, behaviour, counted):
    server.behaviours = {"mairie": behaviour}
    coding = coder(server, tmp_path)
    coded = coding.predict(INTERVIEW)
    assert coded.loc[1, "evidence"].startswith("réponse du modèle illisible, codage hors ligne")
    assert {key: coding.report_[key] for key in COUNTS} == {**{key: 0 for key in COUNTS}, **counted, "failed": 1}  # asked twice, never readable
    assert len(server.requests) == 4 and coding.report_["fallback"] == 1 and coding.report_["read"] == 2
    assert "segment(s) codé(s) hors ligne faute de réponse lisible" in coding.describe_asking()


def test_a_timeout_is_not_resent_unchanged(server, tmp_path):
    server.behaviours = {"mairie": "slow"}  # too slow (2 s) the first time only
    with pytest.raises(LLMError, match=r"n'a pas répondu en 1 s à une requête de 1290 tokens de réponse au plus : allongez le délai \(--llm-timeout"):  # at temperature 0 the same request would run as long
        coder(server, tmp_path, timeout=1.0).predict(INTERVIEW)
    assert len([r for r in server.requests if "mairie" in r["messages"][1]["content"]]) == 1
    server.requests.clear()
    server.misbehaved.clear()
    voting = coder(server, tmp_path, timeout=1.0, votes=3)  # at temperature 0.7, once more with another seed
    assert set(voting.predict(INTERVIEW).loc[1, "codes"].split(";")) == {"faire_ensemble", "facilitateurs", "lieu"}
    seeds = sorted(r["seed"] for r in server.requests if "mairie" in r["messages"][1]["content"])
    first = DEFAULTS.seed
    assert len(seeds) == 4 and seeds[:3] == [first, first + 1, first + 2] and seeds[3] >= first + 1000 and voting.report_["no_answer"] == 0


def test_a_prompt_longer_than_the_context_is_one_clear_line(server, tmp_path):
    server.behaviours = {"mairie": "context"}
    with pytest.raises(LLMError) as refused:
        coder(server, tmp_path).predict(INTERVIEW)
    message = str(refused.value)
    assert "\n" not in message
    assert "la requête fait 9000 tokens, le contexte en a 8192" in message and "settings.llm.examples" in message and "-c" in message
    assert all("response_format" in r for r in server.requests)  # a context error is not taken for a server without the schema


def test_a_server_refusing_the_schema_is_asked_without_it(tmp_path):
    with StandIn(accept_schema=False) as old:
        coded = coder(old, tmp_path).predict(INTERVIEW)
    assert coded.loc[3, "codes"] == "rencontres;logistique"
    assert "response_format" in old.requests[0] and "response_format" not in old.requests[-1]


def test_an_unknown_model_or_an_absent_server_is_a_clear_error(server, tmp_path):
    with pytest.raises(LLMError, match="ne sert pas le modèle « mistral » ; modèles disponibles : test-model"):
        coder(server, tmp_path, model="mistral").predict(INTERVIEW)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    absent = LLMCoder(FACTORS, LLMSettings(url=f"http://127.0.0.1:{closed}/v1", model="m"), progress=False)
    with pytest.raises(LLMError, match="injoignable"):
        absent.predict(INTERVIEW)


def test_the_key_comes_from_the_environment_and_goes_nowhere_else(server, tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="ENQUETE_TEST_KEY"):
        coder(server, tmp_path, key_env="ENQUETE_TEST_KEY").predict(INTERVIEW)
    monkeypatch.setenv("ENQUETE_TEST_KEY", "sk-secret-123")
    coder(server, tmp_path, key_env="ENQUETE_TEST_KEY").predict(INTERVIEW)
    assert server.headers_seen[-1]["Authorization"] == "Bearer sk-secret-123"
    assert "sk-secret-123" not in server.sent_text() and b"sk-secret-123" not in (tmp_path / "cache" / "llm_answers.sqlite").read_bytes()


def test_votes_give_shares_and_only_uncertain_asks_less(server, tmp_path):
    voting = coder(server, tmp_path, votes=3)
    coded = voting.predict(INTERVIEW)
    assert voting.report_["requests"] == 9 and {r["seed"] for r in server.requests} == {DEFAULTS.seed + k for k in range(3)}
    assert {r["temperature"] for r in server.requests} == {0.7} and coded.loc[1, "score_lieu"] == 1.0
    server.requests.clear()
    sparing = coder(server, tmp_path, only_uncertain=True)
    coded = sparing.predict(INTERVIEW)
    asked, confident = sparing.report_["segments"], sparing.report_["offline_confident"]
    assert asked + confident == 3 and len(server.requests) == asked
    assert coded["evidence"].str.startswith("codeur hors ligne, sûr de lui").sum() == confident


def test_examples_are_the_nearest_coded_segments_of_this_corpus_only(server, tmp_path):
    coding = coder(server, tmp_path, examples=2)
    coding.offline.min_positives = 10_000  # nothing learned offline: only the examples matter here
    training = pd.DataFrame({"segment_id": ["X-1", "X-2", "apprentissage#7"],
                             "text": ["Le jardin du square est à tout le monde.", "Merci !", "Paul Martin a lancé le jardin."]})
    coding.fit(training, ["lieu", "", "moteurs"])
    coding.predict(INTERVIEW)
    prompt = next(m for r in server.requests if "On a fait le jardin" in (m := r["messages"][1]["content"]))
    assert "« Le jardin du square est à tout le monde. » → lieu" in prompt and "Paul Martin" not in prompt  # a foreign text may be raw


def test_both_coders_have_the_shape_the_pipeline_reads(server, tmp_path):
    from enquete.coding import Coder, code_segments
    from enquete.coding.coder import SegmentCoder
    from tests.conftest import DEMO

    gold = pd.read_csv(DEMO / "gold_codes.csv", keep_default_na=False).head(60)
    for model in (Coder(FACTORS, cache_dir=tmp_path / "cache"), coder(server, tmp_path, examples=2)):
        assert not model.fitted_ and not isinstance(model, SegmentCoder)  # no learned state before fit
        coded = code_segments(INTERVIEW, model, gold)
        assert isinstance(model, SegmentCoder) and model.fitted_ and len(model.training_) == 60
        assert list(model.learning_.columns) == ["code", "positives", "negatives", "learned"] and model.label_matrix(coded["codes"].fillna("")).shape == (6, 10)
    # the gold rows are another table's (their ids are not this one's): their text may be raw, so none is shown
    assert model.describe_learning().startswith("aucun exemple montré au modèle ; codeur hors ligne (tri et repli) : 0 code(s) appris")
    model.fit(INTERVIEW, ["", "lieu;faire_ensemble", "", "rencontres", "", "lieu"])
    assert model.describe_learning().startswith("6 segment(s) codé(s) par l'équipe, dont les 2 plus proches montrés au modèle")


def test_the_run_sends_only_pseudonymised_text_and_records_where_it_went(server, tmp_path):
    from enquete.private import KEY_FILE
    from enquete.reproducibility import is_pseudonymised
    from tests.conftest import small_corpus

    corpus = small_corpus(tmp_path / "corpus")
    result = runner.invoke(app, ["run", str(corpus), "--out", str(tmp_path / "out"), "--llm-url", server.url, "--llm-model", "test-model"])
    assert result.exit_code == 0, result.output
    assert "modèle de langue : test-model sur 127.0.0.1" in " ".join(result.output.split())
    assert {r["messages"][0]["content"] for r in server.requests} == {system_prompt(FACTORS)}  # the codebook alone
    sent = "\n".join(m["content"] for r in server.requests for m in r["messages"][1:])  # what comes from the corpus
    key = read_table(corpus / ".enquete-private" / KEY_FILE)
    originals = {v for v in key["original"].astype(str) if len(v) > 3}
    assert originals and not [v for v in originals if v in sent]
    assert ".docx" not in sent and "Discussion WhatsApp" not in sent and "2020-" not in sent  # no file names, no dates
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["language_model"]["host"] == "127.0.0.1" and len(manifest["language_model"]["prompt_hash"]) == 16
    assert is_pseudonymised(tmp_path / "out" / "segments.parquet") and is_pseudonymised(tmp_path / "out" / "codage.csv")
    summary = json.loads((tmp_path / "out" / "run_summary.json").read_text(encoding="utf-8"))
    assert summary["coding"]["llm"]["sent"] == len(server.requests)
    assert summary["coding"]["llm"]["tokens"] == manifest["language_model"]["tokens"] and manifest["language_model"]["tokens"]["prompt"] > 0
    refused = runner.invoke(app, ["run", str(corpus), "--out", str(tmp_path / "o2"), "--no-pseudonymise", "--llm-url", server.url, "--llm-model", "test-model"])
    assert refused.exit_code == 1 and "sans pseudonymisation" in refused.output
    remote = runner.invoke(app, ["run", str(corpus), "--out", str(tmp_path / "o3"), "--llm-url", "https://8.8.8.8/v1", "--llm-model", "m"])
    assert remote.exit_code == 1 and "--llm-allow-remote" in remote.output and not (tmp_path / "o3").exists()


def test_enquete_code_sends_only_a_pseudonymised_table_and_dry_run_sends_nothing(server, tmp_path):
    transcript = tmp_path / "E1.txt"
    transcript.write_text("\n\n".join(f"{'Enquêteur' if i % 2 == 0 else 'Paul Martin'} : {text}" for i, text in enumerate(INTERVIEW["text"])), encoding="utf-8")
    raw = tmp_path / "brut.csv"
    assert runner.invoke(app, ["ingest", str(transcript), "--out", str(raw)]).exit_code == 0
    options = ["--llm-url", server.url, "--llm-model", "test-model", "--cache", str(tmp_path / "cache")]
    refused = runner.invoke(app, ["code", str(raw), "--out", str(tmp_path / "c.csv"), *options])
    assert refused.exit_code == 1 and "--allow-raw-text" in refused.output and not server.requests
    pseudo = tmp_path / "pseudo.csv"
    assert runner.invoke(app, ["pseudonymise", str(raw), "--out", str(pseudo), "--private-dir", str(tmp_path / "prive")]).exit_code == 0
    dry = runner.invoke(app, ["code", str(pseudo), "--out", str(tmp_path / "c.csv"), *options, "--llm-dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Extrait à coder" in dry.output and "3 requête(s)" in dry.output and not server.requests and not (tmp_path / "c.csv").exists()
    assert "réponses de 1 290 tokens au plus" in " ".join(dry.output.split())
    done = runner.invoke(app, ["code", str(pseudo), "--out", str(tmp_path / "c.csv"), *options])
    assert done.exit_code == 0, done.output
    assert "3 envoyée(s)" in done.output and read_table(tmp_path / "c.csv")["evidence"].str.contains("modèle test-model").any()
    pseudo.write_text(pseudo.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # edited since: the mark no longer holds
    assert runner.invoke(app, ["code", str(pseudo), "--out", str(tmp_path / "d.csv"), *options]).exit_code == 1
    allowed = runner.invoke(app, ["code", str(raw), "--out", str(tmp_path / "e.csv"), *options, "--allow-raw-text"])
    assert allowed.exit_code == 0, allowed.output


@pytest.mark.slow
def test_the_benchmark_scores_a_model_server_like_the_offline_coder(server):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "eval_coder.py"
    done = subprocess.run([sys.executable, str(script), "--llm-url", server.url, "--llm-model", "test-model", "--llm-limit", "12"],
                          capture_output=True, text=True, timeout=600, check=True)
    assert "== modèle de langue test-model: macro-F1" in done.stdout and "== zéro-shot hors ligne (mêmes segments)" in done.stdout
    assert "12 requête(s) envoyée(s)" in done.stdout and len(server.requests) == 12
