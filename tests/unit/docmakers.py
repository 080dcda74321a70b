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
