"""DOCX: a zip holding ``word/document.xml``, parsed whole (``extract/docx.py``).

Its declared size is checked against ``max_docx_inflated_mb`` at add time and again before
parsing (python-docx has no zip-bomb guard of its own).
"""

from __future__ import annotations

from loratui.core.errors import ErrorInfo, LoratuiError
from loratui.core.extract.kinds.base import Limits, Probe, WholeDocument


class DocxKind(WholeDocument):
    name = "docx"
    label = "a DOCX document"
    described = "DOCX"
    extensions = frozenset({".docx"})
    batch_small_files = True
    errors = (
        ErrorInfo(
            "zip_bomb",
            "the DOCX would inflate far beyond the limit (possible zip bomb)",
            "if you trust the file, raise `max_docx_inflated_mb` in the project settings",
        ),
    )

    def detect(self, probe: Probe) -> bool:
        if not probe.is_zip:
            return False
        names = probe.zip_names
        if names is None:
            if probe.ext in self.extensions:
                raise LoratuiError(
                    "corrupt",
                    f"{probe.label} is a damaged DOCX (its zip structure cannot be read)",
                )
            return False
        return "word/document.xml" in names

    def check(self, probe: Probe) -> None:
        from loratui.core.extract import docx

        with self.wording():
            docx.check_zip(str(probe.path), probe.limits)

    def pages(self, path: str, limits: Limits) -> list[str]:
        from loratui.core.extract import docx

        with self.wording():
            return docx.pages(path, limits)


KIND = DocxKind()
