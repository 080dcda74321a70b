"""What every page of extracted text is made into before it is stored, whatever read it.

Extractors hand out what the file holds; a stored page should hold only text a model can
learn from. ``tidy`` runs on every extraction path (``extract.extract_pages`` for every
kind, and OCR's pages), cheap for a page that needs nothing: one regex search.
"""

from __future__ import annotations

import re

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
