"""Snapshots of the Generate screen and the pairs browser on the demo home (see
test_snapshots.py for the fixed home, data and clock). The Generate screen is drawn with
its endpoint on a closed port, so it shows the core's "cannot reach" message and hint; the
pairs are made by a real run against the fake OpenAI server (one request at a time, so
their ids and order are the same every time)."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from loratui.core.generation import config_store
from loratui.core.generation.runner import GenerationRunner
from loratui.core.generation.settings import GenerationSettings
from loratui.core.projects import workspace
from loratui.tui.screens.generate import GenerateScreen
from loratui.tui.screens.pairs import PairsScreen
from tests.support.openai_server import OpenAIServer
from tests.tui.screen_host import wait_for
from tests.tui.test_snapshots import (  # noqa: F401 - fixtures used by name
    SIZE,
    demo_project,
    make_app,
    pristine_home,
)

CLOSED = "http://127.0.0.1:9/v1"  # the discard port: nothing listens there


@pytest.fixture(autouse=True)
def _no_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LORATUI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def _generate_before(url: str):  # noqa: ANN202
    async def run_before(pilot) -> None:  # noqa: ANN001
        app = pilot.app
        await pilot.pause(0.3)
        project = workspace.get_project(1)
        config_store.save_settings(project, GenerationSettings(base_url=url))
        app.open_project(1)
        await pilot.pause(0.3)
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, GenerateScreen))
        await wait_for(pilot, lambda: "✗" in str(app.screen.query_one("#gen-status").render()))
        for box in app.screen.query(Input):
            box.cursor_blink = False
        await pilot.pause(0.2)

    return run_before


def test_generate_unreachable(snap_compare, demo_project):  # noqa: F811
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_generate_before(CLOSED))


def test_generate_unreachable_80x24(snap_compare, demo_project):  # noqa: F811
    before = _generate_before(CLOSED)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=before)


@pytest.fixture
def server():  # noqa: ANN201
    with OpenAIServer() as s:
        yield s


def test_pairs_browser(snap_compare, demo_project, server):  # noqa: F811
    async def run_before(pilot) -> None:  # noqa: ANN001
        app = pilot.app
        await pilot.pause(0.3)
        project = workspace.get_project(1)
        settings = GenerationSettings(base_url=server.url, concurrency=1, retry_backoff_s=0.05)
        await GenerationRunner(project, settings).run()
        app.open_project(1)
        await pilot.pause(0.3)
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, PairsScreen))
        await wait_for(pilot, lambda: "characters" in app.screen.query_one("#pairs-detail").text)
        await pilot.press("down", "down")  # pair 3: rejected, with the gate's reason
        await wait_for(pilot, lambda: app.screen.current().id == 3)
        await wait_for(pilot, lambda: "characters" in app.screen.query_one("#pairs-detail").text)
        await pilot.pause(0.2)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)
