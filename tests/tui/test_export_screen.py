"""ExportScreen: fill the form, see inline validation and the live sample, save, run."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from textual.widgets import Input, Select, Static, TextArea

from loratui.core.export import config as cfgmod
from loratui.core.projects import workspace
from loratui.core.store import folders
from loratui.core.store.models import DatasetVersion, Event
from loratui.tui.screens.export import ExportScreen
from loratui.tui.screens.versions import VersionsScreen
from loratui.tui.widgets.config_form import ConfigForm, all_specs
from loratui.tui.widgets.text_view import TextView
from tests.export_support import paragraph
from tests.tui.conftest import screen_text
from tests.tui.screen_host import ScreenHost, make_document, wait_for

PARAGRAPH = (
    "The harbour master kept a ledger of every ship that entered the bay. "
    "Each entry listed the vessel, its cargo and the weather at dawn. "
)


def _docs(project) -> None:  # noqa: ANN001
    for n in range(3):
        pages = [f"Chapter {n}.{p}\n\n" + PARAGRAPH * 12 for p in range(1, 4)]
        make_document(project, f"ledger-{n}.pdf", pages)


def _summary(app) -> str:  # noqa: ANN001
    return str(app.screen.query_one("#ex-summary", Static).render())


def test_the_form_covers_every_export_setting() -> None:
    names = {s.name for s in all_specs()}
    assert names == set(cfgmod.ExportConfig().to_dict())
    assert not [s for s in all_specs() if s.group == "Other"]


async def test_fill_the_form_and_run_an_export(home: Path, tmp_path: Path) -> None:
    project = workspace.create_project("ledgers")
    _docs(project)
    app = ScreenHost(lambda: ExportScreen(project.id))
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.screen.query_one(ConfigForm)
        await wait_for(pilot, lambda: "estimate" in _summary(app), timeout=30)
        assert "3 documents" in _summary(app)
        sample = app.screen.query_one("#ex-sample", TextView)
        first = json.loads(sample.text.split("\n\n")[0])
        assert list(first) == ["text"] and "harbour master" in first["text"]

        # an invalid value is reported inline under its field and blocks saving
        chunk = app.screen.query_one("#f-chunk_tokens", Input)
        chunk.focus()
        chunk.value = "8"
        await wait_for(pilot, lambda: "chunk_tokens" in _summary(app))
        err = app.screen.query_one("#err-chunk_tokens", Static)
        assert "at least 16" in str(err.render()) and err.has_class("-shown")
        help_line = str(app.screen.query_one("#ex-help", Static).render())
        assert help_line.startswith("chunk_tokens")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert cfgmod.load_config(project).chunk_tokens == 512  # nothing saved

        # fix it by typing, switch to alpaca with the keyboard, add a system prompt
        await pilot.press("ctrl+a", "ctrl+k", *"128")
        fmt_select = app.screen.query_one("#f-format", Select)
        fmt_select.focus()
        await pilot.press("enter")
        await pilot.press("down", "down", "down", "down", "enter")
        await wait_for(pilot, lambda: fmt_select.value == "alpaca")
        app.screen.query_one("#f-system_prompt").load_text("You are a harbour clerk.")
        app.screen.query_one("#f-validation_fraction", Input).value = "0"
        await wait_for(pilot, lambda: "estimate" in _summary(app) and not form.config()[1])
        await wait_for(pilot, lambda: '"instruction"' in sample.text and "clerk" in sample.text)
        rec = json.loads(sample.text.split("\n\n")[0])
        assert set(rec) >= {"instruction", "input", "output", "system"}
        assert rec["system"] == "You are a harbour clerk."

        # save to the project, write and read back a TOML file
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: cfgmod.load_config(project).format == "alpaca")
        saved = cfgmod.load_config(project)
        assert saved.chunk_tokens == 128 and saved.system_prompt == "You are a harbour clerk."
        toml_path = tmp_path / "cfg.toml"
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: app.screen.query_one("#text", Input))
        prompt = app.screen.query_one("#text", Input)
        prompt.value = str(toml_path)
        await pilot.press("enter")
        await wait_for(pilot, lambda: toml_path.exists())
        assert cfgmod.read_toml(toml_path).format == "alpaca"
        toml_path.write_text(toml_path.read_text().replace("seed = 42", "seed = 7"))
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: app.screen.query_one("#text", Input))
        app.screen.query_one("#text", Input).value = str(toml_path)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query_one("#f-seed", Input).value == "7")

        # run the export: progress, then the version, then Versions
        await pilot.press("ctrl+r")
        await wait_for(
            pilot,
            lambda: "v1" in str(app.screen.query_one("#ex-result-text", Static).render()),
            timeout=60,
        )
        dv = DatasetVersion.get(DatasetVersion.project == project)
        assert dv.number == 1 and dv.config["format"] == "alpaca" and dv.config["seed"] == 7
        lines = (Path(dv.path) / "train.jsonl").read_text().splitlines()
        assert len(lines) == dv.records_train > 0
        assert json.loads(lines[0])["system"] == "You are a harbour clerk."
        result = str(app.screen.query_one("#ex-result-text", Static).render())
        assert f"{dv.records_train} train" in result
        await pilot.press("enter")  # the Versions button has focus
        await wait_for(pilot, lambda: isinstance(app.screen, VersionsScreen))


async def test_an_export_that_cannot_run_says_why(home: Path) -> None:
    project = workspace.create_project("nothing")
    app = ScreenHost(lambda: ExportScreen(project.id))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "estimate" in _summary(app), timeout=30)
        assert "0 documents" in _summary(app)
        assert "no records" in app.screen.query_one("#ex-sample", TextView).text
        await pilot.press("ctrl+r")
        result = app.screen.query_one("#ex-result-text", Static)
        await wait_for(pilot, lambda: "export failed" in str(result.render()), timeout=30)
        assert not app.screen.running
        assert DatasetVersion.select().where(DatasetVersion.project == project).count() == 0


async def test_unsaved_changes_are_kept_as_a_draft_across_a_restart(home: Path) -> None:
    """Leaving the form (or quitting) never drops what was typed: the form opens with it,
    marked unsaved, from a draft in the project folder; saving removes the draft."""
    from loratui.core.store import drafts

    project = workspace.create_project("careful")
    app = ScreenHost(lambda: ExportScreen(project.id))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.saved is not None)
        await pilot.press("escape")  # nothing changed: leaves, no draft
        await wait_for(pilot, lambda: not isinstance(app.screen, ExportScreen))
        assert not drafts.draft_path(project, "export").exists()

        app.push_screen(ExportScreen(project.id))
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen) and app.screen.saved)
        app.screen.query_one("#f-seed", Input).value = "99"
        app.screen.query_one("#f-chunk_tokens", Input).value = "lots"  # not valid yet: kept too
        await pilot.pause()
        await pilot.press("escape")  # leaves at once (before the debounce): the draft is kept
        await wait_for(pilot, lambda: not isinstance(app.screen, ExportScreen))
        assert drafts.load_draft(project, "export") == {"seed": "99", "chunk_tokens": "lots"}

    # a new app (a restart): the form shows the draft, marked unsaved; nothing was saved
    assert cfgmod.load_config(project).seed != 99
    # the CLI saved another field meanwhile: the draft holds only the edits, so it stays
    cfgmod.save_config(project, cfgmod.ExportConfig(min_chars=77))
    app = ScreenHost(lambda: ExportScreen(project.id))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.saved is not None and screen.unsaved)
        assert screen.query_one("#f-seed", Input).value == "99"
        assert screen.query_one("#f-chunk_tokens", Input).value == "lots"
        assert "unsaved changes" in screen_text(app)
        await pilot.press("ctrl+s")  # refused: chunk_tokens is not a number; the draft stays
        await pilot.pause(0.3)
        assert drafts.load_draft(project, "export") is not None
        screen.query_one("#f-chunk_tokens", Input).value = "256"
        await wait_for(pilot, lambda: not screen.form.config()[1])
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not screen.unsaved)
        assert "unsaved changes" not in screen_text(app)
        assert not drafts.draft_path(project, "export").exists()
        saved = cfgmod.load_config(project)
        assert (saved.seed, saved.chunk_tokens, saved.min_chars) == (99, 256, 77)

        # discarding puts the saved configuration back and forgets the draft
        screen.query_one("#f-seed", Input).value = "7"
        await wait_for(
            pilot, lambda: screen.unsaved and drafts.draft_path(project, "export").exists()
        )
        screen.action_discard()
        await pilot.pause(0.6)
        assert screen.query_one("#f-seed", Input).value == "99"
        assert not screen.unsaved and not drafts.draft_path(project, "export").exists()


async def test_cancel_a_running_export(home: Path) -> None:
    project = workspace.create_project("long")
    for n in range(20):
        pages = [f"Volume {n} part {p}. " + PARAGRAPH * 6 + f"Unique line {n}-{p}." for p in (1, 2)]
        make_document(project, f"volume-{n}.pdf", pages)
    app = ScreenHost(lambda: ExportScreen(project.id))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "estimate" in _summary(app), timeout=30)
        screen = app.screen
        assert screen.check_action("cancel_export", ()) is False  # ctrl+e only while running
        # start and cancel in the same tick (a small export finishes faster than a key press)
        screen.action_run()
        assert screen.running and screen.check_action("cancel_export", ()) is True
        screen.action_cancel_export()
        result = screen.query_one("#ex-result-text", Static)
        await wait_for(pilot, lambda: not screen.running, timeout=60)
        assert "cancelled" in str(result.render())
        assert DatasetVersion.select().where(DatasetVersion.project == project).count() == 0
        assert not [p for p in folders.exports_dir(project).iterdir() if p.name.startswith("v")]
        assert Event.get_or_none(Event.kind == "export.cancelled") is not None
        # the next export runs to the end
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "✓ v1" in str(result.render()), timeout=60)
        # the share the split reached, under the counts
        assert "(target 10%), whole documents" in str(result.render())


async def test_an_export_that_would_repeat_a_version_asks_first(home: Path) -> None:
    from loratui.core.export.version import run_export
    from loratui.tui.widgets.confirm import ConfirmModal

    project = workspace.create_project("again")
    _docs(project)
    run_export(project, cfgmod.load_config(project))
    app = ScreenHost(lambda: ExportScreen(project.id))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "estimate" in _summary(app), timeout=30)
        screen = app.screen
        result = screen.query_one("#ex-result-text", Static)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert "v1 was made from the same documents" in screen_text(app)
        await pilot.press("n")  # keep v1
        await wait_for(pilot, lambda: "v1 kept" in str(result.render()), timeout=30)
        assert DatasetVersion.select().where(DatasetVersion.project == project).count() == 1
        assert Event.get(Event.kind == "export.reused").data["version"] == 1
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")  # write anyway
        await wait_for(pilot, lambda: "✓ v2" in str(result.render()), timeout=60)
        done = list(Event.select().where(Event.kind == "export.done").order_by(Event.id))[-1]
        assert done.data["version"] == 2 and done.data["identical_to"] == 1


async def test_the_estimate_follows_the_format_and_warns_before_running(home: Path) -> None:
    project = workspace.create_project("memos")
    rng = random.Random(2)
    for n in range(4):  # one chunk each
        make_document(project, f"memo-{n}.pdf", [paragraph(rng, 4)])
    cfgmod.save_config(project, cfgmod.ExportConfig(format="sharegpt", first_user_template=""))
    app = ScreenHost(lambda: ExportScreen(project.id))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "estimate" in _summary(app), timeout=30)
        assert "0 records" in _summary(app)
        assert "! no records would be written: no_previous 4: a document's first chunk" in (
            _summary(app)
        )
        assert "! no records would be written" in screen_text(app)  # in words, not colour
        fmt_select = app.screen.query_one("#f-format", Select)
        fmt_select.value = "text"  # a text export has no template: every chunk is a record
        await wait_for(pilot, lambda: "4 records" in _summary(app), timeout=30)
        assert "no records would be written" not in _summary(app)
        fmt_select.value = "sharegpt"  # back: the first chunks are dropped again
        await wait_for(pilot, lambda: "0 records" in _summary(app), timeout=30)
        # the template, as typed: a first-chunk template keeps every first chunk
        first = app.screen.query_one("#f-first_user_template", TextArea)
        first.focus()
        await pilot.press(*"Open {title}.")
        await wait_for(pilot, lambda: "4 records" in _summary(app), timeout=30)
        assert "dropped" not in _summary(app) and "no records" not in _summary(app)
        first.load_text("")
        await wait_for(pilot, lambda: "0 records" in _summary(app), timeout=30)
        # a user template without {previous} needs no previous chunk either
        user = app.screen.query_one("#f-user_template", TextArea)
        user.load_text("Tell me about {title}.")
        await wait_for(pilot, lambda: "4 records" in _summary(app), timeout=30)
        assert "dropped" not in _summary(app) and "no records" not in _summary(app)


async def test_the_form_warns_when_most_chunks_would_be_dropped(home: Path) -> None:
    """Not all, most: three one-chunk memos and a longer report, whose first chunk alone
    is dropped; the warning says how many and why before anything runs."""
    project = workspace.create_project("mixed")
    rng = random.Random(5)
    for n in range(3):
        make_document(project, f"memo-{n}.pdf", [paragraph(rng, 4)])
    make_document(project, "report.pdf", ["\n\n".join(paragraph(rng, 6) for _ in range(5))])
    cfgmod.save_config(project, cfgmod.ExportConfig(format="messages", first_user_template=""))
    app = ScreenHost(lambda: ExportScreen(project.id))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "estimate" in _summary(app), timeout=30)
        est = app.screen.estimate
        assert est["dropped"]["no_previous"] == 4 and 0 < est["records"] < 4
        assert f"! most chunks and rows would be dropped (4 of {est['records'] + 4}): " in (
            _summary(app)
        )
        assert "no_previous 4: a document's first chunk has no {previous}" in _summary(app)


async def test_checkboxes_read_ticked_or_not_without_colour(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redaction looked on while the saved configuration had it off: every box drew an X
    and only its colour told. With NO_COLOR the screen must say which are ticked."""
    from loratui.tui.widgets.tick_box import TickBox

    monkeypatch.setenv("NO_COLOR", "1")
    project = workspace.create_project("private")
    _docs(project)
    cfgmod.save_config(project, cfgmod.ExportConfig(redact=["email"], dedup_near=False))
    app = ScreenHost(lambda: ExportScreen(project.id))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.saved is not None)
        await pilot.pause()
        box = app.screen.query_one("#f-redact-email", TickBox)
        box.scroll_visible(animate=False)
        await pilot.pause()
        text = screen_text(app)
        assert "[x] email" in text and "[ ] phone" in text and "[ ] ip" in text
        near = app.screen.query_one("#f-dedup_near", TickBox)
        near.scroll_visible(animate=False)
        await pilot.pause()
        row = next(line for line in screen_text(app).splitlines() if "Near-duplicate" in line)
        assert "[ ]" in row and "[x]" not in row  # saved off, shown off
        box.focus()
        await pilot.press("space")
        box.scroll_visible(animate=False)
        await pilot.pause()
        assert box.value is False and "[ ] email" in screen_text(app)
        assert app.screen.query_one(ConfigForm).config()[0].redact == []


