"""Snapshot tests: every screen of the TUI drawn from a fixed demo home (fixed data, fixed
clock, no blinking cursor). Update them with ``pytest tests/tui --snapshot-update`` after a
deliberate change and look at the SVGs in tests/tui/__snapshots__/."""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from loratui import screenshots
from loratui.core.store import home as home_mod
from loratui.tui.app import LoratuiApp

SNAP_HOME = Path("/tmp/loratui-snapshots/home")  # fixed: paths show on screen
SIZE = (100, 30)


@pytest.fixture(scope="module")
def pristine_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """The demo project, processed once by the real worker, times frozen, kept aside.
    The fixed path is locked for the module: two checkouts testing at once on one machine
    would otherwise draw each other's home."""
    SNAP_HOME.parent.mkdir(parents=True, exist_ok=True)
    with open(SNAP_HOME.parent / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        project_id = screenshots.build_demo_home(SNAP_HOME)
        home_mod.close_home()
        keep = tmp_path_factory.mktemp("snap") / "home"
        shutil.copytree(SNAP_HOME, keep)
        yield project_id, keep


@pytest.fixture
def demo_project(pristine_home: tuple[int, Path]) -> int:
    """A fresh copy of the demo home for each picture: a test that writes (marks, audit
    rows) must not change what the next one shows, such as the database's size."""
    project_id, keep = pristine_home
    home_mod.close_home()
    shutil.rmtree(SNAP_HOME, ignore_errors=True)
    shutil.copytree(keep, SNAP_HOME)
    yield project_id
    home_mod.close_home()


def make_app() -> LoratuiApp:
    return LoratuiApp(home=SNAP_HOME, start_worker=False, clock=lambda: screenshots.FIXED_TIME)


def steady(*keys: str, open_project: bool = True, wait: float = 0.6):
    """A run_before: open the demo project, press ``keys``, let thread reads land, stop blinks."""

    async def run_before(pilot) -> None:
        app = pilot.app
        await pilot.pause(0.3)
        if open_project:
            app.open_project(1)
            await pilot.pause(wait)
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.2)
        await pilot.pause(wait)
        for box in app.screen.query(Input):
            box.cursor_blink = False
        await pilot.pause(0.1)

    return run_before


def test_projects(snap_compare, demo_project):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=steady(open_project=False))


def test_projects_80x24(snap_compare, demo_project):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=steady(open_project=False))


def test_new_project_dialog_inline_error(snap_compare, demo_project):
    keys = ("n", *"bad/name")
    assert snap_compare(
        make_app(), terminal_size=SIZE, run_before=steady(*keys, open_project=False)
    )


def test_delete_project_confirmation(snap_compare, demo_project):
    assert snap_compare(
        make_app(), terminal_size=SIZE, run_before=steady("delete", open_project=False)
    )


def test_dashboard(snap_compare, demo_project):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=steady())


def test_dashboard_80x24(snap_compare, demo_project):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=steady())


def test_queue(snap_compare, demo_project):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=steady("f"))


def test_queue_failed_filter_and_mark(snap_compare, demo_project):
    keys = ("f", "t", "t", "t", "t", "space")  # all -> queued -> processing -> done -> failed
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=steady(*keys))


def test_add_files(snap_compare, demo_project):
    # the tree starts at the current folder, which differs between machines: start it at
    # the samples folder shipped in the package instead
    async def run_before(pilot) -> None:
        from loratui.core.projects.demo import samples_dir
        from loratui.tui.screens.add_files import AddFilesScreen

        app = pilot.app
        await pilot.pause(0.3)
        app.open_project(1)
        await pilot.pause(0.3)
        app.push_screen(AddFilesScreen(1, start=samples_dir()))
        await pilot.pause(0.8)
        for box in app.screen.query(Input):
            box.cursor_blink = False
        await pilot.pause(0.1)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare, demo_project):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=steady("f", "question_mark"))


def test_command_palette(snap_compare, demo_project):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=steady("f", "ctrl+p", wait=1.5))


def test_quit_confirmation(snap_compare, demo_project):
    """The question asked when quitting while documents are being processed."""

    async def run_before(pilot) -> None:
        from loratui.tui.widgets.confirm import ConfirmModal

        app = pilot.app
        await pilot.pause(0.3)
        app.open_project(1)
        await pilot.pause(0.5)
        app.push_screen(ConfirmModal("Quit while processing?", app.QUIT_QUESTION, confirm="Quit"))
        await pilot.pause(0.3)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


# H7's screens, opened through the app's keys
def test_preview(snap_compare, demo_project):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=steady("f", "enter"))


def test_export(snap_compare, demo_project):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=steady("e", wait=1.5))


def test_versions(snap_compare, demo_project):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=steady("v"))


def test_log_screen(snap_compare, demo_project):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=steady("l"))


def test_log_panel_on_dashboard(snap_compare, demo_project):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=steady("ctrl+l"))


def test_settings(snap_compare, demo_project):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=steady("comma"))


def test_settings_80x24(snap_compare, demo_project):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=steady("comma"))


def test_queue_80x24(snap_compare, demo_project):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=steady("f"))


def test_log_panel_on_queue_80x24(snap_compare, demo_project):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=steady("f", "ctrl+l"))
