"""The bundled demo corpus meets its specification (sizes, formats, variety, gold codes)."""

import pandas as pd

from enquete.codebook import load_codebook
from enquete.corpus import load_corpus
from tests.conftest import DEMO


def test_demo_has_four_fictional_initiatives_of_the_expected_kinds():
    corpus = load_corpus(DEMO)
    kinds = {i.attributes["type"] for i in corpus.manifest.initiatives}
    assert kinds == {"réseau de voisins", "association de femmes et de familles", "association de résidents", "amicale de locataires"}
    assert all(i.description and i.localisation and i.creation for i in corpus.manifest.initiatives)


def test_interviews_formats_roles_and_lengths(demo_segments):
    segments, rejects = demo_segments
    assert rejects.empty
    interviews = segments[segments["source_type"] == "interview"]
    turns = interviews[interviews["message_type"] == "turn"].groupby("document_id").size()
    assert len(turns) >= 12 and turns.min() >= 40
    suffixes = {p.rsplit(".", 1)[1] for p in interviews["source_path"]}
    assert {"docx", "txt", "vtt", "html"} <= suffixes
    assert interviews["respondent_role"].nunique() >= 5
    roles = interviews.groupby("document_id")["speaker_role"].apply(set)
    assert all({"interviewer", "respondent"} <= r for r in roles)
    text = " ".join(interviews["text"]).lower()
    for oral in ("euh", "(rires)", "(..)", "ben", "voilà"):
        assert oral in text


def test_whatsapp_exports_variety(demo_segments):
    segments, _ = demo_segments
    wa = segments[segments["source_type"] == "whatsapp"]
    sizes = wa.groupby("document_id").size()
    assert len(sizes) >= 4 and sizes.min() >= 200
    assert {".txt", ".zip"} == {p[p.rfind("."):] for p in wa["source_path"]}
    for doc_id, doc in wa.groupby("document_id"):
        types = set(doc["message_type"])
        assert {"text", "system", "media"} <= types, doc_id
        assert doc["text"].str.contains("\n").any(), doc_id
    assert (wa["message_type"] == "deleted").sum() >= 4
    assert wa["edited"].fillna(False).sum() >= 2
    assert wa["attachment_found"].fillna(False).sum() == 1


def test_people_have_personal_data_for_pseudonymisation(demo_segments):
    text = " ".join(demo_segments[0]["text"])
    for planted in ("06 21 43 65 87", "rue des Glycines", "4521B", "@cs-tilleuls.fr", "bâtiment B, troisième étage, porte 31"):
        assert planted in text


def test_gold_codes_are_valid_and_cover_every_factor(demo_segments):
    segments, _ = demo_segments
    gold = pd.read_csv(DEMO / "gold_codes.csv", keep_default_na=False)
    assert list(gold.columns) == ["segment_id", "text", "codes"]
    assert len(gold) >= 300 and gold["segment_id"].is_unique
    merged = gold.merge(segments[["segment_id", "text", "source_type"]], on="segment_id", suffixes=("", "_seg"))
    assert len(merged) == len(gold)
    assert (merged["text"] == merged["text_seg"]).all()
    assert set(merged["source_type"]) == {"interview", "whatsapp", "observation", "document", "social"}
    codes = gold["codes"].str.split(";").explode()
    ids = load_codebook("facteurs_reussite").ids
    assert set(codes[codes != ""]) == set(ids)
    counts = codes.value_counts()
    assert all(counts[c] >= 20 for c in ids)
    assert (gold["codes"].str.contains(";")).sum() >= 100  # multi-label
    negatives = gold[gold["codes"] == ""]["text"]
    for trap in ("au lieu de", "sens de circulation", "courses pour moi"):
        assert negatives.str.contains(trap).any(), trap
