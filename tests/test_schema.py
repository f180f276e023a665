import pandas as pd
import pytest

from enquete import schema


def _segments(texts, source_type="interview", speakers=None, doc="D1"):
    n = len(texts)
    df = pd.DataFrame(
        {
            "document_id": doc,
            "segment_id": [schema.make_segment_id(doc, i) for i in range(n)],
            "source_type": source_type,
            "source_path": f"{doc}.txt",
            "position": range(n),
            "speaker": speakers or ["E", "R"] * (n // 2) + ["E"] * (n % 2),
            "speaker_role": "respondent",
            "timestamp": pd.Timestamp("2022-03-01 10:00") if source_type == "whatsapp" else pd.NaT,
            "message_type": "turn" if source_type == "interview" else "text",
            "text": texts,
        }
    )
    return schema.with_offsets(schema.coerce(df))


def test_coerce_adds_every_column_with_its_dtype():
    df = schema.coerce(pd.DataFrame({"document_id": ["a"], "text": ["x"]}))
    assert list(df.columns[: len(schema.COLUMN_NAMES)]) == list(schema.COLUMN_NAMES)
    assert str(df["position"].dtype) == "Int64"
    assert str(df["timestamp"].dtype) == "datetime64[ns]"


@pytest.mark.parametrize("source_type", ["interview", "whatsapp"])
def test_offsets_index_the_document_plain_text(source_type):
    df = _segments(["Bonjour !", "Oui\navec deux lignes : et un deux-points", "", "45 m² 🙂"], source_type)
    text = schema.document_text(df)
    for start, end, seg in zip(df["start_char"], df["end_char"], df["text"]):
        assert text[start:end] == seg
    assert schema.validate_segments(df) is df


def test_document_text_layout_is_readable():
    df = _segments(["Bonjour", "Salut"], speakers=["Enquêtrice", "Martine"])
    assert schema.document_text(df) == "Enquêtrice : Bonjour\n\nMartine : Salut"
    wa = _segments(["Bonjour", "Salut"], "whatsapp", speakers=["Amélie", None])
    assert schema.document_text(wa) == "01/03/2022 10:00 - Amélie: Bonjour\n01/03/2022 10:00 - Salut"


def test_validator_names_missing_columns():
    with pytest.raises(schema.SchemaError, match="colonnes manquantes.*segment_id"):
        schema.validate_segments(pd.DataFrame({"text": ["x"]}))


def test_validator_rejects_duplicate_ids_unknown_values_and_bad_offsets():
    df = _segments(["a", "b"])
    dup = df.copy()
    dup.loc[1, "segment_id"] = dup.loc[0, "segment_id"]
    with pytest.raises(schema.SchemaError, match="en double"):
        schema.validate_segments(dup)
    bad_type = df.copy()
    bad_type["message_type"] = "tweet"
    with pytest.raises(schema.SchemaError, match="message_type inconnu"):
        schema.validate_segments(bad_type)
    shifted = df.copy()
    shifted.loc[1, "start_char"] += 1
    with pytest.raises(schema.SchemaError, match="décalages faux"):
        schema.validate_segments(shifted)
    missing_text = df.copy()
    missing_text.loc[0, "text"] = pd.NA
    with pytest.raises(schema.SchemaError, match="texte manquant"):
        schema.validate_segments(missing_text, check_offsets=False)


def test_validator_rejects_unordered_positions():
    df = _segments(["a", "b", "c"])
    df.loc[2, "position"] = 0
    with pytest.raises(schema.SchemaError, match="positions"):
        schema.validate_segments(df, check_offsets=False)


def test_segment_ids_are_stable():
    assert schema.make_segment_id("E04", 12) == "E04-000012"
    assert _segments(["a", "b"])["segment_id"].tolist() == _segments(["a", "b"])["segment_id"].tolist()


def test_columns_are_documented():
    table = schema.describe_columns()
    assert set(table["colonne"]) == set(schema.COLUMN_NAMES)
    assert table["description"].str.len().min() > 10
