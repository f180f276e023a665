
import pytest

from enquete.corpus import CorpusError, CorpusWarning, load_corpus, read_manifest, slugify
from tests.conftest import DEMO, write_chat

CHAT = ["26/09/2023 22:41 - Amélie: Bonjour à tous", "26/09/2023 22:42 - Karim: Salut"]


def test_demo_manifest_loads_with_initiatives_and_documents():
    corpus = load_corpus(DEMO)
    assert len(corpus.manifest.initiatives) == 4
    assert {d.kind for d in corpus.documents} == {"interview", "whatsapp", "observation", "document", "social"}
    assert all(d.in_manifest for d in corpus.documents)
    e01 = next(d for d in corpus.documents if d.id == "E01")
    assert e01.initiative == "voisins_square" and e01.respondent_role == "habitante motrice"
    assert e01.interviewer == ["Enquêtrice"]


def test_folder_without_manifest_is_a_corpus_with_a_warning(tmp_path):
    write_chat(tmp_path / "groupe.txt", CHAT)
    with pytest.warns(CorpusWarning, match="pas de corpus.yaml"):
        corpus = load_corpus(tmp_path)
    assert [d.id for d in corpus.documents] == ["groupe"]
    assert corpus.documents[0].initiative == ""


def test_unlisted_file_is_read_with_a_warning(tmp_path):
    write_chat(tmp_path / "a.txt", CHAT)
    write_chat(tmp_path / "b.txt", CHAT)
    (tmp_path / "corpus.yaml").write_text("documents:\n  - file: a.txt\n    kind: whatsapp\n", encoding="utf-8")
    with pytest.warns(CorpusWarning, match="b.txt n'est pas dans corpus.yaml"):
        corpus = load_corpus(tmp_path)
    assert {d.id: d.in_manifest for d in corpus.documents} == {"a": True, "b": False}


