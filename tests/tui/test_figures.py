"""The CLI and the TUI show the same figures on the same home: ``status --json`` and the
dashboard, ``files --json`` and the Files screen. The home holds what made them diverge:
done files with warnings (one excluded), a failed file retried twice, a duplicate, a
cancelled file, and a file that failed after some of its pages were stored and was retried."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

from loratui.core.errors import LoratuiError
from loratui.core.ingest import add as ingest
from loratui.core.jobs import control as queue_control
from loratui.core.jobs import queue
from loratui.core.jobs import results as job_results
from loratui.core.projects import workspace
from loratui.core.session.project import ProjectSession
from loratui.core.store.models import Document, Project
from loratui.tui.app import LoratuiApp
from loratui.tui.screens.dashboard import DashboardScreen, human
from loratui.tui.screens.queue import QueueScreen
from loratui.tui.widgets.fast_table import FastTable
from tests.conftest import CLI
from tests.tui.conftest import screen_text, wait_for
from tests.unit.queue_docs import numbered_pdf, text_files

SIZE = (120, 40)


def doc(name: str) -> Document:
    return Document.get(Document.name == name)


async def build_home(tmp_path: Path) -> Project:
    """The project ``figures``, processed by the real worker; see the module docstring."""
    project = workspace.create_project("figures")
    workspace.update_settings(project, {"pdf_pages_per_task": 5})
    # a worker stored pages 1-10 of a 20-page PDF, then failed for good
    ingest.add_paths(project, [numbered_pdf(tmp_path / "partial.pdf", 20)])
    owner = f"{socket.gethostname()}:{os.getpid()}:test"
    job = queue.claim(project.id, owner, 3600)
    job_results.set_total(job, owner, 20, "pdf")
    job_results.commit_pages(job, owner, [(n, f"page {n} of partial") for n in range(1, 11)])
    assert job_results.fail(job, LoratuiError("corrupt", "page 11 is damaged"), None, owner)

    src = tmp_path / "src"
    notes = text_files(src, 4)
    (src / "again.txt").write_bytes(notes[0].read_bytes())  # a duplicate
    numbered_pdf(src / "short.pdf", 3)  # little text per page: a little_text warning
    numbered_pdf(src / "manual.pdf", 2)  # the same warning; excluded below
    (src / "broken.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    ingest.add_paths(project, [src])
    queue_control.cancel(project, [doc(notes[3].name).id])
    await ProjectSession(project.id, workers=1).run_until_idle()
    for _ in range(2):  # the broken PDF fails every time
        assert queue_control.retry(project, [doc("broken.pdf").id]) == 1
        await ProjectSession(project.id, workers=1).run_until_idle()
    queue_control.set_excluded(project, [doc("manual.pdf").id], True)
    # retried, not processed again yet: queued with the 10 pages it kept
    assert queue_control.retry(project, [doc("partial.pdf").id]) == 1
    return project


async def test_status_and_the_dashboard_show_the_same_figures(home: Path, tmp_path: Path) -> None:
    await build_home(tmp_path)
    cli = CLI(home)
    cli.run("export", "figures", check=True, timeout=300)
    status = cli.json("status", "figures")
    states, progress = status["states"], status["progress"]
    # the home is what the docstring says
    assert states == {
        "queued": 1,
        "processing": 0,
        "done": 5,
        "failed": 1,
        "duplicate": 1,
        "cancelled": 1,
    }
    assert status["excluded"] == 1
    assert status["warnings"] == {"little_text": 2}  # done documents, the excluded one too
    assert sum(status["failures"].values()) == 1
    assert status["pages"] == 3 + 3 + 2  # of done documents only (three notes, two PDFs)
    assert progress["pages_done"] == status["pages"] + 10  # the retried PDF's kept pages
    assert progress["pages_total"] == status["pages"] + 20 + 0  # the broken PDF has none
    assert (progress["files_finished"], progress["files_total"]) == (6, 7)
    assert status["last_export"]["version"] == 1

    app = LoratuiApp(home=home, start_worker=False, project="figures")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen._stats)
        await pilot.pause(0.2)
        text = screen_text(app)
    flat = " ".join(text.split())
    assert f"{progress['pages_done']:,} / {progress['pages_total']:,}" in flat
    assert f"{progress['files_finished']:,} / {progress['files_total']:,} finished" in flat
    shown_states = " ".join(f"{s} {states[s]}" for s in states)
    documents = status["documents"]
    assert documents == sum(states.values())
    assert f"States {documents} files: {shown_states} excluded {status['excluded']}" in flat
    assert (
        f"Totals {status['pages']:,} pages · {human(status['chars'])} chars · "
        f"~{human(status['tokens'])} tokens (done files)"
    ) in flat
    for code, n in status["failures"].items():
        assert re.search(rf"failed\s+{re.escape(code)}\s+{n}\b", text), text
    for code, n in status["warnings"].items():
        assert re.search(rf"warning\s+{re.escape(code)}\s+{n}\b", text), text
    export = status["last_export"]
    assert (
        f"Last export v{export['version']} · {export['records']} records · "
        f"{export['tokens']:,} tokens"
    ) in flat


def _cells(table: FastTable, doc_id: int) -> dict[str, str]:
    """The Files screen's row of a document, as the text of each column."""
    keys = [str(c.key.value) for c in table.ordered_columns]
    return dict(zip(keys, (c.plain for c in table.get_row(str(doc_id))), strict=True))


