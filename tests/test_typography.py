"""Numbers as each language writes them, sentences that agree with their counts, the PDF's
requirements: the pieces of the report that need no run."""

from __future__ import annotations

import pytest

from enquete.errors import ReportError
from enquete.report import Texts
from enquete.report.sections import paragraphs
from enquete.report.writer import format_cell
from enquete.vocabulary import decimal, number, percent

NNBSP = "\u202f"


def test_french_numbers_have_a_decimal_comma_and_narrow_no_break_spaces():
    assert number(1290) == f"1{NNBSP}290" and number(1234567.891, digits=2) == f"1{NNBSP}234{NNBSP}567,89"
    assert decimal(0.5349) == "0,53" and percent(0.1234) == f"12{NNBSP}%" and percent(0.1234, digits=1) == f"12,3{NNBSP}%"
    assert number(-0.001) == "0" and percent(-0.0001) == f"0{NNBSP}%"  # never "-0"


def test_english_numbers_keep_english_conventions():
    assert number(1290, "en") == "1,290" and decimal(0.5349, "en") == "0.53" and percent(0.1234, "en") == "12%"


def test_report_sentences_agree_with_their_counts_and_write_numbers_in_their_language():
    fr, en = Texts("fr"), Texts("en")
    assert fr.count("n_reviewed", 1) == "1 segment a été relu" and fr.count("n_reviewed", 2) == "2 segments ont été relus"
    assert fr.count("n_segments", 0) == "0 segment" and en.count("n_segments", 0) == "0 segments"
    assert fr.count("n_base", 1088) == f"1{NNBSP}088 segments de parole d'habitants codés"
    assert fr("group_messages", group="G", n=1200) == f"le groupe G (1{NNBSP}200 messages)"  # whole numbers formatted on the way in
    assert fr.interval(0.07, 0.15) == f"7{NNBSP}% à 15{NNBSP}%" and en.interval(0.07, 0.15) == "7% to 15%"
    assert format_cell(0.4712, "fr") == "0,47" and format_cell(2345, "fr") == f"2{NNBSP}345" and format_cell(0.4712, "en") == "0.47"
    assert " %" not in " ".join(v for v in fr.table.values() if isinstance(v, str))  # never a breaking space before %


def test_context_paragraphs_whichever_way_yaml_gives_them():
    assert paragraphs("Premier paragraphe.\nSecond paragraphe.") == ["Premier paragraphe.", "Second paragraphe."]  # folded block
    assert paragraphs("Une ligne\ncoupée.\n\nLe second.\n") == ["Une ligne coupée.", "Le second."]  # literal block


def test_the_pdf_needs_libreoffice_and_says_so(tmp_path, monkeypatch):
    import enquete.report.pdf as pdf

    monkeypatch.setattr(pdf, "libreoffice", lambda: None)
    with pytest.raises(ReportError, match="LibreOffice est introuvable"):
        pdf.export_pdf(tmp_path / "rapport.docx")


def test_a_pdf_gets_a_fixed_date_and_an_identifier_from_its_content(tmp_path):
    from enquete.report.pdf import _reproducible

    body = b"%PDF-1.4\n1 0 obj\n<</CreationDate(D:20261203162241Z')>>\nendobj\ntrailer\n<</ID [ <24DC13598B96001421E86E0A9869A2A8>\n<24DC13598B96001421E86E0A9869A2A8> ]\n/DocChecksum /4934D0B0BA808341440D46C8A79191E1\n>>\n%%EOF\n"
    one, two = tmp_path / "a.pdf", tmp_path / "b.pdf"
    one.write_bytes(body)
    two.write_bytes(body.replace(b"20261203162241", b"20270101101010").replace(b"24DC1359", b"FFFFFFFF").replace(b"4934D0B0", b"00000000"))
    _reproducible(one)
    _reproducible(two)
    assert one.read_bytes() == two.read_bytes() and len(one.read_bytes()) == len(body) and b"D:20200101000000" in one.read_bytes()
