"""The language-model coder against a real server: llama.cpp's (the xllamacpp wheel) with Gemma 3
270M from PyPI, on 127.0.0.1, one thread. A model this small codes badly: what is tested is the
protocol end to end, as enquete's commands speak it, through a pass-through that records every
request and answer (structured answers read, quotes checked, bounded answers, the server's prefix
cache, enquete's answer cache, tokens counted, only pseudonymised text sent, the server stopped)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from enquete.cli import app
from enquete.codebook import load_codebook
from enquete.coding.llm.prompt import REPAIR_CODES, REPAIR_WORDS, answer_tokens, check_codes, parse_answer, system_prompt
from enquete.io import read_table
from enquete.private import KEY_FILE
from enquete.vocabulary import internal
from tests.conftest import DEMO
from tests.llm_server import GEMMA, SEGMENT, LlamaServer, Recorder

pytestmark = pytest.mark.slow

FACTORS = load_codebook("facteurs_reussite")
INTERVIEW = "E02"  # the deputy mayor's interview: names, a town hall, a party in the square
#: Seconds to wait for an answer: the first request reads the codebook cold (26 s on an idle
#: machine, over 100 s on a loaded one) while the next waits in the server's queue.
TIMEOUT = "900"
runner = CliRunner()


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    server = LlamaServer(tmp_path_factory.mktemp("llama") / "llama-server.log")
    with server:
        yield server
    assert server.stopped, "the llama.cpp server still answers after the tests"


@pytest.fixture
def recorder(llama):
    with Recorder(llama.url) as recording:
        yield recording


def demo_interview(root: Path, paragraphs: int) -> Path:
    """A corpus of one demo interview cut to its first paragraphs, with the demo's settings and no
    human coding (so no examples in the prompts: the requests stay short)."""
    manifest = yaml.safe_load((DEMO / "corpus.yaml").read_text(encoding="utf-8"))
    manifest["documents"] = [d for d in manifest["documents"] if d["id"] == INTERVIEW]
    manifest["settings"] = {k: v for k, v in manifest["settings"].items() if k not in ("training_codes", "review_sample")}
    relpath = manifest["documents"][0]["file"]
    (root / relpath).parent.mkdir(parents=True)
    text = (DEMO / relpath).read_text(encoding="utf-8").split("\n\n")[:paragraphs]
    (root / relpath).write_text("\n\n".join(text) + "\n", encoding="utf-8")
    (root / "corpus.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def originals(key: Path) -> set[str]:
    """The values the pseudonym key replaced (names, places), long enough to be searched for."""
    return {v for v in read_table(key)["original"].astype(str) if len(v) > 3}


def spaced(number: int) -> str:
    """A count as the command line prints it, its thin spaces read as spaces."""
    return f"{number:,}".replace(",", " ")


def sent_text(posts) -> str:
    """What came from the corpus: every request's message after the system prompt."""
    return "\n".join(m["content"] for request, _, _ in posts for m in request["messages"][1:])


def check_exchanges(posts) -> dict[str, dict]:
    """Every request bounded and structured, every answer the server's own: each segment's last
    answer, read as enquete reads it (``{segment text: checked codes}``)."""
    last = {}
    for request, status, answer in posts:
        assert status == 200, answer
        assert request["model"] == GEMMA and request["temperature"] == 0 and request["response_format"]["type"] == "json_schema"
        assert request["messages"][0] == {"role": "system", "content": system_prompt(FACTORS)}  # the codebook first, identical
        repair = "bref : 3 codes au plus" in request["messages"][1]["content"]
        assert request["max_tokens"] == (answer_tokens(FACTORS, REPAIR_CODES, REPAIR_WORDS) if repair else answer_tokens(FACTORS))
        choice = answer["choices"][0]
        assert choice["finish_reason"] in ("stop", "length") and answer["usage"]["completion_tokens"] <= request["max_tokens"]
        segment = SEGMENT.search(request["messages"][1]["content"]).group(1)
        last[segment] = choice
    read = {}
    for segment, choice in last.items():
        if choice["finish_reason"] == "stop":
            read[segment] = check_codes(parse_answer(choice["message"]["content"]), segment, FACTORS)  # the JSON schema was honoured
    return read


