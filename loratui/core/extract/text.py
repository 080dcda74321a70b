"""Plain text and Markdown: decode whatever encoding the file is in, one page per form feed.

Decoding order (cheapest and most certain first): a byte-order mark, strict UTF-8, UTF-16
without a BOM (recognised by its NUL pattern), then charset-normalizer's best guess, with
ties between code pages broken towards Windows-1252 (the superset of Latin-1). Text that
still holds NULs or many control characters is binary. Line ends are normalised to
``\n``; Markdown is kept as written.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import charset_normalizer
from charset_normalizer.md import mess_ratio

from loratui.core.errors import LoratuiError
from loratui.core.extract.shared import unreadable

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WESTERN = {"ascii", "utf_8", "cp1252", "latin_1", "iso8859_15"}
SAMPLE_BYTES = 1 << 20  # the encoding guess reads at most this much
# C0 controls other than tab, newline, vertical tab, form feed and carriage return.
_BAD_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_NEWLINES = re.compile(r"\r\n?")


class NotText(ValueError):
    """The bytes are not text in any encoding we accept."""


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when NULs sit on one parity of mostly ASCII UTF-16, else None."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) // 2
    if odd > half * 0.6 and even < half * 0.05:
        return "utf-16-le"
    if even > half * 0.6 and odd < half * 0.05:
        return "utf-16-be"
    return None


def detect_encoding(data: bytes, partial: bool = False) -> str:
    """The encoding ``data`` decodes with, or raise ``NotText``.

    ``partial``: ``data`` is the head of a longer file, so a multi-byte character cut at
    the end is not an error.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=not partial)
    except UnicodeDecodeError:
        pass
    else:
        if b"\x00" in data:
            raise NotText("NUL bytes")
        return "utf-8"
    utf16 = _utf16_without_bom(data)
    if utf16:
        return utf16
    if b"\x00" in data:
        raise NotText("NUL bytes")
    sample = data[:SAMPLE_BYTES]
    best = charset_normalizer.from_bytes(sample).best()
    if best is None:
        raise NotText("no text encoding fits")
    if best.encoding not in _WESTERN and _reads_as_cp1252(sample, best.chaos, partial):
        return "cp1252"
    return best.encoding


def _reads_as_cp1252(sample: bytes, chaos: float, partial: bool) -> bool:
    """True when Windows-1252 (Latin-1's superset) reads ``sample`` as cleanly as the guess.

    Short Western European texts fit several code pages equally well and the guesser's
    tie-break is arbitrary (``crème`` becomes ``crčme`` under cp1250); we break ties
    towards the most common one.
    """
    try:
        text = codecs.getincrementaldecoder("cp1252")().decode(sample, final=not partial)
    except UnicodeDecodeError:
        return False
    return mess_ratio(text, maximum_threshold=1.0) <= chaos + 0.02


def decode(data: bytes, partial: bool = False) -> tuple[str, str]:
    """Decode ``data`` to text with line ends normalised; return ``(text, encoding)``.

    Raises ``NotText`` for binary content.
    """
    encoding = detect_encoding(data, partial=partial)
    if partial:
        text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(data, final=False)
    else:
        text = data.decode(encoding, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    bad = len(_BAD_CONTROLS.findall(text[:65536]))
    if "\x00" in text or bad > max(8, len(text[:65536]) // 100):
        raise NotText("control characters")
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    return text, encoding


def read_text(path: str | Path) -> str:
    """The whole file decoded, or ``corrupt`` if it is not text."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise unreadable(exc) from exc
    try:
        text, _ = decode(data)
    except NotText as exc:
        raise LoratuiError(
            "corrupt", f"the file is not readable text ({exc})", "check the file's encoding"
        ) from exc
    return text


def split_pages(text: str) -> list[str]:
    """Pages of a text file: form feeds are page breaks; no form feed means one page."""
    return text.split("\f") if "\f" in text else [text]


def pages(path: str | Path) -> list[str]:
    return split_pages(read_text(path))
