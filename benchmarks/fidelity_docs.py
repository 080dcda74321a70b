"""The fidelity benchmark's documents as data, and the text a careful human types for each page.

One model feeds every renderer (fpdf2 and python-docx always; LibreOffice and LaTeX when
installed), so the truth is known by construction instead of read back from a PDF. What
each page holds is fixed here, not by a renderer's layout: every page ends with a forced
break and is sized to fit, so line breaks, hyphenation and column breaks may differ between
renderers but the words of a page never do.

What the truth is (decided here, used by every figure):
- body text in reading order: headings, paragraphs, tables (one line per row, cells
  separated by a space), columns left before right, then the page's footnotes as
  ``N text``; a footnote mark is its number glued to the word it marks (``Knoten.3``);
- words hyphenated at a line end are whole (``resonance``), compounds keep their hyphen
  (``well-coordinated``); ligatures are their letters (``fi``); soft hyphens never appear;
- ``raw``: what is on the page, so the running head with its page number (``24 1.6. WEGE
  UND KNOTEN`` on even pages, ``1.7. BÄUME UND WÄLDER 25`` on odd ones) or the page number
  at the foot is part of it. ``body``: the same without them; that is what export cleaning
  must leave.
- DOCX has no pages of its own; a page is what the author marked with a break (as
  loratui reads it), and its ``raw`` truth has each section's header text once, at the
  section's first page (the PAGE field has no stored text), as written in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from fidelity_text import RTL, SCRIPT, SOFT, Prose, hyphenate

FOOTNOTE = re.compile(r"\{fn:(\d+)\}")


@dataclass(frozen=True)
class Block:
    kind: str  # heading, para or table
    text: str = ""  # soft hyphens at break points; footnote marks as {fn:N}
    rows: tuple[tuple[str, ...], ...] = ()
    lang: str = "en"
    level: int = 2  # headings: 1 is a title
    cont: bool = False  # goes on with the previous page's last paragraph (no indent)
    control: bool = False  # DOCX: inside a content control (tables: each row)

    @property
    def script(self) -> str:
        return SCRIPT[self.lang]

    @property
    def rtl(self) -> bool:
        return self.script in RTL


@dataclass(frozen=True)
class Page:
    blocks: tuple[Block, ...]
    notes: tuple[tuple[int, str], ...] = ()  # (number, text) at the foot of the page
    mark: str = ""  # running head text (alternate heads)
    columns: int = 1
    front: tuple[Block, ...] = ()  # full width above the columns (title, abstract)


@dataclass(frozen=True)
class Doc:
    name: str
    title: str
    pages: tuple[Page, ...]
    first_number: int = 1
    heads: str = "alternate"  # alternate: number + mark at the top; foot: number at the foot
    lang: str = "en"
    # how the fpdf2 renderer draws it (real producers differ in exactly these)
    ligatures: bool = False  # fi/fl/ffi as U+FB01.. glyphs whose ToUnicode says so
    hyphen: str = "-"  # what a break at a soft hyphen draws: "-" or U+00AD
    spaces: bool = True  # False: no space glyphs, words placed by position (like TeX)
    justify: bool = False
    scripts: tuple[str, ...] = field(default=())

    def number(self, index: int) -> int:
        """The page number printed on page ``index`` (0-based)."""
        return self.first_number + index


# ---------------------------------------------------------------- truth


def plain(text: str) -> str:
    """A block's text as typed: soft hyphens gone, footnote marks as glued numbers."""
    return FOOTNOTE.sub(r"\1", text).replace(SOFT, "")


def block_text(block: Block) -> str:
    if block.kind == "table":
        return "\n".join(" ".join(row) for row in block.rows)
    return plain(block.text)


def body_truth(page: Page) -> str:
    parts = [block_text(b) for b in page.front + page.blocks]
    parts += [f"{n} {plain(t)}" for n, t in page.notes]
    return "\n\n".join(parts)


def head_line(doc: Doc, index: int) -> str:
    """The running head of page ``index``: number outside, mark inside."""
    n = doc.number(index)
    mark = doc.pages[index].mark
    return f"{n} {mark}" if n % 2 == 0 else f"{mark} {n}"


def raw_truth(doc: Doc, index: int) -> str:
    body = body_truth(doc.pages[index])
    if doc.heads == "alternate":
        return head_line(doc, index) + "\n" + body
    return body + "\n" + str(doc.number(index))