def test_enquete_code_asks_a_real_server_and_checks_its_quotes(recorder, tmp_path):
    raw, pseudo = tmp_path / "brut.csv", tmp_path / "pseudo.csv"
    assert runner.invoke(app, ["ingest", str(demo_interview(tmp_path / "corpus", 9)), "--out", str(raw)]).exit_code == 0
    assert runner.invoke(app, ["pseudonymise", str(raw), "--out", str(pseudo), "--private-dir", str(tmp_path / "prive")]).exit_code == 0
    options = ["--llm-url", recorder.url, "--llm-model", GEMMA, "--llm-timeout", TIMEOUT, "--cache", str(tmp_path / "cache")]
    done = runner.invoke(app, ["code", str(pseudo), "--out", str(tmp_path / "code.csv"), *options])
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    posts = recorder.posts()
    assert f"Modèle de langue : {GEMMA} sur 127.0.0.1 : 4 segment(s) soumis, 4 requête(s) ({len(posts)} envoyée(s), 0 du cache)" in said

    read = check_exchanges(posts)
    coded = internal(pd.read_csv(tmp_path / "code.csv", sep=";", decimal=",", keep_default_na=False))  # a French file
    for segment, checked in read.items():  # the codes written are the model's whose quote is the segment's own words
        row = coded[coded["text"] == segment].iloc[0]
        assert set(filter(None, row["codes"].split(";"))) == {c["code"] for c in checked.codes}
        assert row["evidence"].startswith(f"modèle {GEMMA}")
    invented = sum(len(c.invented_quotes) for c in read.values())
    assert (f"{invented} code(s) écarté(s) : citation absente du segment" in said) == (invented > 0)

    usage = [answer["usage"] for _, _, answer in posts]
    reused = [u["prompt_tokens_details"]["cached_tokens"] for u in usage]
    assert sum(r >= 0.8 * u["prompt_tokens"] for r, u in zip(reused, usage)) >= len(usage) - 1  # the shared prefix, read once
    prompt, cached, completion = (sum(u["prompt_tokens"] for u in usage), sum(reused), sum(u["completion_tokens"] for u in usage))
    assert f"{spaced(prompt)} tokens envoyés dont {spaced(cached)} repris du cache du serveur, {spaced(completion)} reçus" in said
    estimated, measured = (int(x.replace(" ", "")) for x in re.search(r"estimation à sec : ([\d ]+) tokens .*?, ([\d ]+) comptés", said).groups())
    assert 0.5 < measured / estimated < 2

    assert not [v for v in originals(tmp_path / "prive" / KEY_FILE) if v in sent_text(posts)]

    again = runner.invoke(app, ["code", str(pseudo), "--out", str(tmp_path / "encore.csv"), *options])
    assert again.exit_code == 0 and "(0 envoyée(s), 4 du cache)" in " ".join(again.output.split())
    assert len(recorder.posts()) == len(posts) and internal(pd.read_csv(tmp_path / "encore.csv", sep=";", decimal=",", keep_default_na=False)).equals(coded)


def test_enquete_run_asks_only_where_the_offline_coder_hesitates(recorder, tmp_path):
    corpus = demo_interview(tmp_path / "corpus", 13)
    out = tmp_path / "out"
    done = runner.invoke(app, ["run", str(corpus), "--out", str(out), "--llm-url", recorder.url, "--llm-model", GEMMA, "--llm-only-uncertain",
                               "--llm-timeout", TIMEOUT])
    assert done.exit_code == 0, done.output
    posts = recorder.posts()
    llm = json.loads((out / "run_summary.json").read_text(encoding="utf-8"))["coding"]["llm"]
    asked = {SEGMENT.search(request["messages"][1]["content"]).group(1) for request, _, _ in posts}
    assert llm["sent"] == len(posts) and llm["segments"] == len(asked) >= 1 and llm["offline_confident"] >= 1  # both sides
    read = check_exchanges(posts)
    evidence = internal(read_table(out / "codage.csv")).set_index("text")["evidence"]
    assert all(evidence[s].startswith(f"modèle {GEMMA}") for s in read)
    assert sum(evidence.str.startswith("codeur hors ligne, sûr de lui")) == llm["offline_confident"]

    usage = [answer["usage"] for _, _, answer in posts]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["language_model"]
    assert manifest["tokens"] == llm["tokens"] == {"prompt": sum(u["prompt_tokens"] for u in usage),
                                                   "cached": sum(u["prompt_tokens_details"]["cached_tokens"] for u in usage),
                                                   "completion": sum(u["completion_tokens"] for u in usage)}
    assert manifest["host"] == "127.0.0.1" and manifest["model"] == GEMMA
    assert not [v for v in originals(corpus / ".enquete-private" / KEY_FILE) if v in sent_text(posts)]
