"""What the TUI's generation screens stand on, against the fake server on 127.0.0.1: a test
on one chunk that stores nothing, the model list, a pause that lets the chunks in hand
finish, and the pairs browser's reads (documents with pairs, a pair's source chunk)."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest

from loratui.core.errors import LoratuiError
from loratui.core.export import config as export_config
from loratui.core.generation import browse, trial
from loratui.core.generation.failures import GenerationError
from loratui.core.generation.progress import run_progress
from loratui.core.generation.runner import GenerationRunner
from loratui.core.generation.settings import GenerationSettings
from loratui.core.projects import workspace
from loratui.core.store.models import (
    Event,
    GeneratedPair,
    GenerationAttempt,
    GenerationRequest,
    GenerationRun,
    Job,
)
from tests.export_support import add_doc, corpus_project
from tests.support.openai_server import OpenAIServer


def settings(url: str, **changes: object) -> GenerationSettings:
    return GenerationSettings(base_url=url, retry_backoff_s=0.05, **changes)  # type: ignore[arg-type]


def test_a_trial_asks_once_gates_the_pairs_and_stores_nothing(home: Path) -> None:
    project = workspace.create_project("t")
    add_doc(project, "pump.pdf", ["The pump runs at 40 litres a minute. It needs oil weekly."])
    answer = {
        "pairs": [
            {"question": "How fast does the pump run?", "answer": "40 litres a minute."},
            {"question": "What does this text say?", "answer": "It needs oil weekly."},
            {"question": "Who built the pump?", "answer": "Engineers from Mars built it."},
        ]
    }
    events = Event.select().count()
    with OpenAIServer({"default": {"content": json.dumps(answer)}}) as server:
        chunk = trial.first_chunk(project)
        got = asyncio.run(trial.try_chunk(settings(server.url), chunk))
        assert len(server.chat_requests) == 1
        sent = server.chat_requests[0].body["messages"]
    assert got.messages == sent and "40 litres" in got.messages[-1]["content"]
    assert got.model == "test-model" and got.parsed.ok
    verdicts = [(p.kept, p.rejection.code if p.rejection else None) for p in got.pairs]
    assert verdicts == [(True, None), (False, "refers_to_source"), (False, "unsupported")]
    assert got.kept == 1 and got.pairs[0].support is not None
    for model in (GenerationRun, GenerationRequest, GenerationAttempt, GeneratedPair, Job):
        assert model.select().count() == 0, model.__name__
    assert Event.select().count() == events


def test_a_trial_needs_text_and_a_reachable_server(home: Path) -> None:
    project = workspace.create_project("empty")
    with pytest.raises(LoratuiError) as err:
        trial.first_chunk(project)
    assert err.value.code == "empty" and err.value.hint
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(GenerationError) as err:
        asyncio.run(trial.served_models(settings(f"http://127.0.0.1:{port}/v1")))
    assert err.value.code == "server_unreachable" and "/v1" in err.value.hint


def test_served_models_lists_the_server_s_models(home: Path) -> None:
    with OpenAIServer({"models": ["a", "b"]}) as server:
        assert asyncio.run(trial.served_models(settings(server.url))) == ["a", "b"]


def test_pause_finishes_the_chunks_in_hand_then_the_next_run_goes_on(home: Path) -> None:
    project = corpus_project("pause", docs=3, pages=2)
    with OpenAIServer({"default": {"fault": "slow", "delay": 0.2}}) as server:
        runner = GenerationRunner(project, settings(server.url, concurrency=1))

        def on_progress(p) -> None:  # noqa: ANN001
            if p.done >= 1 and not runner.pausing:
                runner.pause()

        runner.on_progress = on_progress
        paused = asyncio.run(runner.run())
        asked = len(server.chat_requests)
        assert paused.state == "stopped" and 1 <= paused.done < paused.chunks
        assert asked == paused.done and paused.failed == 0  # nothing dropped mid-request
        assert not Job.select().where(Job.state == "running").exists()
        done = asyncio.run(GenerationRunner(project, settings(server.url)).run())
        assert done.state == "done" and done.done == done.chunks == paused.chunks
        assert len(server.chat_requests) == done.chunks  # the paused run's chunks not again
    assert run_progress(project.id).state == "done"


def test_the_browser_reads_documents_and_source_chunks(home: Path) -> None:
    project = corpus_project("browse", docs=2, pages=3)
    with OpenAIServer() as server:
        asyncio.run(GenerationRunner(project, settings(server.url)).run())
    docs = browse.pair_documents(project)
    assert [d.name for d in docs] == ["report-00.pdf", "report-01.pdf"]
    assert sum(d.pairs for d in docs) == GeneratedPair.select().count()
    for pair in GeneratedPair.select():
        chunk = browse.source_chunk(pair)
        assert chunk is not None and chunk.same_span and pair.answer in chunk.text
    # the export's chunking changed since: the chunk of that number is not the one asked
    pair = GeneratedPair.select().where(GeneratedPair.chunk == 1).first()
    smaller = export_config.load_config(project).with_changes(chunk_tokens=64, chunk_overlap=0)
    export_config.save_config(project, smaller)
    chunk = browse.source_chunk(pair)
    assert chunk is not None and not chunk.same_span
