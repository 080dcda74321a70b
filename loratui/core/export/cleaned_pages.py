"""A document's pages cleaned as an export cleans them: a first pass over the document,
then each page, each knowing whether it goes on with the previous page's sentence.

The first pass collects what needs the whole document: the edge lines repeated on most
pages (``clean.RepeatedLines``), the offsets of running heads (``running_heads``) and the
words the document writes with a hyphen (``clean.compounds``, so a line-end hyphen in such
a word is kept). Then every page is normalised, loses its repeated lines and running
heads, is dehyphenated and unwrapped; a page is handed out once the next one is clean,
because whether a page break falls inside a sentence (``clean.join_pages``) and a word
hyphenated across it depend on both pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from loratui.core.export import clean, running_heads
from loratui.core.export.config import ExportConfig


class CleanPage(NamedTuple):
    """A cleaned page; ``continues``: it goes on with the previous page's sentence, so
    the page break between them is a space, not a paragraph break."""

    number: int
    text: str
    continues: bool


class PageCleaner:
    """Cleans one document's pages under ``cfg``; ``removed`` counts the repeated lines
    and running heads taken out."""

    def __init__(self, cfg: ExportConfig) -> None:
        self.cfg = cfg
        self.removed = 0
        self._repeated: frozenset[str] = frozenset()
        self._heads = running_heads.NO_HEADS
        self._keep: set[str] = set()
        self._scanned = False

    def _pre(self, text: str) -> str:
        return clean.pre_clean(text, self.cfg.normalize, self.cfg.fix_whitespace)

    def scan(self, pages: Iterable[tuple[int, str]], n_pages: int) -> None:
        """The first pass, when the configuration needs one: a document with fewer pages
        than ``repeated_min_pages`` has no repeated lines or heads, and a one-page
        document's hyphenated words are read from that page as it is cleaned."""
        cfg = self.cfg
        find_repeated = cfg.remove_repeated_lines and n_pages >= cfg.repeated_min_pages
        find_words = cfg.dehyphenate and n_pages > 1
        if not (find_repeated or find_words):
            return
        finder = clean.RepeatedLines(cfg.repeated_line_fraction, cfg.repeated_min_pages)
        heads = running_heads.RunningHeads()
        for number, raw in pages:
            text = self._pre(raw)
            if find_repeated:
                finder.add_page(text)
                heads.add_page(number, text)
            if find_words:
                self._keep |= clean.compounds(text)
        if find_repeated:
            self._repeated = finder.repeated()
            self._heads = heads.found()
        self._scanned = True

    def _page(self, number: int, raw: str) -> str:
        cfg = self.cfg
        text = self._pre(raw)
        text, removed = clean.drop_repeated(text, self._repeated)
        text, heads = running_heads.drop_heads(number, text, self._heads)
        self.removed += removed + heads
        if cfg.dehyphenate and not self._scanned:
            self._keep = clean.compounds(text)
        return clean.post_clean(
            text,
            dehyphen=cfg.dehyphenate,
            unwrap=cfg.unwrap_lines,
            whitespace=cfg.fix_whitespace,
            keep=self._keep,
        )

    def pages(
        self, pages: Iterable[tuple[int, str]], on_page: Callable[[], None] | None = None
    ) -> Iterator[CleanPage]:
        """The cleaned pages in order (``on_page`` is called as each raw page is read)."""
        held: CleanPage | None = None
        for number, raw in pages:
            text = self._page(number, raw)
            continues = False
            if held is not None:
                before, text, continues = clean.join_pages(
                    held.text,
                    text,
                    self._keep,
                    dehyphen=self.cfg.dehyphenate,
                    unwrap=self.cfg.unwrap_lines,
                )
                yield held._replace(text=before)
            held = CleanPage(number, text, continues)
            if on_page:
                on_page()
        if held is not None:
            yield held
