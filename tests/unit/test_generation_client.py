"""The model-server client against a real HTTP server on 127.0.0.1 that injects faults."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest

from loratui.core.generation.client import Attempt, ChatClient, api_key_from_env
from loratui.core.generation.failures import GenerationError
from loratui.core.generation.pair_schema import response_schema
from loratui.core.generation.settings import GenerationSettings
from loratui.core.generation.templates import BUILTIN
from tests.support.openai_server import OpenAIServer

CHUNK = (
    "The Suez Canal connects the Mediterranean Sea to the Red Sea. It opened on 17 November "
    "1869. In 2021 more than 20,600 vessels crossed it."
)
MESSAGES = BUILTIN["qa"].render(text=CHUNK, title="Suez Canal")
SCHEMA = response_schema()


def settings_for(server: OpenAIServer, **changes: Any) -> GenerationSettings:
    base = {"base_url": server.url, "model": "test-model", "retry_backoff_s": 0.01}
    return GenerationSettings(**{**base, **changes})


def client_for(
    server: OpenAIServer, attempts: list[Attempt] | None = None, **changes: Any
) -> ChatClient:
    on_attempt = attempts.append if attempts is not None else None
    return ChatClient(settings_for(server, **changes), api_key="", on_attempt=on_attempt)


def gaps(server: OpenAIServer) -> list[float]:
    arrivals = [r.at for r in server.chat_requests]
    return [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]


async def test_a_clean_answer_reports_one_attempt_with_tokens() -> None:
    attempts: list[Attempt] = []
    with OpenAIServer() as server:
        async with client_for(server, attempts) as client:
            done = await client.chat(MESSAGES, schema=SCHEMA, key="k-1")
        body = server.chat_requests[0].body
    assert '"answer": "It opened on 17 November 1869."' in done.content
    assert done.finish_reason == "stop" and done.attempts == 1 and done.model == "test-model"
    assert body["model"] == "test-model" and body["messages"] == MESSAGES
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["seed"]) == (
        0.7,
        1.0,
        2048,
        42,
    )
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "pairs", "schema": SCHEMA},
    }
    [one] = attempts
    assert (one.endpoint, one.key, one.number) == ("chat", "k-1", 1)
    assert (one.status, one.error) == (200, None)
    assert one.tokens_in == done.tokens_in > 50 and one.tokens_out == done.tokens_out > 10
    assert one.retry_in is None and one.response_format == "json_schema"


@pytest.mark.parametrize("concurrency", [1, 4, 7])
async def test_never_more_requests_in_flight_than_the_concurrency(concurrency: int) -> None:
    with OpenAIServer({"default": {"fault": "slow", "delay": 0.05}}) as server:
        async with client_for(server, concurrency=concurrency) as client:
            done = await asyncio.gather(*(client.chat(MESSAGES) for _ in range(6 * concurrency)))
        assert len(done) == 6 * concurrency
        # the server counted: the cap was reached and never passed
        assert server.max_in_flight == concurrency
        assert client.max_in_flight == concurrency
        assert len(server.chat_requests) == 6 * concurrency


async def test_retry_after_in_seconds_is_honoured_by_the_whole_client() -> None:
    attempts: list[Attempt] = []
    plan = {"steps": [{"fault": "rate_limit", "retry_after": "1"}]}
    with OpenAIServer(plan) as server:
        async with client_for(server, attempts, concurrency=4) as client:
            first = asyncio.create_task(client.chat(MESSAGES))
            await asyncio.sleep(0.3)  # the 429 has arrived; a second request starts now
            second = asyncio.create_task(client.chat(MESSAGES))
            await asyncio.gather(first, second)
        arrivals = [r.at for r in server.chat_requests]
    assert [r.reply for r in server.chat_requests] == ["rate_limit", "ok", "ok"]
    # nothing reached the server within the second it asked for, not even the new request
    assert min(arrivals[1:]) - arrivals[0] >= 1.0
    assert max(arrivals[1:]) - arrivals[0] < 2.5
    limited = [a for a in attempts if a.error]
    assert [(a.status, a.error, a.retry_in) for a in limited] == [(429, "rate_limited", 1.0)]


async def test_retry_after_as_an_http_date_is_honoured() -> None:
    plan = {"steps": [{"fault": "unavailable", "retry_after": "date:2"}]}
    with OpenAIServer(plan) as server:
        async with client_for(server) as client:
            done = await client.chat(MESSAGES)
        [gap] = gaps(server)
    assert done.attempts == 2
    assert 1.0 <= gap < 3.5  # the date has whole seconds: 1 to 2 s ahead when sent


async def test_retry_after_beyond_ten_minutes_gives_up_at_once() -> None:
    plan = {"default": {"fault": "rate_limit", "retry_after": "3600"}}
    with OpenAIServer(plan) as server:
        async with client_for(server) as client:
            started = time.monotonic()
            with pytest.raises(GenerationError) as exc:
                await client.chat(MESSAGES)
        assert len(server.chat_requests) == 1
    assert time.monotonic() - started < 2
    assert exc.value.code == "rate_limited" and "3600 s: too long to wait" in exc.value.message
    assert "lower --concurrency" in exc.value.hint


async def test_5xx_and_dropped_connections_are_retried_with_backoff() -> None:
    attempts: list[Attempt] = []
    plan = {
        "steps": [
            {"fault": "error500"},
            {"fault": "drop"},
            {"fault": "drop_early"},
            {"fault": "not_json"},
        ]
    }
    with OpenAIServer(plan) as server:
        async with client_for(server, attempts, max_attempts=5, retry_backoff_s=0.05) as client:
            done = await client.chat(MESSAGES, key="k")
        waits = gaps(server)
    assert done.attempts == 5 and '"pairs"' in done.content
    assert [(a.status, a.error) for a in attempts] == [
        (500, "server_error"),
        (None, "server_error"),
        (None, "server_error"),
        (200, "bad_response"),
        (200, None),
    ]
    assert "dropped before the answer was complete" in attempts[1].message
    assert "not JSON" in attempts[3].message and "502 Bad Gateway" in attempts[3].message
    # equal jitter: try n waits between half and all of 0.05 * 2**(n-1)
    for n, (wait, attempt) in enumerate(zip(waits, attempts, strict=False), 1):
        ceiling = 0.05 * 2 ** (n - 1)
        assert ceiling / 2 <= attempt.retry_in <= ceiling
        assert wait >= attempt.retry_in


async def test_max_attempts_gives_up_with_the_last_error() -> None:
    attempts: list[Attempt] = []
    with OpenAIServer({"default": {"fault": "error500"}}) as server:
        async with client_for(server, attempts, max_attempts=3) as client:
            with pytest.raises(GenerationError) as exc:
                await client.chat(MESSAGES)
        assert len(server.chat_requests) == 3
    err = exc.value
    assert err.code == "server_error" and err.attempts == 3 and err.status == 500
    assert "answered 500: internal error" in err.message and "gave up after 3 tries" in err.message
    assert not err.permanent and not err.stops_run
    assert [a.retry_in is None for a in attempts] == [False, False, True]


async def test_a_slow_answer_times_out_and_is_retried() -> None:
    attempts: list[Attempt] = []
    plan = {"steps": [{"fault": "slow", "delay": 1.5}], "default": {"fault": "ok"}}
    with OpenAIServer(plan) as server:
        async with client_for(server, attempts, request_timeout_s=0.3) as client:
            started = time.monotonic()
            done = await client.chat(MESSAGES)
    assert time.monotonic() - started < 1.2
    assert done.attempts == 2 and attempts[0].error == "timeout" and attempts[0].status is None
    assert "gave no complete answer within 0 s" in attempts[0].message
    with OpenAIServer({"default": {"fault": "slow", "delay": 1.0}}) as server:
        async with client_for(server, request_timeout_s=0.2, max_attempts=2) as client:
            with pytest.raises(GenerationError) as exc:
                await client.chat(MESSAGES)
    assert exc.value.code == "timeout" and "raise request_timeout_s" in exc.value.hint


async def test_a_dead_endpoint_fails_fast_with_a_hint() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cfg = GenerationSettings(base_url=f"http://127.0.0.1:{port}", model="m", max_attempts=5)
    attempts: list[Attempt] = []
    async with ChatClient(cfg, api_key="", on_attempt=attempts.append) as client:
        started = time.monotonic()
        with pytest.raises(GenerationError) as exc:
            await client.chat(MESSAGES)
        elapsed = time.monotonic() - started
    assert elapsed < 3.0
    err = exc.value
    assert err.code == "server_unreachable" and err.stops_run and err.permanent
    assert f"cannot connect to http://127.0.0.1:{port}/v1" in err.message
    assert "start the model server, or check --base-url" in err.hint
    assert "http://HOST:8000/v1" in err.hint
    assert len(attempts) == 1 and attempts[0].error == "server_unreachable"


async def test_a_refused_connection_after_answers_is_retried() -> None:
    """A server that answered before and then refuses may be restarting: retried."""
    server = OpenAIServer().start()
    port = server.port
    attempts: list[Attempt] = []
    async with client_for(server, attempts, max_attempts=3) as client:
        await client.chat(MESSAGES)
        server.stop()
        with pytest.raises(GenerationError) as exc:
            await client.chat(MESSAGES)
    assert exc.value.code == "server_unreachable" and exc.value.attempts == 3
    assert f"127.0.0.1:{port}" in exc.value.message
    # the kept-alive connection may drop first; then every new connection is refused
    assert attempts[0].error is None and len(attempts) == 4
    assert {a.error for a in attempts[1:]} <= {"server_error", "server_unreachable"}
    assert attempts[-1].error == "server_unreachable" and attempts[-1].retry_in is None


async def test_401_fails_at_once_and_never_shows_the_key(monkeypatch: Any) -> None:
    attempts: list[Attempt] = []
    with OpenAIServer({"api_key": "right-key-42"}) as server:
        cfg = settings_for(server)
        client = ChatClient(cfg, api_key="wrong-key-17", on_attempt=attempts.append)
        async with client:
            with pytest.raises(GenerationError) as exc:
                await client.chat(MESSAGES)
        assert len(server.chat_requests) == 1
        assert server.chat_requests[0].authorization == "Bearer wrong-key-17"
        err = exc.value
        assert err.code == "unauthorized" and err.stops_run
        assert "LORATUI_API_KEY or OPENAI_API_KEY" in err.hint
        shown = " ".join([err.message, err.hint, repr(client), *map(repr, attempts)])
        assert "wrong-key-17" not in shown
        # the key from the environment, LORATUI_API_KEY first
        monkeypatch.setenv("OPENAI_API_KEY", "other")
        monkeypatch.setenv("LORATUI_API_KEY", "right-key-42")
        async with ChatClient(cfg) as client:
            done = await client.chat(MESSAGES)
        assert done.attempts == 1
        assert server.chat_requests[-1].authorization == "Bearer right-key-42"
    assert api_key_from_env({"OPENAI_API_KEY": " sk-o "}) == "sk-o"
    assert api_key_from_env({"LORATUI_API_KEY": "sk-l", "OPENAI_API_KEY": "sk-o"}) == "sk-l"
    assert api_key_from_env({}) is None


@pytest.mark.parametrize("status", [404, 400])
async def test_an_unknown_model_names_the_models_the_server_lists(status: int) -> None:
    plan = {"models": ["qwen2.5-7b", "llama3.1-8b"], "model_error_status": status}
    with OpenAIServer(plan) as server:
        async with client_for(server, model="gpt-4o") as client:
            started = time.monotonic()
            with pytest.raises(GenerationError) as exc:
                await client.chat(MESSAGES)
        assert [r.reply for r in server.requests] == ["model_missing", "models"]
    assert time.monotonic() - started < 2
    err = exc.value
    assert err.code == "model_not_found" and err.stops_run
    assert "does not serve 'gpt-4o'" in err.message and "does not exist" in err.message
    assert err.hint == "check --model; the server lists: qwen2.5-7b, llama3.1-8b"


async def test_without_a_model_the_servers_only_model_is_used() -> None:
    with OpenAIServer({"models": ["only-one"]}) as server:
        async with client_for(server, model="") as client:
            await client.chat(MESSAGES)
            await client.chat(MESSAGES)
        assert [r.body["model"] for r in server.chat_requests] == ["only-one", "only-one"]
        assert sum(r.reply == "models" for r in server.requests) == 1  # asked once
        async with client_for(server) as client:
            assert await client.list_models() == ["only-one"]
    with OpenAIServer({"models": ["a", "b"]}) as server:
        async with client_for(server, model="") as client:
            with pytest.raises(GenerationError) as exc:
                await client.chat(MESSAGES)
    assert exc.value.code == "model_not_found" and "serves 2 models" in exc.value.message
    assert exc.value.hint == "choose one with --model; the server lists: a, b"


async def test_a_url_that_is_no_openai_api_says_where_it_usually_is() -> None:
    with OpenAIServer() as server:
        cfg = settings_for(server, base_url=server.url.replace("/v1", "/api"))
        async with ChatClient(cfg, api_key="") as client:
            with pytest.raises(GenerationError) as exc:
                await client.chat(MESSAGES)
    err = exc.value
    assert err.code == "server_unreachable"
    assert "/api/chat/completions is not an OpenAI-compatible API (HTTP 404)" in err.message
    assert "Ollama http://HOST:11434/v1" in err.hint


async def test_a_request_the_server_rejects_is_not_retried() -> None:
    with OpenAIServer({"default": {"fault": "bad_request"}}) as server:
        async with client_for(server) as client:
            with pytest.raises(GenerationError) as exc:
                await client.chat(MESSAGES)
        assert len(server.chat_requests) == 1
    err = exc.value
    assert err.code == "bad_request" and err.permanent and not err.stops_run
    assert "maximum context length is 2048 tokens" in err.message
    assert "chunk_tokens" in err.hint


async def test_auto_format_steps_down_once_and_remembers() -> None:
    attempts: list[Attempt] = []
    with OpenAIServer({"refuse_formats": ["json_schema"]}) as server:
        async with client_for(server, attempts, max_attempts=1) as client:
            first = await client.chat(MESSAGES, schema=SCHEMA)
            second = await client.chat(MESSAGES, schema=SCHEMA)
        sent = [(r.body.get("response_format") or {}).get("type") for r in server.chat_requests]
    assert sent == ["json_schema", "json_object", "json_object"]
    assert (first.response_format, second.response_format) == ("json_object", "json_object")
    assert first.attempts == 1  # a refused format does not use up a try
    assert [(a.error, a.retry_in) for a in attempts][0] == ("format_refused", 0.0)
    with OpenAIServer({"refuse_formats": ["json_schema", "json_object"]}) as server:
        async with client_for(server) as client:
            done = await client.chat(MESSAGES, schema=SCHEMA)
        assert "response_format" not in server.chat_requests[-1].body
    assert done.response_format == "none" and '"pairs"' in done.content


async def test_a_fixed_format_the_server_refuses_is_an_error_with_a_hint() -> None:
    with OpenAIServer({"refuse_formats": ["json_schema"]}) as server:
        async with client_for(server, response_format="json_schema") as client:
            with pytest.raises(GenerationError) as exc:
                await client.chat(MESSAGES, schema=SCHEMA)
        assert len(server.chat_requests) == 1
    assert exc.value.code == "bad_request"
    assert "'json_schema' is not supported" in exc.value.message
    assert "set response_format to auto" in exc.value.hint
    with OpenAIServer() as server:
        async with client_for(server, response_format="json_object") as client:
            await client.chat(MESSAGES, schema=SCHEMA)
        async with client_for(server, response_format="none") as client:
            await client.chat(MESSAGES, schema=SCHEMA)
        sent = [r.body.get("response_format") for r in server.chat_requests]
    assert sent == [{"type": "json_object"}, None]


async def test_reasoning_is_kept_apart_from_the_answer() -> None:
    plan = {"steps": [{"fault": "reasoning_field"}, {"fault": "empty"}]}
    with OpenAIServer(plan) as server:
        async with client_for(server) as client:
            with_reasoning = await client.chat(MESSAGES)
            cut = await client.chat(MESSAGES)
    assert with_reasoning.reasoning is not None and "DECOY" in with_reasoning.reasoning
    assert "DECOY" not in with_reasoning.content and '"pairs"' in with_reasoning.content
    assert (cut.content, cut.finish_reason) == ("", "length")
    assert cut.reasoning == "Thinking about every sentence in turn..."
