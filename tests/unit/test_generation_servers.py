"""Generation over several model servers (``--base-url`` given several times): requests
spread by free capacity, a failing server rested while the others carry on, one ledger.
Real fake-OpenAI servers on 127.0.0.1, real runs into a real SQLite home."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from pathlib import Path

import pytest

from loratui.core.errors import LoratuiError
from loratui.core.generation.runner import GenerationRunner
from loratui.core.generation.settings import GenerationSettings
from loratui.core.store.models import GeneratedPair, GenerationAttempt, GenerationRun, Job
from tests.conftest import CLI
from tests.export_support import corpus_project
from tests.support.openai_server import OpenAIServer


def settings(*urls: str, **changes: object) -> GenerationSettings:
    first, *more = urls
    return GenerationSettings(
        base_url=first,
        extra_base_urls=list(more),
        retry_backoff_s=0.05,
        **changes,  # type: ignore[arg-type]
    )


def run(project, cfg: GenerationSettings) -> tuple[GenerationRunner, object]:  # noqa: ANN001
    runner = GenerationRunner(project, cfg)
    return runner, asyncio.run(runner.run())


def dead_url() -> str:
    """A port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def test_two_servers_share_the_work_each_within_its_cap(home: Path) -> None:
    project = corpus_project("two", docs=6, pages=2)
    slow = {"default": {"fault": "ok", "delay": 0.05}}
    with OpenAIServer(slow) as a, OpenAIServer(slow) as b:
        runner, progress = run(project, settings(a.url, b.url, concurrency=2))
        asked_a, asked_b = len(a.chat_requests), len(b.chat_requests)
        assert a.max_in_flight <= 2 and b.max_in_flight <= 2
    assert progress.done == progress.chunks >= 6 and progress.failed == 0
    assert asked_a + asked_b == progress.chunks == progress.requests  # each asked once
    assert asked_a >= 2 and asked_b >= 2  # both took a share
    assert {s["answered"] for s in runner.servers} == {asked_a, asked_b}
    run_row = GenerationRun.get()
    assert a.url.split("//")[1] in run_row.endpoint and b.url.split("//")[1] in run_row.endpoint


def test_the_faster_server_takes_more_of_the_work(home: Path) -> None:
    project = corpus_project("fast", docs=8, pages=2)
    with (
        OpenAIServer({"default": {"fault": "ok", "delay": 0.4}}) as slow,
        OpenAIServer({"default": {"fault": "ok", "delay": 0.0}}) as fast,
    ):
        _, progress = run(project, settings(slow.url, fast.url, concurrency=1))
        assert progress.done == progress.chunks
        assert len(fast.chat_requests) > 2 * len(slow.chat_requests)


def test_a_failing_server_is_rested_and_the_others_finish_the_run(home: Path) -> None:
    project = corpus_project("rest", docs=5, pages=2)
    with (
        OpenAIServer({"default": {"fault": "error500"}}) as bad,
        OpenAIServer({"default": {"fault": "ok", "delay": 0.02}}) as good,
    ):
        runner, progress = run(project, settings(bad.url, good.url, concurrency=2))
        tried_bad = len(bad.chat_requests)
    assert progress.done == progress.chunks and progress.failed == 0
    assert GeneratedPair.select().count() == 3 * progress.chunks
    # rested after each failure, with a growing backoff: far fewer tries than chunks
    assert 1 <= tried_bad < progress.chunks
    assert progress.retries == tried_bad
    errors = [a.error for a in GenerationAttempt.select() if a.error]
    assert errors and set(errors) == {"server_error"}
    bad_row = next(s for s in runner.servers if s["answered"] == 0)
    assert bad_row["failed"] == tried_bad


def test_a_server_that_dies_mid_run_is_left_and_nothing_is_lost(home: Path) -> None:
    project = corpus_project("dies", docs=8, pages=2)
    plan = {"default": {"fault": "ok", "delay": 0.05}}
    with OpenAIServer(plan) as good:
        doomed = OpenAIServer(plan).start()

        def kill_after_three() -> None:
            while len(doomed.chat_requests) < 3:
                time.sleep(0.01)
            doomed.stop()

        killer = threading.Thread(target=kill_after_three)
        killer.start()
        _, progress = run(project, settings(doomed.url, good.url, concurrency=2))
        killer.join()
    assert progress.done == progress.chunks and progress.failed == 0
    assert Job.select().where(Job.kind == "generate", Job.state != "done").count() == 0


def test_one_ledger_another_order_of_servers_asks_nothing(home: Path) -> None:
    project = corpus_project("ledger", docs=3, pages=2)
    with OpenAIServer() as a, OpenAIServer() as b:
        _, first = run(project, settings(a.url, b.url))
        asked = len(a.chat_requests) + len(b.chat_requests)
        _, again = run(project, settings(b.url, a.url))
        assert len(a.chat_requests) + len(b.chat_requests) == asked
        _, alone = run(project, settings(b.url))
        assert len(a.chat_requests) + len(b.chat_requests) == asked
    assert asked == first.chunks and again.requests == alone.requests == 0


def test_a_dead_server_at_the_start_is_named_and_nothing_changes(home: Path) -> None:
    project = corpus_project("deadone", docs=2, pages=1)
    dead = dead_url()
    with OpenAIServer() as good:
        started = time.monotonic()
        with pytest.raises(LoratuiError) as err:
            run(project, settings(good.url, dead))
        assert time.monotonic() - started < 5
    assert err.value.code == "server_unreachable"
    assert dead.split("//")[1].split("/")[0] in err.value.message
    assert Job.select().where(Job.kind == "generate").count() == 0


def test_a_model_one_server_lacks_is_named(home: Path) -> None:
    project = corpus_project("lacks", docs=1, pages=1)
    with OpenAIServer() as a, OpenAIServer({"models": ["other"]}) as b:
        with pytest.raises(LoratuiError) as err:
            run(project, settings(a.url, b.url, model="test-model"))
    assert err.value.code == "model_not_found"
    assert b.url.split("//")[1].split("/")[0] in err.value.message


def test_cli_takes_base_url_once_per_server_and_saves_them(tmp_path: Path) -> None:
    cli = CLI(tmp_path / "home")
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(3):
        (docs / f"d{i}.txt").write_text(
            f"Document {i} explains the pump. The seal is checked every week. " * 20
        )
    cli.run("new", "cli", check=True)
    cli.run("add", "cli", str(docs), check=True)
    cli.run("process", "cli", check=True)
    with OpenAIServer() as a, OpenAIServer() as b:
        proc = cli.run("generate", "cli", "--base-url", a.url, "--base-url", b.url, "--json")
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        assert out["done"] == out["chunks"] == len(a.chat_requests) + len(b.chat_requests)
        assert [s["answered"] for s in out["servers"]] == [
            len(a.chat_requests),
            len(b.chat_requests),
        ]
    saved = cli.json("genconfig", "cli")["settings"]
    assert saved["base_url"] == a.url and saved["extra_base_urls"] == [b.url]
