"""Extraction processes started by the app run below the app's CPU priority (Linux)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from loratui.core.ingest import add as ingest
from loratui.core.projects import workspace
from loratui.core.session.processes import (
    BACKGROUND_NICE,
    descendant_pids,
    lower_children_priority,
)
from loratui.core.store.models import Document
from loratui.tui.app import LoratuiApp
from tests.tui.conftest import manual_pages, wait_for
from tests.unit.docmakers import make_pdf

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc and per-thread nice values"
)


def nice_of(pid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, pid)


def target() -> int:
    return min(19, nice_of(0) + BACKGROUND_NICE)


def test_children_and_grandchildren_are_lowered_once() -> None:
    code = "import subprocess, time; subprocess.Popen(['sleep', '30']); time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        grandchild: list[int] = []
        for _ in range(100):  # the child starts its own child
            grandchild = descendant_pids(child.pid)
            if grandchild:
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert child.pid in descendant_pids() and grandchild[0] in descendant_pids()
        lower_children_priority()
        assert nice_of(child.pid) == target() and nice_of(grandchild[0]) == target()
        assert lower_children_priority() == 0  # already low: nothing changes again
    finally:
        child.kill()
        child.wait()


async def test_app_runs_its_extraction_workers_in_the_background(
    home: Path, tmp_path: Path
) -> None:
    big = make_pdf(tmp_path / "big.pdf", manual_pages(120))
    project = workspace.create_project("big")
    workspace.update_settings(project, {"pdf_pages_per_task": 2})
    ingest.add_paths(project, [big])
    before = nice_of(0)
    app = LoratuiApp(home=home, workers=1, project="big")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: Document.get(Document.name == "big.pdf").pages_done > 0)
        workers = app.session.worker._pool.worker_pids()
        assert workers, "the pool is running"
        # the app's once-a-second state poll lowers them
        await wait_for(pilot, lambda: all(nice_of(pid) >= target() for pid in workers), 10)
    assert nice_of(0) == before, "the app itself keeps its priority"
