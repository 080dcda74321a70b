"""One command on Ray (``process`` or ``export`` with ``--engine ray``), from start to end.

Opening joins the cluster (or starts a local runtime), checks that every node reads the
project store when the workers will read originals there, and writes the run record the
dashboard shows; closing ends the record and stops a runtime started here. In between,
``pool_factory`` (for the ``Worker``) and ``feed_factory`` (for ``run_export``) put the
work on the cluster; everything else runs where the command runs.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from loratui.core.export.workers import DocumentFeed
from loratui.core.scale import runs
from loratui.core.scale.export_feed import RayDocumentFeed
from loratui.core.scale.extraction import RayExtractionPool
from loratui.core.scale.runtime import Cluster, check_store, connect, disconnect
from loratui.core.store import folders
from loratui.core.store import home as home_mod
from loratui.core.store.models import Project

COMMANDS = ("process", "export")


class RayEngine:
    """The cluster a command runs on, and its run record."""

    def __init__(self, project_id: int, cluster: Cluster, run_id: int) -> None:
        self.project_id = project_id
        self.cluster = cluster
        self.run_id = run_id

    @classmethod
    def open(
        cls,
        project: Project,
        command: str,
        address: str | None = None,
        num_cpus: int | None = None,
    ) -> RayEngine:
        """Join the cluster at ``address`` (a local runtime of ``num_cpus`` without one);
        raises ``LoratuiError`` (``ray_missing``, ``ray_unreachable``,
        ``store_unreachable``) before any work starts."""
        assert command in COMMANDS, command
        cluster = connect(address, num_cpus)
        try:
            if command == "process":  # the workers read the originals themselves
                check_store(home_mod.ensure_private_dir(folders.store_dir(project)))
            run_id = runs.start(project.id, command, cluster.describe())
        except BaseException:
            disconnect(cluster)
            raise
        return cls(project.id, cluster, run_id)

    @property
    def workers(self) -> int:
        """Tasks at once: the cluster's CPUs."""
        return self.cluster.cpus

    def pool_factory(self) -> Callable[[int, dict[str, Any]], RayExtractionPool]:
        return RayExtractionPool.factory(self.cluster)

    def feed_factory(self) -> Callable[..., DocumentFeed]:
        return RayDocumentFeed.factory(self.cluster)

    def close(self, error: BaseException | None = None) -> None:
        """End the run record (failed with ``error``) and leave the cluster."""
        try:
            runs.finish(self.project_id, self.run_id, error)
        finally:
            disconnect(self.cluster)

    def __enter__(self) -> RayEngine:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(error)
