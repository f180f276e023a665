"""REFI-QDA exchange (.qdpx projects and .qdc codebooks) with NVivo, ATLAS.ti, MAXQDA, QualCoder.

A .qdpx is a zip of ``project.qde`` (XML, namespace urn:QDA-XML:project:1.0) and
``sources/<guid>.txt``: one plain-text source per document, exactly
:func:`enquete.schema.document_text`, and one PlainTextSelection per coded segment whose
start/end positions count Unicode code points from 0 (end exclusive). GUIDs are uuid5 of
stable ids, timestamps are left out, and the zip entries carry a fixed date: the same run
gives the same bytes. Everything written is validated against the bundled schemas.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from lxml import etree

from enquete import __version__, schema
from enquete.codebook import Codebook
from enquete.errors import RefiQdaError
from enquete.io import atomic_path, write_zip
from enquete.schema import split_codes
from enquete.words import text_key

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
GUID_NAMESPACE = uuid.UUID("6f1c2a52-8d0e-5b7a-9a43-3e5c1d2b7e10")
_GUID_HASH = hashlib.sha1(GUID_NAMESPACE.bytes)
AUTOMATIC_USER = "enquete (codage automatique)"
HUMAN_USER = "relecture humaine (enquete)"
#: The segment columns a project is written from.
PROJECT_COLUMNS = ["document_id", "position", "segment_id", "source_type", "speaker", "speaker_role", "timestamp", "text", "start_char",
                   "end_char", "codes", "revision", "initiative", "respondent_role", "document_date"]
VARIABLES = (("initiative", "Text"), ("source_type", "Text"), ("respondent_role", "Text"), ("document_date", "Date"))



def guid(*parts: str) -> str:
    """A deterministic GUID for a stable id (reruns give the same file): the RFC 4122
    version-5 UUID ``uuid.uuid5(GUID_NAMESPACE, name)``, formatted from the SHA-1 digest
    directly (a million selections and codings: 3× faster than building UUID objects)."""
    digest = _GUID_HASH.copy()
    digest.update("\x1f".join(parts).encode("utf-8"))
    x = digest.hexdigest()
    return f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{'89ab'[int(x[16], 16) & 3]}{x[17:20]}-{x[20:32]}"


def _schema(name: str) -> etree.XMLSchema:
    path = resources.files("enquete.exports") / "schemas" / name
    return etree.XMLSchema(etree.parse(str(path)))


def validate(xml: bytes | Path, kind: str = "project") -> None:
    """Raise RefiQdaError unless ``xml`` (bytes, or a file read as a stream) is valid against
    the Project (or Codebook) schema."""
    checker = _schema("Project-mrt2019.xsd" if kind == "project" else "Codebook.xsd")
    source = str(xml) if isinstance(xml, Path) else io.BytesIO(xml)
    try:
        # validated as parsed; each source is dropped once read, so a large project never sits in memory whole
        for _, element in etree.iterparse(source, events=("end",), tag=f"{{{PROJECT_NS}}}TextSource", schema=checker, huge_tree=True):
            element.clear(keep_tail=True)
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        raise RefiQdaError(f"XML REFI-QDA invalide : {exc}") from None


# --- writing ----------------------------------------------------------------------------------


def _element(parent, tag: str, ns: str = PROJECT_NS, **attributes):
    return etree.SubElement(parent, f"{{{ns}}}{tag}", {k: str(v) for k, v in attributes.items() if v is not None})


def _codes(parent, codebook: Codebook, ns: str, language: str) -> None:
    codes = _element(parent, "Codes", ns)
    for code in codebook.codes:
        node = _element(codes, "Code", ns, guid=guid("code", codebook.id, code.id), name=code.display_label(language), isCodable="true", color=code.color)
        _element(node, "Description", ns).text = f"[{code.id}] {code.display_definition(language)}"


def codebook_xml(codebook: Codebook, language: str = "fr") -> bytes:
    """The codebook as a REFI-QDA .qdc document."""
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS}, origin=f"enquete {__version__}")
    _codes(root, codebook, CODEBOOK_NS, language)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _is_value(value) -> bool:
    return value is not None and not (pd.api.types.is_scalar(value) and pd.isna(value)) and str(value) != ""


def _variable_value(parent, name: str, kind: str, value) -> None:
    node = _element(parent, "VariableValue")
    _element(node, "VariableRef", targetGUID=guid("variable", name))
    if kind == "Date":
        _element(node, "DateValue").text = pd.Timestamp(value).date().isoformat()
    elif kind == "Boolean":
        _element(node, "BooleanValue").text = "true" if value else "false"
    else:
        _element(node, f"{kind}Value").text = str(value)


def attributes_from_json(stored: dict[str, dict]) -> dict[str, dict]:
    """Document attributes as a run summary stores them (dates as ISO text) back to their values."""
    return {document: {name: _iso_date(value) for name, value in values.items()} for document, values in stored.items()}


def _iso_date(value):
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    return value


def _kind(values: list) -> str:
    """REFI-QDA type of a document attribute, from its values."""
    if all(isinstance(v, bool) for v in values):
        return "Boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "Integer"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "Float"
    if all(isinstance(v, dt.date) for v in values):
        return "Date"
    return "Text"


def _document_variables(doc: pd.DataFrame) -> list[tuple[str, str, object]]:
    first = doc.iloc[0]
    return [(name, kind, first.get(name)) for name, kind in VARIABLES if name in doc and _is_value(first.get(name))]


def write_project(
    handle: BinaryIO, segments: pd.DataFrame, codebook: Codebook, name: str, initiatives: dict[str, str] | None = None,
    language: str = "fr", attributes: dict[str, dict] | None = None,
) -> dict[str, str]:
    """Write project.qde into ``handle``, one source at a time (a million coded segments never
    sit in memory as one XML tree); return the plain text of every source (guid → text).

    ``attributes`` (document id → {name: value}, from the corpus manifest) become Variables too."""
    initiatives, attributes = initiatives or {}, attributes or {}
    own = {v for v, _ in VARIABLES}
    extra: dict[str, list] = {}
    for values in attributes.values():
        for key, value in values.items():
            if key not in own and _is_value(value):
                extra.setdefault(str(key), []).append(value)
    kinds = {key: _kind(values) for key, values in sorted(extra.items())}
    automatic, human = guid("user", AUTOMATIC_USER), guid("user", HUMAN_USER)
    root = etree.Element(f"{{{PROJECT_NS}}}Project", nsmap={None: PROJECT_NS})  # parent of each part while it is built
    users = _element(root, "Users")
    _element(users, "User", guid=automatic, name=AUTOMATIC_USER, id="enquete")
    _element(users, "User", guid=human, name=HUMAN_USER, id="humain")
    _codes(_element(root, "CodeBook"), codebook, PROJECT_NS, language)
    variables = _element(root, "Variables")
    for variable, kind in [*VARIABLES, *kinds.items()]:
        _element(variables, "Variable", guid=guid("variable", variable), name=variable, typeOfVariable=kind)
    segments = segments[[c for c in PROJECT_COLUMNS if c in segments]]  # not the scores and evidence
    documents = {d: doc.sort_values("position", kind="stable") for d, doc in segments.groupby("document_id", sort=True)}
    _cases(root, documents, initiatives)
    with etree.xmlfile(handle, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(f"{{{PROJECT_NS}}}Project", nsmap={None: PROJECT_NS}, name=name, origin=f"enquete {__version__}", creatingUserGUID=automatic):
            for part in list(root):
                _write_part(xf, part, 1)
            xf.write("\n  ")
            with xf.element(f"{{{PROJECT_NS}}}Sources"):
                texts = _write_sources(xf, documents, codebook, attributes, kinds, human, automatic)
                xf.write("\n  ")
            xf.write("\n")
    return texts


def _write_part(xf, element, level: int) -> None:
    """Write a finished part of the project, indented at ``level``, then drop it from its parent."""
    etree.indent(element, level=level)
    xf.write("\n" + "  " * level)
    xf.write(element)
    if element.getparent() is not None:
        element.getparent().remove(element)


def _write_sources(xf, documents: dict[str, pd.DataFrame], codebook: Codebook, attributes: dict[str, dict],
                   kinds: dict[str, str], human: str, automatic: str) -> dict[str, str]:
    """Each document as a TextSource with its coded selections and variables; guid → text."""
    texts: dict[str, str] = {}
    code_refs = {code: guid("code", codebook.id, code) for code in codebook.ids}
    for document_id, doc in documents.items():
        source_guid = guid("source", document_id)
        text = schema.document_text(doc)
        if "\r" in text:
            raise RefiQdaError(f"{document_id} : retour chariot dans le texte (attendu : fins de ligne LF)")
        texts[source_guid] = text
        # a tree of its own, freed once written (detaching a large subtree from a parent is slow in lxml)
        attributes_of_source = {"guid": source_guid, "name": str(document_id), "plainTextPath": f"internal://{source_guid}.txt"}
        source = etree.Element(f"{{{PROJECT_NS}}}TextSource", attributes_of_source, nsmap={None: PROJECT_NS})
        for segment_id, start, end, segment_text, codes, user in _coded_rows(doc, human, automatic):
            if text[start:end] != segment_text:
                raise RefiQdaError(f"{segment_id} : décalages incohérents avec le texte du document")
            selection = _element(source, "PlainTextSelection", guid=guid("selection", segment_id), name=segment_id, startPosition=start, endPosition=end)
            for code in split_codes(codes):
                if code in code_refs:
                    coding = _element(selection, "Coding", guid=guid("coding", segment_id, code), creatingUser=user)
                    _element(coding, "CodeRef", targetGUID=code_refs[code])
        for variable, kind, value in _document_variables(doc):
            _variable_value(source, variable, kind, value)
        for variable, value in sorted(attributes.get(document_id, {}).items()):
            if variable in kinds and _is_value(value):
                _variable_value(source, variable, kinds[variable], value)
        _write_part(xf, source, 2)
    return texts


def _coded_rows(doc: pd.DataFrame, human: str, automatic: str):
    """(segment_id, start, end, text, codes, user guid) of each coded segment of a document."""
    coded = doc[doc["codes"].fillna("") != ""] if "codes" in doc else doc.iloc[0:0]
    revision = coded["revision"].tolist() if "revision" in coded else ["auto"] * len(coded)
    users = [human if r == "human" else automatic for r in revision]
    columns = (coded[c].tolist() for c in ("segment_id", "start_char", "end_char", "text", "codes"))
    return zip(*columns, users)


def _cases(root, documents: dict[str, pd.DataFrame], initiatives: dict[str, str]) -> None:
    """Cases: one per initiative (its documents) and one per interviewed person (pseudonymised)."""
    cases = []
    by_initiative: dict[str, list[str]] = {}
    for document_id, doc in documents.items():
        initiative = doc["initiative"].iloc[0] if "initiative" in doc else None
        if _is_value(initiative):
            by_initiative.setdefault(str(initiative), []).append(document_id)
    for initiative, docs in sorted(by_initiative.items()):
        cases.append((guid("case", "initiative", initiative), initiatives.get(initiative, initiative), "initiative", docs, None))
    for document_id, doc in documents.items():
        speech = doc[doc["speaker_role"] == "respondent"] if doc["source_type"].iloc[0] == "interview" else doc.iloc[0:0]
        for speaker in sorted(speech["speaker"].dropna().unique()):
            role = doc["respondent_role"].iloc[0] if "respondent_role" in doc else None
            cases.append((guid("case", "respondent", document_id, speaker), f"{document_id} — {speaker}", "personne interrogée", [document_id], role))
    if not cases:
        return
    node = _element(root, "Cases")
    for case_guid, name, kind, docs, role in cases:
        case = _element(node, "Case", guid=case_guid, name=name)
        _element(case, "Description").text = kind
        if _is_value(role):
            _variable_value(case, "respondent_role", "Text", role)
        for document_id in docs:
            _element(case, "SourceRef", targetGUID=guid("source", document_id))


def export_qdpx(
    segments: pd.DataFrame, codebook: Codebook, path: str | Path, name: str = "enquete", initiatives: dict[str, str] | None = None,
    language: str = "fr", attributes: dict[str, dict] | None = None,
) -> Path:
    """Write a REFI-QDA project: sources, codebook, codings, cases and variables."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name_on_disk = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".qde", dir=path.parent)
    qde = Path(name_on_disk)  # project.qde on disk while it is validated and zipped
    try:
        with os.fdopen(fd, "wb") as handle:
            texts = write_project(handle, segments, codebook, name, initiatives, language, attributes)
        validate(qde, "project")
        return write_zip(path, {"project.qde": qde} | {f"sources/{g}.txt": t.encode("utf-8") for g, t in sorted(texts.items())})
    finally:
        qde.unlink(missing_ok=True)


