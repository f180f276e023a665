"""The command line starts light: heavy libraries load only in the commands that use them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("spacy", "sklearn", "docx", "matplotlib", "bertopic", "umap", "plotly", "networkx", "openpyxl")


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    return set(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split())


def test_importing_the_command_line_loads_no_heavy_library():
    assert loaded_after("import enquete.cli") == set()
    assert loaded_after("import enquete.cli, enquete.errors, enquete.words") == set()


def test_listing_codebooks_and_the_version_load_no_heavy_library():
    run = "from typer.testing import CliRunner\nfrom enquete.cli import app\nr = CliRunner()\nassert r.invoke(app, {args!r}).exit_code == 0"
    assert loaded_after(run.format(args=["--version"])) == set()
    assert loaded_after(run.format(args=["codebooks"])) - {"pandas"} == set()


def test_ingesting_a_file_loads_no_language_model_nor_topic_library(tmp_path):
    chat = tmp_path / "chat.txt"
    chat.write_text("26/09/2023 22:39 - Amélie: Bonjour\n26/09/2023 22:40 - Karim: Salut\n", encoding="utf-8")
    run = (
        "from typer.testing import CliRunner\nfrom enquete.cli import app\n"
        f"r = CliRunner().invoke(app, ['ingest', {str(chat)!r}, '--out', {str(tmp_path / 'out.csv')!r}])\nassert r.exit_code == 0, r.output"
    )
    assert loaded_after(run) & {"spacy", "sklearn", "bertopic", "matplotlib"} == set()


def test_a_bug_shows_its_traceback_and_a_user_error_one_line(tmp_path):
    from typer.testing import CliRunner

    from enquete.cli import app

    result = CliRunner().invoke(app, ["corpus", "info", str(tmp_path / "absent")])
    assert result.exit_code == 1 and "Erreur :" in result.output and "Traceback" not in result.output


def test_an_unexpected_exception_is_not_dressed_as_a_user_error(monkeypatch):
    from typer.testing import CliRunner

    import enquete.codebook
    from enquete.cli import app

    def broken():
        raise KeyError("a bug")

    monkeypatch.setattr(enquete.codebook, "bundled_codebooks", broken)
    result = CliRunner().invoke(app, ["codebooks"])
    assert isinstance(result.exception, KeyError) and "Erreur :" not in result.output


def test_a_deferred_module_runs_when_a_library_reads_its_version():
    # enquete.codebook defers pandas; pyarrow's first conversion reads pandas.__version__
    probe = (
        "import sys, enquete.codebook\nassert type(sys.modules['pandas']).__name__ == '_Deferred'\n"
        "import pyarrow as pa\nassert pa.table({'a': [1]}).to_pandas()['a'].tolist() == [1]"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)


def test_a_study_made_first_reads_every_export_in_worker_processes(tmp_path):
    # the study loads its codebook (pandas deferred) before the forked readers convert Arrow tables
    for i in range(4):
        (tmp_path / f"Discussion WhatsApp avec Groupe {i}.txt").write_text(
            "26/09/2023 22:39 - Amélie: Bonjour\n26/09/2023 22:40 - Karim: Salut\n", encoding="utf-8")
    probe = (
        "import warnings\nwarnings.simplefilter('ignore')\nfrom enquete import Study\n"
        f"study = Study({str(tmp_path)!r}, workers=2)\nsegments = study.ingest()\n"
        "assert len(study.rejects) == 0, study.rejects.to_dict('records')\nassert len(segments) == 8"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
