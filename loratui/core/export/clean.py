"""Cleaning extracted text before it becomes training data.

Unicode normalisation, control characters and whitespace, words hyphenated across line
breaks, hard-wrapped lines, and the lines a document repeats on most pages (running headers,
footers, page numbers), which a model would otherwise learn as if they were content.

Table rows (the ``| a | b |`` lines of ``extract/table_rows.py``) are left as they are: a
row is never joined to another line, never taken for a repeated edge line, and a table
block always stands as its own paragraph (so its caption and the next paragraph are not
glued onto it). A line-end hyphen is kept (the line break alone goes) when the document
writes the same word with a hyphen elsewhere (``well-\ncoordinated`` stays
``well-coordinated``; ``exam-\nple`` becomes ``example``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection

from loratui.core.extract.table_rows import is_row

_SOFT_BREAK = re.compile(r"\u00ad[ \t]*\n[ \t]*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200e\u200f\ufeff\u00ad]")
# runs of spaces to collapse into one " ": only the runs that change (two or more, or one
# that is not a plain space) are matched, so ordinary word gaps cost nothing
_SPACES = re.compile(
    r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]{2,}|[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]"
)
_CONTROL_ASCII = bytes(c for c in range(128) if _CONTROL.match(chr(c)))
_HYPHEN_BREAK = re.compile(r"(\w)[-\u2010]\n[ \t]*([a-z\u00df-\u00ff])")
# the word pieces around a line-end hyphen, to look the hyphenated word up
_HYPHEN_WORDS = re.compile(r"(\w+)[-\u2010]\n[ \t]*([a-z\u00df-\u00ff]\w*)")
# a word written with a hyphen inside a line (``well-coordinated``, ``so-called``)
_COMPOUND = re.compile(r"\w+(?:[-\u2010]\w+)+")
_MANY_BLANKS = re.compile(r"\n{3,}")
_DIGITS = re.compile(r"\d+")
_LIST_OR_HEADING = re.compile(
    r"^\s*(?:[-*\u2022\u25aa\u2013]\s|\d+[.)]\s|[a-zA-Z][.)]\s|#{1,6}\s|\|)"
)
_ENDS_SENTENCE = re.compile(r"[.!?:;\"')\]]$")

EDGE_LINES = 3  # running headers/footers sit in the first or last few lines of a page
MAX_EDGE_LINE = 120  # longer lines are content, never a running header


def normalize_unicode(text: str, form: str) -> str:
    return text if form == "none" else unicodedata.normalize(form, text)


def fix_whitespace(text: str) -> str:
    """Newlines unified, control and zero-width characters gone, runs of spaces collapsed;
    a word broken at a soft hyphen (U+00AD, which pypdf keeps) joined."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    if text.isascii():
        return _fix_ascii(text)
    if "\u00ad" in text:  # a soft hyphen at a line end is where a word was broken: join it
        text = _SOFT_BREAK.sub("", text)
    text = _SPACES.sub(" ", _CONTROL.sub("", text))  # one pass: no run crosses a newline
    text = "\n".join([ln.strip() for ln in text.split("\n")])
    if "\n\n\n" in text:
        text = _MANY_BLANKS.sub("\n\n", text)
    return text.strip()


def _fix_ascii(text: str) -> str:
    """``fix_whitespace`` of ASCII text (no CR or FF left), the same result at C speed.

    In ASCII the only characters the regexes touch are the C0 controls and DEL (deleted)
    and tabs and runs of spaces (one space); after that a line's only blanks are single
    spaces, so stripping every line is removing the spaces beside newlines.
    """
    text = text.encode("ascii").translate(None, _CONTROL_ASCII).decode("ascii")
    if "\t" in text or "  " in text:
        text = _SPACES.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = text.replace(" \n", "\n").replace("\n ", "\n")
    if "\n\n\n" in text:
        text = _MANY_BLANKS.sub("\n\n", text)
    return text.strip()


def compounds(text: str) -> set[str]:
    """The hyphenated words written inside a line of ``text``, in lower case with ``-``
    (what ``dehyphenate`` looks a line-end hyphen up in)."""
    if "-" not in text and "\u2010" not in text:
        return set()
    found = set()
    for line in text.split("\n"):
        if "-" in line or "\u2010" in line:
            found.update(m.group().lower().replace("\u2010", "-") for m in _COMPOUND.finditer(line))
    return found


def dehyphenate(text: str, keep: Collection[str] = ()) -> str:
    """Join ``exam-\\nple`` into ``example`` (only when the next line goes on in lower case).

    A word in ``keep`` (lower-case hyphenated words, see ``compounds``) keeps its hyphen
    and only loses the line break: the document writes it that way elsewhere, so the
    hyphen is the word's, not the typesetter's."""
    if "-\n" not in text and "\u2010\n" not in text:  # the usual page: nothing to join
        return text
    if not keep:
        return _HYPHEN_BREAK.sub(r"\1\2", text)

    def join(m: re.Match[str]) -> str:
        first, second = m.group(1), m.group(2)
        if f"{first}-{second}".lower() in keep:
            return f"{first}-{second}"
        return first + second

    return _HYPHEN_WORDS.sub(join, text)


def separate_tables(text: str) -> str:
    """A blank line between a table row and a neighbouring line that is not a row, so a
    table block is a paragraph of its own."""
    if "|" not in text:
        return text
    lines = text.split("\n")
    out = [lines[0]]
    for prev, ln in zip(lines, lines[1:], strict=False):
        if prev.strip() and ln.strip() and is_row(prev) != is_row(ln):
            out.append("")
        out.append(ln)
    return "\n".join(out)


