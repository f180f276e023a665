"""Exports for other tools: REFI-QDA (.qdpx, .qdc) validated against the schemas, import of a
person's codings, the code × document matrix, IRaMuTeQ, and formula-safe CSV/XLSX."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from lxml import etree
from typer.testing import CliRunner

from enquete.cli import app
from enquete.codebook import load_codebook
from enquete.errors import SchemaError
from enquete.exports import attributes_from_json, code_document_matrix, export_qdc, export_qdpx, import_qdpx, iramuteq_corpus
from enquete.exports.refi_qda import GUID_NAMESPACE, PROJECT_NS, RefiQdaError, guid, validate
from enquete.io import read_table, write_table
from enquete.schema import split_codes
from tests.conftest import HOSTILE_MESSAGES, ROOT, small_corpus

pytestmark = pytest.mark.slow  # a full run of the demo corpus

runner = CliRunner()
SHARED = ROOT.parent / "shared" / "refi-qda"
BUNDLED = ROOT / "src" / "enquete" / "exports" / "schemas"
FACTORS = load_codebook("facteurs_reussite")
Q = f"{{{PROJECT_NS}}}"


def schema(name: str) -> etree.XMLSchema:
    """The project's shared copy of a REFI-QDA schema when present, else the bundled one (the same)."""
    path = SHARED / name if (SHARED / name).is_file() else BUNDLED / name
    return etree.XMLSchema(etree.parse(str(path)))


@pytest.fixture(scope="module")
def run_outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("interop")
    corpus = small_corpus(root / "corpus")
    result = runner.invoke(app, ["run", str(corpus), "--out", str(root / "out")])
    assert result.exit_code == 0, result.output
    return corpus, root / "out", pd.read_parquet(root / "out" / "segments.parquet")


def test_bundled_schemas_are_the_shared_ones():
    if not SHARED.is_dir():
        pytest.skip("../shared/refi-qda absent on this machine")
    for name in ("Project-mrt2019.xsd", "Codebook.xsd"):
        assert (SHARED / name).read_bytes() == (BUNDLED / name).read_bytes()


def test_qdpx_is_valid_and_its_selections_are_exactly_the_segments(run_outputs):
    _, out, segments = run_outputs
    path = out / "exports" / "projet.qdpx"
    with zipfile.ZipFile(path) as zf:
        qde = zf.read("project.qde")
        sources = {n: zf.read(n) for n in zf.namelist() if n.startswith("sources/")}
    project = etree.fromstring(qde)
    assert schema("Project-mrt2019.xsd").validate(project), schema("Project-mrt2019.xsd").error_log
    codes = project.findall(f"{Q}CodeBook/{Q}Codes/{Q}Code")
    assert [c.get("name") for c in codes] == [c.label for c in FACTORS.codes]
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c.get("color")) and c.get("isCodable") == "true" for c in codes)
    code_ids = {c.get("guid"): c.findtext(f"{Q}Description")[1:].split("]")[0] for c in codes}
    text_sources = project.findall(f"{Q}Sources/{Q}TextSource")
    assert len(text_sources) == segments["document_id"].nunique() == len(sources)
    coded = segments[segments["codes"].fillna("") != ""].set_index("segment_id")
    selections = 0
    for source in text_sources:
        raw = sources["sources/" + source.get("plainTextPath").removeprefix("internal://")]
        assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
        text = raw.decode("utf-8")
        for selection in source.findall(f"{Q}PlainTextSelection"):
            selections += 1
            row = coded.loc[selection.get("name")]
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            assert text[start:end] == row["text"]  # code points, end exclusive
            applied = sorted(code_ids[c.find(f"{Q}CodeRef").get("targetGUID")] for c in selection.findall(f"{Q}Coding"))
            assert applied == sorted(split_codes(row["codes"]))
    assert selections == len(coded)
    cases = [c.get("name") for c in project.findall(f"{Q}Cases/{Q}Case")]
    assert "Les Voisins du Square" in cases and any(name.startswith("E01 — ") for name in cases)
    variables = {v.get("name") for v in project.findall(f"{Q}Variables/{Q}Variable")}
    assert {"initiative", "source_type", "respondent_role", "document_date", "format"} <= variables  # format: a corpus.yaml attribute
    e01 = next(s for s in text_sources if s.get("name") == "E01")
    format_guid = guid("variable", "format")
    values = [v.findtext(f"{Q}TextValue") for v in e01.findall(f"{Q}VariableValue") if v.find(f"{Q}VariableRef").get("targetGUID") == format_guid]
    assert values == ["docx"]


