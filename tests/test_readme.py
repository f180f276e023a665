"""The README tells the truth: its corpus.yaml example is read as it says, its command reference
names every command enquete has, and the options it gives each command exist."""

from __future__ import annotations

import re

import typer

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    start = README.index(f"\n## {title}")
    return README[start: README.index("\n## ", start + 1)]


def test_the_corpus_yaml_example_is_a_valid_corpus_yaml(tmp_path):
    from enquete.corpus import read_manifest

    example = re.search(r"```yaml\n(.*?)```", section("Le dossier du corpus et `corpus.yaml`"), re.S).group(1)
    (tmp_path / "corpus.yaml").write_text(example, encoding="utf-8")
    manifest = read_manifest(tmp_path / "corpus.yaml")
    assert [d.file for d in manifest.documents] == ["entretiens/E01.docx", "whatsapp/groupe.zip", "reseaux/telegram.json"]
    assert manifest.documents[1].name == "Les Voisins du Square (groupe)" and manifest.language == "fr"
    assert manifest.initiatives[0].id == "voisins_square" and manifest.settings["pseudonym_style"] == "tags"
    assert manifest.report.date == "2022-09-30"  # a YAML date, as `corpus init`'s « AAAA-MM-JJ » asks for it
    documented = set(re.findall(r"^\s*-?\s*(\w+):", example, re.M))
    from enquete.corpus import DocumentEntry, Initiative, Manifest, PseudonymisationConfig, ReportConfig

    every_key = {*Manifest.model_fields, *DocumentEntry.model_fields, *Initiative.model_fields,
                 *PseudonymisationConfig.model_fields, *ReportConfig.model_fields}
    assert documented <= every_key
    assert every_key - documented <= {"description", "subtitle"}  # what the example leaves out


def commands(group, prefix: str = "") -> dict:
    """Every command of a command group, by its full name ("corpus init")."""
    found = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found |= commands(command, f"{prefix}{name} ")
        else:
            found[prefix + name] = command
    return found


def test_the_command_reference_lists_every_command_with_options_that_exist():
    from enquete.cli import app

    reference = section("Référence des commandes")
    rows = dict(re.findall(r"^\| `enquete ([a-z ]+?)(?: \[| [A-Z]| --|`)(.*?) \| ", reference, re.M))
    every = commands(typer.main.get_command(app))
    assert set(every) <= set(rows) | {"--version"}, set(every) - set(rows)
    for name, command in every.items():
        options = {opt for param in command.params for opt in param.opts + param.secondary_opts}
        for option in re.findall(r"--[a-z-]+", rows[name]):
            assert option in options, (name, option)
