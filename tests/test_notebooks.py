"""The notebooks run top to bottom on the demo corpus, and are committed without outputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import DEMO

pytestmark = pytest.mark.slow  # every notebook run top to bottom in a kernel

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_every_notebook_of_the_readme_exists():
    assert [p.stem for p in NOTEBOOKS] == [
        "01_corpus", "02_pseudonymisation", "03_codage", "04_analyses_et_topics", "05_restitution", "06_reproduire",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """notebooks/ and corpora/demo side by side, as in the repository, in a temporary folder."""
    root = tmp_path_factory.mktemp("carnets")
    shutil.copytree(DEMO, root / "corpora" / "demo", ignore=shutil.ignore_patterns(".enquete-private"))
    shutil.copytree(DEMO.parents[1] / "benchmarks" / "results", root / "benchmarks" / "results")  # curves the notebooks plot
    (root / "notebooks").mkdir()
    for path in NOTEBOOKS:
        shutil.copy(path, root / "notebooks" / path.name)
    return root


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom(path, workspace):
    notebook = nbformat.read(workspace / "notebooks" / path.name, as_version=4)
    NotebookClient(notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(workspace / "notebooks")}}).execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert all(c.execution_count for c in notebook.cells if c.cell_type == "code")
    assert not list(workspace.glob("corpora/demo/*.xlsx")), "a notebook wrote into the corpus folder"
