"""The dashboard shows the engine and the cluster's CPUs of a command on Ray while it runs,
read from its run record (the command may be another process: the TUI holds no state)."""

from __future__ import annotations

from pathlib import Path

from loratui.core.projects import workspace
from loratui.core.scale import runs
from loratui.tui.app import LoratuiApp
from loratui.tui.screens.dashboard import DashboardScreen
from tests.conftest import CLI
from tests.tui.conftest import screen_text, wait_for

SHOWN = "Engine ray 48 CPUs on 3 node(s), process"


async def test_the_dashboard_shows_a_ray_run_while_it_lasts(home: Path) -> None:
    project = workspace.create_project("p")
    cluster = {"engine": "ray", "address": "10.0.0.5:6379", "cpus": 48, "nodes": 3}
    run = runs.start(project.id, "process", cluster)  # what `process --engine ray` writes
    status = CLI(home).run("status", "p", check=True).stdout  # the CLI says the same
    assert "process running on ray: 48 CPUs on 3 node(s) (10.0.0.5:6379)" in status
    app = LoratuiApp(home=home, start_worker=False, project="p")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await wait_for(pilot, lambda: SHOWN in " ".join(screen_text(app).split()))
        runs.finish(project.id, run)
        await wait_for(pilot, lambda: "Engine" not in screen_text(app))
