"""Pilot tests of what a user does in the TUI, with the real worker and real processes:
create a project, add files, watch them process to done, filter, retry a failed file,
quit while processing. Assertions are on the screen and on the database."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, DataTable

from loratui.core.projects import workspace
from loratui.core.projects.documents import page_texts
from loratui.core.store import folders
from loratui.core.store.models import Document, Event, Job, Project
from loratui.tui.app import LoratuiApp
from loratui.tui.messages import FileTaken
from loratui.tui.screens.queue import QueueScreen
from loratui.tui.widgets.confirm import ConfirmModal
from tests.tui.conftest import make_docx, manual_pages, screen_text, wait_for
from tests.unit.docmakers import make_pdf

SIZE = (100, 30)


def finished(project_id: int) -> bool:
    docs = list(Document.select().where(Document.project == project_id))
    return bool(docs) and all(d.state in ("done", "failed") for d in docs)


async def test_create_rename_filter_delete_projects(home: Path, tmp_path: Path) -> None:
    app = LoratuiApp(home=home, start_worker=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "No projects yet" in screen_text(app))
        await pilot.press("n")
        await pilot.press(*"bad/name")
        await wait_for(pilot, lambda: "is not a valid project name" in screen_text(app))
        assert app.screen.query_one("#ok", Button).disabled
        for _ in "bad/name":
            await pilot.press("backspace")
        await pilot.press(*"manuals", "tab")
        drop = tmp_path / "incoming"
        await pilot.press(*str(drop))
        await pilot.pause(0.2)
        assert not app.screen.query_one("#ok", Button).disabled
        await pilot.press("enter")
        await wait_for(pilot, lambda: Project.get_or_none(Project.name == "manuals") is not None)
        created = Project.get(Project.name == "manuals")
        assert created.drop_folder == str(drop.resolve())
        assert drop.is_dir()

        workspace.create_project("reports")
        app.screen.load()
        await wait_for(pilot, lambda: "reports" in screen_text(app))
        await pilot.press("slash", *"man")
        await wait_for(pilot, lambda: "reports" not in screen_text(app))
        assert "manuals" in screen_text(app)
        await pilot.press("escape")  # clears the filter
        await wait_for(pilot, lambda: "reports" in screen_text(app))

        table = app.screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index(str(Project.get(Project.name == "reports").id)))
        await pilot.press("r")
        for _ in "reports":
            await pilot.press("backspace")
        await pilot.press(*"quarterly reports", "enter")
        await wait_for(pilot, lambda: Project.get_or_none(Project.name == "quarterly reports"))

        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await wait_for(pilot, lambda: "Delete project" in screen_text(app))
        text = screen_text(app)
        assert "Delete project 'quarterly reports'" in text
        assert "0 documents" in text
        await pilot.press("y")
        await wait_for(pilot, lambda: not Project.get_or_none(Project.name == "quarterly reports"))
        assert Project.get_or_none(Project.name == "manuals") is not None
        deleted = Event.get(Event.kind == "project.deleted")
        assert deleted.origin == "tui" and deleted.data["name"] == "quarterly reports"
        created_ev = Event.get((Event.kind == "project.created") & (Event.project_id == created.id))
        assert created_ev.origin == "tui"


async def test_add_files_watch_them_process_and_filter(home: Path, tmp_path: Path) -> None:
    src = tmp_path / "docs"
    src.mkdir()
    make_pdf(src / "field-manual.pdf", manual_pages(6))
    make_docx(src / "handover.docx")
    (src / "notes.txt").write_text("Valve C-4 replaced on Monday.\nNo leaks since.\n")
    (src / ".hidden.txt").write_text("skip me")
    project = workspace.create_project("plant")

    app = LoratuiApp(home=home, workers=2)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        await pilot.press("enter")  # open the only project
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DashboardScreen")
        await wait_for(pilot, lambda: app.worker_state in ("idle", "running"))
        await pilot.press("a")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "AddFilesScreen")
        app.screen.query_one("#add-path").focus()
        await pilot.press(*str(src), "enter")
        await wait_for(pilot, lambda: "3 queued" in screen_text(app))
        assert "1 skipped" in screen_text(app)
        added = {d.name: d for d in Document.select().where(Document.project == project)}
        assert set(added) == {"field-manual.pdf", "handover.docx", "notes.txt"}
        assert all(d.origin == "tui" for d in added.values())

        await pilot.press("escape", "f")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen))
        await wait_for(pilot, lambda: finished(project.id), timeout=120)
        await wait_for(pilot, lambda: screen_text(app).count(" done ") >= 3)
        text = screen_text(app)
        assert "field-manual.pdf" in text and "6/6" in text
        pdf = Document.get(Document.name == "field-manual.pdf")
        assert pdf.state == "done" and pdf.pages == 6
        assert "Page 6 of the field manual" in page_texts(pdf)[5]
        assert "Valve C-4 replaced" in page_texts(Document.get(Document.name == "notes.txt"))[0]

        await pilot.press("slash", *"notes", "enter")
        await wait_for(pilot, lambda: "field-manual" not in screen_text(app))
        assert "notes.txt" in screen_text(app)
        assert app.screen.query_one(DataTable).row_count == 1
        await pilot.press("escape")  # clears the filter
        await wait_for(pilot, lambda: app.screen.query_one(DataTable).row_count == 3)


async def test_retry_failed_and_cancelled_files(home: Path, tmp_path: Path) -> None:
    locked = make_pdf(tmp_path / "locked.pdf", manual_pages(2), password="pw")
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nThe demo should show a retry.\n")
    project = workspace.create_project("retry")
    from loratui.core.ingest import add as ingest
    from loratui.core.jobs import control as queue_control

    ingest.add_paths(project, [locked, notes])
    queue_control.cancel(project, [Document.get(Document.name == "notes.md").id])

    app = LoratuiApp(home=home, workers=1, project="retry")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: Document.get(Document.name == "locked.pdf").state == "failed")
        # the dashboard lists failures by code; enter on one shows those files
        await wait_for(pilot, lambda: "encrypted" in screen_text(app))
        app.screen.query_one("#problems").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen))
        await wait_for(pilot, lambda: "encrypted: the PDF is encrypted" in screen_text(app))
        assert app.screen.query_one(DataTable).row_count == 1
        assert "state: failed" in screen_text(app) and "code: encrypted" in screen_text(app)
        assert "notes.md" not in screen_text(app)
        await pilot.press("r")
        await wait_for(
            pilot, lambda: Event.get_or_none(Event.kind == "document.retried") is not None
        )
        retried = Event.get(Event.kind == "document.retried")
        assert retried.origin == "tui" and retried.data["previous_state"] == "failed"
        # the password is still missing, so it fails again, with the same clear reason
        await wait_for(
            pilot,
            lambda: Event.select().where(Event.kind == "document.failed").count() == 2,
            timeout=60,
        )
        assert Document.get(Document.name == "locked.pdf").error_code == "encrypted"

        await pilot.press("escape")  # clear the filter: the cancelled file shows again
        await wait_for(pilot, lambda: "cancelled" in screen_text(app))
        table = app.screen.query_one(DataTable)
        notes_id = Document.get(Document.name == "notes.md").id
        table.move_cursor(row=table.get_row_index(str(notes_id)))
        await pilot.press("r")
        await wait_for(pilot, lambda: Document.get(Document.name == "notes.md").state == "done")
        await wait_for(pilot, lambda: "done" in screen_text(app))


async def test_quit_while_processing_asks_and_releases_jobs(home: Path, tmp_path: Path) -> None:
    from pypdf import PdfWriter

    # 3,000 pages (~3 s to extract): still in progress when the quit is confirmed, even
    # on a fast machine (300 pages once finished before the modal had drawn)
    part = make_pdf(tmp_path / "part.pdf", manual_pages(30))
    writer = PdfWriter()
    for _ in range(100):
        writer.append(str(part))
    big = tmp_path / "big.pdf"
    writer.write(str(big))
    project = workspace.create_project("big")
    workspace.update_settings(project, {"pdf_pages_per_task": 2})
    from loratui.core.ingest import add as ingest

    ingest.add_paths(project, [big])
    app = LoratuiApp(home=home, workers=1, project="big")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: Document.get(Document.name == "big.pdf").pages_done > 0)
        # simulate_key, not pilot.press: press() returns only once every widget's queue is
        # empty, which during processing is when the document is done (~1 s for 300 pages)
        app.simulate_key("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), step=0.05)
        # the modal is on the stack a moment before its first layout (CI read an empty screen)
        await wait_for(pilot, lambda: "Quit while processing?" in screen_text(app), step=0.05)
        app.simulate_key("y")
        await wait_for(pilot, lambda: app.return_value == 0, timeout=60)
    doc = Document.get(Document.name == "big.pdf")
    assert doc.state == "queued", "the document in progress goes back to the queue"
    assert 0 < doc.pages_done < 3000
    job = Job.get(Job.document == doc)
    assert job.state == "queued" and job.lease_owner is None


async def test_drop_folder_file_is_taken_while_the_app_runs(home: Path, tmp_path: Path) -> None:
    project = workspace.create_project("inbox")
    workspace.update_settings(project, {"watch_settle_s": 0.3})
    app = LoratuiApp(home=home, workers=1, project="inbox")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.watcher_status().get("mode") in ("watching", "polling"))
        drop = folders.drop_dir(project)
        (drop / "arrived.txt").write_text("A file copied in with scp.\n")
        await wait_for(pilot, lambda: "last taken arrived.txt" in screen_text(app), timeout=60)
        await wait_for(pilot, lambda: "done 1" in screen_text(app), timeout=60)
        doc = Document.get(Document.name == "arrived.txt")
        assert doc.origin == "drop" and doc.state == "done"
        await pilot.press("f")  # the app still answers keys
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen))


async def test_news_from_the_watcher_after_the_last_screen_closed_is_dropped(home: Path) -> None:
    """The watcher posts from its thread; on quit a message can arrive after the screens are gone
    (CI once failed with ScreenStackError in on_file_taken)."""
    workspace.create_project("inbox")
    app = LoratuiApp(home=home, start_worker=False, project="inbox")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DashboardScreen")
    assert not app.screen_stack
    app.on_file_taken(FileTaken("late.txt"))
    app._dirty_all = True
    app._flush_updates()
    assert not app._dirty_all  # the flush ran to its end


async def test_opening_a_project_clears_an_export_killed_with_the_app(home: Path) -> None:
    """An export killed with the app (a dropped SSH session) left its temporary folder and a
    running job; opening the project clears both and says so in the audit trail."""
    import socket
    import subprocess
    import sys

    from loratui.core.store.models import JOB_RUNNING

    project = workspace.create_project("resumed")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that no longer runs
    Job.create(
        project=project,
        kind="export",
        state=JOB_RUNNING,
        lease_owner=f"{socket.gethostname()}:{gone.pid}:export",
    )
    leftover = folders.exports_dir(project) / f".tmp-export-{gone.pid}-1"
    leftover.mkdir(parents=True)
    (leftover / "train.jsonl").write_text('{"text": "half"}\n')
    app = LoratuiApp(home=home, workers=1, project="resumed")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: not leftover.exists(), timeout=30)
        await wait_for(
            pilot, lambda: Event.select().where(Event.kind == "export.interrupted").exists()
        )
    assert Job.get(Job.kind == "export").state == "failed"


async def test_a_damaged_database_is_reported_not_an_empty_list(home: Path) -> None:
    """The projects list loads in a thread; its failure used to be silent (no projects)."""
    from loratui.core.store import db
    from tests.conftest import damage_database

    workspace.create_project("kept")
    db.close()
    damage_database(home, table="project")
    app = LoratuiApp(home=home, start_worker=False)
    async with app.run_test(size=SIZE) as pilot:
        # the notification (screen_text renders the screen's own layers, not the toasts)
        notes = lambda: [n.message for n in app._notifications]  # noqa: E731
        await wait_for(pilot, lambda: any("damaged or unreadable" in m for m in notes()))
        assert any("restore your projects from their archives" in m for m in notes())


async def test_log_panel_follows_the_project_screens(home: Path) -> None:
    workspace.create_project("logged")
    app = LoratuiApp(home=home, start_worker=False, project="logged")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DashboardScreen")
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: bool(app.screen.query(".log-panel")))
        await wait_for(pilot, lambda: "project.created" in screen_text(app))
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen))
        await wait_for(pilot, lambda: bool(app.screen.query(".log-panel")))
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: not app.screen.query(".log-panel"))
        assert not app.log_panel_open
