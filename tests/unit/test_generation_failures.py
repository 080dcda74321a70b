"""Failure codes: servers' error bodies read, statuses classified, errors kept across pickling."""

from __future__ import annotations

import pickle

import pytest

from loratui.core.generation.failures import (
    GenerationError,
    classify_status,
    display_url,
    server_message,
)
from loratui.core.generation.retry_policy import backoff_seconds, retry_after_seconds


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '{"error": {"message": "The model `x` does not exist.", "code": 404}}',
            ("The model `x` does not exist."),
        ),
        (
            '{"error": "model \\"llama3\\" not found, try pulling it first"}',
            ('model "llama3" not found, try pulling it first'),
        ),
        (
            '{"detail": [{"loc": ["body", "response_format"], "msg": "Input should be text"}]}',
            ("Input should be text"),
        ),
        ("<html>\n  Bad   gateway\n</html>", "<html> Bad gateway </html>"),
        ("", ""),
    ],
)
def test_server_messages_are_read_from_each_servers_error_shape(body: str, message: str) -> None:
    assert server_message(body) == message


@pytest.mark.parametrize(
    ("status", "message", "code"),
    [
        (401, "Invalid API key", "unauthorized"),
        (403, "Forbidden", "unauthorized"),
        (404, "The model `x` does not exist.", "model_not_found"),
        (404, "Not Found", "not_found"),  # the model or the URL: the client asks /models
        (400, 'model "llama3" not found, try pulling it first', "model_not_found"),
        (400, "maximum context length is 4096 tokens", "bad_request"),
        (422, "Input should be text", "bad_request"),
        (429, "slow down", "rate_limited"),
        (408, "", "timeout"),
        (500, "boom", "server_error"),
        (503, "loading model", "server_error"),
    ],
)
def test_statuses_are_classified(status: int, message: str, code: str) -> None:
    assert classify_status(status, message) == code


def test_errors_keep_every_field_across_processes_and_urls_hide_passwords() -> None:
    err = GenerationError("rate_limited", "too many", status=429, attempts=4)
    back = pickle.loads(pickle.dumps(err))
    assert (back.code, back.message, back.hint, back.status, back.attempts) == (
        "rate_limited",
        "too many",
        err.hint,
        429,
        4,
    )
    assert not back.permanent and not back.stops_run
    assert GenerationError("server_unreachable").permanent
    assert display_url("http://user:pw@host:8000/v1") == "http://host:8000/v1"


def test_retry_after_and_backoff() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
    waits = [backoff_seconds(n, 1.0) for n in range(1, 10)]
    for n, wait in enumerate(waits, 1):
        ceiling = min(60.0, 2.0 ** (n - 1))
        assert ceiling / 2 <= wait <= ceiling
