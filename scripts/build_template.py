"""Build the default report template src/enquete/report/modele_rapport.docx (A4, styles).

    uv run python scripts/build_template.py
"""

from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

OUT = Path(__file__).resolve().parents[1] / "src" / "enquete" / "report" / "modele_rapport.docx"
BLUE = RGBColor(0x1B, 0x4F, 0x72)


def main() -> None:
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.5))
    section.top_margin, section.bottom_margin = Cm(2.2), Cm(2.2)
    styles = document.styles
    styles["Normal"].font.name = "Calibri"
    styles["Normal"].font.size = Pt(10.5)
    styles["Normal"].paragraph_format.space_after = Pt(6)
    for name, size in (("Title", 26), ("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11)):
        styles[name].font.name = "Calibri"
        styles[name].font.size = Pt(size)
        styles[name].font.color.rgb = BLUE
    styles["Caption"].font.size = Pt(9)
    styles["Caption"].font.color.rgb = RGBColor(0x44, 0x44, 0x44)
    styles["Quote"].font.italic = True
    styles["Quote"].paragraph_format.left_indent = Cm(1)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = footer.add_run()
    for tag, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if tag:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), tag)
            run._r.append(char)
        else:
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = text
            run._r.append(code)
    props = document.core_properties
    props.author = props.last_modified_by = "enquete"
    props.title = "Rapport de restitution"
    document.save(OUT)
    print(OUT)


if __name__ == "__main__":
    main()
