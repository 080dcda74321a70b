"""DOCX text with python-docx: paragraphs and tables in document order, headers, footers.

The zip's declared member sizes are summed before anything is parsed (python-docx has no
zip-bomb guard); Python's zipfile never inflates a member past its declared size, so the
sum bounds the memory parsing can take.

Pages: a DOCX has no fixed pages (Word lays them out when it opens the file), so a page
here is what the author marked: an explicit page break (``w:br w:type="page"`` or "page
break before" on a paragraph) or a section break that starts a new page. A document
without breaks is one page. Each section's own header text opens its first page and its
footer text closes its last one, once (not repeated per page). Paragraphs are separated
by a blank line; a table is one block with one line per row, written as
``table_rows.row`` says (``| cell | cell |``), so the export's cleaning keeps its rows.
Rows and cells inside content controls (``w:sdt``) are table rows and cells like any
other. Ruby text (``w:ruby``) keeps its base text and drops the small reading aid above it
(the aid repeats the base word in another script). Deleted revisions, field codes and
empty paragraphs are left out; text boxes are kept.

Footnotes and endnotes are text the author wrote, so they are kept where a reader finds
them: a reference becomes ``[1]`` (footnotes, numbered in order of appearance) or ``[i]``
(endnotes, Word's default lower-case roman), each footnote's text closes the page that
cites it and the endnotes close the document. Comments are a reviewer's remarks, not the
document's text, and are left out.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from typing import Any

from loratui.core.errors import LoratuiError
from loratui.core.extract.normalise import tidy
from loratui.core.extract.shared import Refusal
from loratui.core.extract.table_rows import row

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_P, _TBL, _TR, _TC, _R = W + "p", W + "tbl", W + "tr", W + "tc", W + "r"
_SDT, _SDT_CONTENT, _SECT_PR, _P_PR = W + "sdt", W + "sdtContent", W + "sectPr", W + "pPr"
_TXBX = W + "txbxContent"
_RUBY = W + "ruby"
# wrappers a table's rows (or a row's cells) may sit in: content controls, custom XML
_ROW_CONTAINERS = {_SDT, _SDT_CONTENT, W + "customXml", W + "ins", W + "moveTo"}
# Inline wrappers whose children are runs we read.
_INLINE_CONTAINERS = {
    W + "hyperlink",
    W + "smartTag",
    W + "ins",
    W + "moveTo",
    W + "fldSimple",
    W + "customXml",
    W + "dir",
    W + "bdo",
    _SDT,
    _SDT_CONTENT,
}
_BLOCK_CONTAINERS = {_SDT, _SDT_CONTENT, W + "customXml", W + "ins", W + "moveTo"}
PAGE_BREAK = "\f"  # marks a page break inside the running text before splitting
# a note reference inside the running text until its page is put together: private-use
# characters around "f" or "e" and the note's id (resolved to [1] or [i] per page)
_NOTE_OPEN, _NOTE_CLOSE = "\ue000", "\ue001"
_NOTE_MARK = re.compile(f"{_NOTE_OPEN}([fe])(-?\\d+){_NOTE_CLOSE}")
_NOTE_REFS = {W + "footnoteReference": "f", W + "endnoteReference": "e"}
MB = 1024 * 1024


def check_zip(path: str, limits: dict[str, Any]) -> None:
    """Refuse a DOCX whose members would inflate beyond ``max_docx_inflated_mb``."""
    limit_mb = float(limits.get("max_docx_inflated_mb") or 0)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise LoratuiError(
            "corrupt", f"the DOCX is damaged: its zip structure cannot be read ({exc})"
        ) from exc
    total = sum(max(0, i.file_size) for i in infos)
    if limit_mb and total > limit_mb * MB:
        raise Refusal(
            "zip_bomb",
            f"the DOCX would inflate to {total / MB:,.0f} MB, over the {limit_mb:g} MB limit "
            "(possible zip bomb)",
        )


def _run_text(run: Any, out: list[str], boxes: list[Any]) -> None:
    for child in run:
        tag = child.tag
        if tag == W + "t":
            if child.text:
                out.append(child.text)
        elif tag == W + "tab" or tag == W + "ptab":
            out.append("\t")
        elif tag == W + "br":
            out.append(PAGE_BREAK if child.get(W + "type") == "page" else "\n")
        elif tag == W + "cr":
            out.append("\n")
        elif tag == W + "noBreakHyphen":
            out.append("-")
        elif tag in _NOTE_REFS:
            out.append(f"{_NOTE_OPEN}{_NOTE_REFS[tag]}{child.get(W + 'id')}{_NOTE_CLOSE}")
        elif tag == MC + "AlternateContent":
            choice = child.find(MC + "Choice")
            if choice is not None:
                boxes.extend(choice.iter(_TXBX))
        elif tag in (W + "drawing", W + "pict", W + "object"):
            boxes.extend(child.iter(_TXBX))
        elif tag == _RUBY:
            base = child.find(W + "rubyBase")
            if base is not None:
                _inline(base, out, boxes)


def _inline(parent: Any, out: list[str], boxes: list[Any]) -> None:
    for child in parent:
        tag = child.tag
        if tag == _R:
            _run_text(child, out, boxes)
        elif tag in _INLINE_CONTAINERS:
            _inline(child, out, boxes)
        elif tag == MC + "AlternateContent":
            choice = child.find(MC + "Choice")
            if choice is not None:
                _inline(choice, out, boxes)


def _paragraph(p: Any) -> tuple[str, bool, Any]:
    """(text, page break before, sectPr ending a section here or None)."""
    out: list[str] = []
    boxes: list[Any] = []
    ppr = p.find(_P_PR)
    before = False
    sect = None
    if ppr is not None:
        pbb = ppr.find(W + "pageBreakBefore")
        before = pbb is not None and pbb.get(W + "val") not in ("0", "false", "off")
        sect = ppr.find(_SECT_PR)
    _inline(p, out, boxes)
    text = "".join(out)
    for box in boxes:
        inner = _blocks_text(box)
        if inner:
            text = f"{text}\n{inner}" if text else inner
    return text, before, sect


def _cell_text(tc: Any) -> str:
    return " ".join(" ".join(_blocks_text(tc).split("\n")).split())


def _children(parent: Any, tag: str) -> Iterator[Any]:
    """``parent``'s children with ``tag``, also those wrapped in content controls (a row
    or a cell inside ``w:sdt``) but not those of a nested table."""
    for child in parent:
        if child.tag == tag:
            yield child
        elif child.tag in _ROW_CONTAINERS:
            yield from _children(child, tag)


def _table(tbl: Any) -> str:
    rows = []
    for tr in _children(tbl, _TR):  # rows of nested tables are read inside their cell
        cells = [_cell_text(tc) for tc in _children(tr, _TC)]
        if any(cells):
            rows.append(row(cells))
    return "\n".join(rows)


def _iter_blocks(parent: Any) -> Iterator[Any]:
    for child in parent:
        if child.tag in (_P, _TBL):
            yield child
        elif child.tag in _BLOCK_CONTAINERS:
            yield from _iter_blocks(child)


def _blocks_text(parent: Any) -> str:
    """Text of block content (a header, a cell, a text box) without page handling."""
    parts = []
    for block in _iter_blocks(parent):
        text = _paragraph(block)[0] if block.tag == _P else _table(block)
        text = text.replace(PAGE_BREAK, "\n").strip()
        if text:
            parts.append(text)
    return "\n".join(parts)


def _header_footer_texts(document: Any) -> list[tuple[str, str]]:
    """Per section: (header text, footer text), each part's text used once."""
    seen: set[str] = set()
    out = []
    for section in document.sections:
        texts = []
        for kinds in (
            ("first_page_header", "header", "even_page_header"),
            ("first_page_footer", "footer", "even_page_footer"),
        ):
            chunk = []
            for kind in kinds:
                hf = getattr(section, kind)
                if hf.is_linked_to_previous:
                    continue
                if kind.startswith("first") and not section.different_first_page_header_footer:
                    continue
                partname = str(hf.part.partname)
                if partname in seen:
                    continue
                seen.add(partname)
                text = _blocks_text(hf.part.element)
                if text:
                    chunk.append(text)
            texts.append("\n".join(chunk))
        out.append((texts[0], texts[1]))
    return out


