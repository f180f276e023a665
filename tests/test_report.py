"""The Word report: structure read back with python-docx, a PDF render, template handling."""

from __future__ import annotations

import re
import shutil
import subprocess

import docx
import pytest
from typer.testing import CliRunner

from enquete.cli import app
from enquete.codebook import load_codebook
from enquete.io import read_table
from enquete.report import ReportError, check_template
from tests.conftest import FIXTURES, small_corpus

pytestmark = pytest.mark.slow  # full runs of the demo corpus, the PDF rendering

FACTORS = load_codebook("facteurs_reussite")
runner = CliRunner()


@pytest.fixture(scope="module")
def demo_run(demo_run, tmp_path_factory):
    """The shared demo run (conftest), copied: these tests write reports and review decisions into it."""
    root = tmp_path_factory.mktemp("demo")
    for folder in demo_run:
        shutil.copytree(folder, root / folder.name)
    return root / demo_run[0].name, root / demo_run[1].name


def svg_text(path) -> str:
    """The words an SVG figure shows, lines joined."""
    import html

    return " ".join(html.unescape(" ".join(re.findall(r">([^<>]+)<", path.read_text(encoding="utf-8")))).split())


def headings(document, level: int) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def test_report_structure(demo_run):
    _, out = demo_run
    document = docx.Document(str(out / "rapport_restitution.docx"))
    assert document.paragraphs[0].style.name == "Title" and "Saint-Aubin-les-Ormes" in document.paragraphs[0].text
    assert headings(document, 1) == [
        "Synthèse", "Contexte et objectifs", "Méthodologie", "Résultats par facteur", "Ce dont parlent les habitants",
        "Dynamiques des groupes WhatsApp et des réseaux sociaux", "Leviers d'action et engagements municipaux", "Annexes",
    ]
    level2 = headings(document, 2)
    assert all(code.label in level2 for code in FACTORS.codes) and "Fiabilité du codage" in level2
    xml = document.element.xml
    assert 'TOC \\o "1-2"' in xml and "SEQ Figure" in xml and "SEQ Tableau" in xml
    settings = [child.tag.split("}")[-1] for child in document.settings.element]
    assert settings.index("updateFields") < settings.index("compat")  # in its schema place: Word asks to update the fields on opening
    entries = [p.text for p in document.paragraphs if p.style.name in ("toc 1", "toc 2")]
    assert entries[0].startswith("Synthèse") and all(any(e.startswith(title) for e in entries)
                                                     for title in ("Fiabilité du codage", "Le sens", "Annexes", "Méthode détaillée"))
    assert len(document.inline_shapes) >= 10
    assert all(shape.width == docx.shared.Cm(15) for shape in document.inline_shapes)
    initiatives = document.tables[0]
    assert [c.text for c in initiatives.rows[0].cells] == ["Initiative", "Localisation", "Création", "Description"]
    assert len(initiatives.rows) == 5
    quotes = [p for p in document.paragraphs if p.style.name == "Quote"]
    assert len(quotes) >= 30 and all(r.italic for p in quotes for r in p.runs)
    assert all(p.text.startswith("« ") and p.text.endswith(" »") for p in quotes)
    attributions = [p.text for p in document.paragraphs if p.text.startswith("— E") or p.text.startswith("— WA")]
    assert any("habitante motrice, Les Voisins du Square" in a for a in attributions)
    text = "\n".join(p.text for p in document.paragraphs)
    assert ("Le corpus réunit 12 entretiens (265 réponses codées), 4 groupes WhatsApp (808 messages de membres codés), 1 groupe de réseau "
            "social (15 messages de membres codés), 1 carnet d'observation (11 notes) et 2 documents (12 passages), autour de 4 initiatives "
            "d'habitants.") in text  # every source the corpus holds