def test_qdpx_and_qdc_are_deterministic_and_qdc_is_valid(run_outputs, tmp_path):
    corpus, out, segments = run_outputs
    from enquete.corpus import load_corpus

    initiatives = {i.id: i.name for i in load_corpus(corpus).manifest.initiatives}
    attributes = {d.id: d.attributes for d in load_corpus(corpus).documents if d.attributes}
    again = export_qdpx(segments, FACTORS, tmp_path / "again.qdpx", project_name(out), initiatives, attributes=attributes)
    assert again.read_bytes() == (out / "exports" / "projet.qdpx").read_bytes()
    qdc = export_qdc(FACTORS, tmp_path / "grille.qdc")
    document = etree.parse(str(qdc))
    assert schema("Codebook.xsd").validate(document), schema("Codebook.xsd").error_log
    assert len(document.getroot().findall("{urn:QDA-XML:codebook:1.0}Codes/{urn:QDA-XML:codebook:1.0}Code")) == 10
    result = runner.invoke(app, ["export", "qdpx", str(out), "--out", str(tmp_path / "cli.qdpx")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli.qdpx").read_bytes() == again.read_bytes()  # the run's project, rebuilt from its outputs
    result = runner.invoke(app, ["export", "qdc", "--out", str(tmp_path / "cli.qdc"), "--codebook", "engagements_municipaux"])
    assert result.exit_code == 0 and schema("Codebook.xsd").validate(etree.parse(str(tmp_path / "cli.qdc")))


def test_document_attributes_come_back_from_json_with_their_dates():
    stored = json.loads(json.dumps({"E01": {"format": "docx", "date": dt.date(2022, 3, 14), "n": 3, "ref": "2022-13-01"}}, default=str))
    assert attributes_from_json(stored) == {"E01": {"format": "docx", "date": dt.date(2022, 3, 14), "n": 3, "ref": "2022-13-01"}}


def project_name(out: Path) -> str:
    return etree.fromstring(zipfile.ZipFile(out / "exports" / "projet.qdpx").read("project.qde")).get("name")


def _human_edit(qdpx: Path, target: Path, segment: pd.Series, crlf: bool = False) -> Path:
    """What a person does in another tool: a new user codes part of a segment with a factor
    and with a code of their own; optionally the tool re-saves the text with CRLF endings."""
    with zipfile.ZipFile(qdpx) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    project = etree.fromstring(members["project.qde"])
    person = "0d9b1c4e-5f27-4c1a-9a11-2b7e6f3c8d10"
    etree.SubElement(project.find(f"{Q}Users"), f"{Q}User", guid=person, name="Sociologue")
    own = etree.SubElement(project.find(f"{Q}CodeBook/{Q}Codes"), f"{Q}Code", guid="7a0e3f52-1111-4c1a-9a11-2b7e6f3c8d10", name="Mon code perso", isCodable="true")
    source = next(s for s in project.iter(f"{Q}TextSource") if s.get("name") == segment["document_id"])
    start = int(segment["start_char"]) + 2
    end = int(segment["end_char"]) - 2
    text_path = "sources/" + source.get("plainTextPath").removeprefix("internal://")
    if crlf:  # the tool re-saves the text with CRLF and moves every selection accordingly
        text = members[text_path].decode("utf-8")
        shift = lambda position: position + text[:position].count("\n")  # noqa: E731
        for other in source.findall(f"{Q}PlainTextSelection"):
            for attribute in ("startPosition", "endPosition"):
                other.set(attribute, str(shift(int(other.get(attribute)))))
        start, end = shift(start), shift(end)
        members[text_path] = text.replace("\n", "\r\n").encode("utf-8")
    selection = etree.Element(f"{Q}PlainTextSelection", guid="5b2c7d8e-2222-4c1a-9a11-2b7e6f3c8d10", startPosition=str(start), endPosition=str(end))
    for code_guid, suffix in ((guid("code", FACTORS.id, "sens"), "3333"), (own.get("guid"), "4444")):
        coding = etree.SubElement(selection, f"{Q}Coding", guid=f"6c3d8e9f-{suffix}-4c1a-9a11-2b7e6f3c8d10", creatingUser=person)
        etree.SubElement(coding, f"{Q}CodeRef", targetGUID=code_guid)
    source.insert(0, selection)  # selections come first in a TextSource (no Description here)
    members["project.qde"] = etree.tostring(project, xml_declaration=True, encoding="utf-8")
    with zipfile.ZipFile(target, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return target


@pytest.mark.parametrize("crlf", [False, True], ids=["same text", "text re-saved with CRLF"])
def test_import_turns_a_persons_codings_into_review_decisions(run_outputs, tmp_path, crlf):
    _, out, segments = run_outputs
    segment = segments[(segments["document_id"] == "E01") & (segments["speaker_role"] == "respondent")].iloc[3]
    edited = _human_edit(out / "exports" / "projet.qdpx", tmp_path / "nvivo.qdpx", segment, crlf)
    result = import_qdpx(edited, segments, FACTORS)
    assert result.decisions["segment_id"].tolist() == [segment["segment_id"]]
    decided = set(split_codes(result.decisions["codes"].iloc[0]))
    assert "sens" in decided and decided >= set(split_codes(segment["codes"]))  # the automatic codes kept in the file count too
    assert result.unknown_codes == ["Mon code perso"] and result.unmatched_selections == 0


def test_imported_decisions_override_the_automatic_codes_in_the_next_run(run_outputs, tmp_path):
    corpus, out, segments = run_outputs
    segment = segments[(segments["document_id"] == "E01") & (segments["speaker_role"] == "respondent")].iloc[4]
    edited = _human_edit(out / "exports" / "projet.qdpx", tmp_path / "atlas.qdpx", segment)
    result = runner.invoke(app, ["import", "qdpx", str(edited), "--corpus", str(corpus), "--outputs", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 segment(s) codé(s) par une personne" in result.output and "Mon code perso" in result.output
    assert runner.invoke(app, ["run", str(corpus), "--out", str(tmp_path / "o2")]).exit_code == 0
    rerun = pd.read_parquet(tmp_path / "o2" / "segments.parquet").set_index("segment_id")  # the code's values
    assert rerun.loc[segment["segment_id"], "revision"] == "human" and "sens" in rerun.loc[segment["segment_id"], "codes"]
    bad = runner.invoke(app, ["import", "qdpx", str(corpus / "corpus.yaml"), "--corpus", str(corpus), "--outputs", str(out)])
    assert bad.exit_code == 1 and "illisible" in bad.output


def test_code_document_matrix_counts_and_presence(run_outputs):
    _, out, segments = run_outputs
    matrix = code_document_matrix(segments, FACTORS).set_index("document_id")
    long = segments["codes"].fillna("").map(split_codes).explode().dropna()
    assert int(matrix[FACTORS.ids].to_numpy().sum()) == len(long)
    for code in FACTORS.ids:
        assert ((matrix[code] > 0).astype(int) == matrix[f"{code}_present"]).all()
    on_disk = read_table(out / "exports" / "matrice_codes_documents.csv").set_index("document_id")
    assert (on_disk[FACTORS.ids] == matrix[FACTORS.ids]).all().all()


def test_iramuteq_corpus_in_alceste_format(run_outputs):
    _, out, segments = run_outputs
    text = (out / "exports" / "iramuteq.txt").read_text(encoding="utf-8")
    assert text == iramuteq_corpus(segments)
    headers = [line for line in text.splitlines() if line.startswith("****")]
    assert len(headers) == 3
    assert all(re.fullmatch(r"\*\*\*\* (\*[a-z]+_[a-z0-9_]+ ?)+", h) for h in headers)
    assert "*initiative_voisins_square *source_interview *role_habitante_motrice" in headers[0]
    body = [line for line in text.splitlines() if line and not line.startswith("****")]
    assert body and not any("*" in line for line in body)
    interviewer = segments[(segments["document_id"] == "E01") & (segments["speaker_role"] == "interviewer")]["text"].iloc[1]
    assert interviewer not in text


def test_guid_is_the_rfc_4122_version_5_uuid():
    for parts in [("code", "facteurs_reussite", "sens"), ("selection", "E01-0042"), ("coding", "é ü 😊", "lieu"), ("",)]:
        assert guid(*parts) == str(uuid.uuid5(GUID_NAMESPACE, "\x1f".join(parts)))


def test_streamed_validation_rejects_what_the_schema_rejects(run_outputs, tmp_path):
    _, out, _ = run_outputs
    with zipfile.ZipFile(out / "exports" / "projet.qdpx") as zf:
        qde = zf.read("project.qde")
    (tmp_path / "ok.qde").write_bytes(qde)
    validate(tmp_path / "ok.qde")  # the written project, read as a stream
    bad = qde.replace(b"<PlainTextSelection ", b"<Selection ", 1)
    assert bad != qde
    for xml in (bad, qde[: len(qde) // 2]):  # an unknown element; a truncated file
        with pytest.raises(RefiQdaError):
            validate(xml)


def test_iramuteq_lines_break_on_every_unicode_space_and_star():
    segments = pd.DataFrame({
        "document_id": ["W1"] * 3, "position": [0, 1, 2], "source_type": ["whatsapp"] * 3, "initiative": ["jardin"] * 3,
        "speaker_role": ["member"] * 3, "message_type": ["text"] * 3,
        "text": pd.array(["a\u2028b\x85c  d*e\x0bf\u00a0g\r\nh ", None, " \u3000 "], dtype="string[pyarrow]"),
    })
    assert iramuteq_corpus(segments).splitlines()[1:] == ["a b c d e f g h"]


def test_spreadsheet_formulas_are_neutralised_in_csv_and_xlsx_not_in_parquet(run_outputs, tmp_path):
    _, out, segments = run_outputs
    hostile = segments[segments["text"].isin(HOSTILE_MESSAGES)]
    assert len(hostile) == len(HOSTILE_MESSAGES)  # the parquet keeps the messages as written
    coded = pd.read_csv(out / "codage.csv", sep=";", decimal=",", encoding="utf-8-sig")  # as French Excel opens it
    assert {"'" + m for m in HOSTILE_MESSAGES} <= set(coded["text"])
    for workbook, sheet in ((out / "revue_codage.xlsx", "revue"), (out / "tables" / "analyses.xlsx", "verbatims")):
        cells = [c for row in openpyxl.load_workbook(workbook)[sheet].iter_rows() for c in row if isinstance(c.value, str)]
        assert not [c for c in cells if c.data_type == "f" or c.value.startswith(("=", "+", "-", "@"))]
    review = [c.value for row in openpyxl.load_workbook(out / "revue_codage.xlsx")["revue"].iter_rows() for c in row]
    assert "'" + HOSTILE_MESSAGES[0] in review
    table = pd.DataFrame({"text": ["=1+1", "'=déjà", "-5 degrés", "\tTab", "@SUM(A1)", None], "n": [-1, 2, 3, 4, 5, 6]})
    for suffix in (".csv", ".xlsx"):
        written = write_table(table, tmp_path / f"t{suffix}")
        back = read_table(written)
        assert back["text"].tolist()[:5] == table["text"].tolist()[:5] and back["n"].tolist() == table["n"].tolist()
    raw = (tmp_path / "t.csv").read_text(encoding="utf-8-sig").splitlines()
    assert raw[1] == "'=1+1,-1" and raw[2] == "''=déjà,2" and raw[3] == "'-5 degrés,3"


def test_a_project_from_another_tool_trains_the_coder_by_its_coded_passages(run_outputs, tmp_path):
    from enquete.exports import read_coding

    _, out, segments = run_outputs
    segment = segments[(segments["document_id"] == "E02") & (segments["speaker_role"] == "respondent")].iloc[3]
    edited = _human_edit(out / "exports" / "projet.qdpx", tmp_path / "autre.qdpx", segment)
    coding = read_coding(edited, FACTORS)
    assert coding["codes"].tolist() == ["sens"]  # the person's factor; their own code and enquete's automatic codings left out
    assert coding["text"].iloc[0] == segment["text"][2:-2].strip()
    with pytest.raises(SchemaError, match="colonne codes"):
        read_coding(out / "corpus_documents.csv", FACTORS)
