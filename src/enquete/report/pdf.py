"""The report as PDF, through LibreOffice, with its table of contents paginated.

``soffice --convert-to pdf`` keeps the table of contents as the .docx carries it, without page
numbers: LibreOffice does not update indexes on loading. So the report is opened by a small
LibreOffice Basic macro, in a throwaway profile (a LibreOffice already open is left alone),
that updates every index and field, exports the PDF and writes the updated table of contents
out, whose page numbers then go back into the .docx. The PDF gets a fixed creation date and an
identifier from its content: the same report gives the same bytes.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from enquete.errors import ReportError

TIMEOUT = 300  # seconds LibreOffice may take to open, paginate and export a report
#: Where LibreOffice installs its command outside the PATH.
INSTALLED = ("/Applications/LibreOffice.app/Contents/MacOS/soffice", r"C:\Program Files\LibreOffice\program\soffice.exe")
MODULE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Enquete" script:language="StarBasic">
Sub ExportPdf(source As String, target As String, contents As String)
  On Error GoTo Failed
  Dim load(0) As New com.sun.star.beans.PropertyValue
  load(0).Name = "Hidden"
  load(0).Value = True
  doc = StarDesktop.loadComponentFromURL(ConvertToURL(source), "_blank", 0, load())
  indexes = doc.getDocumentIndexes()
  text = ""
  For i = 0 To indexes.getCount() - 1
    indexes.getByIndex(i).update()
    text = text &amp; indexes.getByIndex(i).getAnchor().getString()
  Next i
  doc.getTextFields().refresh()
  Dim store(0) As New com.sun.star.beans.PropertyValue
  store(0).Name = "FilterName"
  store(0).Value = "writer_pdf_Export"
  doc.storeToURL(ConvertToURL(target), store())
  doc.close(True)
  files = createUnoService("com.sun.star.ucb.SimpleFileAccess")
  stream = createUnoService("com.sun.star.io.TextOutputStream")
  stream.setOutputStream(files.openFileWrite(ConvertToURL(contents)))
  stream.setEncoding("UTF-8")
  stream.writeString(text)
  stream.closeOutput()
Failed:
End Sub
</script:module>
"""
LIBRARY = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE library:library PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "library.dtd">
<library:library xmlns:library="http://openoffice.org/2000/library" library:name="Standard" library:readonly="false" library:passwordprotected="false">
 <library:element library:name="Enquete"/>
</library:library>
"""


def libreoffice() -> str | None:
    """The LibreOffice command (``soffice``), if installed."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    return found or next((p for p in INSTALLED if Path(p).is_file()), None)


def export_pdf(report: str | Path, pdf: str | Path | None = None) -> tuple[Path, list[tuple[str, str]]]:
    """Write ``report`` (.docx) as PDF (default: beside it), its indexes updated.

    Returns the PDF's path and the table of contents as LibreOffice paginated it: (title, page)
    in order. Raises ReportError when LibreOffice is missing or fails."""
    soffice = libreoffice()
    if soffice is None:
        raise ReportError("LibreOffice est introuvable : installez-le (paquet libreoffice-writer) pour écrire le rapport en PDF")
    report = Path(report)
    pdf = Path(pdf) if pdf else report.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="enquete-pdf-") as tmp:
        work = Path(tmp)
        profile = work / "profil"
        _soffice([soffice, f"-env:UserInstallation={profile.as_uri()}", "--terminate_after_init"])  # the profile, then our macro in it
        library = profile / "user" / "basic" / "Standard"
        library.mkdir(parents=True, exist_ok=True)
        (library / "Enquete.xba").write_text(MODULE, encoding="utf-8")
        (library / "script.xlb").write_text(LIBRARY, encoding="utf-8")
        source, target, contents = work / "rapport.docx", work / "rapport.pdf", work / "sommaire.txt"
        shutil.copyfile(report, source)  # plain ASCII paths in the macro's call, whatever the user's
        done = _soffice([soffice, f"-env:UserInstallation={profile.as_uri()}", f'macro:///Standard.Enquete.ExportPdf("{source}","{target}","{contents}")'])
        if not target.is_file():
            raise ReportError(f"LibreOffice n'a pas écrit le PDF de {report.name} ({_last_line(done)})")
        pdf.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(target, pdf)
        pages = _entries(contents.read_text(encoding="utf-8")) if contents.is_file() else []
    _reproducible(pdf)
    return pdf, pages


def _soffice(command: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([command[0], "--headless", "--norestore", "--nologo", *command[1:]], capture_output=True, text=True,
                              timeout=TIMEOUT, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ReportError(f"LibreOffice n'a pas fini en {TIMEOUT} s (rapport non converti en PDF)") from None
    except OSError as exc:
        raise ReportError(f"LibreOffice ne se lance pas : {exc}") from None


def _last_line(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip() and "javaldx" not in line]
    return lines[-1] if lines else f"code de sortie {done.returncode}"


def _entries(text: str) -> list[tuple[str, str]]:
    """The lines "Title<TAB>page" of an updated table of contents."""
    return [(title.strip(), page.strip()) for title, _, page in (line.rpartition("\t") for line in text.splitlines() if "\t" in line)]


IDENTIFIERS = re.compile(rb"(/ID \[ ?<)([0-9A-F]+)(>\s*<)([0-9A-F]+)(>)|(/DocChecksum /)([0-9A-F]+)")


def _reproducible(path: Path) -> None:
    """A fixed creation date, an identifier and a checksum from the content (same lengths: offsets stay valid)."""
    data = re.sub(rb"(/CreationDate\(D:)\d{14}", rb"\g<1>20200101000000", path.read_bytes())
    blank = IDENTIFIERS.sub(lambda m: _filled(m, b"0"), data)
    digest = hashlib.sha256(blank).hexdigest().upper().encode()
    path.write_bytes(IDENTIFIERS.sub(lambda m: _filled(m, digest), blank))


def _filled(match: re.Match, fill: bytes) -> bytes:
    """The match with each hexadecimal group replaced by ``fill``, repeated or cut to its length."""
    parts = []
    for k, part in enumerate(match.groups()):
        if part is not None:
            parts.append((fill * (len(part) // len(fill) + 1))[: len(part)] if k in (1, 3, 6) else part)
    return b"".join(parts)
