"""Every stage keeps the segment table's contract, in the spirit of scikit-learn's estimator
checks: its output validates against the schema, keeps every row in order (and its id),
adds only documented columns, leaves its input alone, and is the same when run again."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from enquete.coding import Coder, code_segments
from enquete.pseudonymise import pseudonymise
from enquete.schema import ADDED_COLUMNS, speech_rows, validate_segments
from enquete.topics import fit_topics, with_topics

DOCUMENTS = ["E01", "E05", "E09", "WA_voisins"]  # interviews of three initiatives and a WhatsApp group
ADDED = [re.compile(re.escape(c.name).replace("<code>", r"\w+") + "$") for c in ADDED_COLUMNS]


def _topics(segments: pd.DataFrame) -> pd.DataFrame:
    return with_topics(segments, fit_topics(segments[speech_rows(segments)], n_topics=4))


STAGES = {
    "pseudonymise": lambda s: pseudonymise(s, use_ner=False).segments,
    "code": lambda s: code_segments(s, Coder()),
    "topics": _topics,
}


@pytest.fixture(scope="module")
def segments(demo_segments):
    table, _ = demo_segments
    return table[table["document_id"].isin(DOCUMENTS)].reset_index(drop=True)


@pytest.fixture(scope="module")
def inputs(segments):
    """Each stage's input: what the stages before it made."""
    pseudonymised = STAGES["pseudonymise"](segments)
    coded = STAGES["code"](pseudonymised)
    return {"pseudonymise": segments, "code": pseudonymised, "topics": coded}


@pytest.mark.parametrize("stage", STAGES)
def test_stage_keeps_the_contract(stage, inputs):
    given = inputs[stage]
    untouched = given.copy(deep=True)
    out = STAGES[stage](given)
    validate_segments(out)
    pd.testing.assert_frame_equal(given, untouched)  # the input is left alone
    assert len(out) == len(given) and out["position"].tolist() == given["position"].tolist()
    if stage == "pseudonymise":  # ids may hold a name: renamed one for one, in the same order
        assert out["segment_id"].is_unique and out["document_id"].nunique() == given["document_id"].nunique()
    else:
        assert out["segment_id"].tolist() == given["segment_id"].tolist()
    added = set(out.columns) - set(given.columns)
    assert set(given.columns) <= set(out.columns)
    assert all(any(p.match(column) for p in ADDED) for column in added), sorted(added)
    pd.testing.assert_frame_equal(STAGES[stage](given), out)  # the same input gives the same output
