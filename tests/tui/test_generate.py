"""The Generate screen and the pairs browser against the fake OpenAI server on 127.0.0.1:
models from /v1/models, a test on one chunk that stores nothing, a run with live figures,
pause and resume, quitting mid-run, an unreachable server, and review with a/r/e."""

from __future__ import annotations

import socket
from pathlib import Path

from textual.widgets import Select, Static

from loratui.core.generation import config_store
from loratui.core.generation.progress import run_progress
from loratui.core.generation.runner import GenerationRunner
from loratui.core.generation.settings import GenerationSettings
from loratui.core.store.models import (
    GeneratedPair,
    GenerationRequest,
    GenerationRun,
    Job,
)
from loratui.tui.app import LoratuiApp
from loratui.tui.screens.generate import GenerateScreen
from loratui.tui.screens.pairs import PairsScreen
from loratui.tui.widgets.confirm import ConfirmModal
from loratui.tui.widgets.fast_table import FastTable
from loratui.tui.widgets.pair_editor import PairEditor
from loratui.tui.widgets.text_prompt import TextPrompt
from loratui.tui.widgets.text_view import TextView
from tests.export_support import corpus_project
from tests.support.openai_server import OpenAIServer
from tests.tui.conftest import screen_text, wait_for

SIZE = (100, 30)


def _save(project, url: str, **changes: object) -> None:  # noqa: ANN001
    cfg = GenerationSettings(base_url=url, retry_backoff_s=0.05, **changes)  # type: ignore[arg-type]
    config_store.save_settings(project, cfg)


def _text(app, selector: str) -> str:  # noqa: ANN001
    widget = app.screen.query_one(selector)
    if isinstance(widget, TextView):
        return widget.text
    return str(widget.render())


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _open_generate(pilot, app) -> None:  # noqa: ANN001
    await wait_for(pilot, lambda: app.project_id is not None and len(app.screen_stack) == 2)
    await pilot.press("g")
    await wait_for(pilot, lambda: isinstance(app.screen, GenerateScreen))


async def test_models_test_on_one_chunk_and_a_run(home: Path) -> None:
    project = corpus_project("gen", docs=2, pages=2)
    with OpenAIServer({"models": ["test-model", "other-model"]}) as server:
        _save(project, server.url)
        app = LoratuiApp(home=home, project="gen", start_worker=False)
        async with app.run_test(size=SIZE) as pilot:
            await _open_generate(pilot, app)
            select = app.screen.query_one("#gen-model", Select)
            await wait_for(pilot, lambda: "other-model" in _text(app, "#gen-status"))
            assert [v for _, v in select._options if isinstance(v, str)] == [
                "test-model",
                "other-model",
            ]
            assert "GET" in {r.method for r in server.requests}
            select.value = "test-model"

            await pilot.press("ctrl+t")
            await wait_for(pilot, lambda: "── answer:" in _text(app, "#gen-test"))
            shown = _text(app, "#gen-test")
            assert "── request ──" in shown and "[system]" in shown and "[user]" in shown
            assert "3 pairs, 3 kept" in shown and "✓ kept (support" in shown
            assert "nothing is stored" in shown
            assert len(server.chat_requests) == 1
            # nothing written: no run, no ledger row, no pair
            assert GenerationRun.select().count() == 0
            assert GenerationRequest.select().count() == 0
            assert GeneratedPair.select().count() == 0

            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: "run 1: done" in _text(app, "#gen-figures"))
            figures = _text(app, "#gen-figures")
            progress = run_progress(project.id)
            assert progress.state == "done" and progress.done == progress.chunks > 2
            assert f"chunks {progress.chunks}/{progress.chunks} finished" in figures
            assert f"pairs {progress.pairs}: {progress.kept} kept" in figures
            assert "requests" in figures and "tokens in" in figures
            assert "run done" in _text(app, "#gen-status")
            # the form's choice was saved through the core, as `generate --model` saves it
            assert config_store.load_settings(project).model == "test-model"
            # the figures come back from the database when the screen opens again
            await pilot.press("P")
            await wait_for(pilot, lambda: isinstance(app.screen, PairsScreen))
            await pilot.press("g")
            await wait_for(pilot, lambda: "run 1: done" in _text(app, "#gen-figures"))
    assert GeneratedPair.select().count() == progress.pairs