def test_missing_manifest_file_is_a_clear_error(tmp_path):
    (tmp_path / "corpus.yaml").write_text("documents:\n  - file: absent.docx\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="absent.docx.*introuvable"):
        load_corpus(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("documents: [\n", "YAML invalide"),
        ("- just a list\n", "dictionnaire"),
        ("titre: faute de frappe\n", "titre"),
        ("initiatives:\n  - localisation: sans nom\n", "name"),
        ("documents:\n  - file: a.txt\n    kind: podcast\n", "kind"),
        ("settings:\n  pseudonym_style: emoji\n", "pseudonym_style"),
    ],
)
def test_invalid_manifests_give_clear_errors(tmp_path, content, message):
    from enquete.errors import EnqueteError

    write_chat(tmp_path / "a.txt", CHAT)
    (tmp_path / "corpus.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(EnqueteError) as err:
        load_corpus(tmp_path).settings()
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("topic_embeddings: tdidf", "topic_embeddings"),
        ("topic_reduction: tsne", "topic_reduction"),
        ("report_sections: [synthese, conclusion]", "report_sections"),
        ("spacy_model: fr_core_news_xl", "non installé"),
        ("training_codes: codage_2023.csv", "introuvable"),
        ("workers: -1", "workers"),
    ],
)
def test_every_setting_is_checked_when_the_corpus_loads(tmp_path, setting, message):
    from enquete.errors import ConfigError

    write_chat(tmp_path / "a.txt", CHAT)
    (tmp_path / "corpus.yaml").write_text(f"settings:\n  {setting}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_corpus(tmp_path).settings()


def test_unknown_initiative_in_a_document_is_an_error(tmp_path):
    write_chat(tmp_path / "a.txt", CHAT)
    (tmp_path / "corpus.yaml").write_text(
        "initiatives:\n  - name: Les Voisins\ndocuments:\n  - file: a.txt\n    initiative: inconnue\n", encoding="utf-8"
    )
    with pytest.raises(CorpusError, match="initiative inconnue"):
        load_corpus(tmp_path)


def test_initiative_referenced_by_name_or_slug(tmp_path):
    write_chat(tmp_path / "a.txt", CHAT)
    (tmp_path / "corpus.yaml").write_text(
        "initiatives:\n  - name: Les Voisins du Square\ndocuments:\n  - file: a.txt\n    initiative: Les Voisins du Square\n",
        encoding="utf-8",
    )
    corpus = load_corpus(tmp_path)
    assert corpus.documents[0].initiative == "les_voisins_du_square"
    assert read_manifest(tmp_path / "corpus.yaml").initiatives[0].id == "les_voisins_du_square"


def test_files_with_the_same_name_get_distinct_stable_ids(tmp_path):
    write_chat(tmp_path / "x" / "a.txt", CHAT)
    write_chat(tmp_path / "y" / "a.txt", CHAT)
    with pytest.warns(CorpusWarning, match="pas de corpus.yaml"):
        assert [d.id for d in load_corpus(tmp_path).documents] == ["x_a", "y_a"]


def test_duplicate_ids_given_in_the_manifest_are_an_error(tmp_path):
    write_chat(tmp_path / "x" / "a.txt", CHAT)
    write_chat(tmp_path / "y" / "a.txt", CHAT)
    (tmp_path / "corpus.yaml").write_text("documents:\n  - {file: x/a.txt, id: A}\n  - {file: y/a.txt, id: A}\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="en double"):
        load_corpus(tmp_path)


def test_settings_merge_defaults_manifest_and_overrides(tmp_path):
    write_chat(tmp_path / "a.txt", CHAT)
    (tmp_path / "corpus.yaml").write_text("settings:\n  pseudonym_style: tags\n  seed: 7\n", encoding="utf-8")
    settings = load_corpus(tmp_path).settings(seed=9, codebook=None)
    assert settings.pseudonym_style == "tags" and settings.seed == 9 and settings.codebook == "facteurs_reussite"


def test_hidden_and_private_folders_are_not_documents(tmp_path):
    write_chat(tmp_path / "a.txt", CHAT)
    write_chat(tmp_path / ".enquete-private" / "cles.txt", CHAT)
    with pytest.warns(CorpusWarning, match="pas de corpus.yaml"):
        assert [d.id for d in load_corpus(tmp_path).documents] == ["a"]


def test_missing_corpus_folder():
    with pytest.raises(CorpusError, match="introuvable"):
        load_corpus("/nonexistent/corpus")


def test_slugify():
    assert slugify("Discussion WhatsApp avec Les Voisins") == "discussion_whatsapp_avec_les_voisins"
    assert slugify("Élodie & Cie") == "elodie_cie"


def test_configuration_errors_say_where_in_french_with_the_key_meant(tmp_path):
    (tmp_path / "corpus.yaml").write_text(
        "initiatives:\n  - name: Les Voisins\n    creation: vers 2010\ndocuments:\n  - file: a.txt\n  - file: b.txt\n"
        "  - file: entretiens/E03.txt\n    initiatve: voisins\n", encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        load_corpus(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'corpus.yaml'} : « creation » pour l'initiative Les Voisins (1re initiative) : nombre entier attendu, reçu « vers 2010 »; "
        "clé inconnue « initiatve » pour le document entretiens/E03.txt (3e document) — vouliez-vous dire « initiative » ?"
    )


def test_a_mistyped_setting_is_named_with_the_one_meant(tmp_path):
    from enquete.errors import ConfigError

    (tmp_path / "corpus.yaml").write_text("settings:\n  pseudonym_stlye: tags\n  language: de\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_corpus(tmp_path).settings()
    assert str(caught.value) == ("réglages invalides : « language » : valeur « de » non permise (attendu : fr, en); "
                                 "clé inconnue « pseudonym_stlye » — vouliez-vous dire « pseudonym_style » ? (la liste : enquete settings)")
