"""The Add files screen: path completion, marking files in the tree, what was queued."""

from __future__ import annotations

from pathlib import Path

from loratui.core.projects import workspace
from loratui.core.store.models import Document
from loratui.tui.app import LoratuiApp
from loratui.tui.screens.add_files import AddFilesScreen, MarkingTree, PathSuggester
from tests.tui.conftest import screen_text, wait_for


async def test_path_suggester_completes_from_disk(tmp_path: Path) -> None:
    (tmp_path / "manuals").mkdir()
    (tmp_path / "manual.txt").write_text("x")
    (tmp_path / ".hidden").write_text("x")
    s = PathSuggester()
    assert await s.get_suggestion(str(tmp_path / "manuals")[:-1]) == str(tmp_path / "manual.txt")
    assert await s.get_suggestion(str(tmp_path / "manuals")) is None  # already complete
    assert await s.get_suggestion(str(tmp_path / "manu") + "a") in (
        str(tmp_path / "manual.txt"),
        str(tmp_path / "manuals") + "/",
    )
    assert await s.get_suggestion(str(tmp_path) + "/.h") is None  # hidden names are not offered
    assert await s.get_suggestion(str(tmp_path / "nope" / "x")) is None


async def test_mark_files_in_the_tree_and_add_them(home: Path, tmp_path: Path) -> None:
    src = tmp_path / "pick"
    src.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (src / name).write_text(f"text of {name}\n")
    project = workspace.create_project("picks")
    app = LoratuiApp(home=home, start_worker=False, project="picks")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        app.push_screen(AddFilesScreen(project.id, start=src))
        await wait_for(pilot, lambda: "b.txt" in screen_text(app))
        tree = app.screen.query_one(MarkingTree)
        tree.focus()
        await pilot.press("down", "space", "space")  # marks a.txt and b.txt
        await wait_for(pilot, lambda: "2 marked" in screen_text(app))
        assert {p.name for p in tree.marked} == {"a.txt", "b.txt"}
        await pilot.press("a")
        await wait_for(pilot, lambda: "2 queued" in screen_text(app))
        names = {d.name for d in Document.select().where(Document.project == project)}
        assert names == {"a.txt", "b.txt"}
        # adding the same file again reports a duplicate, not a second copy
        await pilot.press("up", "up", "space", "a")
        await wait_for(pilot, lambda: "1 duplicate" in screen_text(app))
        assert Document.select().where(Document.project == project).count() == 3


async def test_the_summary_names_files_taken_as_a_rare_kind(home: Path, tmp_path: Path) -> None:
    src = tmp_path / "release"
    src.mkdir()
    for n in range(4):
        (src / f"note-{n}.md").write_text(f"# Note {n}\n\nThe pump {n} was checked.\n")
    (src / "LICENSE").write_text("Permission is hereby granted, free of charge.\n")
    (src / "manifest.json").write_text('[{"name": "pump", "id": 1}]\n')
    project = workspace.create_project("strays")
    app = LoratuiApp(home=home, start_worker=False, project="strays")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        app.push_screen(AddFilesScreen(project.id, start=tmp_path))
        await wait_for(pilot, lambda: "release" in screen_text(app))
        app.screen.query_one("#add-path").value = str(src)
        app.screen.query_one("#add-path").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "6 queued" in screen_text(app))
        shown = app.screen.query_one("#add-summary").render()
        assert "taken: 5 text (4 .md, LICENSE), 1 records (manifest.json)" in str(shown)
        assert "LICENSE" in screen_text(app)
