"""What every page of extracted text is made into before it is stored, whatever read it.

Extractors hand out what the file holds; a stored page should hold only text a model can
learn from. ``tidy`` runs on every extraction path (``extract.extract_pages`` for every
kind, and OCR's pages), cheap for a page that needs nothing: one regex search.
"""

from __future__ import annotations

import re
import unicodedata

_NEWLINES = re.compile(r"\r\n?")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
# What a stored page never holds (issue 11): C0 controls other than tab and newline (a form
# feed inside a page is a line break; PDF engines hand out glyphs without a Unicode mapping
# as raw codes), lone surrogates, the noncharacters U+FFFE/U+FFFF, soft hyphens and the Latin
# ligature glyphs (U+FB00-FB06: "ﬁ" is "fi" to a tokenizer only after NFKC). Searched for in
# one pass; a page without any (the usual case) is returned as it came.
_UNWANTED = re.compile(r"[\x00-\x08\x0b-\x1f\xad\ud800-\udfff\ufb00-\ufb06\ufffe\uffff]")
_LINE_BREAKS = re.compile(r"[\x0b\x0c]")  # vertical tab (Word's line break), form feed
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\ufffe\uffff]")
# A soft hyphen marks where a word was broken: join the word (its rest moves up to the line
# that holds its start); a soft hyphen anywhere else is invisible and goes.
_SOFT_BREAK = re.compile(r"\xad[ \t]*\n[ \t]*(\w+)([ \t]+)?")
LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"}
LIGATURES |= {"\ufb05": "st", "\ufb06": "st"}
_LIGATURE_TABLE = str.maketrans(LIGATURES)


def _join_broken_word(m: re.Match[str]) -> str:
    """ "coordi\\xad\\nnated next" -> "coordinated\\nnext" (the line break stays after it)."""
    return m.group(1) + ("\n" if m.group(2) else "")


def tidy(text: str) -> str:
    """Make extracted text safe to store: ``\\n`` line ends, no NULs or other controls (a form
    feed inside a page becomes a line break), no lone surrogates, soft hyphens resolved,
    ligature glyphs spelt out. Every extraction path runs its pages through this."""
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    if _UNWANTED.search(text) is None:
        return text
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROLS.sub("", text)
    if "\xad" in text:
        text = _SOFT_BREAK.sub(_join_broken_word, text).replace("\xad", "")
    if not text.isascii():
        text = text.translate(_LIGATURE_TABLE)
        text = _SURROGATES.sub("\ufffd", text)
    return text


# A spacing accent drawn as its own glyph before the letter it sits on, as TeX does with
# its 7-bit fonts ("Br¨ucke", "M¨uller"): PDF engines hand out both glyphs. Each spacing
# accent and the combining mark it stands for; the grave accent (also the backtick) only
# between letters ("voil`a").
_SPACING_ACCENTS = {
    "\u00a8": "\u0308",  # diaeresis
    "\u00b4": "\u0301",  # acute
    "\u02c6": "\u0302",  # circumflex
    "\u02dc": "\u0303",  # tilde
    "\u00af": "\u0304",  # macron
    "\u02d8": "\u0306",  # breve
    "\u02d9": "\u0307",  # dot above
    "\u02da": "\u030a",  # ring above
    "\u02dd": "\u030b",  # double acute
    "\u02c7": "\u030c",  # caron
    "\u00b8": "\u0327",  # cedilla
}
_SPLIT_ACCENT = re.compile(
    r"([\u00a8\u00b4\u02c6\u02dc\u00af\u02d8\u02d9\u02da\u02dd\u02c7\u00b8])([^\W\d_])|(?<=[^\W\d_])`([^\W\d_])"
)


_DOTLESS = {"\u0131": "i", "\u0237": "j"}


SPACING_ACCENTS = frozenset(_SPACING_ACCENTS)


def accented(letter: str, accent: str) -> str | None:
    """``letter`` with the spacing ``accent`` on it as one character ("u", "¨" -> "ü"), or
    None when Unicode has none."""
    mark = _SPACING_ACCENTS.get(accent, "\u0300" if accent == "`" else "")
    letter = _DOTLESS.get(letter, letter)  # TeX puts accents on a dotless i or j
    composed = unicodedata.normalize("NFC", letter + mark) if mark else ""
    return composed if len(composed) == 1 else None


def _compose(m: re.Match[str]) -> str:
    accent, letter = (m.group(1), m.group(2)) if m.group(1) else ("`", m.group(3))
    return accented(letter, accent) or m.group(0)


def compose_accents(text: str) -> str:
    """ "Br¨ucke" -> "Brücke": a spacing accent before a letter becomes the accented letter,
    where Unicode has one (else the two glyphs stay as they are). For PDF pages."""
    if text.isascii() and "`" not in text:
        return text
    return _SPLIT_ACCENT.sub(_compose, text)
