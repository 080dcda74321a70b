"""The asyncio client of an OpenAI-compatible chat-completions server.

Built on httpx (no library-internal retries: the transport's are off), so every try is
seen and reported: ``on_attempt`` gets one ``Attempt`` per HTTP request (status, seconds,
tokens from ``usage``, error code, the wait before the next try), which is what a request
ledger counts. The rules:

- **At most ``concurrency`` requests in flight**: a semaphore around each HTTP request (the
  connection pool has the same size). Waits between tries hold no slot.
- **Retry-After** (seconds or an HTTP date) on 429 and 503 is honoured by the whole client:
  no request is sent before it has passed, since the server said it is overloaded.
- **Backoff** with jitter (``retry_policy``) on 429/5xx without Retry-After, timeouts,
  dropped connections and replies that are not a chat completion.
- **Fail fast** when nothing listens (connection refused, unknown host, connect timeout):
  ``server_unreachable`` at once, without retries, unless this client already had an
  answer from the server (then it may be restarting, and the connection is retried).
  401/403, an unknown model and other 4xx fail at once too.
- After ``max_attempts`` tries the request fails with the last error's code and message.

The API key comes from ``LORATUI_API_KEY`` or ``OPENAI_API_KEY``; it is sent as a bearer
token and appears in no message, attempt or repr.

Reasoning models: ``reasoning_content`` (vLLM, DeepSeek) or ``reasoning`` (Ollama) is read
into ``Completion.reasoning`` and never taken as the answer.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from loratui.core.generation import failures
from loratui.core.generation.failures import GenerationError, display_url, server_message
from loratui.core.generation.response_format import FormatLadder, is_refusal, payload
from loratui.core.generation.retry_policy import (
    MAX_RETRY_AFTER_S,
    backoff_seconds,
    retry_after_seconds,
)
from loratui.core.generation.settings import GenerationSettings, Sampling

API_KEY_VARIABLES = ("LORATUI_API_KEY", "OPENAI_API_KEY")
_LOOPBACK = ("127.", "localhost", "::1", "[::1]")


def api_key_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """The API key from ``LORATUI_API_KEY``, else ``OPENAI_API_KEY``; ``None`` when unset."""
    env = os.environ if env is None else env
    for name in API_KEY_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


@dataclass(frozen=True)
class Attempt:
    """One HTTP request as it went: what a ledger records for each try."""

    endpoint: str  # "chat" or "models"
    key: str | None  # the caller's request key (chat requests), for the ledger
    number: int  # 1-based: the how-many-th try of this request
    status: int | None  # HTTP status; None when no reply came (refused, timeout, dropped)
    seconds: float
    tokens_in: int | None  # usage.prompt_tokens
    tokens_out: int | None  # usage.completion_tokens
    error: str | None  # a failure code; "format_refused" when auto steps down; None: success
    message: str | None
    retry_in: float | None  # seconds until the next try; None: no next try
    response_format: str  # the mode this try asked for (none for model lists)


@dataclass(frozen=True)
class Completion:
    """A chat completion that arrived: the answer text and how it was obtained."""

    content: str  # the answer ("" when the model gave none)
    reasoning: str | None  # the model's thinking, when the server returns it apart
    finish_reason: str | None
    model: str  # the model as the server names it
    tokens_in: int | None
    tokens_out: int | None
    attempts: int  # tries this request took
    response_format: str  # the mode of the try that answered
    seconds: float  # from the first try to the answer, waits included


@dataclass
class _Reply:
    status: int | None
    seconds: float
    data: Any = None  # the JSON body of a 2xx reply
    error: GenerationError | None = None
    retry_after: float | None = None


class ChatClient:
    """Chat completions and model lists from one server; use ``async with`` or ``aclose``."""

    def __init__(
        self,
        settings: GenerationSettings,
        *,
        api_key: str | None = None,
        on_attempt: Callable[[Attempt], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.base_url = settings.api_base()
        self.on_attempt = on_attempt
        self.formats = FormatLadder(settings.response_format)
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests ever in flight at once (a self-check)
        self._rng = rng or random.Random()
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._not_before = 0.0  # monotonic time before which nothing is sent (Retry-After)
        self._answered = False  # the server answered once: a refused connection is retried
        self._model: str | None = settings.model or None
        key = api_key if api_key is not None else api_key_from_env()
        host = urlsplit(self.base_url).hostname or ""
        self._http = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {key}"} if key else {},
            timeout=httpx.Timeout(
                settings.request_timeout_s,
                connect=settings.connect_timeout_s,
                pool=settings.request_timeout_s,
            ),
            limits=httpx.Limits(
                max_connections=settings.concurrency,
                max_keepalive_connections=settings.concurrency,
            ),
            transport=httpx.AsyncHTTPTransport(retries=0),
            # a proxy from the environment never stands between us and a local server
            trust_env=not host.startswith(_LOOPBACK),
        )

    @property
    def not_before(self) -> float:
        """The monotonic time before which this client sends nothing (a Retry-After)."""
        return self._not_before

    def __repr__(self) -> str:
        url, n = display_url(self.base_url), self.settings.concurrency
        return f"ChatClient({url!r}, concurrency={n})"

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- models -------------------------------------------------------------------------

    async def list_models(self, *, attempts: int | None = None) -> list[str]:
        """The model names the server lists at ``/models``, in its order."""
        data = await self._request("models", "GET", "/models", None, attempts=attempts)
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise GenerationError(
                "bad_response",
                f"{self._url('/models')} did not answer with a model list",
                attempts=1,
            )
        return [str(m["id"]) for m in items if isinstance(m, dict) and m.get("id")]

    async def resolve_model(self) -> str:
        """The model to ask: the setting, else the one model the server serves."""
        if self._model:
            return self._model
        self._model = only_model(await self.list_models(), "the server serves")
        return self._model

    # ---- chat ---------------------------------------------------------------------------

    async def chat(
        self,
        messages: list[dict[str, str]],
        *,
        schema: dict[str, Any] | None = None,
        schema_name: str = "pairs",
        key: str | None = None,
        sampling: Sampling | None = None,
        model: str | None = None,
    ) -> Completion:
        """One chat completion, retried by the rules above; ``GenerationError`` when it
        fails for good. ``schema``: the JSON schema of the answer, for the JSON modes
        (without one, no ``response_format`` is sent)."""
        model = model or await self.resolve_model()
        sampling = sampling or self.settings.sampling()
        base = {"model": model, "messages": messages, **sampling.as_dict()}
        started = time.monotonic()
        tries = 0
        while True:
            mode = self.formats.current if schema is not None else "none"
            body = dict(base)
            response_format = payload(mode, schema, schema_name)
            if response_format is not None:
                body["response_format"] = response_format
            tries += 1
            reply = await self._send("POST", "/chat/completions", body)
            completion = None
            if reply.error is None:
                try:
                    completion = _completion(reply.data, tries, mode, started)
                except GenerationError as exc:
                    reply.error = exc
            tokens = (completion.tokens_in, completion.tokens_out) if completion else (None, None)
            if reply.error is None and completion is not None:
                self._report("chat", key, tries, reply, tokens, None, mode)
                return completion
            err = reply.error
            assert err is not None
            refused = response_format is not None and is_refusal(reply.status or 0, err.message)
            if refused and err.code in ("bad_request", "server_error"):
                nxt = self.formats.step_down(mode)
                if nxt is not None:
                    self._report("chat", key, tries, reply, tokens, 0.0, mode, "format_refused")
                    tries -= 1  # a refused format does not use up a try
                    continue
                err = GenerationError(
                    "bad_request",
                    err.message,
                    f"the server refuses response_format {mode}; set response_format to auto "
                    "(`loratui genconfig PROJECT --set response_format=auto`)",
                    status=reply.status,
                )
            delay = self._retry_delay(err, reply, tries)
            if delay is None:
                err = await self._final(err, tries, model)
            self._report("chat", key, tries, reply, tokens, delay, mode, err.code, err.message)
            if delay is None:
                raise err
            await asyncio.sleep(delay)

    # ---- one request with retries (model lists) -----------------------------------------

    async def _request(
        self,
        endpoint: str,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        *,
        attempts: int | None = None,
    ) -> Any:
        tries = 0
        while True:
            tries += 1
            reply = await self._send(method, path, body)
            if reply.error is None:
                self._report(endpoint, None, tries, reply, (None, None), None, "none")
                return reply.data
            err = reply.error
            delay = self._retry_delay(err, reply, tries, attempts)
            if delay is None and err.code == "not_found":
                err = GenerationError(
                    "server_unreachable",
                    f"{self._url(path)} is not an OpenAI-compatible API (HTTP 404)",
                    status=404,
                )
            none = (None, None)
            self._report(endpoint, None, tries, reply, none, delay, "none", err.code, err.message)
            if delay is None:
                err.attempts = tries
                raise err
            await asyncio.sleep(delay)

    def _retry_delay(
        self, err: GenerationError, reply: _Reply, tries: int, attempts: int | None = None
    ) -> float | None:
        """Seconds before the next try, or ``None`` when there is none."""
        limit = attempts or self.settings.max_attempts
        too_long = reply.retry_after is not None and reply.retry_after > MAX_RETRY_AFTER_S
        if reply.retry_after is not None and not too_long:
            # the server is overloaded: no request of this client goes before it has passed
            self._not_before = max(self._not_before, time.monotonic() + reply.retry_after)
        retryable = err.code in failures.RETRYABLE or (
            err.code == "server_unreachable" and self._answered
        )
        if not retryable or tries >= limit:
            return None
        if too_long:
            err.message += f" (it asks to wait {reply.retry_after:.0f} s: too long to wait)"
            return None
        if reply.retry_after is not None:
            return reply.retry_after
        return backoff_seconds(tries, self.settings.retry_backoff_s, self._rng)

    async def _final(self, err: GenerationError, tries: int, model: str) -> GenerationError:
        """The error a request fails with, completed: tries, and the model list when the
        model or the URL is wrong."""
        if err.code == "not_found" or err.code == "model_not_found":
            try:
                models = await self.list_models(attempts=1)
            except GenerationError as list_err:
                if err.code == "not_found" or list_err.code == "server_unreachable":
                    return GenerationError(
                        "server_unreachable",
                        f"{self._url('/chat/completions')} is not an OpenAI-compatible API "
                        f"(HTTP {err.status})",
                        status=err.status,
                        attempts=tries,
                    )
                models = None
            if models is not None and (err.code == "model_not_found" or model not in models):
                listed = ", ".join(models) if models else "no models"
                return GenerationError(
                    "model_not_found",
                    f"the model server does not serve {model!r}: {err.message}",
                    f"check --model; the server lists: {listed}",
                    status=err.status,
                    attempts=tries,
                )
            if err.code == "not_found":
                err = GenerationError("bad_request", err.message, status=err.status)
        if tries > 1:
            err.message = f"{err.message} (gave up after {tries} tries)"
        err.attempts = tries
        return err

    # ---- one HTTP request ---------------------------------------------------------------

    async def _send(self, method: str, path: str, body: dict[str, Any] | None) -> _Reply:
        """One HTTP request inside a concurrency slot; every failure is a value."""
        url = self._url(path)
        async with self._slots:
            while (wait := self._not_before - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            started = time.monotonic()
            try:
                async with asyncio.timeout(self.settings.request_timeout_s):
                    response = await self._http.request(method, url, json=body)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
                return _Reply(None, time.monotonic() - started, error=self._unreachable(exc))
            except (TimeoutError, httpx.TimeoutException):
                seconds = time.monotonic() - started
                return _Reply(
                    None,
                    seconds,
                    error=GenerationError(
                        "timeout",
                        f"{display_url(url)} gave no complete answer within {seconds:.0f} s",
                    ),
                )
            except (httpx.RemoteProtocolError, httpx.NetworkError) as exc:
                return _Reply(
                    None,
                    time.monotonic() - started,
                    error=GenerationError(
                        "server_error",
                        f"the connection to {display_url(url)} dropped before the answer was "
                        f"complete ({_why(exc)})",
                    ),
                )
            except httpx.HTTPError as exc:
                return _Reply(
                    None,
                    time.monotonic() - started,
                    error=GenerationError("bad_response", f"{display_url(url)}: {_why(exc)}"),
                )
            finally:
                self.in_flight -= 1
        seconds = time.monotonic() - started
        self._answered = True
        return _reply_of(response, seconds, display_url(url))

    def _unreachable(self, exc: Exception) -> GenerationError:
        return GenerationError(
            "server_unreachable",
            f"cannot connect to {display_url(self.base_url)}: {_why(exc)}",
        )

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _report(
        self,
        endpoint: str,
        key: str | None,
        number: int,
        reply: _Reply,
        tokens: tuple[int | None, int | None],
        retry_in: float | None,
        mode: str,
        error: str | None = None,
        message: str | None = None,
    ) -> None:
        if self.on_attempt is None:
            return
        self.on_attempt(
            Attempt(
                endpoint=endpoint,
                key=key,
                number=number,
                status=reply.status,
                seconds=reply.seconds,
                tokens_in=tokens[0],
                tokens_out=tokens[1],
                error=error,
                message=message,
                retry_in=retry_in,
                response_format=mode,
            )
        )


def only_model(models: list[str], serves: str, lister: str = "the server") -> str:
    """The one model in ``models``; ``model_not_found`` naming them when there are none or
    several (``serves``: who lists them, e.g. "the server serves")."""
    if len(models) == 1:
        return models[0]
    listed = ", ".join(models) if models else "none"
    raise GenerationError(
        "model_not_found",
        f"no model is set and {serves} " + ("none" if not models else f"{len(models)} models"),
        f"choose one with --model; {lister} lists: {listed}",
    )


def _reply_of(response: httpx.Response, seconds: float, url: str) -> _Reply:
    """A received HTTP reply as a ``_Reply``: its JSON, or its error classified."""
    status = response.status_code
    if 200 <= status < 300:
        try:
            return _Reply(status, seconds, data=response.json())
        except ValueError:
            return _Reply(
                status,
                seconds,
                error=GenerationError(
                    "bad_response",
                    f"{url} answered {status} with a body that is not JSON: "
                    f"{server_message(response.text, 120)!r}",
                    status=status,
                ),
            )
    message = server_message(response.text)
    code = failures.classify_status(status, message)
    retry_after = None
    if status in (429, 503):
        retry_after = retry_after_seconds(response.headers.get("retry-after"))
    text = f"{url} answered {status}" + (f": {message}" if message else "")
    return _Reply(
        status, seconds, error=GenerationError(code, text, status=status), retry_after=retry_after
    )


def _completion(data: Any, tries: int, mode: str, started: float) -> Completion:
    """The ``Completion`` in a chat-completions body; ``bad_response`` when there is none."""
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        what = server_message(str(data.get("error", ""))) if isinstance(data, dict) else ""
        raise GenerationError(
            "bad_response",
            "the reply holds no chat completion (no choices)" + (f": {what}" if what else ""),
        )
    choice = choices[0]
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    return Completion(
        content=_text_of(message.get("content")),
        reasoning=reasoning if isinstance(reasoning, str) and reasoning else None,
        finish_reason=choice.get("finish_reason"),
        model=str(data.get("model") or ""),
        tokens_in=_int_or_none(usage.get("prompt_tokens")),
        tokens_out=_int_or_none(usage.get("completion_tokens")),
        attempts=tries,
        response_format=mode,
        seconds=time.monotonic() - started,
    )


def _text_of(content: Any) -> str:
    """A message's content as text (a string, or a list of ``{"type": "text"}`` parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _why(exc: Exception) -> str:
    """A short reason for a transport error (httpx's text, else the exception's kind)."""
    text = str(exc).strip()
    if not text and exc.__cause__ is not None:
        text = str(exc.__cause__).strip()
    return text or type(exc).__name__
