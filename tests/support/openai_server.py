"""A fake OpenAI-compatible model server on 127.0.0.1 that misbehaves on purpose.

It answers ``GET /v1/models`` and ``POST /v1/chat/completions`` as vLLM does, with pairs
made from the excerpt in the prompt (each answer is a sentence of it, so the answers are
supported), and injects the faults a real server shows (``FAULTS``). It counts what it
sees: every request with its arrival time, and the most requests in flight at once.

Which reply a chat request gets, in this order:

1. the first ``rules`` entry whose ``match`` is in the request's messages and that has
   ``times`` left (absent: every time);
2. else the next of ``steps`` (each used once, in arrival order);
3. else ``default``.

Each is a dict: ``{"fault": NAME, "delay": SECONDS, "retry_after": "2" | "date:2",
"content": TEXT}`` (all but ``fault`` optional; ``retry_after`` ``date:N`` sends an HTTP
date N seconds ahead; ``content`` replaces the made-up answer).

In a test: ``with OpenAIServer({"steps": [{"fault": "error500"}]}) as server: ...`` and
``server.url`` is the base URL (``…/v1``). As a process (phase 2's kill tests, the
benchmark)::

    python -m tests.support.openai_server --port 0 --plan '{"default": {"delay": 0.01}}'

prints ``listening on http://127.0.0.1:PORT/v1`` and serves until SIGTERM or SIGINT;
``GET /_stats`` returns the counts as JSON (requests, chat requests, the most in flight,
and how many times each prompt was asked, by the SHA-256 of its messages).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = (
    "ok",  # a clean JSON answer
    "bare_list",  # a JSON list of pairs, no {"pairs": ...}
    "fenced",  # the JSON in a ```json fence, with prose around it
    "prose",  # the JSON in the middle of a sentence
    "think",  # a <think>...</think> preface (holding a decoy draft) before the JSON
    "think_unterminated",  # only an unfinished <think> block: no answer at all
    "reasoning_field",  # JSON content, and a decoy in reasoning_content
    "invalid_json",  # near-JSON: single quotes, bare keys, trailing commas, no closing
    "truncated",  # the JSON cut at 80% (mid-answer), finish_reason "length"
    "garbage",  # a refusal in prose, no JSON
    "empty",  # no content, finish_reason "length" (thinking used every token)
    "not_json",  # HTTP 200 with an HTML body
    "rate_limit",  # 429, with Retry-After when given
    "unavailable",  # 503, with Retry-After when given
    "error500",  # 500 with an OpenAI-style error
    "bad_request",  # 400: the prompt is longer than the context
    "unauthorized",  # 401
    "drop",  # headers and half the body, then the socket is closed
    "drop_early",  # the socket is closed before anything is sent
    "slow",  # a clean answer after ``delay`` (any fault may have a delay)
)
DECOY = "DECOY: this draft is reasoning, never an answer?"
_SENTENCE = re.compile(r"[^.!?]+[.!?]")
_WORD = re.compile(r"\w+")


@dataclass
class Received:
    """One request as the server saw it."""

    at: float  # time.monotonic() at arrival
    method: str
    path: str
    body: Any
    authorization: str | None
    reply: str  # the fault it was answered with (or "models", "model_missing", ...)
    prompt_sha256: str | None = None


@dataclass
class Counters:
    requests: list[Received] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0


class OpenAIServer:
    """The server in a thread of this process; use as a context manager."""

    def __init__(self, plan: dict[str, Any] | None = None, port: int = 0) -> None:
        plan = dict(plan or {})
        unknown = set(plan) - {
            "steps",
            "rules",
            "default",
            "models",
            "api_key",
            "refuse_formats",
            "model_error_status",
        }
        if unknown:
            raise ValueError(f"unknown plan keys: {sorted(unknown)}")
        self.steps: list[dict[str, Any]] = [dict(s) for s in plan.get("steps", [])]
        self.rules: list[dict[str, Any]] = [dict(r) for r in plan.get("rules", [])]
        self.default: dict[str, Any] = dict(plan.get("default", {"fault": "ok"}))
        self.models: list[str] = list(plan.get("models", ["test-model"]))
        self.api_key: str | None = plan.get("api_key")
        self.refuse_formats: set[str] = set(plan.get("refuse_formats", []))
        self.model_error_status: int = int(plan.get("model_error_status", 404))
        for spec in [*self.steps, *self.rules, self.default]:
            if spec.get("fault", "ok") not in FAULTS:
                raise ValueError(f"unknown fault {spec.get('fault')!r}; use one of {FAULTS}")
        self.counters = Counters()
        self.lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd.owner = self
        self._thread: threading.Thread | None = None

    # ---- life ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> OpenAIServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close every open connection, as a server that dies."""
        self._httpd.shutdown()
        self._httpd.server_close()
        with self.lock:
            sockets = list(self._httpd.open_sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- what it saw --------------------------------------------------------------------

    @property
    def requests(self) -> list[Received]:
        with self.lock:
            return list(self.counters.requests)

    @property
    def chat_requests(self) -> list[Received]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def max_in_flight(self) -> int:
        return self.counters.max_in_flight

    def stats(self) -> dict[str, Any]:
        with self.lock:
            seen = list(self.counters.requests)
            by_prompt: dict[str, int] = {}
            for r in seen:
                if r.prompt_sha256:
                    by_prompt[r.prompt_sha256] = by_prompt.get(r.prompt_sha256, 0) + 1
            return {
                "requests": len(seen),
                "chat_requests": sum(r.path.endswith("/chat/completions") for r in seen),
                "max_in_flight": self.counters.max_in_flight,
                "in_flight": self.counters.in_flight,
                "replies": [r.reply for r in seen],
                "by_prompt": by_prompt,
            }

    # ---- choosing a reply ---------------------------------------------------------------

    def choose(self, prompt: str) -> dict[str, Any]:
        with self.lock:
            for rule in self.rules:
                if rule.get("match", "") in prompt and rule.get("times", 1) != 0:
                    if "times" in rule:
                        rule["times"] -= 1
                    return rule
            if self.steps:
                return self.steps.pop(0)
            return self.default


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    owner: OpenAIServer

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.open_sockets: set[socket.socket] = set()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (a timeout, a test that ended) is no server error."""
        if not isinstance(sys.exc_info()[1], ConnectionError | OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers
    timeout = 60  # an idle kept-alive connection's thread ends after this
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def setup(self) -> None:
        super().setup()
        with self.server.owner.lock:
            self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        with self.server.owner.lock:
            self.server.open_sockets.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    # ---- routes -------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        owner = self.server.owner
        if self.path == "/_stats":
            self._json(200, owner.stats())
            return
        if self.path.rstrip("/") != "/v1/models":
            self._json(404, {"detail": "Not Found"})
            return
        self._record("GET", None, "models")
        if not self._authorised():
            return
        data = [{"id": m, "object": "model", "owned_by": "fake"} for m in owner.models]
        self._json(200, {"object": "list", "data": data})

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._json(404, {"detail": "Not Found"})
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._json(400, {"error": {"message": "the body is not JSON"}})
            return
        messages = body.get("messages") or []
        prompt = "\n".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
        digest = hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()
        with owner.lock:
            owner.counters.in_flight += 1
            owner.counters.max_in_flight = max(
                owner.counters.max_in_flight, owner.counters.in_flight
            )
        try:
            self._chat(body, prompt, digest)
        finally:
            with owner.lock:
                owner.counters.in_flight -= 1

    def _chat(self, body: dict[str, Any], prompt: str, digest: str) -> None:
        owner = self.server.owner
        if not self._authorised(body, digest):
            return
        if body.get("model") not in owner.models:
            self._record("POST", body, "model_missing", digest)
            self._json(
                owner.model_error_status,
                {
                    "error": {
                        "message": f"The model `{body.get('model')}` does not exist.",
                        "type": "NotFoundError",
                        "code": owner.model_error_status,
                    }
                },
            )
            return
        kind = (body.get("response_format") or {}).get("type")
        if kind in owner.refuse_formats:
            self._record("POST", body, "format_refused", digest)
            self._json(
                400,
                {"error": {"message": f"response_format type {kind!r} is not supported"}},
            )
            return
        spec = owner.choose(prompt)
        fault = spec.get("fault", "ok")
        self._record("POST", body, fault, digest)
        if spec.get("delay"):
            time.sleep(float(spec["delay"]))
        self._reply(fault, spec, body, prompt)

    # ---- replies ------------------------------------------------------------------------

    def _reply(self, fault: str, spec: dict[str, Any], body: dict[str, Any], prompt: str) -> None:
        if fault in ("rate_limit", "unavailable"):
            status = 429 if fault == "rate_limit" else 503
            headers = {}
            if "retry_after" in spec:
                value = str(spec["retry_after"])
                if value.startswith("date:"):
                    value = formatdate(time.time() + float(value[5:]), usegmt=True)
                headers["Retry-After"] = value
            self._json(status, {"error": {"message": "Too many requests, slow down"}}, headers)
            return
        if fault == "error500":
            self._json(500, {"error": {"message": "internal error", "type": "InternalError"}})
            return
        if fault == "bad_request":
            msg = "This model's maximum context length is 2048 tokens. However, you requested 9000"
            self._json(400, {"error": {"message": msg, "type": "BadRequestError"}})
            return
        if fault == "unauthorized":
            self._json(401, {"error": {"message": "Invalid API key", "type": "auth_error"}})
            return
        if fault == "drop_early":
            self._drop()
            return
        if fault == "not_json":
            self._send(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
            return
        pairs = make_pairs(prompt, use_instruction='"instruction"' in prompt)
        content, reasoning, finish = render_content(fault, pairs)
        if "content" in spec:
            content = spec["content"]
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if reasoning is not None:
            message["reasoning_content"] = reasoning
        reply = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": len(_WORD.findall(prompt)),
                "completion_tokens": len(_WORD.findall(content or "")),
                "total_tokens": len(_WORD.findall(prompt)) + len(_WORD.findall(content or "")),
            },
        }
        if fault == "drop":
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self._drop()
            return
        self._json(200, reply)

    def _authorised(self, body: dict[str, Any] | None = None, digest: str | None = None) -> bool:
        owner = self.server.owner
        if owner.api_key is None or self.headers.get("Authorization") == f"Bearer {owner.api_key}":
            return True
        if body is not None:
            self._record("POST", body, "unauthorized", digest)
        self._json(401, {"error": {"message": "Invalid API key", "type": "auth_error"}})
        return False

    def _record(self, method: str, body: Any, reply: str, digest: str | None = None) -> None:
        owner = self.server.owner
        with owner.lock:
            owner.counters.requests.append(
                Received(
                    at=time.monotonic(),
                    method=method,
                    path=self.path,
                    body=body,
                    authorization=self.headers.get("Authorization"),
                    reply=reply,
                    prompt_sha256=digest,
                )
            )

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), "application/json", headers)

    def _send(
        self, status: int, data: bytes, kind: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.connection.close()


# ---- made-up answers ----------------------------------------------------------------------


def excerpt_of(prompt: str) -> str:
    """The excerpt in a prompt: between the first pair of triple quotes, else all of it."""
    parts = prompt.split('"""')
    return parts[1].strip() if len(parts) >= 3 else prompt


def make_pairs(prompt: str, use_instruction: bool = False) -> list[dict[str, str]]:
    """One pair per sentence of the excerpt, as many as the prompt asks for (default 3)."""
    asked = re.search(r"Write (\d+) ", prompt)
    n = int(asked.group(1)) if asked else 3
    sentences = [s.strip() for s in _SENTENCE.findall(excerpt_of(prompt)) if s.strip()]
    sentences = sentences or [excerpt_of(prompt).strip() or "Nothing was given."]
    pairs = []
    for i in range(n):
        sentence = sentences[i % len(sentences)]
        topic = " ".join(_WORD.findall(sentence)[:6])
        if use_instruction:
            pairs.append({"instruction": f"Explain this point: {topic}.", "response": sentence})
        else:
            pairs.append({"question": f"What is said about {topic}?", "answer": sentence})
    return pairs


def render_content(fault: str, pairs: list[dict[str, str]]) -> tuple[str, str | None, str]:
    """(content, reasoning_content, finish_reason) of a 200 reply with ``fault``."""
    clean = json.dumps({"pairs": pairs}, ensure_ascii=False)
    decoy = json.dumps({"pairs": [{"question": DECOY, "answer": DECOY}]})
    if fault == "bare_list":
        return json.dumps(pairs, ensure_ascii=False), None, "stop"
    if fault == "fenced":
        pretty = json.dumps({"pairs": pairs}, ensure_ascii=False, indent=2)
        text = f"Here are the pairs you asked for:\n\n```json\n{pretty}\n```\n\nEnjoy!"
        return text, None, "stop"
    if fault == "prose":
        return f"Sure! The pairs are {clean} and I hope they help.", None, "stop"
    if fault == "think":
        text = f"<think>\nA first draft: {decoy}\nBetter ones now.\n</think>\n\n{clean}"
        return text, None, "stop"
    if fault == "think_unterminated":
        return f"<think>\nLet me see. Perhaps {decoy}, or", None, "length"
    if fault == "reasoning_field":
        return clean, f"Draft: {decoy}", "stop"
    if fault == "invalid_json":
        items = ", ".join(
            "{" + ", ".join(f"{k}: '{_single(v)}'" for k, v in p.items()) + ",}" for p in pairs
        )
        return "{pairs: [" + items + ",", None, "stop"
    if fault == "truncated":
        return clean[: len(clean) * 4 // 5], None, "length"
    if fault == "garbage":
        return "I'm sorry, but I can't help with that request.", None, "stop"
    if fault == "empty":
        return "", "Thinking about every sentence in turn...", "length"
    return clean, None, "stop"


def _single(text: str) -> str:
    return text.replace("'", "\u2019")


# ---- as a process --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--plan", default="{}", help="the fault plan as JSON, or @FILE")
    args = parser.parse_args(argv)
    text = args.plan
    if text.startswith("@"):
        with open(text[1:], encoding="utf-8") as f:
            text = f.read()
    server = OpenAIServer(json.loads(text), port=args.port)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    print(f"listening on {server.url}", flush=True)
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
