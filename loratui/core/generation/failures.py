"""What can go wrong with a model server, as stable codes with hints a user can act on.

The codes (``GENERATION_ERRORS``) live here while the core is being refactored; they are
``ErrorInfo`` entries like ``errors.CATALOGUE``'s, meant to be merged into it. Three of them
stop a whole run (``RUN_STOPPING``): every other request would fail the same way, so a
runner stops at once instead of failing chunk after chunk. The others are per request:
``permanent`` ones fail the request at once, the rest were already retried by the client.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from loratui.core.errors import ErrorInfo, LoratuiError

_URL_HINT = (
    "OpenAI-compatible servers answer under /v1: vLLM http://HOST:8000/v1, "
    "llama-server http://HOST:8080/v1, Ollama http://HOST:11434/v1"
)

GENERATION_ERRORS: dict[str, ErrorInfo] = {
    e.code: e
    for e in [
        ErrorInfo(
            "server_unreachable",
            "the model server cannot be reached",
            "start the model server, or check --base-url; " + _URL_HINT,
        ),
        ErrorInfo(
            "unauthorized",
            "the model server refused the request: no API key or a wrong one",
            "set LORATUI_API_KEY or OPENAI_API_KEY to a key the server accepts",
        ),
        ErrorInfo(
            "model_not_found",
            "the model server does not serve this model",
            "check --model against the names the server lists (`/v1/models`)",
        ),
        ErrorInfo(
            "rate_limited",
            "the model server kept answering 'too many requests'",
            "lower --concurrency, or run generate again later: stored answers are kept",
            permanent=False,
        ),
        ErrorInfo(
            "server_error",
            "the model server failed to answer",
            "see the model server's log; run generate again to retry what failed",
            permanent=False,
        ),
        ErrorInfo(
            "timeout",
            "the model server did not answer in time",
            "raise request_timeout_s, or lower --concurrency or max_tokens",
            permanent=False,
        ),
        ErrorInfo(
            "bad_response",
            "the model server's reply is not an OpenAI chat completion",
            "check that --base-url points at an OpenAI-compatible API; " + _URL_HINT,
            permanent=False,
        ),
        ErrorInfo(
            "bad_request",
            "the model server rejected the request",
            "read the server's message above; a prompt longer than the model's context needs "
            "a smaller chunk_tokens (export settings) or max_tokens",
        ),
    ]
}

RUN_STOPPING = frozenset({"server_unreachable", "unauthorized", "model_not_found"})
RETRYABLE = frozenset(c for c, e in GENERATION_ERRORS.items() if not e.permanent)


class GenerationError(LoratuiError):
    """A request that failed for good: the code, the last error, the tries it took."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        hint: str | None = None,
        *,
        status: int | None = None,
        attempts: int = 0,
    ) -> None:
        entry = GENERATION_ERRORS.get(code)
        super().__init__(
            code,
            message or (entry.message if entry else None),
            hint if hint is not None else (entry.hint if entry else None),
        )
        self.status = status
        self.attempts = attempts

    def __reduce__(self):  # noqa: ANN204 - keep every field across process boundaries
        return (_rebuild, (self.code, self.message, self.hint, self.status, self.attempts))

    @property
    def permanent(self) -> bool:
        entry = GENERATION_ERRORS.get(self.code)
        return entry.permanent if entry else super().permanent

    @property
    def stops_run(self) -> bool:
        """True when every other request to this server would fail the same way."""
        return self.code in RUN_STOPPING


def _rebuild(
    code: str, message: str, hint: str, status: int | None, attempts: int
) -> GenerationError:
    return GenerationError(code, message, hint, status=status, attempts=attempts)


def display_url(url: str) -> str:
    """``url`` without a ``user:password@`` part (never shown or logged)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


def server_message(body: str, limit: int = 300) -> str:
    """The error message in a server's reply body (OpenAI's ``{"error": {"message"}}``,
    FastAPI's ``{"detail"}``, Ollama's ``{"error": "..."}``), else the body's start."""
    text = body.strip()
    try:
        data: Any = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("error", "detail", "message"):
            value = data.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("msg") or json.dumps(value)
            if isinstance(value, list):  # FastAPI/pydantic validation errors
                value = "; ".join(
                    str(v.get("msg", v)) if isinstance(v, dict) else str(v) for v in value
                )
            if isinstance(value, str) and value.strip():
                text = value.strip()
                break
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def names_missing_model(message: str) -> bool:
    """True when a server's message says the requested model does not exist."""
    low = message.lower()
    if "model" not in low:
        return False
    return any(
        p in low
        for p in ("not found", "does not exist", "not exist", "unknown", "no such", "not serve")
    )


def classify_status(status: int, message: str) -> str:
    """The code of an HTTP error reply (``message``: ``server_message`` of its body).

    A 404 that does not name the model is ``not_found``, not a final code: the wrong part
    may be the model or the URL, and only the server's model list (``client``) tells which.
    """
    if status in (401, 403):
        return "unauthorized"
    if status == 404:
        return "model_not_found" if names_missing_model(message) else "not_found"
    if status == 429:
        return "rate_limited"
    if status == 408:
        return "timeout"
    if status >= 500:
        return "server_error"
    if names_missing_model(message):
        return "model_not_found"
    return "bad_request"
