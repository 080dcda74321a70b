"""Running heads that change from chapter to chapter, found by their shape and position.

Why: the repeated-line rule (``clean.RepeatedLines``) only drops edge lines that are the
same on most pages. A book's running head is often "page number + the current chapter's
title" (``24 1.6. WEGE UND KNOTEN`` on even pages, ``1.6. WEGE UND KNOTEN 25`` or the
section title on odd ones), so its text changes every chapter and no single line repeats
often enough; left in, it lands inside sentences of the records.

What counts: one of the first or last ``EDGE_LINES`` non-empty lines of a page, short,
made of a page number and a title (the number first or last), where the number is the
page's own printed number. The printed number is the stored page number minus an offset
(front matter shifts it); an offset counts once at least ``MIN_PAGES`` pages and
``SHARE`` of them carry such a line with it, so a line that merely starts with a number
(``1975 was a dry year``) is never taken for a head unless its number fits that page;
and its title must be on two pages or more (a running head repeats; a section heading
that happens to carry its page's number does not). A line with a number at both ends is
a table-of-contents entry, never a head.

This works on the page text alone (first and last lines of each page), not on positions
on the page, so it is the same for every PDF engine, for OCR'd pages and for DOCX.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple

from loratui.core.extract.table_rows import is_row

EDGE_LINES = 2  # a head is the first or last line, or next to a page number or footer line
MAX_TITLE = 80  # characters of the title beside the number
MIN_PAGES = 3
SHARE = 0.2  # of the document's pages carrying a head with the same offset
# "24 1.6. WEGE UND KNOTEN" or "WEGE UND KNOTEN 25": a number and a title with a letter
_NUMBER_FIRST = re.compile(rf"^(\d{{1,4}})\s+(?=.*[^\W\d_])(\S.{{0,{MAX_TITLE}}})$")
# a number at both ends is a contents line ("1 Topologische Grundbegriffe 2"), not a head
_TWO_NUMBERS = re.compile(r"^\d+\s.*\s\d+$")
_NUMBER_LAST = re.compile(rf"^(?=.*[^\W\d_])(\S.{{0,{MAX_TITLE}}}?)\s+(\d{{1,4}})$")


class Head(NamedTuple):
    """A line shaped like a running head: its printed page number and its title's key."""

    number: int
    title: str


def head(line: str) -> Head | None:
    """The number and title of a line shaped like a running head, else ``None``."""
    line = line.strip()
    if len(line) > MAX_TITLE + 6 or is_row(line) or _TWO_NUMBERS.match(line):
        return None
    m = _NUMBER_FIRST.match(line)
    if m is not None and not _sentence_like(m.group(2)):
        return Head(int(m.group(1)), _key(m.group(2)))
    m = _NUMBER_LAST.match(line)
    if m is not None and not _sentence_like(m.group(1)):
        return Head(int(m.group(2)), _key(m.group(1)))
    return None


def _key(title: str) -> str:
    return " ".join(title.lower().split())


def _sentence_like(title: str) -> bool:
    """A title does not end a sentence or a clause (``... in 1975.`` is text, not a head)."""
    return title.rstrip()[-1:] in ".,;:!?" and not re.search(r"\d\.$", title.rstrip())


def _edge(text: str) -> list[int]:
    """Indexes (in ``text.split('\\n')``) of the page's first and last non-empty lines."""
    idx = [i for i, ln in enumerate(text.split("\n")) if ln.strip()]
    return sorted(set(idx[:EDGE_LINES] + idx[-EDGE_LINES:]))


class Heads(NamedTuple):
    """What the first pass found: the offsets and the titles of the document's heads."""

    offsets: frozenset[int]
    titles: frozenset[str]


NO_HEADS = Heads(frozenset(), frozenset())


class RunningHeads:
    """First pass: the offsets between stored page numbers and the numbers in heads, and
    the titles heads with such an offset carry on more than one page."""

    def __init__(self) -> None:
        self.pages = 0
        self._offsets: Counter[int] = Counter()
        self._seen: list[tuple[int, str]] = []  # (offset, title) of each head-shaped line

    def add_page(self, number: int, text: str) -> None:
        self.pages += 1
        lines = text.split("\n")
        offsets = set()
        for i in _edge(text):
            found = head(lines[i])
            if found is not None:
                offsets.add(number - found.number)
                self._seen.append((number - found.number, found.title))
        self._offsets.update(offsets)

    def found(self) -> Heads:
        """The offsets enough pages agree on (none for a short document), and the titles
        seen with them on two pages or more (a section heading that happens to carry its
        page's number is on one page only; a running head repeats)."""
        need = max(MIN_PAGES, SHARE * self.pages)
        offsets = frozenset(o for o, n in self._offsets.items() if n >= need)
        if not offsets:
            return NO_HEADS
        titles = Counter(t for o, t in self._seen if o in offsets)
        return Heads(offsets, frozenset(t for t, n in titles.items() if n >= 2))


def drop_heads(number: int, text: str, heads: Heads) -> tuple[str, int]:
    """Remove page ``number``'s running heads; return the text and the lines removed."""
    if not heads.titles:
        return text, 0
    lines = text.split("\n")
    drop = set()
    for i in _edge(text):
        found = head(lines[i])
        if found is not None and number - found.number in heads.offsets:
            if found.title in heads.titles:
                drop.add(i)
    if not drop:
        return text, 0
    return "\n".join(ln for i, ln in enumerate(lines) if i not in drop), len(drop)
