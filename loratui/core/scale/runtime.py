"""Connecting to Ray: a cluster at ``--address``, or a local runtime started here.

Ray is optional (``pip install 'loratui[ray]'``): it is imported only here, only when the
Ray engine is asked for, and a missing Ray is an error value (``ray_missing``), never an
``ImportError``. The workers read the originals from the project store themselves, so
before any work the store is checked from every node by a small task pinned to it
(``check_store``): a node that cannot read it fails the command up front
(``store_unreachable``) instead of failing every document it is given.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from loratui.core.errors import LoratuiError

INSTALL_HINT = "pip install 'loratui[ray]'"
CHECK_TIMEOUT_S = 60.0  # for the store check's tasks (a node busy with other jobs)


def import_ray() -> ModuleType:
    """The ``ray`` module, or ``ray_missing`` with the install hint."""
    try:
        import ray
    except ImportError as exc:
        raise LoratuiError(
            "ray_missing",
            f"the ray engine needs Ray, which is not installed ({exc})",
            INSTALL_HINT,
        ) from exc
    return ray


@dataclass(frozen=True)
class Cluster:
    """The Ray runtime a command runs on."""

    address: str  # the cluster's address ("local" for a runtime started here)
    cpus: int  # CPUs of the whole cluster: as many tasks run at once
    nodes: int
    started_here: bool  # this process started it, and shuts it down

    def describe(self) -> dict[str, Any]:
        """What the run record keeps (the dashboard shows it)."""
        return {"engine": "ray", "address": self.address, "cpus": self.cpus, "nodes": self.nodes}


def connect(address: str | None = None, num_cpus: int | None = None) -> Cluster:
    """Connect to the cluster at ``address``, or start a local runtime (``num_cpus``, else
    one per CPU); a runtime this process already joined is used as it is."""
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        options: dict[str, Any] = {
            "log_to_driver": False,  # a worker's prints would mix into the command's output
            "logging_level": logging.WARNING,
            # one thread per task: tokenizers and numpy must not each spawn one per core
            "runtime_env": {"env_vars": {"TOKENIZERS_PARALLELISM": "false"}},
        }
        if address:
            options["address"] = address
        else:
            options.update(address="local", include_dashboard=False)
            options["num_cpus"] = num_cpus or max(1, os.cpu_count() or 1)
        try:
            ray.init(**options)
        except Exception as exc:  # noqa: BLE001 - ConnectionError, RuntimeError, ValueError...
            where = f"the Ray cluster at {address}" if address else "a local Ray runtime"
            raise LoratuiError(
                "ray_unreachable",
                f"could not connect to {where}: {exc}",
                "check --address (the head node's host:port, as `ray status` shows it), that "
                "the cluster runs, and that this machine has its token if it asks for one "
                "(RAY_AUTH_MODE=token, as for `ray status`); leave --address out to start Ray "
                "on this machine",
            ) from exc
        started = not address
    return Cluster(
        address=address or "local",
        cpus=max(1, int(ray.cluster_resources().get("CPU", 1))),
        nodes=sum(1 for n in ray.nodes() if n.get("Alive")),
        started_here=started,
    )


def disconnect(cluster: Cluster) -> None:
    """Leave the cluster (a runtime started here stops with it)."""
    ray = import_ray()
    if cluster.started_here and ray.is_initialized():
        ray.shutdown()


def stat_store(path: str) -> tuple[str, str | None]:
    """On one node: (its host name, None) when ``path`` is a readable folder there, else
    (its host name, what is wrong)."""
    import socket

    host = socket.gethostname()
    try:
        if not Path(path).is_dir():
            return host, f"{path} is not a folder there"
        os.listdir(path)
    except OSError as exc:
        return host, f"{path}: {exc.strerror or exc}"
    return host, None


def check_store(path: Path) -> None:
    """Stat the project store on every live node; ``store_unreachable`` names the nodes
    that cannot read it."""
    ray = import_ray()
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    stat = ray.remote(stat_store)
    refs = [
        stat.options(
            num_cpus=0,  # also on a head node that runs no tasks
            scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False),
        ).remote(str(path))
        for node in ray.nodes()
        if node.get("Alive")
    ]
    try:
        answers = ray.get(refs, timeout=CHECK_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - a node that died meanwhile, a timeout
        raise LoratuiError(
            "store_unreachable",
            f"could not check that every Ray node reads the project store {path}: {exc}",
            "check the cluster (`ray status`) and try again",
        ) from exc
    bad = [f"{host}: {problem}" for host, problem in answers if problem]
    if bad:
        raise LoratuiError(
            "store_unreachable",
            f"{len(bad)} of {len(answers)} Ray node(s) cannot read the project store: "
            + "; ".join(bad),
            "the Ray workers read the originals themselves: put the loratui home on storage "
            "every node mounts at the same path (NFS, a cluster file system), or run "
            "without --engine ray",
        )
