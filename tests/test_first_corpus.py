"""A new user's first corpus, as docs/premier_corpus.md tells it (issue 33).

A fresh folder of real files (transcripts from four tools, a WhatsApp export, field notes, a PDF),
laid out as the guide's tree shows it; then the guide's commands, each typed as a user types it:
the installed `enquete` command, from inside the folder, with no corpus argument. Two typos in
corpus.yaml get the guide's messages word for word; the run ends with the report's path and the
list to check. The guide's commands and the messages it shows are read from the guide itself, so
that the guide and what enquete does cannot drift apart.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from enquete.io import read_table
from tests.conftest import DEMO, FIXTURES, ROOT

pytestmark = pytest.mark.slow  # corpus init and a whole run, as subprocesses (about a minute)

GUIDE = ROOT / "docs" / "premier_corpus.md"
#: The command a user types: the console script installed beside this Python.
ENQUETE = str(Path(sys.executable).with_name("enquete"))
REAL = FIXTURES / "real"
#: The guide's folder, file by file: real files of other tools and projects (sources in SOURCES.md), the demo's notes and statutes.
FILES = {
    "entretiens/E01.docx": REAL / "transcripts" / "artisans_24.10.03_01.docx",          # Word, a French research interview
    "entretiens/E02.txt": REAL / "transcripts" / "pyannote_script_fr.txt",              # Whisper + pyannote script
    "entretiens/E03.vtt": REAL / "transcripts" / "zoom_fr.vtt",                         # Zoom
    "entretiens/E04.html": REAL / "transcripts" / "noscribe_renomme_fr.html",           # noScribe, speakers renamed
    "whatsapp/Discussion WhatsApp avec AG Amicale.txt": REAL / "whatsapp" / "cas" / "Discussion WhatsApp avec AG Amicale.txt",
    "terrain/carnet.md": DEMO / "terrain" / "carnet_observation_batiment_c.md",
    "documents/statuts.pdf": DEMO / "documents" / "statuts_collectif_batiment_c.pdf",
}
DOCUMENT_TYPO = "entretiens/E02.txt"  # the 3rd document of corpus.yaml (documents/statuts.pdf, entretiens/E01.docx come first)


def enquete(*args: str, cwd: Path, ok: bool = True) -> subprocess.CompletedProcess:
    """`enquete ARGS` typed in ``cwd``; its output as a user reads it."""
    env = {**os.environ, "ENQUETE_PROGRESS": "0", "COLUMNS": "400"}  # a wide terminal: no line is wrapped
    done = subprocess.run([ENQUETE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert (done.returncode == 0) == ok, f"enquete {' '.join(args)} → {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def flat(text: str) -> str:
    """A console's text with its line wrapping undone."""
    return " ".join(text.split())


def guide_blocks(language: str) -> list[str]:
    """The guide's fenced blocks of one language ("" for the blocks that show what enquete prints)."""
    blocks, current = [], None
    for line in GUIDE.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("```"):
            if current is None:
                current = (line[3:].strip(), [])
            else:
                blocks.append(current)
                current = None
        elif current is not None:
            current[1].append(line)
    return ["".join(lines) for fence, lines in blocks if fence == language]


def guide_commands() -> list[list[str]]:
    """Every `enquete …` line of the guide's bash blocks, as argument lists (comments dropped)."""
    lines = [line.split(" #")[0].strip() for block in guide_blocks("bash") for line in block.splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("enquete ")]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("nouvelle_utilisatrice") / "mon_enquete"
    for name, source in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / name)
    return root


def test_the_guide_shows_the_folder_the_test_uses():
    tree = next(block for block in guide_blocks("") if block.startswith("mon_enquete/"))
    for name in FILES:
        folder, file = name.split("/")
        assert re.search(rf"{folder}/ .*{re.escape(file)}", tree), name
    assert len(re.findall(r"\S\.(?:docx|odt|txt|vtt|srt|json|html|md|pdf|zip)\b", tree)) == len(FILES)


