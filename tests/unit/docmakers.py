"""Documents made in code for the tests: real PDFs (fpdf2), DOCX (python-docx).

``make_pdf`` is the one PDF maker; the documents with a page-numbering convention
(``queue_docs.numbered_pdf``, the TUI tests' field manual) give it their page texts.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

import docx
from docx.enum.section import WD_SECTION
from fpdf import FPDF
from pypdf import PdfWriter


def make_pdf(path: Path, pages: Sequence[str], password: str | None = None) -> Path:
    """A text PDF with one page per string; with ``password``, encrypted (AES-128) so that
    only that password opens it (``make_encrypted_pdf`` encrypts an existing file)."""
    pdf = FPDF()
    if password:
        from fpdf.enums import EncryptionMethod

        pdf.set_encryption(
            owner_password=password + "x",
            user_password=password,
            encryption_method=EncryptionMethod.AES_128,
        )
    pdf.set_font("helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    return path


def make_odd_encoding_pdf(path: Path, text: str = "Valve check log") -> Path:
    """A one-page PDF whose font names an encoding pypdf does not know (``/Winng``): pypdf
    reads it and logs "Advanced encoding /Winng not implemented yet" with a whole table."""
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/Winng"),
        }
    )
    fonts = DictionaryObject({NameObject("/F1"): writer._add_object(font)})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    content = DecodedStreamObject()
    content.set_data(f"BT /F1 12 Tf 72 700 Td ({text}) Tj ET".encode("latin-1"))
    page[NameObject("/Contents")] = writer._add_object(content)
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def make_scanned_pdf(path: Path, pages: Sequence[str], dpi: int = 200, pt: float = 11) -> Path:
    """An image-only PDF, as a scanner makes: each string is typeset on a white A4 page
    image (Pillow's own font, so no system font is needed), one image per page, no text
    layer at all."""
    import textwrap

    from PIL import Image, ImageDraw, ImageFont

    width, height = int(8.27 * dpi), int(11.69 * dpi)
    px = round(pt * dpi / 72)
    font = ImageFont.load_default(size=px)
    images = []
    for text in pages:
        img = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(img)
        y = dpi
        for paragraph in text.split("\n\n"):
            for line in textwrap.wrap(paragraph, int((width - 2 * dpi) / (px * 0.5))):
                draw.text((dpi, y), line, font=font, fill=0)
                y += round(px * 1.45)
            y += px
        images.append(img)
    images[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return path


def join_pdfs(path: Path, parts: Sequence[Path]) -> Path:
    """The pages of ``parts`` one after the other in one PDF."""
    writer = PdfWriter()
    for part in parts:
        writer.append(str(part))
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def make_encrypted_pdf(src: Path, dest: Path, user_password: str) -> Path:
    """``src`` encrypted (AES-256) with ``user_password`` ("" opens without asking)."""
    writer = PdfWriter(clone_from=str(src))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-256")
    with open(dest, "wb") as fh:
        writer.write(fh)
    return dest


def make_docx(path: Path) -> Path:
    """Header, paragraphs, a table, a page break and a second section with its footer."""
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "ACME Confidential Header"
    d.add_paragraph("First paragraph before the table.")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Name"
    table.cell(0, 1).text = "Role"
    table.cell(1, 0).text = "Ada"
    table.cell(1, 1).text = "Engineer"
    d.add_paragraph("Paragraph after the table.")
    d.add_page_break()
    d.add_paragraph("Second page text.")
    section = d.add_section(WD_SECTION.NEW_PAGE)
    section.footer.is_linked_to_previous = False
    section.footer.paragraphs[0].text = "Section two footer"
    d.add_paragraph("Third page in section two.")
    d.save(str(path))
    return path


_NOTES_XML = (
    '<w:{kind}s xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    '<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
    '<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
    "</w:r></w:p></w:{kind}>{notes}</w:{kind}s>"
)


def _note_part(d: docx.document.Document, kind: str, notes: dict[int, str]) -> None:
    """Add a footnotes or endnotes part to ``d``, as Word lays it out."""
    from docx.opc.constants import CONTENT_TYPE as CT
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    body = "".join(
        f'<w:{kind} w:id="{i}"><w:p><w:r><w:{kind}Ref/></w:r><w:r><w:t xml:space="preserve"> '
        f"{text}</w:t></w:r></w:p></w:{kind}>"
        for i, text in notes.items()
    )
    blob = _NOTES_XML.format(kind=kind, notes=body).encode()
    content_type = CT.WML_FOOTNOTES if kind == "footnote" else CT.WML_ENDNOTES
    part = Part(PackURI(f"/word/{kind}s.xml"), content_type, blob, d.part.package)
    d.part.relate_to(part, RT.FOOTNOTES if kind == "footnote" else RT.ENDNOTES)


def _note_reference(paragraph: docx.text.paragraph.Paragraph, kind: str, note_id: int) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()
    ref = OxmlElement(f"w:{kind}Reference")
    ref.set(qn("w:id"), str(note_id))
    run._r.append(ref)


def make_docx_with_notes(path: Path) -> Path:
    """Two pages citing footnotes (ids not in citation order, one cited twice) and an
    endnote, with a comment-free body."""
    d = docx.Document()
    p = d.add_paragraph("Rivers carry silt")
    _note_reference(p, "footnote", 7)
    p.add_run(" to the delta.")
    d.add_page_break()
    p = d.add_paragraph("Deltas grow")
    _note_reference(p, "footnote", 3)
    p.add_run(" and shift")
    _note_reference(p, "endnote", 2)
    p.add_run(", as noted before")
    _note_reference(p, "footnote", 7)
    p.add_run(".")
    _note_part(d, "footnote", {3: "Growth is seasonal.", 7: "Measured in 2019."})
    _note_part(d, "endnote", {2: "See the survey appendix."})
    d.save(str(path))
    return path


def make_zip_bomb_docx(path: Path, declared_mb: int) -> Path:
    """A DOCX-shaped zip whose document.xml inflates to ``declared_mb`` MB of spaces.

    Highly compressible, so the file itself stays tiny.
    """
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            chunk = b" " * (1 << 20)
            for _ in range(declared_mb):
                fh.write(chunk)
    return path


_W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def make_docx_with_controls_and_ruby(path: Path) -> Path:
    """A table whose second row sits in a content control (``w:sdt``) and whose third row
    has a cell in one, then a paragraph with ruby text (base 漢字, reading かんじ), as
    Word writes them."""
    from docx.oxml import parse_xml

    def cell(text: str) -> str:
        return f"<w:tc><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"

    table = parse_xml(
        f"<w:tbl {_W_NS}><w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid>"
        f"<w:tr>{cell('Year')}{cell('Index')}</w:tr>"
        f"<w:sdt><w:sdtPr/><w:sdtContent><w:tr>{cell('1975')}{cell('105.1')}</w:tr>"
        "</w:sdtContent></w:sdt>"
        f"<w:tr>{cell('1976')}<w:sdt><w:sdtPr/><w:sdtContent>{cell('98.4')}</w:sdtContent>"
        "</w:sdt></w:tr></w:tbl>"
    )
    ruby = parse_xml(
        f'<w:p {_W_NS}><w:r><w:t xml:space="preserve">Write </w:t></w:r><w:r><w:ruby>'
        "<w:rubyPr/><w:rt><w:r><w:t>かんじ</w:t></w:r></w:rt>"
        "<w:rubyBase><w:r><w:t>漢字</w:t></w:r></w:rubyBase></w:ruby></w:r>"
        '<w:r><w:t xml:space="preserve"> daily.</w:t></w:r></w:p>'
    )
    d = docx.Document()
    d.add_paragraph("Table 1: the index by year.")
    body = d.element.body
    body.insert(len(body) - 1, table)  # before the final sectPr
    body.insert(len(body) - 1, ruby)
    d.save(str(path))
    return path


def make_book_pdf(
    path: Path,
    pages: Sequence[tuple[str | None, str]],
    tables: dict[int, Sequence[Sequence[str]]] | None = None,
) -> Path:
    """A PDF laid out like a book: each page is (running head or None, body text), the
    head set apart at the top as a typesetter does (a smaller font, a gap below it), the
    body with its own line breaks; ``tables`` (page index -> rows) adds a ruled table
    after that page's body (fpdf2's own table layout, one cell per column)."""
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    for i, (head, body) in enumerate(pages):
        pdf.add_page()
        if head is not None:
            pdf.set_font("helvetica", size=9)
            pdf.cell(0, 6, head, align="R" if i % 2 else "L")
            pdf.ln(12)
        pdf.set_font("helvetica", size=11)
        pdf.multi_cell(0, 6, body)
        if tables and i in tables:
            pdf.ln(4)
            with pdf.table() as table:
                for cells in tables[i]:
                    row = table.row()
                    for cell in cells:
                        row.cell(cell)
            pdf.ln(4)
            pdf.multi_cell(0, 6, "The table ends here and the text goes on below it.")
    pdf.output(str(path))
    return path


TABLE_ROWS = [
    ["Year", "Index", "Change", "Share"],
    ["1975", "105.1", "-", "31.4"],
    ["1976", "98.4", "-6.7", "30.2"],
    ["1977", "101.9", "3.5", "29.8"],
    ["1978", "110.3", "8.4", "33.0"],
]


def make_docx_with_table(path: Path, rows: Sequence[Sequence[str]] = TABLE_ROWS) -> Path:
    """A caption, a table of ``rows`` and the paragraph after it, as a report has them."""
    d = docx.Document()
    d.add_paragraph(
        "The index was measured every year by the survey office and reported to the board."
    )
    d.add_paragraph("Table 3: Index by year")
    table = d.add_table(rows=len(rows), cols=len(rows[0]))
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            table.cell(r, c).text = text
    d.add_paragraph("after the oil crisis the index recovered within two years of the low.")
    d.save(str(path))
    return path


DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def make_unicode_pdf(path: Path, lines: Sequence[str], align: str = "L") -> Path:
    """One page, one cell a line, in DejaVu Sans (Debian's fonts-dejavu-core): a Unicode
    font, so ligature glyphs, Hebrew and Arabic can be drawn. fpdf2 draws right-to-left
    text in visual order, as most PDF writers do."""
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("dejavu", "", str(DEJAVU))
    pdf.set_font("dejavu", size=12)
    for line in lines:
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT", align=align)
    pdf.output(str(path))
    return path


def make_raw_pdf(
    path: Path,
    content: bytes,
    stream_filter: bytes = b"[]",
    font_extra: bytes = b"",
    more_fonts: bytes = b"",
) -> Path:
    """A one-page PDF written byte by byte around ``content`` (the page's content stream,
    stored as it is under ``/Filter stream_filter``) in Helvetica, with ``font_extra`` in
    the font's dictionary: for what fpdf2 refuses to write (control characters in a
    string, a filter no reader knows, a font whose encoding is missing). ``more_fonts``:
    further entries of the page's font resources (``/F2 << ... >>``), besides ``/F1``."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R " + more_fonts + b">> >> >>",
        b"<< /Length %d /Filter %s >>\nstream\n" % (len(content), stream_filter)
        + content
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica" + font_extra + b" >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