async def test_the_draft_is_kept_when_another_section_replaces_the_form(home: Path) -> None:
    """A section key (or the palette) closes the form without its Escape: what was typed a
    moment before, before the debounce ran, is kept too."""
    from loratui.core.store import drafts
    from loratui.tui.app import LoratuiApp
    from loratui.tui.screens.dashboard import DashboardScreen

    project = workspace.create_project("quick")
    app = LoratuiApp(home=home, project=project.id, start_worker=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen) and app.screen.saved)
        app.screen.query_one("#f-seed", Input).value = "99"
        app.action_section("dashboard")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert drafts.load_draft(project, "export")["seed"] == "99"
        await pilot.press("e")  # back: the form shows it, marked unsaved
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen) and app.screen.unsaved)
        assert app.screen.query_one("#f-seed", Input).value == "99"


async def test_the_progress_text_stands_apart_from_the_percentage(home: Path) -> None:
    """It read `17%0065-approach…` (issue 13 item 12)."""
    from tests.tui.conftest import screen_text

    project = workspace.create_project("apart")
    app = ScreenHost(lambda: ExportScreen(project.id))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.query_one("#ex-run"))
        app.screen.query_one("#ex-run").add_class("-shown")
        app.screen.post_message(ExportScreen.Progress(17, 100, "0065-approach.pdf"))
        await wait_for(pilot, lambda: "0065-approach.pdf" in screen_text(app))
        line = next(x for x in screen_text(app).splitlines() if "0065-approach.pdf" in x)
        assert "17%  0065-approach.pdf" in line or "17%   0065-approach.pdf" in line, line