def test_a_new_user_follows_the_guide_from_an_empty_corpus_yaml_to_the_report(folder):
    commands = guide_commands()
    assert [c[:2] if c[0] == "corpus" else c[:1] for c in commands] == [
        ["corpus", "init"], ["corpus", "info"], ["settings"], ["run"], ["revue"], ["report"]], commands

    # 3. corpus init writes a commented corpus.yaml from what it found, and never overwrites it
    written = enquete("corpus", "init", cwd=folder)
    assert flat(written.stdout).startswith("corpus.yaml écrit : 7 document(s) lu(s), 0 illisible(s) mis dans « exclude »")
    manifest = folder / "corpus.yaml"
    text = manifest.read_text(encoding="utf-8")
    for name in FILES:
        assert f'- file: "{name}"' in text
    assert re.search(r'- file: "entretiens/E04.html" +# entretien, \d+ segment\(s\), 2 locuteur\(s\)', text)
    assert 'name: "AG Amicale"' in text and "kind: observation" in text and "kind: document" in text
    assert text.count("kind: interview") == 4 and 'interviewer: ["Hélène Morel"]' in text
    again = enquete("corpus", "init", cwd=folder, ok=False)
    assert "existe déjà : enquete corpus init ne l'écrase jamais" in flat(again.stderr)

    # two typos, as a user makes them: a document's key and a setting
    document = f'- file: "{DOCUMENT_TYPO}"'
    start = text.index(document)
    entry_end = text.index("\n  - file:", start + 1)
    assert "    initiative: initiative_1" in text[start:entry_end]
    typed = (text[:start] + text[start:entry_end].replace("    initiative:", "    initiatve:") + text[entry_end:]).replace(
        "# settings:\n#   pseudonym_style: tags", "settings:\n  pseudonym_stlye: tags")
    assert "pseudonym_stlye" in typed and "initiatve" in typed
    manifest.write_text(typed, encoding="utf-8")
    shown = [line for block in guide_blocks("") for line in block.splitlines() if line.startswith("Erreur :")]
    assert len(shown) == 2, shown

    # the document's typo first, word for word as the guide shows it; nothing is run
    refused = enquete("run", cwd=folder, ok=False)
    assert refused.stderr.strip() == shown[0] == (
        "Erreur : corpus.yaml : clé inconnue « initiatve » pour le document entretiens/E02.txt (3e document)"
        " — vouliez-vous dire « initiative » ?")
    assert refused.stdout == "" and not (folder / "outputs").exists()
    manifest.write_text(typed.replace("initiatve:", "initiative:"), encoding="utf-8")

    # then the setting's, by corpus info as by run
    for command in (["corpus", "info"], ["run"]):
        refused = enquete(*command, cwd=folder, ok=False)
        assert refused.stderr.strip() == shown[1] == (
            "Erreur : réglages invalides : clé inconnue « pseudonym_stlye » — vouliez-vous dire « pseudonym_style » ?"
            " (la liste : enquete settings)")
    manifest.write_text(text, encoding="utf-8")

    # 4. corpus info and settings, from the folder
    info = flat(enquete("corpus", "info", cwd=folder).stdout)
    assert "7 documents (4 entretien(s), 1 groupe(s) WhatsApp, 1 carnet(s) d'observation, 1 document(s))" in info
    assert info.endswith(" 0 rejet(s)") or " 0 rejet(s) " in info
    for speaker in ("Chercheur", "SPEAKER_00", "Hélène Morel", "Expérimentateur"):  # each interview's interviewer, as guessed
        assert re.search(rf"{speaker} │ (interviewer|enquêteur)", info), speaker  # the role in French once #33 item 5 lands
    settings = flat(enquete("settings", cwd=folder).stdout)
    assert "Réglages de ." in settings and "corpus.yaml" in settings  # language: fr comes from the corpus.yaml written

    # 5. run, from inside the folder, with no argument: the end block says where the report is and what to check
    run = enquete("run", cwd=folder)
    end = run.stdout[run.stdout.index("Rapport :"):]
    lines = end.strip().splitlines()
    assert lines[0] == "Rapport : outputs/rapport_restitution.docx"
    assert (folder / "outputs" / "rapport_restitution.docx").stat().st_size > 10_000
    checks = [line for line in lines if line.startswith("À vérifier :")]
    assert len(checks) == 1 and checks[0].startswith("À vérifier : ") and (
        " forme(s) remplacée(s) par la pseudonymisation : outputs/pseudonymisation_a_verifier.csv "
        "(les formes originales : dossier privé du corpus)") in checks[0]
    listed = int(re.search(r"À vérifier : (\d+) forme", checks[0]).group(1))
    assert listed == len(read_table(folder / "outputs" / "pseudonymisation_a_verifier.csv")) > 0
    assert lines[-1] == "Ensuite : relire le codage (enquete revue . --out outputs), puis relancer enquete run"
    # the guide shows this end block as it is printed (the number of forms aside)
    def numbers(text: str) -> str:
        return re.sub(r"\d+", "N", text)

    assert any(numbers(block.strip()) == numbers("\n".join(lines)) for block in guide_blocks("")), lines

    # what the run read: every file, nothing rejected, the group by its name
    summary = flat(run.stdout)
    assert "7 documents (4 entretien(s), 1 groupe(s) WhatsApp, 1 carnet(s) d'observation, 1 document(s))" in summary
    assert "0 rejet(s)" in summary
    assert len(read_table(folder / "outputs" / "rejets.csv")) == 0
    documents = read_table(folder / "outputs" / "corpus_documents.csv")
    assert len(documents) == 7

    # 6. a place replaced by a tag is kept once it is in `allow`; the persons keep their pseudonyms
    private = folder / ".enquete-private" / "pseudonymisation_a_verifier.csv"
    to_check = read_table(private)
    assert "forme_originale" not in read_table(folder / "outputs" / "pseudonymisation_a_verifier.csv").columns
    place = to_check.loc[to_check["entity"] == "LIEU", "forme_originale"].iloc[0]
    persons = set(to_check.loc[to_check["entity"] == "PERSONNE", "remplace_par"])
    assert "\n  allow:\n" in text  # corpus init proposed places: the list goes on below
    manifest.write_text(text.replace('  allow:\n', f'  allow:\n    - "{place}"\n', 1), encoding="utf-8")
    rerun = enquete("run", cwd=folder)
    checked = read_table(folder / "outputs" / "pseudonymisation_a_verifier.csv")
    assert "LIEU" not in set(checked["entity"]) and set(checked.loc[checked["entity"] == "PERSONNE", "remplace_par"]) == persons
    assert f"À vérifier : {len(checked)} forme(s)" in rerun.stdout

    # 7. the review page, from the folder: one French line with its address, and the page answers
    from tests.test_review_ui import _address

    server = subprocess.Popen([ENQUETE, "revue", "--select", "20", "--no-browser"], cwd=folder, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env={**os.environ, "COLUMNS": "300"})
    try:
        url = _address(server)
        with urllib.request.urlopen(url, timeout=180) as page:
            assert page.status == 200
        assert server.printed[0].startswith("Page de relecture (prête dans quelques secondes) : http://127.0.0.1:")
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()

    # 8. the report rewritten as the guide says, with an agency's Word template
    report_command = next(c for c in commands if c[0] == "report")
    template = report_command[report_command.index("--template") + 1]
    import docx

    docx.Document().save(folder / template)
    rewritten = enquete(*report_command, cwd=folder)
    assert flat(rewritten.stdout) == "Rapport : outputs/rapport_restitution.docx"
    title = report_command[report_command.index("--title") + 1]
    body = "\n".join(p.text for p in docx.Document(folder / "outputs" / "rapport_restitution.docx").paragraphs)
    assert title in body


def french_spreadsheet(path: Path) -> pd.DataFrame:
    """A CSV as French Excel opens it: a BOM, ';' between fields, decimal commas."""
    assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path
    return pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")


def test_a_new_user_opens_the_csvs_in_french_excel(folder):
    if not (folder / "outputs" / "codage.csv").exists():
        if not (folder / "corpus.yaml").exists():
            enquete("corpus", "init", cwd=folder)
        enquete("run", cwd=folder)
    coded = french_spreadsheet(folder / "outputs" / "codage.csv")
    assert {"segment_id", "text", "codes"} <= set(coded.columns)
    assert all(coded[c].dtype.kind == "f" for c in coded.columns if c.startswith("score_"))
    by_initiative = french_spreadsheet(folder / "outputs" / "tables" / "facteurs_par_initiative.csv")
    assert len(by_initiative.columns) > 3
    assert any(by_initiative[c].dtype.kind == "f" for c in by_initiative.columns)
