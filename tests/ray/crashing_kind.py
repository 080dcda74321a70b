"""A document kind whose worker dies the first time it reads each file.

A ``.crashonce`` file names a marker file on its first line, then holds its pages, one
a line. Reading it when the marker does not exist creates the marker and kills the
worker process there and then (``os._exit``: no exception, no clean-up, as a segfault or
the out-of-memory killer would); once the marker exists, it reads normally. So every
file kills exactly one worker, deterministically, and the run must survive it.
Registered at run time, so Ray workers import it by name (``kinds.REGISTRY``).
"""

from __future__ import annotations

import os
from pathlib import Path

from loratui.core.extract.kinds.base import DocumentKind, Limits, Pages, Probe


class CrashOnceKind(DocumentKind):
    name = "crashonce"
    label = "a crash-once test file"
    described = "crashonce"
    extensions = frozenset({".crashonce"})
    batch_small_files = False  # one file a task: each crash lands on its own file
    ranged = False

    def detect(self, probe: Probe) -> bool:
        return probe.promised == self.name

    def _lines(self, path: str) -> list[str]:
        marker, *pages = Path(path).read_text(encoding="utf-8").splitlines()
        if not os.path.exists(marker):
            Path(marker).write_text(str(os.getpid()))
            os._exit(1)
        return pages

    def count_pages(self, path: str, password: str | None, limits: Limits) -> int:
        return len(self._lines(path))

    def extract_pages(
        self, path: str, start: int, end: int, password: str | None, limits: Limits
    ) -> Pages:
        pages = self._lines(path)
        return [(n, pages[n - 1]) for n in range(start, min(end, len(pages)) + 1)]


KIND = CrashOnceKind()