def roman(n: int) -> str:
    """``n`` in lower-case roman numerals (Word's default endnote numbering)."""
    out = []
    for value, letters in (
        (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
        (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
    ):  # fmt: skip
        count, n = divmod(n, value)
        out.append(letters * count)
    return "".join(out)


class Notes:
    """The document's footnotes and endnotes, numbered as their references appear."""

    def __init__(self, document: Any) -> None:
        from docx.opc.constants import RELATIONSHIP_TYPE as RT

        self.texts: dict[str, dict[str, str]] = {"f": {}, "e": {}}
        for rel in document.part.rels.values():
            kind = {RT.FOOTNOTES: "f", RT.ENDNOTES: "e"}.get(rel.reltype)
            if kind is None or rel.is_external:
                continue
            self.texts[kind] = _note_texts(rel.target_part)
        self.numbers: dict[tuple[str, str], str] = {}  # (kind, note id) -> its label
        self.counts = {"f": 0, "e": 0}  # notes of each kind numbered so far
        self.endnotes: list[str] = []

    def resolve(self, text: str) -> tuple[str, list[str]]:
        """``text`` with its references numbered, and the footnotes it cites."""
        cited: list[str] = []

        def number(m: re.Match[str]) -> str:
            kind, note_id = m.group(1), m.group(2)
            body = self.texts[kind].get(note_id)
            if body is None:
                return ""  # a reference to a note the file does not have
            label = self.numbers.get((kind, note_id))
            if label is None:
                self.counts[kind] += 1
                count = self.counts[kind]
                label = str(count) if kind == "f" else roman(count)
                self.numbers[kind, note_id] = label
                if body:
                    (cited if kind == "f" else self.endnotes).append(f"[{label}] {body}")
            return f"[{label}]"

        if _NOTE_OPEN not in text:
            return text, cited
        return _NOTE_MARK.sub(number, text), cited


def _note_texts(part: Any) -> dict[str, str]:
    """Note id -> its text, from a footnotes or endnotes part (separators left out)."""
    from docx.oxml.parser import parse_xml

    root = parse_xml(part.blob)
    out = {}
    for note in root:
        if note.get(W + "type") not in (None, "normal"):
            continue  # the separator lines Word draws above the notes
        text = _blocks_text(note)
        out[note.get(W + "id")] = " ".join(text.split())
    return out


def _new_page_section(sect: Any) -> bool:
    kind = sect.find(W + "type") if sect is not None else None
    return kind is None or kind.get(W + "val") not in ("continuous", "nextColumn")


def pages(path: str, limits: dict[str, Any]) -> list[str]:
    """The document's pages (see the module docstring for what a page is)."""
    check_zip(path, limits)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        return _pages(docx.Document(path))
    except (LoratuiError, MemoryError):
        raise
    except PackageNotFoundError as exc:
        raise LoratuiError("corrupt", "the DOCX is damaged: it has no main document") from exc
    except Exception as exc:  # python-docx and lxml raise many kinds on malformed parts
        raise LoratuiError(
            "corrupt", f"the DOCX is damaged and cannot be read ({_what_broke(exc)})"
        ) from exc


def _what_broke(exc: Exception) -> str:
    """A short reason a person can follow; the full exception stays in the traceback."""
    if type(exc).__module__.startswith("lxml"):
        line = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        return f"one of its XML parts is malformed: {line}" if line else "malformed XML"
    if isinstance(exc, KeyError):
        return f"a part it refers to is missing: {exc}"
    if isinstance(exc, zipfile.BadZipFile):
        return f"its zip structure is broken: {exc}"
    return "its parts are not laid out the way Word writes them"


def _pages(document: Any) -> list[str]:
    hf = _header_footer_texts(document)
    notes = Notes(document)
    body = document.element.body
    sect_prs = list(body.iter(_SECT_PR))
    result: list[str] = []
    page: list[str] = []
    section = 0

    def flush() -> None:
        text, cited = notes.resolve("\n\n".join(page).strip())
        if cited:
            text += "\n\n" + "\n".join(cited)
        if text:
            result.append(text)
        page.clear()

    def start_section(i: int) -> None:
        if i < len(hf) and hf[i][0]:
            page.append(hf[i][0])

    start_section(0)
    for block in _iter_blocks(body):
        if block.tag == _TBL:
            text = _table(block)
            if text:
                page.append(text)
            continue
        text, before, sect = _paragraph(block)
        if before and page:
            flush()
        pieces = text.split(PAGE_BREAK)
        for i, piece in enumerate(pieces):
            if i:
                flush()
            if piece.strip():
                page.append(piece.strip("\n"))
        if sect is not None:
            if section < len(hf) and hf[section][1]:
                page.append(hf[section][1])
            section += 1
            nxt = sect_prs[section] if section < len(sect_prs) else None
            if _new_page_section(nxt):
                flush()
            start_section(section)
    if section < len(hf) and hf[section][1]:
        page.append(hf[section][1])
    flush()
    if notes.endnotes:
        endnotes = "\n".join(notes.endnotes)
        if result:
            result[-1] += "\n\n" + endnotes
        else:
            result.append(endnotes)
    return [tidy(p) for p in result] or [""]
