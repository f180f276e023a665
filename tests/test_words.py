"""Words without spaCy: the vendored stop words stay spaCy's, and reading them loads no model."""

from __future__ import annotations

import subprocess
import sys

from enquete.words import fold, oral_fillers, stop_words


def test_vendored_stop_words_are_those_of_the_installed_spacy():
    from spacy.lang.fr.stop_words import STOP_WORDS

    assert stop_words() == frozenset(STOP_WORDS)


def test_words_never_load_spacy():
    code = "import sys, enquete.words as w; w.stop_words(); w.oral_fillers(); print('spacy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_fold_and_fillers():
    assert fold("Élodie 𝐌𝐚𝐫𝐭𝐢𝐧𝐞") == "elodie martine"
    assert {"euh", "mdr"} <= oral_fillers()
