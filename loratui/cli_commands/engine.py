"""``--engine`` and ``--address``: where ``process`` and ``export`` do their work."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from loratui.core.errors import LoratuiError
from loratui.core.store.models import Project

if TYPE_CHECKING:
    from loratui.core.scale.engine import RayEngine


def add_engine_args(p: argparse.ArgumentParser) -> None:
    """The two options, for ``add_command``."""
    p.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: processes on this machine (default); ray: tasks on a Ray cluster "
        "(pip install 'loratui[ray]'; the home must be on storage every node mounts)",
    )
    p.add_argument(
        "--address",
        metavar="ADDR",
        default=None,
        help="with --engine ray: the cluster's head (host:port, or ray://host:10001); "
        "without it a local Ray runtime starts",
    )


def open_engine(args: argparse.Namespace, project: Project, command: str) -> RayEngine | None:
    """The Ray engine for this command, or None for the local one."""
    if args.engine != "ray":
        if args.address:
            raise LoratuiError(
                "invalid",
                "--address names a Ray cluster, but the engine is local",
                "add --engine ray, or leave --address out",
            )
        return None
    from loratui.core.scale.engine import RayEngine

    return RayEngine.open(project, command, args.address)