def section_starts(doc: Doc) -> list[int]:
    """Pages that open a DOCX section: the first, and each where the mark changes."""
    return [i for i, p in enumerate(doc.pages) if i == 0 or p.mark != doc.pages[i - 1].mark]


def docx_raw_truth(doc: Doc, index: int) -> str:
    body = body_truth(doc.pages[index])
    if doc.heads == "alternate" and index in section_starts(doc):
        mark = doc.pages[index].mark
        return f"{mark}\n{mark}\n{body}"  # the odd and the even header, once each
    return body


# ---------------------------------------------------------------- the documents


def _attach_note(blocks: list[Block], prose: Prose, number: int, lang: str) -> str:
    """Put footnote mark ``number`` after a word of the page's longest paragraph."""
    paras = [i for i, b in enumerate(blocks) if b.kind == "para"]
    i = max(paras, key=lambda j: len(blocks[j].text))
    words = blocks[i].text.split(" ")
    at = prose.rng.randrange(2, max(3, len(words) - 2))
    words[at] += f"{{fn:{number}}}"
    blocks[i] = replace(blocks[i], text=" ".join(words))
    return hyphenate(prose.sentence(lang))


def _split_last(blocks: list[Block], prose: Prose) -> str:
    """Cut the page's last paragraph mid-sentence; return the rest for the next page."""
    last = blocks[-1]
    words = last.text.split(" ")
    cut = prose.rng.randrange(len(words) // 2, len(words) - 3)
    while "{fn:" in words[cut - 1]:
        cut += 1
    blocks[-1] = replace(last, text=" ".join(words[:cut]))
    return " ".join(words[cut:])


def book(quick: bool) -> Doc:
    """A German maths book: alternating running heads that change per section, starting on
    page 21, footnotes, paragraphs running on across pages, ligatures as glyphs."""
    sections = [
        ("1.5.", "Graphen und Teilgraphen"),
        ("1.6.", "Wege und Knoten"),
        ("1.7.", "Bäume und Wälder"),
        ("1.8.", "Färbungen"),
        ("2.1.", "Flüsse in Netzwerken"),
        ("2.2.", "Effiziente Algorithmen"),
    ]
    sections = sections[1:4] if quick else sections
    per_section = 1 if quick else 4
    prose = Prose("fidelity-book")
    pages: list[Page] = []
    carry = ""
    note = 0
    for number, title in sections:
        mark = f"{number} {title}".upper()
        for k in range(per_section):
            blocks: list[Block] = []
            if k == 0:
                blocks.append(Block("heading", f"{number} {title}", lang="de"))
            budget = 380
            if carry:
                blocks.append(Block("para", carry, lang="de", cont=True))
                budget -= len(carry.split())
                carry = ""
            while budget > 40:
                words = min(budget, prose.rng.randrange(50, 100))
                blocks.append(Block("para", hyphenate(prose.paragraph("de", words)), lang="de"))
                budget -= len(blocks[-1].text.split())
            if k < per_section - 1 and k % 2 == 0:
                carry = _split_last(blocks, prose)
            notes = []
            if (len(pages) % 2 == 1) or quick:
                note += 1
                notes.append((note, _attach_note(blocks, prose, note, "de")))
            pages.append(Page(tuple(blocks), tuple(notes), mark=mark))
    return Doc(
        "book",
        "Graphentheorie",
        tuple(pages),
        first_number=21,
        lang="de",
        ligatures=True,
        hyphen="-",
    )


def paper(quick: bool) -> Doc:
    """An English two-column paper: title block across both columns, justified text with
    no space glyphs (as TeX sets it), soft-hyphen breaks drawn as U+00AD, number at the foot."""
    prose = Prose("fidelity-paper")
    heads = [
        "1 Introduction",
        "2 Related work",
        "3 Method",
        "4 Experimental set-up",
        "5 Results",
        "6 Error analysis",
        "7 Discussion",
        "8 Limitations",
        "9 Conclusion",
        "10 Reproducibility",
    ]
    n_pages = 2 if quick else 10
    pages = []
    for i in range(n_pages):
        front: tuple[Block, ...] = ()
        budget = 390
        if i == 0:
            front = (
                Block("heading", "Fine-grained extraction of scientific text", level=1),
                Block("para", "Anna Müller, Bjørn Østergaard and Jan Łukasiewicz"),
                Block("heading", "Abstract"),
                Block("para", hyphenate(prose.paragraph("en", 80))),
            )
            budget = 300
        blocks = [Block("heading", heads[i])]
        while budget > 40:
            words = min(budget, prose.rng.randrange(60, 120))
            blocks.append(Block("para", hyphenate(prose.paragraph("en", words))))
            budget -= len(blocks[-1].text.split())
        pages.append(Page(tuple(blocks), columns=2, front=front))
    return Doc(
        "paper",
        "Fine-grained extraction",
        tuple(pages),
        heads="foot",
        hyphen=SOFT,
        spaces=False,
        justify=True,
    )


REGIONS = ["Zürich", "Kraków", "Göteborg", "Málaga", "Brno", "Århus", "Łódź", "Nîmes"]


def report(quick: bool) -> Doc:
    """An English report: a table per page (some rows in content controls in DOCX),
    captions, footnotes, page number at the foot."""
    prose = Prose("fidelity-report")
    rng = prose.rng
    n_pages = 2 if quick else 6
    pages = []
    note = 0
    for i in range(n_pages):
        region = REGIONS[i % len(REGIONS)]
        rows = [("Year", "Revenue", "Costs", "Margin", "Staff")]
        year = 1975 + 5 * i
        for r in range(8):
            revenue = rng.randrange(500, 2000) / 10
            costs = rng.randrange(300, 1500) / 10
            margin = "–" if r % 3 == 2 else f"{revenue - costs:.1f}"
            rows.append(
                (
                    str(year + r),
                    f"{revenue:.1f}",
                    f"{costs:.1f}",
                    margin,
                    str(rng.randrange(20, 400)),
                )
            )
        blocks = [
            Block("heading", f"{i + 1}. Regional figures for {region}"),
            Block("para", hyphenate(prose.paragraph("en", 80)), control=i % 2 == 1),
            Block("para", f"Table {i + 1}: Annual figures for {region} (in million EUR)."),
            Block("table", rows=tuple(rows), control=i % 2 == 1),
            Block("para", hyphenate(prose.paragraph("en", 90))),
        ]
        note += 1
        notes = ((note, _attach_note(blocks, prose, note, "en")),)
        pages.append(Page(tuple(blocks), notes))
    return Doc("report", "Regional report", tuple(pages), heads="foot")


def scripts(quick: bool, cjk: bool) -> Doc:
    """Several scripts: Latin with diacritics, Greek, Cyrillic, Arabic and Hebrew (right to
    left), Chinese when a CJK font is there; alternating running heads."""
    prose = Prose("fidelity-scripts")
    plan = [
        ("Latin", ("de", "fr", "pl", "cs")),
        ("Greek", ("el", "el", "en")),
        ("Cyrillic", ("ru", "uk", "ru")),
        ("Arabic", ("ar", "ar", "en")),
        ("Hebrew", ("he", "he", "en")),
        ("Chinese", ("zh", "zh", "en")),
        ("Mixed", ("el", "ru", "fr")),
        ("Mixed", ("ar", "he", "de")),
    ]
    if quick:
        plan = [("Latin", ("de", "fr", "cs")), ("Greek and Cyrillic", ("el", "ru")),
                ("Arabic and Hebrew", ("ar", "he"))]  # fmt: skip
    if not cjk:
        plan = [p for p in plan if "zh" not in p[1]]
    pages = []
    for k, (name, langs) in enumerate(plan, start=1):
        blocks = [Block("heading", f"{k}. {name}")]
        for lang in langs:
            text = prose.paragraph(lang, 60)
            if SCRIPT[lang] not in RTL and lang != "zh":
                text = hyphenate(text)
            blocks.append(Block("para", text, lang=lang))
        pages.append(Page(tuple(blocks), mark=f"WRITING SYSTEMS — {name.upper()}"))
    used = sorted({SCRIPT[lang] for _, langs in plan for lang in langs})
    return Doc("scripts", "Writing systems", tuple(pages), scripts=tuple(used))


def plan(quick: bool, cjk: bool) -> list[Doc]:
    """Every document of the benchmark (``cjk``: a CJK font is available to draw Chinese)."""
    return [book(quick), paper(quick), report(quick), scripts(quick, cjk)]