def export_qdc(codebook: Codebook, path: str | Path, language: str = "fr") -> Path:
    """Write the codebook alone as a REFI-QDA .qdc file."""
    xml = codebook_xml(codebook, language)
    validate(xml, "codebook")
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(xml)
    return path


# --- reading ----------------------------------------------------------------------------------


@dataclass
class QdpxImport:
    """Human codings of a .qdpx mapped to segments, as review decisions, and what could not be used."""

    decisions: pd.DataFrame
    unknown_codes: list[str] = field(default_factory=list)
    unmatched_sources: list[str] = field(default_factory=list)
    unmatched_selections: int = 0
    selections: int = 0


def _code_names(root, codebook: Codebook) -> dict[str, str | None]:
    """Code guid → enquete code id (matched by guid, id, French or English label), None if unknown."""
    by_name = {}
    for code in codebook.codes:
        for key in (code.id, code.label, code.label_en):
            if key:
                by_name[key.strip().lower()] = code.id
    names: dict[str, str | None] = {}
    for node in root.iter(f"{{{PROJECT_NS}}}Code"):
        name = node.get("name", "").strip()
        description = node.findtext(f"{{{PROJECT_NS}}}Description") or ""
        tag = description[1 : description.index("]")] if description.startswith("[") and "]" in description else ""
        names[node.get("guid").strip("{}").lower()] = by_name.get(tag) or by_name.get(name.lower())
    return names


