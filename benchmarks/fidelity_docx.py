"""Write the fidelity documents as DOCX with python-docx, the way Word stores them.

What a Word file of such a book holds and an extractor must read: optional hyphens as
``w:softHyphen``, footnotes in their own part with references in the text, a section per
chapter whose odd and even headers carry the running head and a PAGE field, two-column
sections, right-to-left paragraphs (``w:bidi``), and content controls (``w:sdt``) around
paragraphs and table rows. The same file, opened by LibreOffice, gives the benchmark's
LibreOffice PDFs (``fidelity_office``), so one writer serves both sets. Dates and zip
timestamps are fixed: same model, same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from fidelity_docs import FOOTNOTE, Block, Doc, section_starts
from fidelity_text import SOFT

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = f'xmlns:w="{W_NS}"'
LANG = {"en": "en-US", "de": "de-DE", "fr": "fr-FR", "pl": "pl-PL", "cs": "cs-CZ",
        "el": "el-GR", "ru": "ru-RU", "uk": "uk-UA", "ar": "ar-SA", "he": "he-IL",
        "zh": "zh-CN"}  # fmt: skip
TEXT_WIDTH_TWIPS = 9070  # A4 less two 25 mm margins
FIXED = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
FOOTNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"


def _rpr(block: Block, extra: str = "") -> str:
    lang = LANG[block.lang]
    attr = "w:bidi" if block.rtl else ("w:eastAsia" if block.script == "cjk" else "w:val")
    rtl = "<w:rtl/>" if block.rtl else ""
    return f'<w:rPr>{extra}{rtl}<w:lang {attr}="{lang}"/></w:rPr>'


def _text_runs(text: str, rpr: str) -> str:
    """Runs for ``text``: soft hyphens become ``w:softHyphen``."""
    parts = text.split(SOFT)
    inner = "<w:softHyphen/>".join(
        f'<w:t xml:space="preserve">{escape(p)}</w:t>' for p in parts if p is not None
    )
    return f"<w:r>{rpr}{inner}</w:r>" if text else ""


def _inline(block: Block) -> str:
    """The runs of a heading or paragraph, footnote marks as references."""
    bold = '<w:b/><w:sz w:val="30"/>' if block.level == 1 else '<w:b/><w:sz w:val="23"/>'
    rpr = _rpr(block, bold if block.kind == "heading" else "")
    out = []
    pos = 0
    for m in FOOTNOTE.finditer(block.text):
        out.append(_text_runs(block.text[pos : m.start()], rpr))
        out.append(
            '<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
            f'<w:footnoteReference w:id="{m.group(1)}"/></w:r>'
        )
        pos = m.end()
    out.append(_text_runs(block.text[pos:], rpr))
    return "".join(out)


def _paragraph(block: Block, first: bool, break_before: bool, sect: str = "") -> str:
    ppr = ["<w:keepNext/>"] if block.kind == "heading" else []
    if break_before:
        ppr.append("<w:pageBreakBefore/>")
    if block.kind == "heading":
        ppr.append('<w:spacing w:before="180" w:after="90"/>')
    elif block.rtl:
        ppr.append('<w:bidi/><w:spacing w:after="60"/><w:jc w:val="right"/>')
    else:
        indent = "" if first or block.cont else '<w:ind w:firstLine="284"/>'
        ppr.append(f'<w:spacing w:after="60"/>{indent}')
    p = f"<w:p><w:pPr>{''.join(ppr)}{sect}</w:pPr>{_inline(block)}</w:p>"
    return _control(p) if block.control else p


def _control(xml: str) -> str:
    return f"<w:sdt><w:sdtPr/><w:sdtContent>{xml}</w:sdtContent></w:sdt>"


def _table(block: Block) -> str:
    cols = len(block.rows[0])
    first = 1474  # 26 mm
    rest = (TEXT_WIDTH_TWIPS - first) // (cols - 1)
    widths = [first] + [rest] * (cols - 1)
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    border = "".join(
        f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    rows = []
    for r, row in enumerate(block.rows):
        cells = []
        for c, (text, w) in enumerate(zip(row, widths, strict=True)):
            jc = "left" if c == 0 or r == 0 else "right"
            bold = "<w:b/>" if r == 0 else ""
            cells.append(
                f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/></w:tcPr><w:p><w:pPr>'
                f'<w:spacing w:after="0"/><w:jc w:val="{jc}"/></w:pPr>'
                f"{_text_runs(text, _rpr(block, bold))}</w:p></w:tc>"
            )
        tr = f"<w:tr>{''.join(cells)}</w:tr>"
        rows.append(_control(tr) if block.control else tr)
    return (
        f'<w:tbl><w:tblPr><w:tblW w:w="{TEXT_WIDTH_TWIPS}" w:type="dxa"/>'
        f"<w:tblBorders>{border}</w:tblBorders></w:tblPr>"
        f"<w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>"
    )


def _sect_pr(doc: Doc, columns: int, first: bool, continuous: bool = False) -> str:
    kind = '<w:type w:val="continuous"/>' if continuous else ""
    numbering = f'<w:pgNumType w:start="{doc.first_number}"/>' if first else ""
    return (
        f'<w:sectPr>{kind}<w:pgSz w:w="11906" w:h="16838"/>'
        '<w:pgMar w:top="1474" w:right="1418" w:bottom="1418" w:left="1418" w:header="737"'
        ' w:footer="680" w:gutter="0"/>'
        f'{numbering}<w:cols w:num="{columns}" w:space="454"/></w:sectPr>'
    )


def _body(doc: Doc) -> list[str]:
    """Body elements in order; a paragraph closing a section carries its ``w:sectPr``."""
    starts = set(section_starts(doc)) if doc.heads == "alternate" else {0}
    out: list[str] = []
    section = 0
    for i, page in enumerate(doc.pages):
        if page.front:  # a one-column section above the columns, on the same page
            for j, block in enumerate(page.front):
                closing = _sect_pr(doc, 1, section == 0) if j == len(page.front) - 1 else ""
                out.append(_paragraph(block, j == 0, False, closing))
            section += 1
        blocks = list(page.blocks)
        for j, block in enumerate(blocks):
            brk = j == 0 and i > 0 and i not in starts
            if block.kind == "table":
                out.append(_table(block))
                continue
            closes = (i + 1 in starts) and j == len(blocks) - 1
            sect = _sect_pr(doc, page.columns, section == 0) if closes else ""
            out.append(_paragraph(block, j == 0 and not page.front, brk, sect))
            if closes:
                section += 1
    return out


def _header(mark: str, even: bool) -> str:
    field = '<w:fldSimple w:instr=" PAGE "/>'
    mark_run = f'<w:r><w:rPr><w:i/><w:sz w:val="18"/></w:rPr><w:t>{escape(mark)}</w:t></w:r>'
    tab = "<w:r><w:tab/></w:r>"
    inner = field + tab + mark_run if even else mark_run + tab + field
    return (
        f'<w:p><w:pPr><w:tabs><w:tab w:val="right" w:pos="{TEXT_WIDTH_TWIPS}"/></w:tabs>'
        f"</w:pPr>{inner}</w:p>"
    )


def _footnotes_xml(doc: Doc) -> bytes:
    notes = [
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
        "</w:footnote>",
        '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r>'
        "<w:continuationSeparator/></w:r></w:p></w:footnote>",
    ]
    for page in doc.pages:
        for n, text in page.notes:
            block = Block("para", text, lang=doc.lang)
            runs = _text_runs(text, _rpr(block, '<w:sz w:val="16"/>'))
            notes.append(
                f'<w:footnote w:id="{n}"><w:p><w:pPr><w:spacing w:after="0"/></w:pPr>'
                '<w:r><w:rPr><w:sz w:val="16"/><w:vertAlign w:val="superscript"/></w:rPr>'
                '<w:footnoteRef/></w:r><w:r><w:rPr><w:sz w:val="16"/></w:rPr>'
                f'<w:t xml:space="preserve"> </w:t></w:r>'
                f"{runs}</w:p></w:footnote>"
            )
    xml = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:footnotes {NS}>'
    return (xml + "".join(notes) + "</w:footnotes>").encode("utf-8")


def render(doc: Doc) -> bytes:
    """The DOCX of ``doc`` (same bytes for the same doc)."""
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import parse_xml
    from docx.shared import Pt

    d = docx.Document()
    body = d.element.body
    for child in list(body):
        body.remove(child)
    style = d.styles["Normal"]
    style.font.size = Pt(10)
    rpr = style.element.get_or_add_rPr()
    rpr.insert(
        0,
        parse_xml(
            f'<w:rFonts {NS} w:ascii="DejaVu Serif" w:hAnsi="DejaVu Serif" '
            'w:cs="DejaVu Sans" w:eastAsia="Droid Sans Fallback"/>'
        ),
    )
    parts = _body(doc)
    for xml in parts:
        body.append(parse_xml(_with_ns(xml)))
    first = not any("<w:sectPr>" in xml for xml in parts)
    final = _sect_pr(doc, doc.pages[-1].columns, first, continuous=bool(doc.pages[0].front))
    body.append(parse_xml(_with_ns(final)))
    settings = d.settings.element
    settings.append(parse_xml(f"<w:autoHyphenation {NS}/>"))
    if doc.heads == "alternate":
        settings.append(parse_xml(f"<w:evenAndOddHeaders {NS}/>"))
    starts = section_starts(doc) if doc.heads == "alternate" else [0]
    for k, section in enumerate(d.sections):
        if doc.heads == "alternate":
            mark = doc.pages[starts[min(k, len(starts) - 1)]].mark
            for part, even in ((section.header, False), (section.even_page_header, True)):
                part.is_linked_to_previous = False
                el = part._element  # noqa: SLF001 - python-docx has no API for fields
                for child in list(el):
                    el.remove(child)
                el.append(parse_xml(_with_ns(_header(mark, even))))
        elif k == 0:
            footer = section.footer
            footer.is_linked_to_previous = False
            el = footer._element  # noqa: SLF001
            for child in list(el):
                el.remove(child)
            el.append(
                parse_xml(
                    _with_ns(
                        '<w:p><w:pPr><w:jc w:val="center"/></w:pPr>'
                        '<w:fldSimple w:instr=" PAGE "/></w:p>'
                    )  # fmt: skip
                )
            )
    if any(p.notes for p in doc.pages):
        part = Part(
            PackURI("/word/footnotes.xml"), FOOTNOTES_CT, _footnotes_xml(doc), d.part.package
        )
        d.part.relate_to(part, RT.FOOTNOTES)
    props = d.core_properties
    props.created = props.modified = FIXED.replace(tzinfo=None)
    props.last_printed = FIXED.replace(tzinfo=None)
    props.title = doc.title
    props.author = props.last_modified_by = "loratui benchmark"
    props.revision = 1
    buf = io.BytesIO()
    d.save(buf)
    return _stable_zip(buf.getvalue())


_FIRST_TAG = re.compile(r"^<(w:\w+)")


def _with_ns(xml: str) -> str:
    """Declare the w: namespace on the fragment's first element."""
    return _FIRST_TAG.sub(lambda m: f"<{m.group(1)} {NS}", xml, count=1)


def _stable_zip(data: bytes) -> bytes:
    """The same zip with fixed member dates (python-docx stamps the time of saving)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def soffice() -> str | None:
    """The LibreOffice program, when installed (Debian: ``libreoffice-writer-nogui``)."""
    import shutil

    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_with_libreoffice(docx_files: list[Path], out_dir: Path, profile: Path) -> list[Path]:
    """PDFs of ``docx_files`` as LibreOffice lays them out (hyphenation by its own patterns,
    ligatures by HarfBuzz, CID fonts with ToUnicode maps): one ``soffice`` run for all.

    ``profile``: a private user profile, so a running LibreOffice of the user's is not
    disturbed and none of its settings colour the result.
    """
    import subprocess

    program = soffice()
    if program is None:
        raise FileNotFoundError("soffice")
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [program, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
         "--convert-to", "pdf", "--outdir", str(out_dir), *map(str, docx_files)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return [out_dir / (f.stem + ".pdf") for f in docx_files]
