"""Human review of automatic codes: a workbook out, decisions in, decisions win.

``export_review`` writes the coded segments with one 0/1 column per code (prefilled with
the automatic decision), a ``revu`` column and a comment column. ``import_review`` reads
it back: a row is a human decision when it is marked as reviewed, when a code was changed
or when it has a comment. Decisions are stored outside outputs/ (the corpus's private
folder), keyed by segment_id and a hash of the text, and ``apply_decisions`` makes them
override the automatic codes on every later run, as long as the text is unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from enquete.codebook import Codebook
from enquete.errors import ReviewError
from enquete.io import atomic_path, read_table, spreadsheet_restore, write_table, write_workbook
from enquete.schema import code_indicators, coded_rows, split_codes
from enquete.vocabulary import internal, localise
from enquete.words import text_key

CONTEXT_COLUMNS = ["segment_id", "document_id", "speaker", "speaker_role", "text", "why", "draw"]  # why, draw: a selection's
REVIEWED, COMMENT, AUTO, HASH = "reviewed", "comment", "codes_auto", "fingerprint"  # "revu", "commentaire", "empreinte" in French files
#: A decision: the segment, its text's fingerprint, the codes a person chose, her comment, and
#: how the segment came to be reviewed ("random": a fair sample for reliability; else "").
DECISION_COLUMNS = ["segment_id", HASH, "codebook", "codes", COMMENT, "draw"]
YES = {"1", "1.0", "x", "oui", "o", "yes", "y", "true", "vrai"}
NO = {"", "0", "0.0", "non", "n", "no", "false", "faux", "nan", "none", "<na>"}



def review_table(coded: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """The coded segments (speech) as a review sheet: context (with ``why`` and ``draw`` for a
    selection, :func:`enquete.coding.selection.select_for_review`), one 0/1 column per code."""
    rows = coded[coded_rows(coded)]
    sheet = rows.reindex(columns=[c for c in CONTEXT_COLUMNS if c in rows.columns]).copy()
    sheet[codebook.ids] = code_indicators(rows["codes"], codebook.ids).astype(int).to_numpy()
    sheet[REVIEWED] = ""
    sheet[COMMENT] = ""
    sheet[AUTO] = rows["codes"].fillna("").to_numpy()
    sheet[HASH] = rows["text"].fillna("").map(text_key).to_numpy()
    return sheet.reset_index(drop=True)


def export_review(coded: pd.DataFrame, codebook: Codebook, path: str | Path, language: str = "fr") -> Path:
    """Write the review workbook (.xlsx with a codebook sheet and 0/1 validation, or .csv).

    Parameters
    ----------
    coded : the coded segment table; its speech rows are the sheet's rows.
    codebook : its codes are the sheet's 0/1 columns; its definitions fill the "grille" sheet.
    path : the workbook (.xlsx) or a .csv.
    language : the spreadsheet's language, for a .csv (its separator and decimal mark); the sheet's words are French.
    """
    path = Path(path)
    sheet = localise(review_table(coded, codebook), "fr")
    if path.suffix.lower() != ".xlsx":
        return write_table(sheet, path, language)
    guide = localise(codebook.to_frame()[["code", "label", "definition", "inclusion", "exclusion"]], "fr")
    with atomic_path(path) as tmp:
        write_workbook(tmp, {"revue": sheet, "grille": guide, "consignes": INSTRUCTIONS}, lambda book: _layout(book["revue"], sheet, codebook))
    return path


INSTRUCTIONS = pd.DataFrame(
    {
        "consigne": [
            "Pour chaque segment, mettez 1 si le code s'applique, 0 sinon (colonnes des codes).",
            "Marquez « revu » d'un 1 (ou x) pour valider une ligne sans la modifier.",
            "Une ligne modifiée ou commentée compte comme revue. Ne modifiez ni « codes_auto » ni « empreinte ».",
            "Réimportez le fichier avec : enquete review import FICHIER --corpus CORPUS",
        ]
    }
)


def _layout(ws, sheet: pd.DataFrame, codebook: Codebook) -> None:
    """Review sheet: frozen context columns, a 0/1 list on every code column, a wide text column."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    first = sheet.columns.get_loc(codebook.ids[0]) + 1
    ws.freeze_panes = f"{get_column_letter(first)}2"
    validation = DataValidation(type="list", formula1='"0,1"', allow_blank=False)
    ws.add_data_validation(validation)
    for k in range(len(codebook.ids)):
        letter = get_column_letter(first + k)
        validation.add(f"{letter}2:{letter}{len(sheet) + 1}")
    if "text" in sheet.columns:
        ws.column_dimensions[get_column_letter(sheet.columns.get_loc("text") + 1)].width = 80


def _flag(value, where: str) -> int:
    key = str(value).strip().lower()
    if key in YES:
        return 1
    if key in NO:
        return 0
    raise ReviewError(f"{where} : valeur « {value} » non comprise (attendu 0 ou 1)")