def _segment_spans(doc: pd.DataFrame, text: str) -> list[tuple[int, int, str]]:
    """Where each segment sits in the imported text: our offsets if the text is ours, else
    found in order (after CRLF → LF, positions mapped back to the imported text)."""
    doc = doc.sort_values("position", kind="stable")
    if text == schema.document_text(doc):
        return list(zip(doc["start_char"].astype(int), doc["end_char"].astype(int), doc["segment_id"]))
    kept = [i for i, ch in enumerate(text) if not (ch == "\r" and text[i + 1 : i + 2] == "\n")]
    normalised = "".join(text[i] for i in kept).replace("\r", "\n")
    spans, cursor = [], 0
    for segment_id, segment_text in zip(doc["segment_id"], doc["text"].fillna("")):
        at = normalised.find(segment_text, cursor) if segment_text else -1
        if at >= 0:
            end = at + len(segment_text)
            spans.append((kept[at], kept[end - 1] + 1, segment_id))
            cursor = end
    return spans


def import_qdpx(path: str | Path, segments: pd.DataFrame, codebook: Codebook) -> QdpxImport:
    """Codings made by a person in another tool → review decisions (segment_id, fingerprint, codes).

    Selections are mapped to segments by text offsets (a segment takes the codes of every
    selection that covers at least half of it, or that lies inside it). Only segments that
    carry a coding by someone other than enquete's automatic coder become decisions.
    """
    path = Path(path)
    root, files = _read_project(path)
    codes = _code_names(root, codebook)
    automatic = guid("user", AUTOMATIC_USER)
    documents = {d: doc for d, doc in segments.groupby("document_id", sort=False)}
    texts = segments.set_index("segment_id")["text"].fillna("")
    applied: dict[str, set[str]] = {}
    by_human: set[str] = set()
    report = QdpxImport(pd.DataFrame())
    unknown: set[str] = set()
    for source in root.iter(f"{{{PROJECT_NS}}}TextSource"):
        name = source.get("name", "")
        text = _source_text(source, files)
        doc = documents.get(name)
        selections = source.findall(f"{{{PROJECT_NS}}}PlainTextSelection")
        report.selections += len(selections)
        if doc is None or text is None:
            report.unmatched_sources.append(name)
            report.unmatched_selections += len(selections)
            continue
        spans = _segment_spans(doc, text)
        for selection in selections:
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            covered = [sid for s, e, sid in spans if min(end, e) - max(start, s) >= max(1, min((e - s) / 2, end - start))]
            if not covered:
                report.unmatched_selections += 1
                continue
            for coding in selection.findall(f"{{{PROJECT_NS}}}Coding"):
                ref = coding.find(f"{{{PROJECT_NS}}}CodeRef").get("targetGUID").strip("{}").lower()
                code = codes.get(ref)
                if code is None:
                    unknown.add(_code_label(root, ref))
                    continue
                for sid in covered:
                    applied.setdefault(sid, set()).add(code)
                if (coding.get("creatingUser") or "").strip("{}").lower() != automatic:
                    by_human.update(covered)
    rows = [
        (sid, text_key(texts[sid]), codebook.id, ";".join(c for c in codebook.ids if c in applied.get(sid, set())), f"import REFI-QDA : {path.name}")
        for sid in sorted(by_human)
    ]
    report.decisions = pd.DataFrame(rows, columns=["segment_id", "fingerprint", "codebook", "codes", "comment"])
    report.unknown_codes = sorted(unknown)
    return report


