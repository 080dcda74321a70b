"""Documents made in code for the ingest tests: real PDFs (fpdf2), DOCX (python-docx)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
from docx.enum.section import WD_SECTION
from fpdf import FPDF
from pypdf import PdfWriter


def make_pdf(path: Path, pages: list[str]) -> Path:
    """A text PDF with one page per string."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
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
