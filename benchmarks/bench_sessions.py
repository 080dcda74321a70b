"""What running every project costs while nothing arrives: the idle CPU of ProjectSessions.

The app and ``watch --all`` run a worker (polling its queue twice a second) and a
drop-folder watcher for every project, not only the open one. This measures the CPU time
the whole process spends over a quiet interval with one project and with N, and reports the
share of one core and the ratio (N projects over one), so a change that makes idle projects
expensive shows here.

    python benchmarks/bench_sessions.py [--quick] [--projects N] [--seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path

import benchlib  # noqa: F401  (puts the repository on sys.path)

from loratui.core.projects import workspace
from loratui.core.session.all_projects import ProjectSessions
from loratui.core.session.processes import prepare_process_spawning
from loratui.core.store import home as home_mod


async def idle_share(projects: int, seconds: float) -> float:
    """CPU seconds per wall second of this process with ``projects`` idle sessions."""
    home = Path(tempfile.mkdtemp(prefix="loratui-bench-sessions-"))
    try:
        home_mod.open_home(home)
        for n in range(projects):
            workspace.create_project(f"p{n}")
        sessions = ProjectSessions(watch=True)
        await sessions.sync()
        await asyncio.sleep(1.0)  # past the start-up (imports, first scans)
        cpu, wall = time.process_time(), time.monotonic()
        await asyncio.sleep(seconds)
        share = (time.process_time() - cpu) / (time.monotonic() - wall)
        await sessions.stop_all()
        return share
    finally:
        home_mod.close_home()
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    projects, seconds = (5, 3.0) if args.quick else (args.projects, args.seconds)
    prepare_process_spawning()
    one = asyncio.run(idle_share(1, seconds))
    many = asyncio.run(idle_share(projects, seconds))
    benchlib.emit(
        {
            "bench": "sessions",
            "projects": projects,
            "seconds": seconds,
            "idle_cpu_share_1": one,
            f"idle_cpu_share_{projects}": many,
            "sessions_idle_cpu_ratio": many / one if one else None,
        }
    )


if __name__ == "__main__":
    main()
