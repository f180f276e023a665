"""The review interface: a session that saves each decision at once where `enquete run` reads
them, a coder that learns again while the person works, and the page in a real browser."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import enquete
from enquete.cli import app
from enquete.coding import DecisionStore
from enquete.review import ReviewSession
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, DEMO

pytestmark = pytest.mark.slow  # full runs of the demo corpus, a page in Chromium
runner = CliRunner()


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The demo corpus coded after learning from 300 of its gold segments, then run."""
    root = tmp_path_factory.mktemp("revue")
    corpus = root / "corpus"
    shutil.copytree(DEMO, corpus, ignore=shutil.ignore_patterns(".enquete-private"))
    gold = pd.read_csv(DEMO / "gold_codes.csv", keep_default_na=False)
    gold.iloc[:300].to_csv(corpus / "gold_codes.csv", index=False)
    result = runner.invoke(app, ["run", str(corpus), "--out", str(root / "out")])
    assert result.exit_code == 0, result.output
    return corpus, root / "out", gold


def store_of(corpus: Path) -> DecisionStore:
    return DecisionStore(corpus / ".enquete-private" / "revue")


def test_each_decision_is_saved_at_once_and_the_next_run_applies_it(study, tmp_path):
    corpus, out, _ = study
    session = ReviewSession(enquete.Study(corpus), out, select=30, refit_every=0)
    item = session.item()
    assert item["segment_id"] not in set(pd.read_csv(corpus / "gold_codes.csv")["segment_id"])  # never what a person coded already
    assert item["before"] and "text" in item["before"][-1] and item["why"] and len(item["codes"]) == 10
    session.decide(["lieu", "sens"], "relu dans l'interface")
    stored = store_of(corpus).load("facteurs_reussite").set_index("segment_id")
    assert stored.loc[item["segment_id"], "codes"] == "lieu;sens" and stored.loc[item["segment_id"], "comment"] == "relu dans l'interface"
    assert session.item()["segment_id"] != item["segment_id"] and session.progress()["decided"] == 1
    result = runner.invoke(app, ["run", str(corpus), "--out", str(tmp_path / "o2")])
    assert result.exit_code == 0, result.output
    rerun = pd.read_parquet(tmp_path / "o2" / "segments.parquet").set_index("segment_id")
    assert rerun.loc[item["segment_id"], "revision"] == "human" and rerun.loc[item["segment_id"], "codes"] == "lieu;sens"


def test_the_coder_learns_again_and_the_suggestions_change(study):
    corpus, out, gold = study
    session = ReviewSession(enquete.Study(corpus), out, select=60, refit_every=8)
    before = session.queue.set_index("segment_id")[[f"score_{c}" for c in session.codebook.ids]].copy()
    truth = gold.set_index("segment_id")["codes"]
    refitted = []
    for _ in range(8):
        segment = session.item()["segment_id"]
        codes = truth.get(segment, "")  # the person codes as the gold file does
        refitted.append(session.decide([c for c in codes.split(";") if c]))
    assert refitted == [False] * 7 + [True] and session.progress()["refits"] == 1
    after = session.queue.set_index("segment_id").loc[before.index, before.columns]
    pending = ~before.index.isin(store_of(corpus).load("facteurs_reussite")["segment_id"])
    assert (after[pending] - before[pending]).abs().to_numpy().max() > 0.01  # the remaining suggestions moved


def test_the_widget_sends_decisions_and_filters_to_the_session(study):
    from enquete.review import ReviewWidget

    corpus, out, _ = study
    widget = ReviewWidget(ReviewSession(enquete.Study(corpus), out, select=40, refit_every=0))
    first = widget.item["segment_id"]
    assert widget.texts["validate"] == "Valider (Entrée)" and len(widget.options["codes"]) == 10
    assert all(re.fullmatch(r"[01],\d\d", code["score_text"]) for code in widget.item["codes"])  # "0,47": the page writes French numbers
    widget._on_message(widget, {"type": "decide", "codes": ["rencontres"], "comment": ""}, [])
    assert widget.item["segment_id"] != first and widget.status.startswith("Décision enregistrée")
    assert store_of(corpus).load("facteurs_reussite").set_index("segment_id").loc[first, "codes"] == "rencontres"
    document = widget.options["documents"][0]
    widget._on_message(widget, {"type": "filter", "document": document}, [])
    assert widget.item["document"] == document and widget.filters["document"] == document
    widget._on_message(widget, {"type": "decide", "codes": ["inconnu"]}, [])
    assert "codes inconnus" in widget.status  # said in the page, nothing saved


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (.ci/run installs Debian's chromium)")
def test_the_page_in_a_real_browser(study, tmp_path):
    from playwright.sync_api import sync_playwright

    corpus, out, _ = study
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("enquete")), "revue", str(corpus), "--out", str(out), "--select", "20", "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "COLUMNS": "300"},
    )
    try:
        url = _address(server)
        assert url.startswith("http://127.0.0.1:") and re.search(r"\?token=[\w-]{20,}$", url)
        address = urllib.parse.urlsplit(url)
        bare = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        bare.request("GET", "/")  # without the token: sent to the login page, no segment
        refused = bare.getresponse()
        assert refused.status in (302, 403) and "enq-review" not in refused.read().decode("utf-8", "replace")
        bare.close()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1100, "height": 1000})
            outside = []
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")) else None)
            page.on("requestfailed", lambda r: outside.remove(r.url) if r.failure == "csp" and r.url in outside else None)
            page.goto(url, timeout=180_000)  # Voilà runs the cell (a study, its run read back) before the page loads
            page.wait_for_selector(".enq-review .enq-text", timeout=120_000)
            segment = page.inner_text(".enq-meta")
            before = page.get_attribute('.enq-code[data-code="rencontres"]', "aria-pressed")
            page.keyboard.press("3")  # the third code: "Les rencontres", suggested or not: the key turns it over
            after = "false" if before == "true" else "true"
            page.wait_for_function(f"document.querySelector('.enq-code[data-code=\"rencontres\"]').getAttribute('aria-pressed') === '{after}'")
            if after == "false":
                page.keyboard.press("3")  # on again, so that the decision holds it
            page.screenshot(path=str(tmp_path / "revue.png"), full_page=True)
            page.keyboard.press("Enter")
            page.wait_for_function("document.querySelector('.enq-status').textContent.includes('enregistrée')", timeout=60_000)
            assert page.inner_text(".enq-meta") != segment
            browser.close()
        assert outside == []  # the page asked nothing of any other host
        server.terminate()
        printed = server.printed + server.stdout.readlines()
        assert not [line for line in printed if re.search(r"\[(W|I) \d|TCP without encryption|not trusted", line)], printed  # a calm log
        decided = store_of(corpus).load("facteurs_reussite")
        assert decided["codes"].str.split(";").map(lambda codes: "rencontres" in codes).any()
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()


def _address(server: subprocess.Popen, timeout: float = 120) -> str:
    """The page's address, as `enquete revue` prints it, once the page answers; what the server printed
    is kept in ``server.printed``."""
    from enquete.review.server import listening

    deadline = time.monotonic() + timeout
    server.printed = []
    for line in server.stdout:
        server.printed.append(line)
        found = re.search(r"(http://127\.0\.0\.1:(\d+)/\?token=[\w-]+)", line)
        if found:
            while not listening(int(found.group(2))):
                assert time.monotonic() < deadline and server.poll() is None, "the page never answered"
                time.sleep(0.3)
            return found.group(1)
        if time.monotonic() > deadline:
            break
    raise AssertionError("enquete revue did not print its address")