def make_encrypted_docx(path: Path, payload: bytes = b"\x00" * 4096) -> Path:
    """A password-protected DOCX as Office writes it: an OLE compound file (MS-CFB,
    version 3) whose directory holds ``EncryptionInfo`` and ``EncryptedPackage`` streams
    (``payload`` stands in for the encrypted zip)."""
    import struct

    sector = 512
    end, free, fat_sect = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD

    def entry(name: str, kind: int, start: int, size: int, child: int = free, right=free):  # noqa: ANN001, ANN202
        raw = name.encode("utf-16-le") + b"\x00\x00"
        return (
            raw.ljust(64, b"\x00")
            + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", free, right, child)
            + b"\x00" * 16  # CLSID
            + struct.pack("<I", 0)  # state bits
            + b"\x00" * 16  # times
            + struct.pack("<IQ", start, size)
        )

    info = b"\x04\x00\x04\x00\x40\x00\x00\x00" + b"\x00" * 4088  # agile encryption, v4.4
    data_sectors = (len(info) + len(payload) + sector - 1) // sector
    info_start, package_start = 2, 2 + len(info) // sector
    directory = (
        entry("Root Entry", 5, end, 0, child=1)
        + entry("EncryptedPackage", 2, package_start, len(payload), right=2)
        + entry("EncryptionInfo", 2, info_start, len(info))
    ).ljust(sector, b"\x00")
    fat = [fat_sect, end]  # sector 0: the FAT, 1: the directory
    for n in range(len(info) // sector):
        fat.append(info_start + n + 1 if n + 1 < len(info) // sector else end)
    for n in range(data_sectors - len(info) // sector):
        last = n + 1 == data_sectors - len(info) // sector
        fat.append(end if last else package_start + n + 1)
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat).ljust(sector, b"\xff")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)  # DIFAT[0]: the FAT is sector 0
        + b"\xff" * (108 * 4)
    )
    body = (info + payload).ljust(data_sectors * sector, b"\x00")
    path.write_bytes(header + fat_bytes + directory + body)
    return path
