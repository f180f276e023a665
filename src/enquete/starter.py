"""`enquete corpus init`: a first corpus.yaml for a folder of files, commented in French.

It says what enquete found there (each document with the kind it detected and its speakers,
the interviewer labels it guessed, the groups' names, the places the texts name) and leaves
the rest for the user to complete: the initiatives, which document belongs to which, dates,
roles. It never overwrites a corpus.yaml.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections import Counter
from pathlib import Path

import pandas as pd

from enquete.corpus import MANIFEST_NAME
from enquete.errors import CorpusError, CorpusWarning

KIND_WORDS = {"interview": "entretien", "whatsapp": "groupe WhatsApp", "social": "groupe de réseau social",
              "observation": "notes d'observation", "document": "document"}
MAX_PLACES = 30


def init_corpus(folder: str | Path, *, places: bool = True) -> tuple[Path, dict]:
    """Write ``folder/corpus.yaml`` from what is found in the folder; return its path and what was found
    (documents, rejects, places). Refuses when the folder already has one.

    Parameters
    ----------
    folder : the corpus folder.
    places : look for place names (spaCy's named entities) to propose in ``pseudonymisation.allow``.
    """
    from enquete.study import Study

    root = Path(folder)
    target = root / MANIFEST_NAME
    if target.exists():
        raise CorpusError(f"{target} existe déjà : enquete corpus init ne l'écrase jamais (renommez-le pour repartir de zéro)")
    if not root.is_dir():
        raise CorpusError(f"dossier introuvable : {root}")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=f".*n'a pas de {MANIFEST_NAME}", category=CorpusWarning)  # we are writing it
        study = Study(root)
    segments = study.ingest()
    found = {
        "documents": [_document(d, segments, study.reading) for d in study.corpus.documents],
        "rejects": study.rejects,
        "places": _places(segments, study.settings.spacy_model) if places and len(segments) else [],
    }
    target.write_text(_yaml(root, found), encoding="utf-8")
    return target, found


def _document(document, segments: pd.DataFrame, reading: list[dict]) -> dict:
    rows = segments[segments["document_id"] == document.id]
    kind = rows["source_type"].iloc[0] if len(rows) else ""
    info = next((r for r in reading if r["document_id"] == document.id), {})
    speakers = rows.loc[rows["speaker"].notna() & ~rows["message_type"].isin(["system", "metadata"])]
    turns = speakers.groupby("speaker", sort=False).size().sort_values(ascending=False)
    interviewer = sorted(rows.loc[rows["speaker_role"] == "interviewer", "speaker"].dropna().unique()) if kind == "interview" else []
    return {
        "file": document.relpath, "id": document.id, "kind": kind, "read": bool(len(rows)), "segments": len(rows),
        "speakers": list(turns.index[:6]), "speaker_count": len(turns), "interviewer": interviewer,
        "name": _group_name(document, rows) if kind in ("whatsapp", "social") else "",
        "uncertain": info.get("uncertain", ""),
    }


def _group_name(document, rows: pd.DataFrame) -> str:
    """A group's readable name: its title in the export, else its file's name."""
    from enquete.ingest.whatsapp import chat_name

    title = rows["document_title"].dropna()
    return str(title.iloc[0]) if len(title) and str(title.iloc[0]).strip() else chat_name(document.path.name)


def _places(segments: pd.DataFrame, model: str) -> list[str]:
    """Places the texts name more than once (spaCy's LOC entities), most named first; never a
    speaker label or a code ("S00", "SPEAKER_01", "INV")."""
    from enquete import nlp
    from enquete.labels import is_role_label

    texts = [t for t in segments["text"].dropna().unique().tolist() if any(c.isupper() for c in t[1:])]
    counts: Counter[str] = Counter()
    for tagged in nlp.tag(texts, model):
        counts.update(tagged.span(e.start, e.end) for e in tagged.ents if e.label_ == "LOC")
    speakers = set(segments["speaker"].dropna())
    return [place for place, n in counts.most_common() if n > 1 and len(place) > 2 and place not in speakers and not is_role_label(place)][:MAX_PLACES]


def _q(value) -> str:
    """A YAML scalar (JSON's quoting is YAML's)."""
    return json.dumps(value, ensure_ascii=False)


def _yaml(root: Path, found: dict) -> str:
    today = dt.date.today().isoformat()
    lines = [
        f"# corpus.yaml écrit par « enquete corpus init » le {today} : à compléter, puis à vérifier avec",
        "# « enquete corpus info ». Guide : docs/premier_corpus.md. Tout ce qui suit « # » est un commentaire.",
        "",
        f"title: {_q(root.resolve().name)}             # le titre de l'étude (rapport, projet REFI-QDA)",
        "language: fr                    # la langue du rapport, des figures et des tableaux : fr ou en",
        "",
        "# Les initiatives étudiées, une entrée chacune. Les documents ci-dessous les désignent par leur id.",
        "initiatives:",
        "  - id: initiative_1              # identifiant court (lettres, chiffres, _)",
        "    name: \"À compléter\"           # le nom de l'initiative, tel qu'il paraîtra dans le rapport",
        "    localisation: \"\"              # quartier, résidence, rue",
        "    creation:                     # année de création, par ex. 2016",
        "    description: \"\"",
        "",
        "# Les documents trouvés dans le dossier, avec ce qu'enquete y a lu. Pour chacun : l'initiative,",
        "# la date, le rôle de la personne interrogée. Un fichier à ne pas lire va dans « exclude ».",
        "documents:",
    ]
    for doc in found["documents"]:
        if doc["read"]:
            lines += _document_lines(doc)
    unread = [doc["file"] for doc in found["documents"] if not doc["read"]]
    if unread:
        reasons = {} if found["rejects"] is None else dict(zip(found["rejects"]["source_path"], found["rejects"]["reason"]))
        lines += ["", "# Fichiers qu'enquete n'a pas pu lire, avec la raison : corrigez-les et retirez-les d'ici pour les lire.", "exclude:"]
        lines += [f"  - {_q(path)}      # {' '.join(str(reasons.get(path, 'illisible')).split())}" for path in unread]
    places = found["places"]
    lines += [
        "",
        "# Pseudonymisation. « allow » : noms de lieux et d'initiatives à garder tels quels" + (" (trouvés dans" if places else "."),
    ]
    if places:
        lines.append("# les textes : gardez ceux qui ne désignent pas une personne). « names » : personnes à toujours remplacer.")
    else:
        lines.append("# « names » : personnes à toujours remplacer.")
    lines.append("pseudonymisation:")
    lines.append("  allow:" + ("" if places else " []"))
    lines += [f"    - {_q(place)}" for place in places]
    lines += [
        "  names: []",
        "  deny: []                        # mots à toujours masquer",
        "",
        "# Le rapport de restitution.",
        "report:",
        "  title: \"\"",
        "  authors: []",
        "  organisation: \"\"",
        "  date: \"\"                        # AAAA-MM-JJ",
        "  context: \"\"                     # le contexte de l'étude, en un paragraphe : il ouvre la partie « Contexte »",
        "",
        "# Réglages (la liste, leurs valeurs et leur rôle : enquete settings), par exemple :",
        "# settings:",
        "#   pseudonym_style: tags         # [PERSONNE_07] au lieu de prénoms et noms de substitution",
        "",
    ]
    return "\n".join(lines)


def _document_lines(doc: dict) -> list[str]:
    kind = doc["kind"]
    seen = f"{KIND_WORDS.get(kind, kind)}, {doc['segments']} segment(s)"
    if doc["speaker_count"]:
        seen += f", {doc['speaker_count']} locuteur(s)"
    lines = [f"  - file: {_q(doc['file'])}      # {seen}", f"    id: {_q(doc['id'])}"]
    if doc["name"]:
        lines.append(f"    name: {_q(doc['name'])}          # le nom lisible du groupe dans les tableaux et le rapport")
    lines += ["    initiative: initiative_1", f"    kind: {kind}"]
    if kind == "interview":
        guessed = "libellé(s) de l'enquêteur·rice deviné(s) : à vérifier" + (f" ({doc['uncertain']})" if doc["uncertain"] else "")
        speakers = ", ".join(doc["speakers"])
        lines += [
            f"    interviewer: {_q(doc['interviewer'])}     # {guessed}" if doc["interviewer"] else
            f"    interviewer: []               # aucun enquêteur reconnu : indiquez son libellé parmi {speakers}",
            "    date:                         # la date de l'entretien, AAAA-MM-JJ",
            "    respondent_role: \"\"           # par ex. habitante motrice, élu, bailleur",
        ]
        if doc["speakers"] and doc["speaker_count"] > 2:
            lines.append(f"    # locuteurs lus : {speakers} : plus de deux, vérifiez qu'ils sont tous des personnes")
    return lines
