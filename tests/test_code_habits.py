"""The habits the code keeps: ruff clean, and every function the notebooks use documents its parameters."""

from __future__ import annotations

import importlib
import inspect
import json
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

NOTEBOOK_IMPORT = re.compile(r"from (enquete[\w.]*) import ([\w, ]+)")
#: What the notebooks call on the façade (``enquete.Study(...)``) and on a study (``etude.code(...)``).
FACADE_CALL = re.compile(r"\benquete\.(\w+)\(")
STUDY_CALL = re.compile(r"\betude\.(\w+)\(")


def notebook_api() -> list[tuple[str, str]]:
    """(module, name) of every enquete function or class a notebook imports."""
    found = set()
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        source = "\n".join("".join(cell["source"]) for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"])
        for module, names in NOTEBOOK_IMPORT.findall(source):
            found.update((module, name.strip()) for name in names.split(","))
        found.update(("enquete", name) for name in FACADE_CALL.findall(source))
        found.update(("enquete", f"Study.{name}") for name in STUDY_CALL.findall(source))
    return sorted(found)


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=str(ROOT / ".venv" / "bin")) or shutil.which("ruff")
    command = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    result = subprocess.run([*command, "check", "src", "tests", "benchmarks", "scripts", "notebooks"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize(("module", "name"), notebook_api())
def test_functions_the_notebooks_use_document_their_parameters(module, name):
    obj = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    if not callable(obj) or inspect.ismodule(obj):
        return
    parameters = [p for p in inspect.signature(obj).parameters if p != "self"]
    if len(parameters) < 2:
        return
    doc = inspect.getdoc(obj) or ""
    assert "Parameters\n----------" in doc, f"{module}.{name}: no Parameters section"
    section = doc.split("Parameters\n----------", 1)[1]
    documented = {word for line in section.splitlines() if " : " in line for word in re.split(r"[,\s]+", line.split(" : ", 1)[0]) if word}
    assert set(parameters) <= documented, f"{module}.{name}: undocumented {sorted(set(parameters) - documented)}"