async def test_an_unreachable_server_is_shown_with_the_hint(home: Path) -> None:
    project = corpus_project("down", docs=1, pages=1)
    _save(project, f"http://127.0.0.1:{_closed_port()}/v1")
    app = LoratuiApp(home=home, project="down", start_worker=False)
    async with app.run_test(size=SIZE) as pilot:
        await _open_generate(pilot, app)
        await wait_for(pilot, lambda: "✗" in _text(app, "#gen-status"))
        status = _text(app, "#gen-status")
        assert "127.0.0.1" in status and "/v1" in status
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "✗" in _text(app, "#gen-test"))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.generation is not None and not app.generation.running)
        await wait_for(pilot, lambda: "✗" in _text(app, "#gen-status"))
        assert isinstance(app.screen, GenerateScreen)  # no crash
    assert GenerationRun.select().count() == 0  # the preflight failed: nothing changed


async def test_pause_finishes_the_chunks_in_hand_and_run_resumes(home: Path) -> None:
    project = corpus_project("slow", docs=3, pages=2)
    with OpenAIServer({"default": {"fault": "slow", "delay": 1.0}}) as server:
        _save(project, server.url, concurrency=1)
        app = LoratuiApp(home=home, project="slow", start_worker=False)
        async with app.run_test(size=SIZE) as pilot:
            await _open_generate(pilot, app)
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: run_progress(project.id).done >= 1)
            await pilot.press("ctrl+e")
            await wait_for(pilot, lambda: "paused at" in _text(app, "#gen-status"))
            paused = run_progress(project.id)
            assert paused.state == "stopped" and 0 < paused.done < paused.chunks
            assert paused.failed == 0
            # every chunk asked was finished: none was dropped mid-request
            assert len(server.chat_requests) == paused.done
            assert not Job.select().where(Job.state == "running").exists()
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: "run done" in _text(app, "#gen-status"))
        done = run_progress(project.id)
        assert done.done == done.chunks == paused.chunks
        assert len(server.chat_requests) == done.chunks  # nothing asked twice


async def test_quit_while_generating(home: Path) -> None:
    project = corpus_project("quit", docs=3, pages=2)
    with OpenAIServer({"default": {"fault": "slow", "delay": 2.0}}) as server:
        _save(project, server.url, concurrency=1)
        app = LoratuiApp(home=home, project="quit", start_worker=False)
        async with app.run_test(size=SIZE) as pilot:
            await _open_generate(pilot, app)
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: len(server.chat_requests) >= 1)
            await pilot.press("escape")  # leaving the screen (back to the dashboard) leaves
            await wait_for(pilot, lambda: not isinstance(app.screen, GenerateScreen))  # it going
            await pilot.press("q")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
            assert "Quit while generating?" in screen_text(app)
            assert app.generation is not None and app.generation.running
            await pilot.press("y")
            await wait_for(pilot, lambda: app.generation is None or not app.generation.running)
    run = GenerationRun.get()
    assert run.state == "stopped" and run.finished_at is not None
    assert not Job.select().where(Job.state == "running").exists()
    progress = run_progress(project.id)
    assert progress.done < progress.chunks


async def test_opening_another_project_stops_the_run(home: Path) -> None:
    project = corpus_project("first", docs=3, pages=2)
    other = corpus_project("second", docs=1, pages=1)
    with OpenAIServer({"default": {"fault": "slow", "delay": 2.0}}) as server:
        _save(project, server.url, concurrency=1)
        app = LoratuiApp(home=home, project="first", start_worker=False)
        async with app.run_test(size=SIZE) as pilot:
            await _open_generate(pilot, app)
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: len(server.chat_requests) >= 1)
            app.open_project(other.id)
            await wait_for(pilot, lambda: not app.generation.running)
            await pilot.press("g")
            await wait_for(pilot, lambda: "no run yet" in _text(app, "#gen-figures"))
    run = GenerationRun.get()
    assert run.state == "stopped" and run.project_id == project.id
    assert not Job.select().where(Job.state == "running").exists()


