"""Right-to-left text (Arabic, Hebrew) from PDFs, put back into logical order.

Why: a PDF places glyphs, it does not store text. Most writers (fpdf2, LibreOffice, many
Word exports) draw a right-to-left line in visual order, left to right, and both PDF
engines hand the glyphs out in that order: "םולש" for "שלום". A model trained on that
learns reversed words. Which order a page is in shows in the letters that only stand at
one end of a word: Hebrew final forms (ך ם ן ף ץ) end a word, Arabic's article "ال" starts
one, and tāʾ marbūṭa (ة) and alif maqṣūra (ى) end one. A page whose words mostly start
with them is in visual order, and each of its lines with right-to-left letters is
reordered by the Unicode bidirectional algorithm (python-bidi), which turns a visual
line back into its logical order (numbers and Latin words inside it keep theirs).
"""

from __future__ import annotations

import re

_RTL = re.compile(r"[\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\ufb1d-\ufdff\ufe70-\ufefc]")
_RTL_WORD = re.compile(r"[\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\ufb1d-\ufdff\ufe70-\ufefc]{2,}")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_HEBREW_FINALS = frozenset("ךםןףץ")
_ARABIC_FINALS = frozenset("ةى")
MIN_VOTES = 3  # word ends that must agree before a page is reordered


def order_votes(text: str) -> tuple[int, int]:
    """``(logical, visual)``: how many right-to-left words end as words end in logical order,
    and how many are mirrored (their last letter first)."""
    logical = visual = 0
    for m in _RTL_WORD.finditer(text):
        word = m.group()
        first, last = word[0], word[-1]
        if last in _HEBREW_FINALS or last in _ARABIC_FINALS:
            logical += 1
        if first in _HEBREW_FINALS or first in _ARABIC_FINALS:
            visual += 1
        if len(word) > 3:
            if word.startswith("ال"):
                logical += 1
            if word.endswith("لا"):
                visual += 1
    return logical, visual


def has_rtl(text: str) -> bool:
    """Whether ``text`` holds Arabic or Hebrew letters."""
    return not text.isascii() and _RTL.search(text) is not None


def in_visual_order(text: str) -> bool:
    """Whether the right-to-left words of ``text`` are mirrored (see the module docstring)."""
    if not has_rtl(text):
        return False
    logical, visual = order_votes(text)
    return visual >= MIN_VOTES and visual > 2 * logical


def to_logical(text: str) -> str:
    """``text`` with every line that holds right-to-left letters reordered from visual to
    logical order; a line is taken as right-to-left when those outnumber its Latin letters."""
    from bidi import get_display

    lines = text.split("\n")
    for i, line in enumerate(lines):
        rtl = len(_RTL.findall(line))
        if rtl:
            base = "R" if rtl >= len(_LATIN.findall(line)) else "L"
            lines[i] = get_display(line, base_dir=base)
    return "\n".join(lines)


def logical_order(text: str) -> str:
    """``text`` in logical order: reordered when its right-to-left words are mirrored."""
    return to_logical(text) if in_visual_order(text) else text
