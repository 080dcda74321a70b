"""The ``approx`` token estimate, shared by the dashboard, the queue and the export.

Why an estimate: counting with a real tokenizer needs the model's ``tokenizer.json``;
the dashboard wants a number at once. English BPE vocabularies average close to four
characters per token, and words, numbers and punctuation each cost at least one, so we
take the larger of ``chars / 4`` and the count of word-like pieces times 0.75.
"""

from __future__ import annotations

import math
import re

_PIECES = re.compile(r"\w+|[^\w\s]", re.UNICODE)
# ASCII text is classified a byte at a time (w: word character, s: space, p: punctuation),
# so the pieces are counted by bytes.count at C speed instead of one string per piece.
CLASS = (
    bytes(
        ord("w") if re.match(r"\w", chr(i)) else ord("s") if re.match(r"\s", chr(i)) else ord("p")
        for i in range(128)
    )
    + b"w" * 128
)  # (never used: only ASCII text takes the fast path)
HUGE = 200_000  # above this many characters the estimate is chars / 4 alone


def approx_tokens(text: str) -> int:
    """Estimate the token count of ``text`` (0 for empty text)."""
    if not text:
        return 0
    if len(text) > HUGE:  # skip the regex pass on huge texts; chars/4 is close enough
        return math.ceil(len(text) / 4)
    return approx_from(len(text), approx_pieces(text))


def approx_pieces(text: str) -> int:
    """The word-like pieces of ``text`` (runs of word characters, single punctuation marks).

    Pieces add up over texts joined with whitespace, so the estimate of a joined text can be
    made from its parts' pieces without reading it again (see ``approx_from``).
    """
    if text.isascii():
        cls = text.encode("ascii").translate(CLASS)
        words = cls.count(b"sw") + cls.count(b"pw") + (cls[:1] == b"w")
        return words + cls.count(b"p")
    return len(_PIECES.findall(text))


def approx_from(chars: int, pieces: int) -> int:
    """``approx_tokens`` of a text of ``chars`` characters holding ``pieces`` pieces."""
    by_chars = math.ceil(chars / 4)
    if chars > HUGE:
        return by_chars
    return max(by_chars, math.ceil(pieces * 0.75))
