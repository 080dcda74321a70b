"""`loratui demo` builds the demo project from the shipped samples; NO_COLOR is respected."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from loratui.core.projects.demo import sample_files
from loratui.tui.app import LoratuiApp
from tests.tui.conftest import screen_text, wait_for


def test_samples_are_small_real_documents() -> None:
    files = sample_files()
    kinds = {f.suffix for f in files}
    assert {".pdf", ".docx", ".md", ".txt"} <= kinds
    assert all(f.stat().st_size < 30_000 for f in files)
    assert all(
        f.read_bytes()[:4] in (b"%PDF", b"PK\x03\x04")
        for f in files
        if f.suffix != ".md" and f.suffix != ".txt"
    )


def test_demo_creates_then_reuses_the_project(cli) -> None:
    first = cli.json("demo", "--no-open")
    assert first["project"]["name"] == "demo"
    states = [r["state"] for r in first["added"]]
    assert states.count("queued") == len(sample_files())
    again = cli.json("demo", "--no-open")
    assert {r["state"] for r in again["added"]} == {"duplicate"}
    assert again["project"]["id"] == first["project"]["id"]
    projects = cli.json("projects")
    assert [p["name"] for p in projects] == ["demo"]


async def test_no_color_gives_a_monochrome_app(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = LoratuiApp(home=home, start_worker=False)
    assert app.no_color
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        assert "No projects yet" in screen_text(app)
        svg = app.export_screenshot()
    colours = {c.lower() for c in re.findall(r"fill: (#[0-9a-fA-F]{6})", svg)}
    greys = {c for c in colours if c[1:3] == c[3:5] == c[5:7]}
    svg_default_text = {"#c5c8c6"}  # the SVG exporter's own default foreground
    assert colours - greys <= svg_default_text, sorted(colours - greys)


async def test_the_demo_password_is_on_the_dashboard(home: Path) -> None:
    """`loratui demo` printed the password on the terminal the app then covered; the
    dashboard says it while the locked sample waits for it (issue 13 item 13)."""
    from loratui.core.projects import demo
    from loratui.core.store.models import Document

    project, _ = demo.create_demo()
    locked = Document.get(Document.name == demo.LOCKED_SAMPLE)
    # what the worker leaves for the encrypted sample
    Document.update(state="failed", error_code="encrypted").where(
        Document.id == locked.id
    ).execute()
    app = LoratuiApp(home=home, start_worker=False, project="demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        await wait_for(pilot, lambda: "password is" in screen_text(app))
        assert "'demo'" in screen_text(app)  # (the note may wrap before the password)
        assert demo.LOCKED_SAMPLE in screen_text(app)
        # unlocked (queued again): the note goes
        Document.update(state="queued", error_code=None).where(Document.id == locked.id).execute()
        await wait_for(pilot, lambda: "password is" not in " ".join(screen_text(app).split()))
    assert demo.password_note(project.id) is None


async def test_an_empty_project_name_says_why_nothing_happened(home: Path) -> None:
    app = LoratuiApp(home=home, start_worker=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("n")
        await pilot.pause(0.3)
        error = app.screen.query_one("#name-error")
        assert str(error.render()).strip() == ""  # nothing typed yet: no scolding
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert "name" in str(error.render()).lower()
        assert " ".join(str(error.render()).split()) in " ".join(screen_text(app).split())
