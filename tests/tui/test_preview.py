"""PreviewScreen: metadata, warnings, paging through a 1,000-page document, failures, unlock."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from loratui.core import audit
from loratui.core.projects import workspace
from loratui.tui.screens.preview import PreviewScreen
from loratui.tui.widgets.text_view import TextView
from tests.tui.screen_host import ScreenHost, make_document, wait_for


def _static(app, selector: str) -> str:  # noqa: ANN001
    return str(app.screen.query_one(selector, Static).render())


async def test_page_through_a_thousand_page_document(home: Path) -> None:
    project = workspace.create_project("big")
    pages = [f"marker {n}\n" + ("lorem ipsum dolor sit amet " * 40) for n in range(1, 1001)]
    doc = make_document(
        project,
        "big.pdf",
        pages,
        warnings=[
            {
                "code": "little_text",
                "level": "warning",
                "message": "page 3 has little text",
                "hint": "check the scan quality",
            }
        ],
    )
    app = ScreenHost(lambda: PreviewScreen(project.id, doc.id))
    async with app.run_test(size=(80, 24)) as pilot:
        view = lambda: app.screen.query_one(TextView)  # noqa: E731
        await wait_for(pilot, lambda: "marker 1\n" in view().text + "\n")
        assert "Page 1 / 1000" in _static(app, "#pv-page")
        meta = _static(app, "#pv-meta")
        assert "pdf" in meta and "1000 pages" in meta and doc.sha256 in meta
        issues = _static(app, "#pv-issues")
        assert "little_text" in issues and "check the scan quality" in issues
        # long pages wrap into rows that fit the 80-column screen
        assert view().row_count > 10
        assert all(len(view().row_text(i)) <= 80 for i in range(view().row_count))

        await pilot.press("right")
        await wait_for(pilot, lambda: view().text.startswith("marker 2\n"))
        assert "Page 2 / 1000" in _static(app, "#pv-page")
        await pilot.press("left")
        await wait_for(pilot, lambda: view().text.startswith("marker 1\n"))

        await pilot.press("g")
        await pilot.press(*"750", "enter")
        await wait_for(pilot, lambda: view().text.startswith("marker 750\n"))
        assert "Page 750 / 1000" in _static(app, "#pv-page")
        assert "marker 750" in view().visible_text()

        await pilot.press("greater_than_sign")
        await wait_for(pilot, lambda: view().text.startswith("marker 1000\n"))
        await pilot.press("less_than_sign")
        await wait_for(pilot, lambda: view().text.startswith("marker 1\n"))
        await pilot.press("greater_than_sign")
        await wait_for(pilot, lambda: view().text.startswith("marker 1000\n"))
        await pilot.press("right")  # past the end stays on the last page
        await pilot.pause()
        assert "Page 1000 / 1000" in _static(app, "#pv-page")


async def test_failed_document_shows_error_hint_and_traceback(home: Path) -> None:
    project = workspace.create_project("broken")
    doc = make_document(
        project,
        "broken.pdf",
        [],
        state="failed",
        error_code="corrupt",
        error_message="the file is damaged and cannot be read",
        hint="open it in its usual program and save it again",
    )
    audit.log_event(
        project,
        "task.failed",
        "broken.pdf failed: corrupt",
        level="error",
        document=doc,
        data={"code": "corrupt", "traceback": 'Traceback (most recent call last):\n  File "x"'},
    )
    app = ScreenHost(lambda: PreviewScreen(project.id, doc.id))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "corrupt" in _static(app, "#pv-issues"))
        issues = _static(app, "#pv-issues")
        assert "damaged" in issues and "save it again" in issues
        view = app.screen.query_one(TextView)
        await wait_for(pilot, lambda: view.text.startswith("Traceback (most recent call last)"))
        # no pages: paging and the password prompt are not offered
        assert app.screen.check_action("page", (1,)) is False
        assert app.screen.check_action("password", ()) is False
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PreviewScreen)


async def test_unlock_an_encrypted_real_pdf(home: Path, real_corpus: Path) -> None:
    import json

    from loratui.core.ingest import add as ingest
    from loratui.core.jobs.worker import Worker
    from loratui.core.store.models import Document

    manifest = json.loads((real_corpus / "manifest.json").read_text())
    entry = next(f for f in manifest["files"] if f.get("encrypted") and f.get("password"))
    project = workspace.create_project("locked")
    [added] = ingest.add_paths(project, [real_corpus / entry["file"]])
    await Worker(project.id, workers=1).run_until_idle()
    doc = Document.get_by_id(added.document_id)
    assert doc.state == "failed" and doc.error_code == "encrypted"

    app = ScreenHost(lambda: PreviewScreen(project.id, doc.id))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "encrypted" in _static(app, "#pv-issues"))
        assert app.screen.check_action("password", ()) is True
        await _wrong_password_is_refused_at_once(app, pilot, doc.id)

        # the right password from the corpus manifest: the text appears
        await pilot.press("p")
        await wait_for(pilot, lambda: app.screen.query_one("#password"))
        await pilot.press(*entry["password"], "enter")
        await wait_for(pilot, lambda: "queued" in _static(app, "#pv-meta"))
        await Worker(project.id, workers=1).run_until_idle()
        view = app.screen.query_one(TextView)
        await wait_for(pilot, lambda: "done" in _static(app, "#pv-meta"), timeout=30)
        await wait_for(pilot, lambda: view.text.strip() != "", timeout=10)
        assert "Page 1 / 1" in _static(app, "#pv-page")
        fresh = Document.get_by_id(doc.id)
        assert fresh.state == "done" and fresh.chars > 0 and fresh.error_code is None
        assert view.text.strip()[:20] in "\n".join(
            p.text for p in fresh.page_rows.order_by(fresh.page_rows.model.number)
        )


async def _wrong_password_is_refused_at_once(app, pilot, doc_id: int) -> None:  # noqa: ANN001
    """The hint names the preview's key, not a command; a wrong password is tried first
    and refused: no "accepted", no "Unlocked" toast, nothing stored or re-queued."""
    from loratui.core.store.models import Document

    issues = _static(app, "#pv-issues")
    assert "press `p` in its preview" in issues and "loratui unlock" not in issues
    await pilot.press("p")
    await wait_for(pilot, lambda: app.screen.query_one("#password"))
    await pilot.press(*"wrong", "enter")
    await wait_for(pilot, lambda: "✗" in _static(app, "#pv-issues"), timeout=30)
    issues = _static(app, "#pv-issues")
    assert "password given for this PDF is wrong" in issues and "✓" not in issues
    assert "loratui unlock" not in issues
    assert "Unlocked" not in [n.title for n in app._notifications]
    fresh = Document.get_by_id(doc_id)
    assert fresh.state == "failed" and fresh.password is None


async def test_unlock_tries_the_password_before_saying_so(home: Path, tmp_path: Path) -> None:
    from loratui.core.ingest import add as ingest
    from loratui.core.jobs.worker import Worker
    from loratui.core.store.models import Document
    from tests.unit.docmakers import make_pdf

    pdf = make_pdf(tmp_path / "locked.pdf", ["The valve log for March."], password="s3cret")
    project = workspace.create_project("locked")
    [added] = ingest.add_paths(project, [pdf])
    await Worker(project.id, workers=1).run_until_idle()
    assert Document.get_by_id(added.document_id).error_code == "encrypted"
    app = ScreenHost(lambda: PreviewScreen(project.id, added.document_id))
    async with app.run_test(size=(100, 24)) as pilot:
        await wait_for(pilot, lambda: "encrypted" in _static(app, "#pv-issues"))
        await _wrong_password_is_refused_at_once(app, pilot, added.document_id)
        await pilot.press("p")
        await wait_for(pilot, lambda: app.screen.query_one("#password"))
        await pilot.press(*"s3cret", "enter")
        await wait_for(pilot, lambda: "✓ the password opens the file" in _static(app, "#pv-issues"))
        assert "Unlocked" in [n.title for n in app._notifications]
        assert Document.get_by_id(added.document_id).state == "queued"


async def test_a_duplicate_points_to_its_original(home: Path) -> None:
    project = workspace.create_project("dups")
    first = make_document(project, "a.pdf", ["the original text"])
    dup = make_document(project, "copy-of-a.pdf", [], state="duplicate", duplicate_of=first)
    app = ScreenHost(lambda: PreviewScreen(project.id, dup.id))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "duplicate" in _static(app, "#pv-issues"))
        assert f"#{first.id} a.pdf" in _static(app, "#pv-issues")
        assert "duplicate of" in app.screen.query_one(TextView).text
        await pilot.press("o")
        await wait_for(pilot, lambda: app.screen.document_id == first.id)
        view = app.screen.query_one(TextView)
        await wait_for(pilot, lambda: view.text == "the original text")


def test_page_slice_reads_only_the_part_asked_for(home: Path) -> None:
    from loratui.core.projects.documents import page_slice

    project = workspace.create_project("slices")
    text = "".join(f"line {n:06d}\n" for n in range(30_000))  # 360,000 characters
    doc = make_document(project, "big.txt", [text], kind="text")
    first = page_slice(doc.id, 1, 0, size=100_000)
    assert (first.part, first.parts) == (0, 4) and first.text == text[:100_000]
    last = page_slice(doc.id, 1, 3, size=100_000)
    assert last.text == text[300_000:]
    assert page_slice(doc.id, 1, 99, size=100_000).part == 3  # clamped
    assert page_slice(doc.id, 2) is None
    # a character cut at a slice's edge belongs whole to the part before
    wide = "é" * 150_000  # two bytes each: 300,000 bytes
    other = make_document(project, "wide.txt", [wide], kind="text")
    pieces = [page_slice(other.id, 1, n, size=100_001) for n in range(3)]
    assert {p.parts for p in pieces} == {3}
    assert "".join(p.text for p in pieces) == wide


async def test_a_huge_one_page_text_is_shown_a_slice_at_a_time(home: Path) -> None:
    """A 300 MB one-page text took 8 s and 2.2 GB to preview: the whole page was read and
    drawn. The preview holds one slice and pages through the parts (issue 13 item 14)."""
    from loratui.core.projects.documents import SLICE_BYTES

    project = workspace.create_project("huge")
    text = "".join(f"record {n:07d} of the long log\n" for n in range(12_000))  # ~384k chars
    doc = make_document(project, "log.txt", [text], kind="text")
    parts = -(-len(text) // SLICE_BYTES)
    app = ScreenHost(lambda: PreviewScreen(project.id, doc.id))
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.screen.query_one(TextView)
        await wait_for(pilot, lambda: f"part 1 / {parts}" in _static(app, "#pv-page"))
        assert view.text == text[:SLICE_BYTES]
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: f"part 2 / {parts}" in _static(app, "#pv-page"))
        assert view.text == text[SLICE_BYTES : 2 * SLICE_BYTES]
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: f"part 1 / {parts}" in _static(app, "#pv-page"))