async def test_pairs_browser_filters_and_reviews(home: Path) -> None:
    project = corpus_project("review", docs=2, pages=2)
    with OpenAIServer() as server:
        settings = GenerationSettings(base_url=server.url, retry_backoff_s=0.05)
        await GenerationRunner(project, settings).run()
    total = GeneratedPair.select().count()
    assert total > 6
    app = LoratuiApp(home=home, project="review", start_worker=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.screen_stack) == 2)
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, PairsScreen))
        screen = app.screen
        table = screen.query_one(FastTable)
        await wait_for(pilot, lambda: table.row_count == total)
        await wait_for(pilot, lambda: "source chunk ──\ncharacters" in _text(app, "#pairs-detail"))
        first = screen.current()
        assert first is not None and first.answer in _text(app, "#pairs-detail")

        # a document filter
        docs = [v for _, v in screen.query_one("#pairs-doc", Select)._options if v != Select.NULL]
        assert len(docs) == 2
        screen.query_one("#pairs-doc", Select).value = docs[0]
        n_doc = GeneratedPair.select().where(GeneratedPair.document == docs[0]).count()
        await wait_for(pilot, lambda: table.row_count == n_doc)
        screen.query_one("#pairs-doc", Select).clear()
        await wait_for(pilot, lambda: table.row_count == total)

        # r rejects with a reason, then the rejected filter shows it, a accepts it again
        table.focus()
        pair_id = screen.current().id
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
        await pilot.press("ctrl+a", "ctrl+k", *"too vague", "enter")
        await wait_for(pilot, lambda: GeneratedPair.get_by_id(pair_id).state == "rejected")
        assert GeneratedPair.get_by_id(pair_id).reason == "too vague"
        await pilot.press("t", "t")  # all -> kept -> rejected
        await wait_for(pilot, lambda: screen.state_filter == "rejected")
        rejected = GeneratedPair.select().where(GeneratedPair.state == "rejected").count()
        await wait_for(pilot, lambda: table.row_count == rejected)
        assert pair_id in {r.id for r in screen.rows}
        while screen.current().id != pair_id:
            await pilot.press("down")
        await pilot.press("a")
        await wait_for(pilot, lambda: GeneratedPair.get_by_id(pair_id).state == "kept")
        await wait_for(pilot, lambda: table.row_count == rejected - 1)

        # e edits the pair: it becomes edited, the old words are kept
        await pilot.press("t")  # -> edited (none yet)
        await wait_for(pilot, lambda: screen.state_filter == "edited" and table.row_count == 0)
        await pilot.press("t")  # -> all
        await wait_for(pilot, lambda: screen.state_filter is None and table.row_count == total)
        table.focus()
        target = screen.current()
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, PairEditor))
        app.screen.query_one("#pe-question").load_text("What does the first report say?")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: GeneratedPair.get_by_id(target.id).state == "edited")
        edited = GeneratedPair.get_by_id(target.id)
        assert edited.question == "What does the first report say?"
        assert edited.original_question == target.question and edited.answer == target.answer
        title = screen.query_one("#pairs-title", Static)
        await wait_for(pilot, lambda: "1 edited" in str(title.render()))


def test_news_for_screens_never_bubble_back_to_the_app() -> None:
    """The app forwards these to the screen (and handles some itself): one that bubbled
    would come back to the app and be forwarded again, for ever."""
    from loratui.tui import messages

    forwarded = [
        messages.DocumentsChanged,
        messages.WorkerStatus,
        messages.FileTaken,
        messages.ProjectsChanged,
        messages.WatchNotice,
        messages.GenerationProgress,
        messages.GenerationEnded,
    ]
    assert not [m.__name__ for m in forwarded if m.bubble]


async def test_several_servers_in_the_endpoint_field_run_and_are_saved(home: Path) -> None:
    project = corpus_project("pool", docs=3, pages=2)
    slow = {"default": {"fault": "ok", "delay": 0.05}}
    with OpenAIServer(slow) as a, OpenAIServer(slow) as b:
        _save(project, a.url, extra_base_urls=[b.url], concurrency=1)
        app = LoratuiApp(home=home, project="pool", start_worker=False)
        async with app.run_test(size=SIZE) as pilot:
            await _open_generate(pilot, app)
            await wait_for(pilot, lambda: "serves test-model" in _text(app, "#gen-status"))
            field = app.screen.query_one("#gen-url")
            assert field.value == f"{a.url} {b.url}"  # both servers shown, in order
            assert {r.path for r in b.requests} == {"/v1/models"}  # each server asked
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: "run 1: done" in _text(app, "#gen-figures"))
            assert len(a.chat_requests) >= 1 and len(b.chat_requests) >= 1
            field.value = a.url
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: "settings saved" in _text(app, "#gen-status"))
    saved = config_store.load_settings(project)
    assert saved.base_url == a.url and saved.extra_base_urls == []
    assert GenerationRun.get().endpoint.count("127.0.0.1") == 2