def coded_selections(path: str | Path, codebook: Codebook) -> pd.DataFrame:
    """The passages a person coded in a REFI-QDA project from any tool or study (``text``,
    ``codes``), to train the coder on another corpus: codes are matched to the codebook by
    id or label; codings by enquete's automatic coder and codes the codebook lacks are left out."""
    path = Path(path)
    root, files = _read_project(path)
    codes = _code_names(root, codebook)
    automatic = guid("user", AUTOMATIC_USER)
    passages: dict[str, set[str]] = {}
    for source in root.iter(f"{{{PROJECT_NS}}}TextSource"):
        text = _source_text(source, files)
        for selection in source.findall(f"{{{PROJECT_NS}}}PlainTextSelection") if text is not None else ():
            passage = text[int(selection.get("startPosition")) : int(selection.get("endPosition"))].strip()
            for coding in selection.findall(f"{{{PROJECT_NS}}}Coding"):
                code = codes.get(coding.find(f"{{{PROJECT_NS}}}CodeRef").get("targetGUID").strip("{}").lower())
                if passage and code and (coding.get("creatingUser") or "").strip("{}").lower() != automatic:
                    passages.setdefault(passage, set()).add(code)
    return pd.DataFrame(
        {"text": list(passages), "codes": [";".join(c for c in codebook.ids if c in found) for found in passages.values()]}, dtype=str
    )


def _read_project(path: Path):
    """(the project.qde XML root, the source files by archive name) of a .qdpx."""
    try:
        with zipfile.ZipFile(path) as zf:
            return etree.fromstring(zf.read("project.qde")), {n: zf.read(n) for n in zf.namelist() if n.startswith("sources/")}
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, OSError) as exc:
        raise RefiQdaError(f"{path} : projet REFI-QDA illisible ({exc})") from None


def _code_label(root, ref: str) -> str:
    for node in root.iter(f"{{{PROJECT_NS}}}Code"):
        if node.get("guid").strip("{}").lower() == ref:
            return node.get("name", ref)
    return ref


def _source_text(source, files: dict[str, bytes]) -> str | None:
    inline = source.findtext(f"{{{PROJECT_NS}}}PlainTextContent")
    if inline is not None:
        return inline
    target = source.get("plainTextPath", "")
    if target.startswith("internal://"):
        data = files.get("sources/" + target.removeprefix("internal://"))
        return data.decode("utf-8-sig") if data is not None else None
    return None
