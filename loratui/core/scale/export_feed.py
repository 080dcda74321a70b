"""Export records made by Ray tasks: one document's records per task, anywhere on a cluster.

The same split as the local export pool (``export.workers``): what depends on one
document alone (cleaning, chunking, rendering, token counts, duplicate keys) is a task;
what depends on every record before it (which duplicates to drop, splits, line numbers,
writing the files) stays with the process that runs the command and holds the SQLite
catalogue, which takes the documents back in their order. So the files are byte for byte
those of a local export. The catalogue does not leave that machine: it reads each
document's pages and sends them with the task. Records files, pairs (read from the
catalogue) and very large documents are done there too, as the local export does.
"""

from __future__ import annotations

import contextlib
from collections import Counter, deque
from collections.abc import Callable, Iterator
from typing import Any

from loratui.core.errors import LoratuiError
from loratui.core.export import formats
from loratui.core.export.config import ExportConfig
from loratui.core.export.dedup import NearKeys
from loratui.core.export.docref import DocRef
from loratui.core.export.keyed import Out, keyed
from loratui.core.export.pairs import SOURCE as PAIRS_SOURCE
from loratui.core.export.pipeline import Pipeline, Stats, iter_pages
from loratui.core.export.workers import IN_FLIGHT_CHARS, DocResult, DocumentFeed
from loratui.core.scale.extraction import RAY_MAX_RETRIES
from loratui.core.scale.runtime import Cluster, import_ray
from loratui.core.store.models import Document

TASKS_PER_CPU = 2  # documents given to the cluster per CPU, beyond those being written

Built = tuple[list[Out], Stats, Counter[str], int]  # records, stats, redactions, pages

# ---- in a Ray worker --------------------------------------------------------------------

_pipeline: tuple[str, Pipeline] | None = None  # kept between tasks: a tokenizer loads slowly


def _pipeline_for(cfg: ExportConfig) -> Pipeline:
    global _pipeline
    key = cfg.config_hash()
    if _pipeline is None or _pipeline[0] != key:
        _pipeline = (key, Pipeline(cfg, dedup=False))
    return _pipeline[1]


def build_records(
    cfg: ExportConfig,
    near: NearKeys | None,
    doc: DocRef,
    pages: list[tuple[int, str]],
    format_modules: tuple[str, ...],
) -> Built:
    """One document's records with their keys, from its ``pages`` (number, text)."""
    formats.REGISTRY.load(format_modules)
    pipeline = _pipeline_for(cfg)
    pipeline.stats = Stats()
    redacted: Counter[str] = Counter()
    if pipeline.redactor is not None:
        pipeline.redactor.counts = redacted
    out = list(keyed(pipeline.records(doc, pages=pages), cfg.dedup_exact, near))
    return out, pipeline.stats, redacted, len(pages)


# ---- in the process that writes ---------------------------------------------------------


class RayDocumentFeed(DocumentFeed):
    """``DocumentFeed`` whose documents are made into records by Ray tasks."""

    def __init__(self, cluster: Cluster, *args: Any) -> None:
        """``args``: ``DocumentFeed``'s (pipeline, docs, sizes, workers, near, spool)."""
        super().__init__(*args)
        self.cluster = cluster
        self.workers = cluster.cpus

    @classmethod
    def factory(cls, cluster: Cluster) -> Callable[..., DocumentFeed]:
        """What ``run_export(feed=...)`` calls with ``DocumentFeed``'s arguments."""
        return lambda *args: cls(cluster, *args)

    def _poolable(self, doc: Document) -> bool:
        return self.pipeline.cfg.sources != PAIRS_SOURCE and super()._poolable(doc)

    def items(
        self, on_page: Callable[[Document], None]
    ) -> Iterator[tuple[Document, Iterator[Out]]]:
        """(document, its records) in order; ``on_page(doc)`` once per page."""
        ray = import_ray()
        task = ray.remote(build_records).options(num_cpus=1, max_retries=RAY_MAX_RETRIES)
        cfg, near = ray.put(self.pipeline.cfg), ray.put(self.near)
        modules = formats.REGISTRY.extensions()
        window = TASKS_PER_CPU * self.cluster.cpus
        pending: deque[tuple[Document, Any, int]] = deque()  # doc, its task or None, chars
        todo = iter(self.docs)
        in_flight = 0
        try:
            while True:
                while len(pending) < window and in_flight < IN_FLIGHT_CHARS:
                    doc = next(todo, None)
                    if doc is None:
                        break
                    if not self._poolable(doc):
                        pending.append((doc, None, 0))
                        continue
                    pages = list(iter_pages(doc.id))
                    chars = sum(len(text) for _, text in pages)
                    ref = task.remote(cfg, near, DocRef.of(doc), pages, modules)
                    pending.append((doc, ref, chars))
                    in_flight += chars
                if not pending:
                    return
                doc, ref, chars = pending.popleft()
                if ref is None:
                    yield doc, self._here(doc, on_page)
                    continue
                out, stats, redacted, n_pages = self._result(ray, ref)
                in_flight -= chars
                self._merge(DocResult("", "", len(out), stats, redacted, n_pages))
                for _ in range(n_pages):
                    on_page(doc)
                yield doc, iter(out)
        finally:
            for _doc, ref, _chars in pending:
                if ref is not None:
                    with contextlib.suppress(Exception):
                        ray.cancel(ref, force=True)

    @staticmethod
    def _result(ray: Any, ref: Any) -> Built:
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            if isinstance(exc.cause, LoratuiError):
                raise exc.cause from exc
            raise LoratuiError(
                "internal", f"a Ray task making records failed: {exc.cause or exc}"
            ) from exc
        except ray.exceptions.RayError as exc:
            raise LoratuiError(
                "crashed",
                f"a Ray worker making records died ({type(exc).__name__}), also on Ray's retries",
                "export again; if it happens again, export without --engine ray",
            ) from exc
