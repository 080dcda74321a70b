"""Plain text and Markdown: any content that decodes as text (``extract/text.py``).

The catch-all: asked after every other kind, so a text-based kind (records, HTML) claims
its files first. One page per form feed.
"""

from __future__ import annotations

from loratui.core.extract.kinds.base import Limits, Probe, WholeDocument


class TextKind(WholeDocument):
    name = "text"
    label = "text"
    found = "plain text"
    described = "plain text, Markdown"
    extensions = frozenset({".txt", ".md", ".markdown", ".text", ".rst", ".log"})
    catch_all = True
    batch_small_files = True

    def detect(self, probe: Probe) -> bool:
        return probe.text is not None

    def pages(self, path: str, limits: Limits) -> list[str]:
        from loratui.core.extract import text

        return text.pages(path)


KIND = TextKind()
