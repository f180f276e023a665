"""English inside, the user's language at the edges: every name and value written in a
language reads back as the code's own."""

from __future__ import annotations

import pandas as pd
import pytest

from enquete.datafiles import package_yaml
from enquete.vocabulary import internal, label, localise, value_label

VOCABULARY = package_yaml("enquete", "vocabulary.yaml")


def every_name_and_value() -> pd.DataFrame:
    """One table holding every column the vocabulary names, and every value it translates."""
    rows = max(len(values) for values in VOCABULARY["values"].values())
    table = pd.DataFrame({name: [f"x{i}" for i in range(rows)] for name in VOCABULARY["columns"]})
    for column, values in VOCABULARY["values"].items():
        table[column] = (list(values) * rows)[:rows]
    table["segments"] = range(rows)  # a column the vocabulary does not name is written as it is
    return table


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_name_and_value_reads_back(language):
    table = every_name_and_value()
    written = localise(table, language)
    assert len(set(written.columns)) == len(written.columns)
    pd.testing.assert_frame_equal(internal(written), table)


def test_no_written_name_is_another_names_code():
    """A file's name must map back to one code name only, whatever the language."""
    for table in (VOCABULARY["columns"], *VOCABULARY["values"].values()):
        written = [(text, name) for name, labels in table.items() for text in labels.values()]
        assert len({text for text, _ in written}) == len(written), written
        assert all(text not in table or text == name for text, name in written)


def test_french_files_keep_their_names():
    assert label("share", "fr") == "part" and label("share", "en") == "share" and label("segments", "fr") == "segments"
    assert value_label("revision", "human", "fr") == "humain" and value_label("day", "monday", "en") == "Monday"
    assert localise(pd.DataFrame({"revision": ["human", "auto"]}), "fr")["revision"].tolist() == ["humain", "auto"]
