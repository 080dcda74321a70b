"""Generation runs against a real HTTP server on 127.0.0.1 (the fake OpenAI server in a
thread): the ledger (never pay twice), the concurrency cap, Retry-After, repair and
quarantine, failures, the export of pairs with datasets, and purge."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from loratui.core.errors import LoratuiError
from loratui.core.export.config import ExportConfig
from loratui.core.export.docref import DocRef
from loratui.core.export.pipeline import document_chunks
from loratui.core.export.tokenizer import get_counter
from loratui.core.export.version import run_export
from loratui.core.generation import review
from loratui.core.generation.progress import run_progress
from loratui.core.generation.runner import GenerationRunner
from loratui.core.generation.settings import GenerationSettings
from loratui.core.projects import purge, workspace
from loratui.core.store.models import (
    Document,
    GeneratedPair,
    GenerationAttempt,
    GenerationConfig,
    GenerationRequest,
    GenerationRun,
    Job,
)
from tests.export_support import add_doc, corpus_project, page_text
from tests.support.openai_server import OpenAIServer
from tests.unit.test_purge import _files_containing


def settings(url: str, **changes: object) -> GenerationSettings:
    return GenerationSettings(base_url=url, retry_backoff_s=0.05, **changes)  # type: ignore[arg-type]


def run(project, cfg: GenerationSettings, **kwargs: object):  # noqa: ANN001, ANN201
    return asyncio.run(GenerationRunner(project, cfg, **kwargs).run())  # type: ignore[arg-type]


def test_pairs_with_provenance_and_a_second_run_asks_nothing(home: Path) -> None:
    project = corpus_project("gen", docs=3, pages=3)
    with OpenAIServer() as server:
        first = run(project, settings(server.url))
        asked = len(server.chat_requests)
        again = run(project, settings(server.url))
        assert len(server.chat_requests) == asked  # the ledger answered
    assert first.chunks == again.chunks > 3
    assert first.done == first.chunks and first.failed == first.quarantined == 0
    assert asked == first.chunks and first.requests == asked
    assert again.requests == 0 and again.done == again.chunks
    assert first.pairs == 3 * first.chunks == first.kept + first.rejected
    # answers land in completion order, so pick a document's first chunk by its number
    pair = GeneratedPair.select().where(GeneratedPair.chunk == 0).order_by(GeneratedPair.id).first()
    doc = Document.get_by_id(pair.document_id)
    assert pair.document_sha256 == doc.sha256 and pair.pages and pair.pages[0] == 1
    assert pair.model == "test-model" and len(pair.template_version) == 64
    req = GenerationRequest.get(GenerationRequest.key == pair.request_key)
    assert req.state == "answered" and pair.answer in req.content
    assert req.attempts == 1 and GenerationAttempt.select().count() == asked
    # the chunk is the export's: the pair's span holds the sentence it answers with
    chunks = list(document_chunks(DocRef.of(doc), ExportConfig(), get_counter("approx")))
    chunk = chunks[pair.chunk]
    assert (chunk.start, chunk.end) == (pair.span_start, pair.span_end)
    assert pair.answer in chunk.text
    runs = list(GenerationRun.select().order_by(GenerationRun.id))
    assert [r.state for r in runs] == ["done", "done"] and runs[0].requests == asked
    assert run_progress(project.id).as_dict()["done"] == first.chunks


def test_a_changed_template_asks_again_and_an_unchanged_one_does_not(home: Path) -> None:
    project = corpus_project("tpl", docs=2, pages=2)
    with OpenAIServer() as server:
        base = run(project, settings(server.url))
        n = len(server.chat_requests)
        run(project, settings(server.url))
        assert len(server.chat_requests) == n
        changed = settings(server.url, system_prompt="Write pairs. Reply with JSON only.")
        second = run(project, changed)
        assert len(server.chat_requests) == 2 * n
        assert second.requests == n == base.chunks
        run(project, changed)  # and that one is stored now too
        assert len(server.chat_requests) == 2 * n
        run(project, settings(server.url, pairs_per_chunk=2))
        assert len(server.chat_requests) == 3 * n
    versions = {p.template_version for p in GeneratedPair.select()}
    assert len(versions) == 2


def test_the_concurrency_cap_holds_on_the_server(home: Path) -> None:
    project = corpus_project("cap", docs=6, pages=3)
    with OpenAIServer({"default": {"fault": "slow", "delay": 0.05}}) as server:
        done = run(project, settings(server.url, concurrency=3))
        assert server.max_in_flight == 3  # reached, never exceeded
    assert done.done == done.chunks >= 12


def test_retry_after_is_honoured(home: Path) -> None:
    project = workspace.create_project("ra")
    add_doc(project, "one.pdf", ["The canal opened in 1869. It links two seas."])
    plan = {"steps": [{"fault": "rate_limit", "retry_after": "1"}]}
    with OpenAIServer(plan) as server:
        done = run(project, settings(server.url, concurrency=1))
        chats = server.chat_requests
    assert [r.reply for r in chats] == ["rate_limit", "ok"]
    assert chats[1].at - chats[0].at >= 0.95
    assert done.retries == 1 and done.errors == {"rate_limited": 1} and done.done == 1


def test_an_unreadable_answer_is_repaired_once_then_quarantined(home: Path) -> None:
    project = workspace.create_project("q")
    add_doc(project, "good.pdf", ["The pump runs at 40 litres a minute. It needs oil."])
    add_doc(project, "bad.pdf", ["Zebra crossings have stripes. Drivers must stop there."])
    add_doc(project, "fixed.pdf", ["Granite is an igneous rock. It forms from magma."])
    plan = {
        "rules": [
            {"match": "Zebra", "fault": "garbage"},
            {"match": "Granite", "fault": "invalid_json", "content": "no json here", "times": 1},
        ]
    }
    with OpenAIServer(plan) as server:
        done = run(project, settings(server.url))
        replies = sorted(r.reply for r in server.chat_requests)
    assert done.done == 2 and done.quarantined == 1 and done.failed == 0
    assert replies.count("garbage") == 2  # the first answer and the repair
    bad = Document.get(Document.name == "bad.pdf")
    rows = list(GenerationRequest.select().where(GenerationRequest.document == bad))
    assert {r.state for r in rows} == {"quarantined"} and len(rows) == 2
    assert all("can't help" in r.content and r.error_message for r in rows)
    job = Job.get((Job.document == bad) & (Job.kind == "generate"))
    assert job.state == "quarantined" and "no_json" in job.last_error
    fixed = Document.get(Document.name == "fixed.pdf")
    assert GeneratedPair.select().where(GeneratedPair.document == fixed).count() == 3
    # a quarantined chunk is not asked again
    with OpenAIServer() as server:
        run(project, settings(server.url))
        assert server.chat_requests == []


def test_a_permanent_error_fails_the_chunk_and_a_later_run_asks_again(home: Path) -> None:
    project = workspace.create_project("fail")
    add_doc(project, "long.pdf", ["Mercury is the closest planet to the Sun. It is small."])
    with OpenAIServer({"default": {"fault": "bad_request"}}) as server:
        done = run(project, settings(server.url))
        assert len(server.chat_requests) == 1  # a 400 is not retried
    assert done.failed == 1 and done.done == 0
    job = Job.get(Job.kind == "generate")
    assert job.state == "failed" and "bad_request" in job.last_error
    assert "maximum context length" in job.last_error
    with OpenAIServer() as server:
        done = run(project, settings(server.url))
        assert len(server.chat_requests) == 1
    assert done.done == 1 and GeneratedPair.select().count() == 3


@pytest.mark.parametrize(
    ("plan", "cfg", "code"),
    [
        ({"api_key": "sesame"}, {}, "unauthorized"),
        ({}, {"model": "other-model"}, "model_not_found"),
        ({"models": ["a", "b"]}, {}, "model_not_found"),
    ],
)
def test_a_refusing_server_changes_nothing(home: Path, plan: dict, cfg: dict, code: str) -> None:
    project = corpus_project("refuse", docs=1, pages=1)
    with OpenAIServer(plan) as server:
        with pytest.raises(LoratuiError) as exc:
            run(project, settings(server.url, **cfg))
        assert server.chat_requests == []
    assert exc.value.code == code and exc.value.hint
    assert Job.select().where(Job.kind == "generate").count() == 0
    assert GenerationRun.select().count() == 0 and GenerationConfig.select().count() == 0


def test_a_server_that_dies_mid_run_stops_it_and_gives_the_jobs_back(home: Path) -> None:
    project = corpus_project("dies", docs=4, pages=3)
    server = OpenAIServer({"default": {"fault": "slow", "delay": 0.3}}).start()
    runner = GenerationRunner(project, settings(server.url, concurrency=2))

    async def go() -> None:
        task = asyncio.ensure_future(runner.run())
        while runner.progress.done < 2:
            await asyncio.sleep(0.05)
        server.stop()
        await task

    with pytest.raises(LoratuiError) as exc:
        asyncio.run(go())
    assert exc.value.code in ("server_unreachable", "server_error")
    states = {j.state for j in Job.select().where(Job.kind == "generate")}
    assert "running" not in states and "queued" in states
    assert GenerationRun.get().state == "stopped"
    # the next run against a live server finishes: every chunk has its pairs
    with OpenAIServer() as again:
        done = run(project, settings(again.url))
    assert done.done == done.chunks and done.failed == 0


def test_the_judge_scores_and_rejects(home: Path) -> None:
    project = workspace.create_project("judge")
    add_doc(
        project,
        "a.pdf",
        [
            "The canal opened in 1869 after ten years of digging by hand. It links the "
            "Mediterranean and the Red Sea across the desert. Ships pay tolls that fund "
            "the canal authority every year."
        ],
    )
    plan = {"rules": [{"match": "Score the pair", "content": '{"score": 3, "reason": "vague"}'}]}
    with OpenAIServer(plan) as server:
        done = run(project, settings(server.url, judge=True))
        judged = [r for r in server.chat_requests if "Score the pair" in json.dumps(r.body)]
        run(project, settings(server.url, judge=True))
        assert len(server.chat_requests) == 1 + len(judged)  # judged once, ever
    assert len(judged) == 3 and done.rejected == 3
    reasons = {p.reason_code for p in GeneratedPair.select()}
    assert reasons == {"judge_low"}
    assert all(p.judge_score == 3 for p in GeneratedPair.select())


def test_exported_pairs_load_with_datasets_and_lineage_resolves(home: Path) -> None:
    datasets = pytest.importorskip("datasets")
    project = corpus_project("export", docs=4, pages=2)
    with OpenAIServer() as server:
        run(project, settings(server.url))
    first = GeneratedPair.select().order_by(GeneratedPair.id).first()
    review.reject(project, [first.id], "off topic")
    review.edit(project, first.id + 1, answer="An edited answer about the river and forest.")
    kept = GeneratedPair.select().where(GeneratedPair.state.in_(("kept", "edited"))).count()
    for fmt in ("messages", "alpaca", "sharegpt", "prompt-completion", "text"):
        cfg = ExportConfig(
            format=fmt, sources="pairs", system_prompt="You know {title}.", dedup_near=False
        )
        v = run_export(project, cfg, workers=1)
        folder = Path(v.path)
        files = {s: str(folder / f"{s}.jsonl") for s in ("train", "validation")}
        ds = datasets.load_dataset("json", data_files=files)
        assert ds["train"].num_rows + ds["validation"].num_rows == kept
        lineage = [json.loads(line) for line in (folder / "lineage.jsonl").read_text().splitlines()]
        assert len(lineage) == kept
        assert first.id not in {x["pair"] for x in lineage}
        for entry in lineage[:5]:
            pair = GeneratedPair.get_by_id(entry["pair"])
            doc = Document.get_by_id(entry["document_id"])
            chunk = list(document_chunks(DocRef.of(doc), cfg, get_counter("approx")))[
                entry["chunk"]
            ]
            assert [chunk.start, chunk.end] == entry["chars"]
            assert entry["request_key"] == pair.request_key and entry["model"] == "test-model"
            if pair.state == "kept":
                assert pair.answer in chunk.text
        if fmt == "messages":
            rec = ds["train"][0]["messages"]
            assert (
                rec[0] == {"role": "system", "content": "You know report 00."}
                or rec[0]["role"] == "system"
            )
            assert rec[1]["role"] == "user" and rec[2]["role"] == "assistant"
    # the same pairs and configuration give the same bytes
    cfg = ExportConfig(format="alpaca", sources="pairs")
    a, b = run_export(project, cfg, workers=1), run_export(project, cfg, workers=1)
    for name in ("train.jsonl", "lineage.jsonl"):
        assert (Path(a.path) / name).read_bytes() == (Path(b.path) / name).read_bytes()


def test_purge_removes_pairs_and_raw_answers(home: Path) -> None:
    secret = "ZQX-9921-secret-turbine-code"
    project = workspace.create_project("purge")
    rng_text = page_text(__import__("random").Random(3))
    doc = add_doc(project, "secret.pdf", [f"The turbine code is {secret}. {rng_text}"])
    add_doc(project, "public.pdf", [page_text(__import__("random").Random(4))])
    with OpenAIServer() as server:
        run(project, settings(server.url))
    assert GeneratedPair.select().where(GeneratedPair.document == doc).count() > 0
    assert any(h.startswith("loratui.db") for h in _files_containing(home, secret))
    purge.purge_documents(project, [doc])
    assert _files_containing(home, secret) == []
    assert GeneratedPair.select().where(GeneratedPair.document == doc.id).count() == 0
    assert GenerationRequest.select().where(GenerationRequest.document == doc.id).count() == 0
    assert GeneratedPair.select().count() > 0  # the other document's pairs stay


def test_auto_steps_down_when_llama_cpp_python_refuses_json_schema_with_a_500(
    home: Path,
) -> None:
    project = corpus_project("ladder", docs=2, pages=1)
    plan = {"refuse_formats": ["json_schema"], "refuse_status": 500}
    with OpenAIServer(plan) as server:
        done = run(project, settings(server.url, concurrency=1))
        replies = [r.reply for r in server.chat_requests]
    assert done.done == done.chunks and done.failed == 0
    # requests built before the step (2 jobs are held per slot) are refused too, once each
    assert replies[0] == "format_refused" and replies.count("format_refused") <= 2
    assert {r.response_format for r in GenerationRequest.select()} == {"json_object"}