def test_synthesis_is_written_from_the_figures(demo_run):
    _, out = demo_run
    document = docx.Document(str(out / "rapport_restitution.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Corrigés par l'échantillon tiré au hasard, les deux facteurs les plus présents sont" in text  # the demo's simulated random review
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert 1 <= len(bullets) <= 3 and all(any(ch.isdigit() for ch in b) for b in bullets)
    assert not any("SOC_peupliers" in b for b in bullets)  # 17 messages: under the minimum base, it feeds no finding
    assert "Effectifs trop faibles pour en tirer un constat" in text and "(17 messages)" in text
    assert "SOC_peupliers" not in text  # groups by their readable name, never the file's slug


def test_reliability_section_and_corrected_shares_with_their_intervals(demo_run):

    _, out = demo_run
    document = docx.Document(str(out / "rapport_restitution.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "200 segments tirés au hasard ont été codés à la main, sans que le codeur en apprenne" in text
    assert "Aucun échantillon tiré au hasard" not in text
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert any("sur l'échantillon tiré au hasard (200 segments)" in c for c in captions)
    reliability = next(t for t in document.tables if t.rows[0].cells[0].text == "Code" and t.rows[0].cells[2].text == "Précision")
    assert [r.cells[0].text for r in reliability.rows][-1] == "Moyenne" and len(reliability.rows) == 12
    shares = next(t for t in document.tables if len(t.columns) > 2 and t.rows[0].cells[2].text == "Intervalle de confiance à 95\u202f%")
    assert [c.text for c in shares.rows[0].cells][:2] == ["Facteur", "Part corrigée"]  # the corrected share first
    assert all(" à " in r.cells[2].text for r in shares.rows[1:])
    by_initiative = next(t for t in document.tables if len(t.columns) > 2 and t.rows[0].cells[2].text.startswith("Part corrigée (intervalle"))
    assert [c.text for c in by_initiative.rows[0].cells][:2] == ["Initiative", "N"]  # every share with its N
    table = read_table(out / "tables" / "parts_corrigees.csv")
    overall = table[table["selon"] == "ensemble"]
    assert len(overall) == 10 and (overall["borne_basse"] <= overall["part_corrigee"]).all() and (overall["part_corrigee"] <= overall["borne_haute"]).all()
    assert (out / "tables" / "fiabilite_codage.csv").is_file() and (out / "figures" / "facteurs_corriges.png").is_file()
    assert {"part_corrigee", "borne_basse", "borne_haute"} <= set(read_table(out / "tables" / "facteurs_par_initiative.csv").columns)


def test_without_a_random_sample_the_report_says_it_is_a_first_pass(tmp_path):
    import yaml

    corpus = small_corpus(tmp_path / "corpus")
    manifest = yaml.safe_load((corpus / "corpus.yaml").read_text(encoding="utf-8"))
    manifest["report"].pop("context")  # no context written: the report shows a placeholder to replace
    (corpus / "corpus.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    assert runner.invoke(app, ["run", str(corpus), "--out", str(tmp_path / "out")]).exit_code == 0
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "out" / "rapport_restitution.docx")).paragraphs)
    assert "Aucun échantillon tiré au hasard n'a été codé à la main : les parts de ce rapport sont celles du codage" in text
    assert "environ 308 segments tirés au hasard donnerait à chaque part un intervalle de confiance de ±5 points (77 pour ±10 points)" in text
    assert "enquete review" not in text and "--select" not in text and "corpus de démonstration d'enquete" not in text  # no tool talk
    assert "À remplacer par le contexte de l'étude" in text  # no corpus.yaml context: a marked placeholder
    captions = [p.text for p in docx.Document(str(tmp_path / "out" / "rapport_restitution.docx")).paragraphs if p.style.name == "Caption"]
    assert any(c.startswith("Figure 1 : Facteurs de réussite par initiative (codage automatique, non corrigé)") for c in captions)
    for name in ("facteurs_par_initiative", "facteurs_par_source"):  # the figures say it in their own title
        assert "non corrigé" in svg_text(tmp_path / "out" / "figures" / f"{name}.svg")
    assert not (tmp_path / "out" / "tables" / "parts_corrigees.csv").exists()


def test_no_personal_data_in_the_report(demo_run):
    corpus, out = demo_run

    from tests.leakscan import scan

    key = read_table(corpus / ".enquete-private" / "pseudonymes.csv")
    originals = [o for o in key["original"] if " " in o and not o.startswith(("Mme", "M.", "madame", "monsieur"))]
    assert len(originals) > 20
    assert scan(out, originals) == []


def test_report_rewritten_from_the_run_folder_is_the_runs_report(demo_run, tmp_path):
    """`enquete report` reads the run back (dates included) and writes the same bytes."""
    corpus, out = demo_run
    written = (out / "rapport_restitution.docx").read_bytes()
    result = runner.invoke(app, ["report", str(corpus), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "rapport_restitution.docx").read_bytes() == written


def test_sections_can_be_switched_off_and_title_changed(demo_run):
    corpus, out = demo_run
    result = runner.invoke(app, ["report", str(corpus), "--out", str(out), "--title", "Un autre titre", "--without", "whatsapp", "--without", "annexes"])
    assert result.exit_code == 0, result.output
    document = docx.Document(str(out / "rapport_restitution.docx"))
    assert document.paragraphs[0].text == "Un autre titre"
    assert not any(h.startswith("Dynamiques des groupes") for h in headings(document, 1)) and "Annexes" not in headings(document, 1)
    bad = runner.invoke(app, ["report", str(corpus), "--out", str(out), "--without", "conclusion"])
    assert bad.exit_code == 1 and "sections inconnues" in bad.output


def test_agency_template_keeps_its_layout_and_missing_styles_fail_early(tmp_path):
    template = tmp_path / "agence.docx"
    agency = docx.Document()
    agency.sections[0].header.paragraphs[0].text = "Agence d'urbanisme — en-tête"
    agency.save(template)
    document = check_template(template)
    assert document.sections[0].header.paragraphs[0].text == "Agence d'urbanisme — en-tête"
    broken = tmp_path / "sans_styles.docx"
    shutil.copy(FIXTURES.parent.parent / "src" / "enquete" / "report" / "modele_rapport.docx", broken)
    import zipfile

    with zipfile.ZipFile(broken) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["word/styles.xml"] = members["word/styles.xml"].replace(b'w:styleId="Caption"', b'w:styleId="Legende"').replace(b'w:val="caption"', b'w:val="legende"')
    with zipfile.ZipFile(broken, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ReportError, match="n'a pas les styles : Caption"):
        check_template(broken)


@pytest.fixture(scope="module")
def rendered(demo_run):
    """The demo's report written with --pdf (LibreOffice), and the PDF's text, page by page."""
    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice/poppler not installed")
    corpus, out = demo_run
    result = runner.invoke(app, ["report", str(corpus), "--out", str(out), "--pdf"])
    assert result.exit_code == 0, result.output
    pdf = out / "rapport_restitution.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return out, pdf, text.split("\f")


def test_pdf_has_a_paginated_table_of_contents_and_so_has_the_docx(rendered):
    out, pdf, pages = rendered
    assert 12 <= len(pages) <= 60
    headings = [p.text for p in docx.Document(str(out / "rapport_restitution.docx")).paragraphs if p.style.name in ("Heading 1", "Heading 2")]
    contents = "\n".join(pages[:3])
    for heading in headings:  # every entry with its page number, dotted leader or not
        match = re.search(rf"^\s*{re.escape(heading)}\s*\.*\s*(\d+)\s*$", contents, re.M)
        assert match, heading
        assert heading in " ".join(pages[int(match.group(1)) - 1].split()), (heading, match.group(1))  # and the page holds it
    entries = [p for p in docx.Document(str(out / "rapport_restitution.docx")).paragraphs if p.style.name in ("toc 1", "toc 2")]
    assert [p.text.split("\t") for p in entries] == [
        [title, re.search(rf"^\s*{re.escape(title)}\s*\.*\s*(\d+)\s*$", contents, re.M).group(1)] for title in headings
    ]  # the same page numbers in the .docx
    again = pdf.read_bytes()
    assert runner.invoke(app, ["report", str(rendered[0].parent / "corpus"), "--out", str(out), "--pdf"]).exit_code == 0
    assert pdf.read_bytes() == again  # reproducible: fixed date, identifier from the content


def test_pdf_numbers_follow_french_typography(rendered):
    _, _, pages = rendered
    text = "\f".join(pages)
    assert not re.search(r"\b(NaT|nan|None)\b", text)
    decimals = [m for m in re.findall(r"(?<![\w.])\d+\.\d+(?:\.\d+)*(?![\w.])", text) if m.count(".") == 1]  # versions (0.1.0) aside
    assert decimals == []
    assert [line for line in text.splitlines() if line.strip().startswith("%")] == []  # never a % alone at the start of a line
    assert re.search(r"\b0,\d\d\b", text) and re.search(r"1[ \u202f]088 segments", text)  # a decimal comma, grouped thousands


def test_every_factor_figure_says_whether_it_is_corrected(rendered):
    out, _, pages = rendered
    text = " ".join(" ".join(pages).split())
    captions = [p.text for p in docx.Document(str(out / "rapport_restitution.docx")).paragraphs if p.style.name == "Caption"]
    factor_figures = [c for c in captions if c.startswith("Figure") and "facteur" in c.lower()]
    assert len(factor_figures) >= 4 and all(" ".join(c.split()) in text for c in factor_figures)  # as the PDF shows them
    assert all("corrigée" in c or "non corrigé" in c for c in factor_figures), factor_figures
    for name in ("facteurs_par_initiative", "facteurs_par_source", "facteurs_corriges"):
        assert "corrigée par l'échantillon tiré au hasard" in svg_text(out / "figures" / f"{name}.svg")
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "3", str(out / "rapport_restitution.pdf"), str(out / "page")], check=True, timeout=120)
    assert len(list(out.glob("page-*.png"))) == 3


def test_targeted_review_decisions_are_applied_but_said_not_to_measure_the_coder(demo_run, tmp_path):
    import pandas as pd

    corpus, out = demo_run
    sheet = pd.read_excel(out / "revue_codage.xlsx", sheet_name="revue").astype(object)
    sheet.loc[:40, "revu"] = "x"
    sheet.loc[0, "sens"] = 1 - int(sheet.loc[0, "sens"])
    edited = tmp_path / "revue.xlsx"
    sheet.to_excel(edited, sheet_name="revue", index=False)
    assert runner.invoke(app, ["review", "import", str(edited), "--corpus", str(corpus)]).exit_code == 0
    result = runner.invoke(app, ["run", str(corpus), "--out", str(tmp_path / "o2")])
    assert result.exit_code == 0, result.output
    document = docx.Document(str(tmp_path / "o2" / "rapport_restitution.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "segments ont été relus par une personne" in text
    assert "200 segments tirés au hasard" in text  # the random sample still measures (its segments stay drawn at random)
    segments = pd.read_parquet(tmp_path / "o2" / "segments.parquet")
    assert segments["revision"].eq("human").sum() > 200 and segments["review_draw"].eq("random").sum() == 200


def test_both_languages_have_every_sentence_with_the_same_placeholders():
    import string

    from enquete.report import Texts

    fr, en = Texts("fr").table, Texts("en").table
    assert set(fr) == set(en)
    fields = lambda text: sorted(f for t in ([text] if isinstance(text, str) else text) for _, f, _, _ in string.Formatter().parse(t) if f)  # noqa: E731
    assert {k: fields(v) for k, v in fr.items()} == {k: fields(v) for k, v in en.items()}
    with pytest.raises(ReportError, match="langue du rapport inconnue"):
        Texts("de")


def test_english_run_gives_an_english_report_and_figures(tmp_path):
    from enquete.report import Texts

    corpus = small_corpus(tmp_path / "corpus")
    result = runner.invoke(app, ["run", str(corpus), "--out", str(tmp_path / "out"), "--language", "en"])
    assert result.exit_code == 0, result.output
    document = docx.Document(str(tmp_path / "out" / "rapport_restitution.docx"))
    assert headings(document, 1) == [
        "Summary", "Context and aims", "Method", "Findings by factor", "What residents talk about",
        "WhatsApp group dynamics", "Levers for action and municipal commitments", "Appendices",
    ]
    assert all(code.label_en in headings(document, 2) for code in FACTORS.codes)
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert captions[0] == "Table 1: The initiatives studied" and "Figure 1: Success factors by initiative (automatic coding, uncorrected)" in captions
    assert "SEQ Table" in document.element.xml and "SEQ Tableau" not in document.element.xml
    text = "\n".join(p.text for p in document.paragraphs)
    assert FACTORS["moteurs"].definition_en.split(":")[0] in text and FACTORS["moteurs"].definition.split(":")[0] not in text
    assert "The corpus brings together 2 interviews (" in text and " %" not in text and "\u202f%" not in text
    fr = Texts("fr")
    assert fr.count("n_whatsapp_documents", 1) == "1 groupe WhatsApp" and fr.count("n_whatsapp_documents", 0) == "0 groupe WhatsApp"
    assert fr.count("n_segments", 1290) == "1\u202f290 segments" and Texts("en").count("n_segments", 1290) == "1,290 segments"
    assert fr.percent(0.123) == "12\u202f%" and Texts("en").percent(0.123) == "12%" and fr.decimal(0.5) == "0,50"
    assert [c.text for c in document.tables[0].rows[0].cells] == ["Initiative", "Location", "Created", "Description"]
    levers = next(t for t in document.tables if t.rows[0].cells[0].text == "Municipal commitment")
    assert all("(" in row.cells[2].text for row in levers.rows[1:])
    svg = (tmp_path / "out" / "figures" / "facteurs_par_initiative.svg").read_text(encoding="utf-8")
    assert "Drive of resident leaders" in svg and "force motrice" not in svg
    out = tmp_path / "out"
    header = lambda path: (out / path).read_text(encoding="utf-8-sig").splitlines()[0].split(",")  # noqa: E731
    assert header("tables/facteurs_par_initiative.csv") == ["code", "factor", "initiative", "base", "segments", "share", "speakers"]
    assert header("tables/whatsapp_reponses.csv") == ["group", "from", "to", "replies"]
    assert header("pseudonymisation.csv") == ["document_id", "entity", "replacements"]
    assert "PERSON" in (out / "pseudonymisation.csv").read_text(encoding="utf-8-sig")
    assert runner.invoke(app, ["report", str(corpus), "--out", str(out)]).exit_code == 0  # read back in English
    assert headings(docx.Document(str(out / "rapport_restitution.docx")), 1)[0] == "Summary"
    bad = runner.invoke(app, ["run", str(corpus), "--out", str(tmp_path / "o2"), "--language", "de"])
    assert bad.exit_code != 0 and "language" in bad.output
