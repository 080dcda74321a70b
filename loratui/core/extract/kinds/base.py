"""What a document kind is: how a file is recognised as one, and how its text comes out.

A kind is one object, ``KIND`` in its module, listed in ``kinds/__init__.py``. Detection
(``ingest.detect``) shows every kind a ``Probe`` of the file's first bytes in turn and the
first to claim it wins; the extraction processes then ask the document's kind for its page
count (the first look, which also surfaces what stops a file: encrypted, corrupt, a zip
bomb) and for the text of page ranges. Calls take and return plain data (paths, page
numbers, text) so they cross into the worker processes cheaply; the kind itself never
travels, each process imports its module.

What a kind declares besides: its name, how messages name it, the file extensions that
promise it, whether small files may share a pool task, whether big files are read range
by range, whether its pages are laid out (then near-empty pages are worth a warning),
whether it takes a password, whether its pages may be images that OCR can read
(``ocr_page``), and its own wording (message and hint) for error codes.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from loratui.core.errors import ErrorInfo, LoratuiError, info
from loratui.core.extract.shared import PageText, Refusal, page_numbers, unreadable

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")

Limits = Mapping[str, Any]  # settings.effective(project.settings)
Pages = list[tuple[int, str]]  # (1-based page number, text)


@dataclass(eq=False)
class Probe:
    """What detection knows of a file: its name, size and first bytes (read once).

    ``label`` is the name messages use (the original name of a stored copy); ``promised``
    is the kind whose extension the name has, if any. The decoded text and the zip's
    member names are worked out on first use and shared by every kind asked.
    """

    path: Path
    label: str
    ext: str
    size: int
    head: bytes
    limits: Limits
    promised: str | None = None

    @property
    def complete(self) -> bool:
        """Whether ``head`` is the whole file."""
        return self.size <= len(self.head)

    @cached_property
    def is_zip(self) -> bool:
        return self.head.startswith(ZIP_MAGIC)

    @cached_property
    def zip_names(self) -> frozenset[str] | None:
        """The zip's member names; ``None`` when it is not a zip or its structure is broken."""
        if not self.is_zip:
            return None
        try:
            with zipfile.ZipFile(self.path) as zf:
                return frozenset(zf.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None

    @cached_property
    def text(self) -> str | None:
        """``head`` decoded (line ends normalised); ``None`` for binary content and zips."""
        if self.is_zip:
            return None
        from loratui.core.extract import text as text_mod  # (charset-normalizer: not at import)

        try:
            return text_mod.decode(self.head, partial=not self.complete)[0]
        except text_mod.NotText:
            return None


class DocumentKind:
    """A kind of document loratui reads. Subclasses set the declarations and implement
    ``detect``, ``count_pages`` and ``extract_pages`` (or derive from ``WholeDocument``)."""

    name: ClassVar[str]  # stored as Document.kind
    label: ClassVar[str]  # what a file name promises, in messages: "a PDF"
    found: ClassVar[str | None] = None  # what content of this kind is called (label if None)
    described: ClassVar[str]  # in "loratui reads PDF, DOCX, ...": "PDF"
    extensions: ClassVar[frozenset[str]] = frozenset()  # lower case, with the dot
    catch_all: ClassVar[bool] = False  # asked last (plain text takes any text)
    batch_small_files: ClassVar[bool] = False  # small files' first looks may share a task
    ranged: ClassVar[bool] = False  # big files are read range by range across processes
    laid_out: ClassVar[bool] = False  # fixed pages: a near-empty one is probably a scan
    takes_password: ClassVar[bool] = False
    reads_images: ClassVar[bool] = False  # pages may be scans: ``ocr_page`` can read them
    errors: ClassVar[tuple[ErrorInfo, ...]] = ()  # this kind's wording for error codes

    def detect(self, probe: Probe) -> bool:
        """Whether the file is of this kind (by content; the name only where content cannot
        tell). May raise ``LoratuiError`` for a file that is this kind's but unreadable."""
        raise NotImplementedError

    def check(self, probe: Probe) -> None:
        """Checks at add time, once the file is claimed (a zip bomb, records that do not
        parse); raise ``LoratuiError`` to refuse it."""

    def count_pages(self, path: str, password: str | None, limits: Limits) -> int:
        """The first look, in a worker process: the number of pages, or the error that
        stops this file (encrypted, corrupt, a zip bomb)."""
        raise NotImplementedError

    def extract_pages(
        self, path: str, start: int, end: int, password: str | None, limits: Limits
    ) -> Pages:
        """The text of pages ``start``..``end`` (1-based, inclusive, clipped to the last)."""
        raise NotImplementedError

    def ocr_page(
        self, path: str, number: int, text: str, password: str | None, limits: Limits
    ) -> PageText | None:
        """In a worker process, for kinds that declare ``reads_images``: page ``number`` read
        by OCR (its text layer gave ``text``), or None when the text layer stays."""
        raise NotImplementedError

    def warnings(self, pages: list[str]) -> list[dict[str, Any]]:
        """Findings only this kind knows about, beside the general ones (``jobs.validate``):
        each ``{"code", "level": "warning", "message", "hint"}``."""
        return []

    @property
    def content_name(self) -> str:
        return self.found or self.label

    @contextmanager
    def wording(self) -> Iterator[None]:
        """Word an engine's ``Refusal`` in this kind's terms (its ``errors``)."""
        try:
            yield
        except Refusal as exc:
            raise self.error(exc.code, exc.detail) from exc

    def error(self, code: str, message: str | None = None) -> LoratuiError:
        """``LoratuiError(code)`` in this kind's words (its ``errors``), else the catalogue's."""
        own = next((e for e in self.errors if e.code == code), None)
        entry = own or info(code)
        return LoratuiError(
            code, message or entry.message, entry.hint, entry.tui_hint or entry.hint
        )


# One document parsed whole, kept in this process until its last page is handed out, so
# counting the pages and then extracting them parses once.
_whole: tuple[tuple[str, str, int, int], list[str]] | None = None


class WholeDocument(DocumentKind):
    """A kind whose files are parsed whole (DOCX, text, records): implement ``pages``."""

    def pages(self, path: str, limits: Limits) -> list[str]:
        """Every page's text."""
        raise NotImplementedError

    def _pages(self, path: str, limits: Limits) -> list[str]:
        global _whole
        try:
            st = os.stat(path)
        except OSError as exc:
            raise unreadable(exc) from exc
        key = (path, self.name, st.st_size, st.st_mtime_ns)
        if _whole is not None and _whole[0] == key:
            return _whole[1]
        pages = self.pages(path, limits)
        _whole = (key, pages)
        return pages

    def count_pages(self, path: str, password: str | None, limits: Limits) -> int:
        return len(self._pages(path, limits))

    def extract_pages(
        self, path: str, start: int, end: int, password: str | None, limits: Limits
    ) -> Pages:
        global _whole
        pages = self._pages(path, limits)
        if end >= len(pages):  # the last page is handed out: don't hold the text any longer
            _whole = None
        return [(n, pages[n - 1]) for n in page_numbers(start, end, len(pages))]
