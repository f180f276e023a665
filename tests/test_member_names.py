"""A member's name (a sender, a speaker label) never rewrites an ordinary word (#30, the
newcomer's findings 1a-1d and 4), on the real exports and the interview where it happened:
WhatsR, whatstk, rwhatsapp and chat-miner test chats, a French research interview, a French
chat reproduced (tests/fixtures/real/SOURCES.md)."""

from __future__ import annotations

import re
import shutil
import warnings

import pytest

from enquete.analysis.whatsapp import group_summary
from enquete.ingest import ingest_paths
from enquete.pseudonymise import Replacer, pseudonymise, review_notice
from enquete.pseudonymise.names import People, is_title, parse_name
from enquete.pseudonymise.patterns import URL
from enquete.schema import document_names
from tests.conftest import FIXTURES

REAL = FIXTURES / "real"
FILES = (
    "whatsapp/whatstk/pokemon.txt",
    "whatsapp/rwhatsapp/sample.txt",
    "whatsapp/chat-miner/test_ddmmyy_24hrs.txt",
    "whatsapp/WhatsR/germanios24h.txt",
    "whatsapp/WhatsR/englishandroidampm.txt",
    "whatsapp/cas/Discussion WhatsApp avec Pièces jointes.txt",
    "transcripts/artisans_25.03.13_01.docx",
)
WORD = re.compile(r"[^\W\d_]+")
#: Words the corpus writes in lower case around the cases below (as a whole corpus would).
CORPUS = ("un message de test", "petit à petit", "es werden keine Daten")


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory):
    """The newcomer's files read as one corpus, and pseudonymised (spaCy's NER included)."""
    folder = tmp_path_factory.mktemp("nouvel_arrivant")
    for name in FILES:
        shutil.copy(REAL / name, folder / name.rsplit("/", 1)[-1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        segments, _ = ingest_paths(sorted(folder.iterdir()))
    result = pseudonymise(segments)
    key = result.key.set_index("original")
    return segments, result, key


def _rows(segments, result):
    """(row before, row after) of every segment (file names hold no member's name here)."""
    after = result.segments.set_index(["source_path", "position"])
    for _, before in segments.iterrows():
        yield before, after.loc[(before["source_path"], before["position"])]


def _after(segments, result, document: str, position: int) -> tuple[str, str, str]:
    """(text before, text after, speaker after) of one segment."""
    before = segments[(segments["document_id"] == document) & (segments["position"] == position)].iloc[0]
    after = result.segments[(result.segments["source_path"] == before["source_path"]) & (result.segments["position"] == position)].iloc[0]
    return before["text"], after["text"], after["speaker"]


def test_no_lower_case_word_changes_in_any_text(newcomer):
    segments, result, _ = newcomer
    for before, after in ((URL.sub("", b["text"]), URL.sub("", a["text"])) for b, a in _rows(segments, result)):
        assert [w for w in WORD.findall(before) if w.islower()] == [w for w in WORD.findall(after) if w.islower()], (before, after)


def test_a_title_is_never_a_name_part(newcomer):
    segments, result, key = newcomer
    assert parse_name("Prof. Oak").title == "Prof." and is_title("prof.") and is_title("Dr")
    pseudo = key.loc["Prof. Oak", "pseudo_last"]
    assert _after(segments, result, "pokemon", 8)[2] == f"Prof. {pseudo}"  # the sender keeps his title
    assert _after(segments, result, "pokemon", 9)[1] == "I don't mind Prof. I quit capturing Pokemon."
    interview = result.segments.loc[segments["document_id"] == "artisans_25_03_13_01", "text"]
    assert interview.str.contains("je parle en tant qu'élève et en tant que prof. La manière dont", regex=False).any()


def test_a_display_name_that_is_a_word_stays_a_word_in_texts_and_ids(newcomer):
    segments, result, key = newcomer
    assert key.loc["Test", "pseudonym"] != "Test"
    assert _after(segments, result, "sample", 4)[2] == key.loc["Test", "pseudonym"]  # the sender is pseudonymised
    chat = "discussion_whatsapp_avec_pieces_jointes"
    assert _after(segments, result, chat, 4)[1] == "Test avec plusieurs photos"  # its attachment notice in `attachment`
    assert _after(segments, result, "englishandroidampm", 9)[1] == "Test test"
    assert _after(segments, result, "germanios24h", 9)[1] == "Test test"
    assert set(result.segments["document_id"]) == set(segments["document_id"])  # test_ddmmyy_24hrs stays itself
    assert "test_ddmmyy_24hrs" in set(result.segments["document_id"])


def test_words_of_another_language_are_not_names(newcomer):
    segments, result, _ = newcomer
    consent = "Es werden keine personenbezogenen Daten über mich gespeichert."
    assert all(consent in _after(segments, result, "germanios24h", p)[1] for p in (46, 47, 48))
    assert _after(segments, result, "germanios24h", 22)[1] == "Keine Ahnung, lass uns das doch mal ausprobieren"
    assert _after(segments, result, "germanios24h", 49)[1] == "Vielleicht bin ich beim nächsten mal dabei!"
    assert _after(segments, result, "pokemon", 19)[1] == "Wo-bbu-ffet"
    assert _after(segments, result, "test_ddmmyy_24hrs", 4)[1] == '[TÉLÉPHONE] created group "Groupname"'


def test_members_named_in_texts_are_replaced(newcomer):
    segments, result, key = newcomer
    assert _after(segments, result, "pokemon", 3)[1] == f"Hey {key.loc['Ash Ketchum', 'pseudo_first']}, good to have a common group!"
    assert _after(segments, result, "englishandroidampm", 34)[1].startswith(f"{key.loc['Carol', 'pseudonym']}, can you post")
    assert _after(segments, result, "germanios24h", 44)[1].startswith(f"Kein Problem {key.loc['Dave', 'pseudonym']}! Ich füge")
    assert _after(segments, result, "discussion_whatsapp_avec_pieces_jointes", 5)[1] == f"Dernier message de test, merci {key.loc['Bob', 'pseudonym']} !"
    texts = " ".join(result.segments["text"])
    for name in ("Ketchum", "Gruber", "Johannes", "Mallory", "Carol", "Dave", "Alice", "John Doe", "Oak"):
        assert not re.search(rf"(?<!\w){name}(?!\w)", texts), name


def test_display_names_differing_by_an_emoji_are_two_speakers_and_listed(newcomer):
    segments, result, key = newcomer
    doc = result.segments[result.segments["document_id"] == "test_ddmmyy_24hrs"]
    first, last = key.loc["John Doe", ["pseudo_first", "pseudo_last"]]
    assert {f"{first} {last}", f"{first} {last} 🤓"} <= set(doc["speaker"].dropna())
    raw, pseudonymised = (group_summary(df).set_index("group")["active_members"] for df in (segments, result.segments))
    assert pseudonymised.to_dict() == raw.to_dict()  # the report's active members are the export's senders
    group = document_names(segments)["test_ddmmyy_24hrs"]  # the group as the tables name it
    assert raw[group] == segments.loc[segments["document_id"] == "test_ddmmyy_24hrs", "speaker"].nunique() == 5
    review = result.review("fr", originals=True)
    same = review[review["repere_par"].str.startswith("noms affichés")]
    assert same["forme_originale"].tolist() == ["John Doe / John Doe 🤓"]
    assert same["remplace_par"].tolist() == [f"{first} {last} / {first} {last} 🤓"]


def test_every_form_nobody_named_is_listed(newcomer):
    _, result, key = newcomer
    review = result.review("fr", originals=True)
    parts = review[review["repere_par"] == "prénom ou nom d'un membre écrit seul"]
    assert ("Ash", key.loc["Ash Ketchum", "pseudo_first"]) in set(zip(parts["forme_originale"], parts["remplace_par"]))
    kept = review[review["repere_par"].str.startswith("mot d'un nom de membre gardé")]
    assert kept[["forme_originale", "remplace_par", "occurrences", "documents"]].values.tolist() == [["Test", "", 3, 3]]
    public = result.review("fr")
    assert "forme_originale" not in public.columns and not {"Ash", "John Doe"} & set(public.astype(str).to_numpy().ravel())
    notice = review_notice(public, None)
    assert "écrit(s) seul(s)" in notice and "emoji" in notice and "gardé(s) comme mot(s) ordinaire(s)" in notice


def _replacer(*members: str, texts: tuple[str, ...] = ()) -> Replacer:
    people = People()
    for name in members:
        people.add(name, "speaker")
    people.assign_pseudonyms(42, set())
    lowercase = frozenset(w for t in (*texts, *CORPUS) for w in WORD.findall(t) if w.islower())
    return Replacer(people, "names", (), (), lowercase, frozenset({"petit", "rose", "test", "bob"}), frozenset({"keine", "wo"}))


@pytest.mark.parametrize(
    ("members", "text", "kept"),
    [
        (("Prof. Oak",), "en tant que prof. La manière", True),
        (("Dr Martin Lefèvre",), "le Dr est passé", True),
        (("Marie Petit",), "un petit jardin, Petit à petit", True),  # a surname that is a word: not alone
        (("Test",), "Test avec plusieurs photos", True),
        (("Keine Ahnung",), "es werden keine Daten", True),
        (("Wo",), "Wo-bbu-ffet", True),
        (("Wobbuffet",), "Wo-bbu-ffet", True),
        (("Nadia Benali",), "la réunion avec Benali", False),
        (("Nadia Benali",), "merci nadia", False),  # a first name the lists know, in lower case
        (("Dmitry Starkov",), "Resume-Dmitry-Starkov.pdf", False),
        (("Bob",), "merci Bob !", False),  # a display name the corpus never writes in lower case
    ],
)
def test_which_forms_of_a_member_are_replaced(members, text, kept):
    replacer = _replacer(*members, texts=(text,))
    assert (replacer.replace(text)[0] == text) is kept


def test_document_ids_keep_ordinary_words_and_lose_names():
    replacer = _replacer("Test", "Nadia Benali")
    assert replacer.loose("test_ddmmyy_24hrs") == "test_ddmmyy_24hrs"
    assert "benali" not in replacer.loose("entretien_nadia_benali")


def test_a_sender_named_like_a_word_is_still_pseudonymised_as_speaker():
    replacer = _replacer("Test", "John Doe", "John Doe 🤓", texts=("Test test",))
    assert replacer.speaker("Test") not in ("Test", "")
    assert replacer.replace("Test test")[0] == "Test test"
    plain = replacer.speaker("John Doe")
    assert replacer.speaker("John Doe 🤓") == f"{plain} 🤓" and "Doe" not in plain
