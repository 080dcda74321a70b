"""VersionsScreen: the table of versions, their files, a diff, and the path to copy."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static

from loratui.core.export import config as cfgmod
from loratui.core.export import version
from loratui.core.projects import workspace
from loratui.tui.screens.versions import VersionsScreen
from loratui.tui.widgets.text_view import TextView
from tests.tui.conftest import screen_text
from tests.tui.screen_host import ScreenHost, make_document, wait_for

TEXT = "The lighthouse keeper wrote down the passing ships and the colour of the sea. "


async def test_view_versions_files_diff_and_copy_path(home: Path) -> None:
    project = workspace.create_project("keepers")
    for n in range(3):
        make_document(project, f"log-{n}.pdf", [f"Day {n}.{p}\n\n" + TEXT * 10 for p in (1, 2)])
    v1 = version.run_export(project, cfgmod.ExportConfig(chunk_tokens=64, chunk_overlap=8))
    v2 = version.run_export(
        project, cfgmod.ExportConfig(format="alpaca", chunk_tokens=64, chunk_overlap=8)
    )

    app = ScreenHost(lambda: VersionsScreen(project.id))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(DataTable)
        view = app.screen.query_one(TextView)
        title = lambda: str(app.screen.query_one("#vs-view-title", Static).render())  # noqa: E731
        await wait_for(pilot, lambda: table.row_count == 2)
        # newest first, with counts
        row = table.get_row_at(0)
        assert row[1] == "v2" and str(row[2]) == f"{v2.records_train:,}" and row[7] == "alpaca"
        assert table.get_row_at(1)[1] == "v1"
        # numbers end where their labels end (right-aligned under right-aligned labels)
        lines = screen_text(app).splitlines()
        header = next(line for line in lines if " train " in line)
        v2_line = next(line for line in lines if " v2 " in line)
        tokens = f"{v2.tokens:,}"
        assert header.index("tokens") + len("tokens") == v2_line.index(tokens) + len(tokens)
        train = f"{v2.records_train:,}"
        assert header.index("train") + len("train") == v2_line.index(f" {train} ") + 1 + len(train)
        path_line = str(app.screen.query_one("#vs-path", Static).render())
        assert v2.path in path_line and "3 documents" in path_line and "dropped:" in path_line
        # the manifest is shown first; then the card and the trainer snippets
        await wait_for(pilot, lambda: "v2 · manifest.json" in title())
        assert '"format": "alpaca"' in view.text
        await pilot.press("c")
        await wait_for(pilot, lambda: "README.md" in title())
        assert view.text.startswith("---") and "data_files" in view.text
        await pilot.press("a")
        await wait_for(pilot, lambda: "axolotl.yaml" in title())
        assert "alpaca" in view.text and "sequence_len" in view.text
        await pilot.press("i")
        await wait_for(pilot, lambda: "dataset_info.json" in title())
        assert '"columns"' in view.text

        # diff v1 -> v2 (v2 highlighted, no mark: against the previous version)
        await pilot.press("D")
        await wait_for(pilot, lambda: title() == "diff v1 → v2")
        assert "format: 'text' → 'alpaca'" in view.text
        assert f"removed: {v1.records_train + v1.records_validation}" in view.text

        # mark v2, move to v1, diff again: the same pair
        await pilot.press("space", "down")
        await wait_for(pilot, lambda: "v1 ·" in str(app.screen.query_one("#vs-path").render()))
        await pilot.press("D")
        await wait_for(pilot, lambda: title() == "diff v1 → v2")

        # copy the highlighted version's path
        await pilot.press("y")
        assert app.clipboard == v1.path


async def test_no_versions_yet(home: Path) -> None:
    project = workspace.create_project("empty")
    app = ScreenHost(lambda: VersionsScreen(project.id))
    async with app.run_test(size=(80, 24)) as pilot:
        path = app.screen.query_one("#vs-path", Static)
        await wait_for(pilot, lambda: "no versions yet" in str(path.render()))
        await pilot.press("D", "y", "m")  # nothing to act on: no crash
        await pilot.pause()
