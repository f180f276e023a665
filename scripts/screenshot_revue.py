"""Screenshot of the review page (docs/revue.png), as a person sees it after running the demo.

A copy of the demo corpus is coded zero-shot (no gold file: every segment is to review), the
page is served by `enquete revue` and opened in Debian's Chromium with Playwright.

    uv run python scripts/screenshot_revue.py [--out docs/revue.png]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "revue.png"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    enquete = str(Path(sys.executable).with_name("enquete"))
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(ROOT / "corpora" / "demo", corpus, ignore=shutil.ignore_patterns(".enquete-private"))
        manifest = corpus / "corpus.yaml"
        manifest.write_text(manifest.read_text(encoding="utf-8").replace("settings:\n  training_codes: gold_codes.csv\n", ""), encoding="utf-8")
        subprocess.run([enquete, "run", str(corpus), "--out", f"{tmp}/out"], check=True, capture_output=True)
        server = subprocess.Popen([enquete, "revue", str(corpus), "--out", f"{tmp}/out", "--no-browser"], stdout=subprocess.PIPE, text=True)
        try:
            url = next(m.group(1) for line in server.stdout if (m := re.search(r"(http://127\.0\.0\.1:\d+/\?token=[\w-]+)", line)))
            time.sleep(3)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=FLAGS)
                page = browser.new_page(viewport={"width": 1100, "height": 900})
                page.goto(url)
                page.wait_for_selector(".enq-review .enq-text", timeout=120_000)
                page.keyboard.press("3")
                page.screenshot(path=args.out, full_page=True)
                browser.close()
        finally:
            server.terminate()
    print(args.out)


if __name__ == "__main__":
    main()
