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


def approx_tokens(text: str) -> int:
    """Estimate the token count of ``text`` (0 for empty text)."""
    if not text:
        return 0
    by_chars = math.ceil(len(text) / 4)
    if len(text) > 200_000:  # skip the regex pass on huge texts; chars/4 is close enough
        return by_chars
    by_pieces = math.ceil(len(_PIECES.findall(text)) * 0.75)
    return max(by_chars, by_pieces)