def unwrap_lines(text: str) -> str:
    """Join hard-wrapped lines of a paragraph; keep list items, headings and table rows
    (a table block stays a paragraph of its own, one row per line)."""
    out: list[str] = []
    for para in separate_tables(text).split("\n\n"):
        lines = [ln for ln in para.split("\n") if ln.strip()]
        if not lines:
            continue
        if is_row(lines[0]):  # a table block (separate_tables made it one)
            out.append("\n".join(lines))
            continue
        merged = [lines[0]]
        for ln in lines[1:]:
            prev = merged[-1]
            if _LIST_OR_HEADING.match(ln) or _LIST_OR_HEADING.match(prev) and len(prev) < 60:
                merged.append(ln)
            elif len(prev) < 40 and _ENDS_SENTENCE.search(prev) is None and ln[:1].isupper():
                merged.append(ln)  # a short title-like line before a new sentence
            else:
                merged[-1] = prev + " " + ln
        out.append("\n".join(merged))
    return "\n\n".join(out)


_FIRST_WORD = re.compile(r"[a-z\u00df-\u00ff]\w*")
_BROKEN_WORD = re.compile(r"(\w+)[-\u2010]$")


def join_pages(
    prev: str, nxt: str, keep: Collection[str] = (), *, dehyphen: bool = True, unwrap: bool = True
) -> tuple[str, str, bool]:
    """Whether cleaned page ``nxt`` goes on with the sentence ``prev`` ends in, and both
    pages' text after joining a word hyphenated across the page break.

    A page break is not a paragraph break when the last line of ``prev`` ends without a
    sentence end and the next page goes on in lower case (or ``prev`` ends with a comma):
    ``Nam feugiat`` / ``lacus vel est`` is one sentence. A word broken at the page end
    (``exam-`` / ``ple``) is joined on ``prev``'s side, with its hyphen when ``keep`` holds
    the hyphenated form (``dehyphenate``). Table rows never continue a sentence.
    ``dehyphen`` and ``unwrap`` (the export settings) turn either join off."""
    last = prev.rstrip().rpartition("\n")[2].strip()
    body = nxt.lstrip()
    first = body.partition("\n")[0].strip()
    if not last or not first or is_row(last) or is_row(first):
        return prev, nxt, False
    # (only the line's end is looked at: after unwrapping, a line is a whole paragraph)
    broken = _BROKEN_WORD.search(last[-64:]) if last[-1] in "-\u2010" else None
    word = _FIRST_WORD.match(first)
    if broken is not None and word is not None and dehyphen:
        head = prev.rstrip()[: -len(broken.group())]
        joined = f"{broken.group(1)}-{word.group()}"
        if joined.lower() not in keep:
            joined = broken.group(1) + word.group()
        return head + joined, body[word.end() :].lstrip(" \t"), True
    if not unwrap or _ENDS_SENTENCE.search(last[-1]) or _LIST_OR_HEADING.match(first):
        return prev, nxt, False
    if first[:1].islower() or last.endswith(","):
        return prev, nxt, True
    return prev, nxt, False


def line_key(line: str) -> str:
    """What makes two header lines 'the same': case, spacing and page numbers ignored."""
    return _DIGITS.sub("#", " ".join(line.lower().split()))


def edge_keys(page_text: str) -> set[str]:
    """The keys of the first and last few non-empty short lines of a page."""
    lines = [ln for ln in page_text.split("\n") if ln.strip()]
    edge = lines[:EDGE_LINES] + lines[-EDGE_LINES:]
    return {line_key(ln) for ln in edge if len(ln.strip()) <= MAX_EDGE_LINE and not is_row(ln)}


class RepeatedLines:
    """First pass over a document's pages: which edge lines repeat on most pages."""

    def __init__(self, fraction: float, min_pages: int) -> None:
        self.fraction = fraction
        self.min_pages = min_pages
        self.pages = 0
        self._counts: Counter[str] = Counter()

    def add_page(self, text: str) -> None:
        self.pages += 1
        self._counts.update(edge_keys(text))

    def repeated(self) -> frozenset[str]:
        if self.pages < self.min_pages:
            return frozenset()
        need = max(2, self.fraction * self.pages)
        return frozenset(k for k, n in self._counts.items() if n >= need and k.strip())


def drop_repeated(page_text: str, repeated: frozenset[str]) -> tuple[str, int]:
    """Remove repeated lines from the edges of one page; return the text and lines removed."""
    if not repeated:
        return page_text, 0
    lines = page_text.split("\n")
    idx = [i for i, ln in enumerate(lines) if ln.strip()]
    edge = set(idx[:EDGE_LINES] + idx[-EDGE_LINES:])
    keep: list[str] = []
    removed = 0
    for i, ln in enumerate(lines):
        if (
            i in edge
            and len(ln.strip()) <= MAX_EDGE_LINE
            and line_key(ln) in repeated
            and not is_row(ln)
        ):
            removed += 1
            continue
        keep.append(ln)
    return "\n".join(keep), removed


def pre_clean(text: str, normalize: str, whitespace: bool) -> str:
    """The per-page steps that come before header detection (so keys compare equal)."""
    text = normalize_unicode(text, normalize)
    if whitespace:
        text = fix_whitespace(text)
    return text


def post_clean(
    text: str, *, dehyphen: bool, unwrap: bool, whitespace: bool, keep: Collection[str] = ()
) -> str:
    """The per-page steps after repeated lines are gone (``keep``: see ``dehyphenate``)."""
    if dehyphen:
        text = dehyphenate(text, keep)
    if unwrap:
        text = unwrap_lines(text)
    if whitespace:
        text = fix_whitespace(text)
    return text