def import_review(path: str | Path, codebook: Codebook) -> pd.DataFrame:
    """The human decisions of a review workbook: rows marked reviewed, commented, or changed.

    Parameters
    ----------
    path : the filled workbook (.xlsx or .csv, as :func:`export_review` wrote it).
    codebook : the codebook of its code columns.
    """
    path = Path(path)
    try:
        if path.suffix.lower() == ".xlsx":
            sheet = internal(spreadsheet_restore(pd.read_excel(path, sheet_name="revue", dtype=str)))
        else:
            sheet = internal(read_table(path).astype(str))
    except ValueError as exc:
        raise ReviewError(f"{path} : classeur de revue illisible ({exc})") from None
    missing = [c for c in ["segment_id", AUTO, HASH, *codebook.ids] if c not in sheet.columns]
    if missing:
        raise ReviewError(f"{path} : colonnes manquantes : {', '.join(missing)}")
    decisions = []
    for line, record in enumerate(sheet.fillna("").to_dict("records"), start=2):
        codes = [c for c in codebook.ids if _flag(record[c], f"{path.name}, ligne {line}, colonne {c}")]
        comment = str(record.get(COMMENT, "")).strip()
        comment = "" if comment.lower() in NO else comment
        changed = set(codes) != set(split_codes(record[AUTO] if record[AUTO].lower() not in NO else ""))
        if str(record.get(REVIEWED, "")).strip().lower() in YES or comment or changed:
            decisions.append((record["segment_id"], record[HASH], codebook.id, ";".join(codes), comment, record.get("draw", "")))
    frame = pd.DataFrame(decisions, columns=DECISION_COLUMNS)
    return frame.drop_duplicates("segment_id", keep="last").reset_index(drop=True)


class DecisionStore:
    """Human decisions kept across runs, in the private folder (one parquet per codebook)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def path(self, codebook: str) -> Path:
        return self.folder / f"decisions_{codebook}.parquet"

    def load(self, codebook: str) -> pd.DataFrame:
        path = self.path(codebook)
        return _decision_table(internal(pd.read_parquet(path)) if path.is_file() else pd.DataFrame(columns=DECISION_COLUMNS))

    def add(self, decisions: pd.DataFrame, codebook: str) -> pd.DataFrame:
        """Merge new decisions (the newest wins for a segment) and save."""
        merged = latest_decisions(pd.concat([self.load(codebook), _decision_table(decisions)], ignore_index=True))
        merged = merged.sort_values("segment_id").reset_index(drop=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        write_table(merged, self.path(codebook)).chmod(0o600)
        return merged


def _decision_table(decisions: pd.DataFrame) -> pd.DataFrame:
    """Decisions with every column (stores and imports made before ``draw`` existed have none)."""
    return decisions.assign(**{c: "" for c in DECISION_COLUMNS if c not in decisions})[DECISION_COLUMNS]


def latest_decisions(decisions: pd.DataFrame) -> pd.DataFrame:
    """The newest decision on each segment; a segment once drawn at random stays so (how it was
    chosen does not change when a person codes it again)."""
    table = _decision_table(decisions)
    drawn = set(table.loc[table["draw"].eq("random"), "segment_id"])
    latest = table.drop_duplicates("segment_id", keep="last").copy()
    latest.loc[latest["segment_id"].isin(drawn), "draw"] = "random"
    return latest


def apply_decisions(coded: pd.DataFrame, decisions: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Human decisions override automatic codes where the segment's text is unchanged.

    Parameters
    ----------
    coded : the automatically coded segments.
    decisions : review decisions (``segment_id``, ``codes``, the text's fingerprint).
    codebook : the codebook of the decisions.
    """
    out = coded.copy()
    out["revision"] = "auto"
    out["codes_auto"] = out["codes"]
    out["review_draw"] = ""
    if decisions.empty:
        return out
    table = latest_decisions(decisions).set_index("segment_id")
    ids = out["segment_id"].astype(str)
    hashes = out["text"].fillna("").map(text_key)
    match = ids.isin(table.index) & (hashes == ids.map(table[HASH]).fillna(""))
    for i in out.index[match]:
        decision = table.loc[ids[i]]
        applied = set(split_codes(decision["codes"]))
        out.at[i, "codes"] = ";".join(c for c in codebook.ids if c in applied)
        for code in codebook.ids:
            if f"score_{code}" in out:
                out.at[i, f"score_{code}"] = 1.0 if code in applied else 0.0
        note = f" ({decision[COMMENT]})" if decision[COMMENT] else ""
        out.at[i, "evidence"] = "décision humaine" + note
        out.at[i, "revision"] = "human"
        out.at[i, "review_draw"] = decision["draw"] if isinstance(decision["draw"], str) else ""
    return out