def _number(n: int | None) -> str:
    return "–" if n is None else f"{n:,}"


async def test_files_and_the_files_screen_agree_for_a_document_retried_twice(
    home: Path, tmp_path: Path
) -> None:
    """Attempts are the latest extract job's: the broken PDF, failed, retried twice and
    failed again at once, shows 1 try in both; every other figure of every row agrees too."""
    await build_home(tmp_path)
    rows = CLI(home).json("files", "figures")
    broken = next(r for r in rows if r["name"] == "broken.pdf")
    assert (broken["state"], broken["attempts"]) == ("failed", 1)

    app = LoratuiApp(home=home, start_worker=False, project="figures")
    # wide enough for every column (a narrower screen leaves the optional ones out)
    async with app.run_test(size=(160, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen))
        table = app.screen.query_one(FastTable)
        await wait_for(pilot, lambda: table.row_count == len(rows))
        assert "broken.pdf" in screen_text(app)
        for row in rows:
            cells = _cells(table, row["id"])
            state = "excluded" if row["excluded"] else row["state"]
            assert (cells["name"], cells["state"]) == (row["name"], state), cells
            assert cells["attempts"] == (str(row["attempts"]) if row["attempts"] else ""), cells
            assert cells["pages"] == _number(row["pages"]), cells
            assert (cells["chars"], cells["tokens"]) == (
                _number(row["chars"]),
                _number(row["tokens"]),
            ), cells
            if row["pages"]:
                assert f"{row['pages_done']}/{row['pages']}" in cells["progress"], cells
            if row["error_code"]:
                assert cells["error"].startswith(row["error_code"]), cells
            for w in row["warnings"]:
                assert w["code"] in cells["error"], cells


async def test_one_total_of_files_on_the_dashboard_files_screen_and_status(
    home: Path, tmp_path: Path
) -> None:
    """The dashboard said 315 (the files there is work for), Files 327 and the CLI its own:
    the total of files is one figure, every document whatever its state."""
    await build_home(tmp_path)
    documents = CLI(home).json("status", "figures")["documents"]
    assert documents == len(CLI(home).json("files", "figures"))
    app = LoratuiApp(home=home, start_worker=False, project="figures")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen._stats)
        await pilot.pause(0.2)
        assert f"States {documents} files:" in " ".join(screen_text(app).split())
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen))
        await wait_for(pilot, lambda: f"{documents} of {documents} files" in screen_text(app))


async def test_no_eta_of_zero_while_files_wait_with_unknown_page_counts(
    home: Path, tmp_path: Path
) -> None:
    """Pages are counted when a worker opens a file: with 3 files done and 5 waiting, the
    known pages were all done and the dashboard said "ETA 0:00"."""
    from loratui.core.projects.overview import overview

    project = workspace.create_project("eta")
    ingest.add_paths(project, text_files(tmp_path / "first", 3))
    await ProjectSession(project.id, workers=1).run_until_idle()
    ingest.add_paths(project, [numbered_pdf(tmp_path / f"wait-{n}.pdf", 2) for n in range(5)])
    progress = overview(project).progress
    assert progress.pages_total == progress.pages_done  # what made the ETA 0:00
    assert progress.files_pages_unknown == 5
    assert progress.pages_left() == 5 * progress.pages_total / progress.files_pages_known
    now = [1000.0]
    app = LoratuiApp(home=home, start_worker=False, project="eta", clock=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen._stats)
        screen = app.screen
        screen._throughput = type(screen._throughput)()
        screen._throughput.add(now[0] - 10, 0)  # the done pages came in the last 10 s
        screen.refresh_stats()
        await wait_for(pilot, lambda: "pages/s" in screen_text(app))
        text = " ".join(screen_text(app).split())
        assert "ETA 0:00" not in text and "ETA 0:" in text, text
        assert "5 to process" in text


async def test_the_line_under_the_files_table_forgets_a_deleted_document(
    home: Path, tmp_path: Path
) -> None:
    """Deleting the last row left the line under the table naming the deleted file."""
    project = workspace.create_project("gone")
    (only,) = text_files(tmp_path / "t", 1)
    ingest.add_paths(project, [only])
    app = LoratuiApp(home=home, start_worker=False, project="gone")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen))
        table = app.screen.query_one(FastTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        table.focus()
        detail = app.screen.query_one("#queue-detail")
        await wait_for(pilot, lambda: only.name in str(detail.render()))
        await pilot.press("delete")
        await pilot.pause(0.3)
        await pilot.press("y")
        await wait_for(pilot, lambda: table.row_count == 0)
        await pilot.pause(0.3)
        assert only.name not in str(detail.render())
        assert only.name not in screen_text(app)
