"""How good extracted text looks: visible characters and broken ones, counted fast.

The document warnings (``jobs.validate``: ``no_text``, ``mojibake``) and the PDF kind's
choice between its engines (``kinds/pdf.py``: the other engine is tried when one gives
no text or broken text) count with the same rules.
"""

from __future__ import annotations

import re

# UTF-8 read as Windows-1252/Latin-1 ("Ã©" for "é", "â€™" for "’"), the usual mojibake.
_MOJIBAKE = re.compile(
    "[\u00c2\u00c3][\u0080-\u00bf]|\u00e2\u20ac[\u0080-\u00bf\u2122\u0153\u02dc\u2018-\u201e]"
)
# Private-use code points: glyphs a PDF font never mapped to Unicode.
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
# Exactly the characters regex ``\s`` (and ``str.isspace``) matches, as checked over every
# code point in tests/unit/test_extract_text.py; counting them is ten times faster than findall.
ASCII_BLANKS = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "
UNICODE_BLANKS = ASCII_BLANKS.decode("ascii") + (
    "\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
# A document (or page range) is garbled from this many broken characters and this share.
MOJIBAKE_MIN = 5
MOJIBAKE_SHARE = 0.005


def visible(text: str) -> int:
    """Characters that are not whitespace."""
    if text.isascii():  # the usual page: drop the blanks from its bytes at C speed
        return len(text.encode("ascii").translate(None, ASCII_BLANKS))
    return len(text) - sum(text.count(c) for c in UNICODE_BLANKS)


def bad_chars(text: str) -> int:
    """Replacement marks, mojibake pairs and private-use code points (none in ASCII)."""
    if text.isascii():
        return 0
    bad = text.count("\ufffd") + len(_PRIVATE_USE.findall(text))
    if "\u00c2" in text or "\u00c3" in text or "\u00e2" in text:  # every mojibake starts so
        bad += len(_MOJIBAKE.findall(text))
    return bad


def garbled(texts: list[str]) -> bool:
    """Whether broken characters make up enough of ``texts`` for a ``mojibake`` warning."""
    total = sum(visible(t) for t in texts)
    bad = sum(bad_chars(t) for t in texts)
    return bad >= MOJIBAKE_MIN and bad / max(1, total) >= MOJIBAKE_SHARE
