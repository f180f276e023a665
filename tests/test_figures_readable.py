"""Figures a person can read: every figure of a run drawn and checked for text that overlaps
or leaves the figure (matplotlib's renderer), in French and English; the interactive topic
map opened in Chromium at 1280 × 800."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import enquete.plotting as plotting
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, DEMO
from tests.figures_check import text_collisions

pytestmark = pytest.mark.slow  # whole runs of the demo corpus, a page in Chromium


@pytest.fixture(scope="module", params=["fr", "en"])
def drawn(request, tmp_path_factory):
    """A run of the demo in one language, each figure checked as it is saved: (outputs, problems by figure)."""
    from enquete import Study

    root = tmp_path_factory.mktemp(f"figures_{request.param}")
    shutil.copytree(DEMO, root / "corpus", ignore=shutil.ignore_patterns(".enquete-private"))
    found: dict[str, list[str]] = {}
    saving = plotting.save

    def checked(fig, stem):
        found[Path(stem).name] = text_collisions(fig)
        return saving(fig, stem)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plotting, "save", checked)
        Study(root / "corpus", language=request.param, workers=1).run(root / "out")
    return root / "out", found


def test_no_text_of_any_figure_overlaps_another_or_leaves_the_figure(drawn):
    out, found = drawn
    written = {p.stem for p in (out / "figures").glob("*.png")}
    assert written == set(found) and len(written) >= 12  # every figure of the run was checked
    assert {name: problems for name, problems in found.items() if problems} == {}


def test_the_checker_sees_overlaps_tilted_labels_and_text_outside():
    fig, ax = plotting.new_figure(8)
    ax.set_xticks(range(6), [f"une étiquette longue, la {k}e, qui déborde" for k in range(6)])
    ax.text(1.6, 0.5, "hors du cadre, loin à droite de la figure", transform=ax.transAxes, in_layout=False)
    problems = text_collisions(fig)
    assert any("chevauche" in p for p in problems) and any("dépasse" in p for p in problems)
    ax.set_xticks(range(6), list("abcdef"), rotation=40)
    assert any("incliné" in p for p in text_collisions(fig))


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (.ci/run installs Debian's chromium)")
def test_the_interactive_map_fills_a_window_with_its_legend_and_hover_texts(drawn, tmp_path):
    from playwright.sync_api import sync_playwright

    out, _ = drawn
    page_path = out / "figures" / "carte_themes.html"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        outside = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file://", "data:", "blob:")) else None)
        page.goto(page_path.as_uri())
        page.wait_for_selector("#carte-themes .main-svg", timeout=60_000)
        page.wait_for_timeout(500)
        sizes = page.evaluate("""() => {
            const svg = document.querySelector('#carte-themes .main-svg').getBoundingClientRect();
            const legend = document.querySelector('#carte-themes g.legend').getBoundingClientRect();
            const plot = document.getElementById('carte-themes');
            return {width: svg.width, height: svg.height, scrollWidth: document.documentElement.scrollWidth,
                    scrollHeight: document.documentElement.scrollHeight, legend: [legend.left, legend.top, legend.right, legend.bottom],
                    hover: plot._fullData.every((trace, i) => plot.data[i].text.length === trace._length && plot.data[i].text[0].includes('<b>')),
                    factors: plot.data.some(trace => trace.text.some(t => /<i>(Facteurs :|Factors:) /.test(t))),
                    traces: plot.data.length};
        }""")
        page.screenshot(path=str(tmp_path / "carte.png"))
        browser.close()
    assert sizes["scrollWidth"] <= 1280 and sizes["scrollHeight"] <= 800  # no scroll bar
    assert 1000 <= sizes["width"] <= 1280 and 600 <= sizes["height"] <= 800  # it fills the window
    left, top, right, bottom = sizes["legend"]
    assert 0 <= left < right <= 1280 and 0 <= top < bottom <= 800  # every topic's name in sight
    assert sizes["hover"] and sizes["factors"] and sizes["traces"] >= 5 and outside == []  # topic, text and factors on hover
