import pytest

from enquete.codebook import CodebookError, bundled_codebooks, load_codebook

FACTORS = [
    "moteurs", "facilitateurs", "rencontres", "faire_ensemble", "logistique",
    "lieu", "sens", "gouvernance", "pouvoir_agir", "forces_limites",
]


def test_success_factors_have_the_contract_ids_in_order():
    assert load_codebook("facteurs_reussite").ids == FACTORS


@pytest.mark.parametrize("name", ["facteurs_reussite", "engagements_municipaux", "leviers_action"])
def test_bundled_codebooks_are_complete(name):
    cb = load_codebook(name)
    for code in cb.codes:
        assert code.label and len(code.definition) > 60, code.id
        assert code.color.startswith("#")
    if name == "facteurs_reussite":
        for code in cb.codes:
            assert code.include and code.exclude and len(code.indicators) >= 8 and len(code.examples) >= 3, code.id


def test_sizes_of_the_bundled_codebooks():
    assert bundled_codebooks() == ["engagements_municipaux", "facteurs_reussite", "leviers_action"]
    assert len(load_codebook("engagements_municipaux").codes) == 10
    assert len(load_codebook("leviers_action").codes) == 5


def test_every_factor_maps_to_levers_and_commitments():
    cb = load_codebook("facteurs_reussite")
    levers = cb.mapping("leviers_action")
    commitments = cb.mapping("engagements_municipaux")
    assert set(levers["code"]) == set(FACTORS) == set(commitments["code"])
    assert set(levers["leviers_action"]) <= set(load_codebook("leviers_action").ids)


def _write(tmp_path, text):
    path = tmp_path / "grille.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_user_codebook_from_a_path(tmp_path):
    path = _write(tmp_path, "id: mine\nlabel: Ma grille\ncodes:\n  - id: voisinage\n    label: Voisinage\n    definition: Relations entre voisins.\n")
    cb = load_codebook(path)
    assert cb.ids == ["voisinage"] and cb.labels() == {"voisinage": "Voisinage"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: x\nlabel: [unclosed\n", "YAML invalide"),
        ("- a\n- b\n", "dictionnaire"),
        ("id: x\nlabel: X\ncodes: []\n", "codes"),
        ("id: x\nlabel: X\ncodes:\n  - id: A-B\n    label: a\n    definition: d\n", "identifiant de code invalide"),
        ("id: x\nlabel: X\ncodes:\n  - id: a\n    label: a\n    definition: ''\n", "definition"),
        ("id: x\nlabel: X\ncodes:\n  - {id: a, label: a, definition: d}\n  - {id: a, label: b, definition: d}\n", "en double"),
        ("id: x\nlabel: X\ncodes:\n  - {id: a, label: a, definition: d, color: red}\n", "couleur"),
        ("id: x\nlabel: X\ncodes:\n  - {id: a, label: a, definition: d, maps_to: {leviers_action: [inexistant]}}\n", "inexistant"),
        ("id: x\nlabel: X\ncodes:\n  - {id: a, label: a, definition: d, maps_to: {autre_grille: [b]}}\n", "grille inconnue"),
    ],
)
def test_invalid_codebooks_give_clear_errors(tmp_path, text, message):
    with pytest.raises(CodebookError, match=message):
        load_codebook(_write(tmp_path, text))


def test_unknown_codebook_name_lists_the_bundled_ones():
    with pytest.raises(CodebookError, match="facteurs_reussite"):
        load_codebook("facteurs")
