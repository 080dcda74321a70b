"""Chat completions spread over several servers of the same model, with one ledger.

A team with several GPU boxes runs one model server on each; ``generate --base-url A
--base-url B`` uses them all. The pool holds one ``ChatClient`` per server, each asked for
one try at a time, and owns the retries itself, so a retry can go to another server:

- **Free capacity decides.** Each server has ``concurrency`` slots. A request goes to the
  server with the most free slots (ties: the one picked least recently); when every
  server is full it waits for a slot anywhere, so a fast server takes more of the work.
- **A server that fails is rested.** A refused connection, a timeout, a dropped
  connection, a 5xx or a 429 puts that server to rest, for its ``Retry-After`` when it
  sent one, else for a backoff that grows with its failures in a row (``retry_policy``).
  The request is tried again at once on a server that is not resting; a rested server
  takes work again when its rest is over, and a success ends its streak.
- **Tries are the request's**, whichever server they went to: ``max_attempts`` counts
  them all, and ``on_attempt`` numbers them as one request, as the single client does.
- Errors every server would give (401, a prompt over the context, a model not served)
  end the request at once, as with one server.

The request key holds no server: an answer is the same whichever server gave it, so the
ledger stays one and a pair is never paid for twice because it went to another box.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import random
import time
from collections.abc import Callable
from typing import Any

from loratui.core.generation import failures
from loratui.core.generation.client import Attempt, ChatClient, Completion, only_model
from loratui.core.generation.failures import GenerationError, display_url
from loratui.core.generation.retry_policy import backoff_seconds
from loratui.core.generation.settings import GenerationSettings, Sampling

# the attempts the client reported during one try, kept until the pool knows what follows
_TRY_ATTEMPTS: contextvars.ContextVar[list[Attempt] | None] = contextvars.ContextVar(
    "_TRY_ATTEMPTS", default=None
)
# a server is rested when a try on it failed in one of these ways; other errors are the
# request's own (a bad answer is not the server's fault) and are retried without a rest
_SERVER_FAULTS = frozenset({"server_unreachable", "timeout", "server_error", "rate_limited"})


@dataclasses.dataclass
class ServerState:
    """One server of the pool: its client and how it has been doing."""

    client: ChatClient
    capacity: int
    busy: int = 0  # requests given to it and not yet back
    rest_until: float = 0.0  # monotonic time before which it gets no work
    streak: int = 0  # failures in a row
    picked_at: float = 0.0
    answered: int = 0
    failed: int = 0

    @property
    def url(self) -> str:
        return self.client.base_url

    def summary(self) -> dict[str, Any]:
        return {
            "url": display_url(self.url),
            "answered": self.answered,
            "failed": self.failed,
            "resting": self.rest_until > time.monotonic(),
        }


class ServerPool:
    """The ``ChatClient`` interface over ``settings.servers()``; ``async with`` or ``aclose``."""

    def __init__(
        self,
        settings: GenerationSettings,
        *,
        api_key: str | None = None,
        on_attempt: Callable[[Attempt], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.on_attempt = on_attempt
        self._rng = rng or random.Random()
        self.servers = [
            ServerState(
                client=ChatClient(
                    settings.with_changes(base_url=url, extra_base_urls=[], max_attempts=1),
                    api_key=api_key,
                    on_attempt=self._collect,
                    rng=self._rng,
                ),
                capacity=settings.concurrency,
            )
            for url in settings.servers()
        ]
        self.base_url = self.servers[0].url
        self._freed = asyncio.Event()
        self._model: str | None = settings.model or None

    @property
    def clients(self) -> list[ChatClient]:
        return [s.client for s in self.servers]

    @property
    def in_flight(self) -> int:
        return sum(s.client.in_flight for s in self.servers)

    @property
    def max_in_flight(self) -> int:
        """The most requests in flight on one server at once (each stays within its cap)."""
        return max(s.client.max_in_flight for s in self.servers)

    def __repr__(self) -> str:
        urls = ", ".join(display_url(s.url) for s in self.servers)
        return f"ServerPool([{urls}], concurrency={self.settings.concurrency} each)"

    async def __aenter__(self) -> ServerPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for server in self.servers:
            await server.client.aclose()

    # ---- models -------------------------------------------------------------------------

    async def list_models(self, *, attempts: int | None = None) -> list[str]:
        """The models every server serves (the first server's order)."""
        lists = [await s.client.list_models(attempts=attempts) for s in self.servers]
        common = set.intersection(*(set(m) for m in lists))
        return [m for m in lists[0] if m in common]

    async def resolve_model(self) -> str:
        """The model to ask: the setting, else the one model all servers serve."""
        if self._model:
            return self._model
        self._model = only_model(await self.list_models(), "the servers share", "every server")
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
        """One chat completion, its tries spread over the servers by the rules above."""
        model = model or await self.resolve_model()
        started = time.monotonic()
        tries = 0
        while True:
            server = await self._take()
            tries += 1
            reports: list[Attempt] = []
            token = _TRY_ATTEMPTS.set(reports)
            try:
                completion = await server.client.chat(
                    messages,
                    schema=schema,
                    schema_name=schema_name,
                    key=key,
                    sampling=sampling,
                    model=model,
                )
            except GenerationError as exc:
                error: GenerationError | None = exc
            else:
                error = None
            finally:
                _TRY_ATTEMPTS.reset(token)
                self._give_back(server)
            if error is None:
                server.streak = 0
                server.answered += 1
                self._relay(reports, tries, None)
                return dataclasses.replace(
                    completion, attempts=tries, seconds=time.monotonic() - started
                )
            delay = self._failed(server, error, tries)
            self._relay(reports, tries, delay)
            if delay is None:
                if tries > 1:
                    error.message = f"{error.message} (gave up after {tries} tries)"
                error.attempts = tries
                raise error
            if delay > 0:
                await asyncio.sleep(delay)

    def summary(self) -> list[dict[str, Any]]:
        """Each server's answers and failures so far, for the run's report."""
        return [s.summary() for s in self.servers]

    # ---- choosing a server --------------------------------------------------------------

    async def _take(self) -> ServerState:
        """The server with the most free slots that is not resting; waits for one."""
        while True:
            now = time.monotonic()
            awake = [s for s in self.servers if s.rest_until <= now]
            free = [s for s in awake if s.busy < s.capacity]
            if free:
                best = max(free, key=lambda s: (s.capacity - s.busy, -s.picked_at))
                best.busy += 1
                best.picked_at = now
                return best
            self._freed.clear()
            wake = min((s.rest_until for s in self.servers if s.rest_until > now), default=None)
            timeout = None if wake is None or awake else wake - now
            try:
                await asyncio.wait_for(self._freed.wait(), timeout)
            except TimeoutError:
                pass

    def _give_back(self, server: ServerState) -> None:
        server.busy -= 1
        self._freed.set()

    def _failed(self, server: ServerState, err: GenerationError, tries: int) -> float | None:
        """Rest ``server`` when the failure is its own; the seconds before the next try
        (0: at once, on another server), or ``None`` when the request fails for good."""
        server.failed += 1
        if err.code in _SERVER_FAULTS:
            server.streak += 1
            # the client keeps the server's Retry-After as the time it sends nothing before
            rest = max(
                server.client.not_before - time.monotonic(),
                backoff_seconds(server.streak, self.settings.retry_backoff_s, self._rng),
            )
            server.rest_until = time.monotonic() + rest
            self._freed.set()
        retryable = err.code in failures.RETRYABLE or err.code == "server_unreachable"
        if not retryable or tries >= self.settings.max_attempts:
            return None
        if err.code not in _SERVER_FAULTS and len(self.servers) == 1:
            return backoff_seconds(tries, self.settings.retry_backoff_s, self._rng)
        return 0.0

    # ---- attempts -----------------------------------------------------------------------

    def _collect(self, attempt: Attempt) -> None:
        """The clients' reports: kept for the try in progress, or passed on (model lists)."""
        pending = _TRY_ATTEMPTS.get()
        if pending is not None and attempt.endpoint == "chat":
            pending.append(attempt)
        elif self.on_attempt is not None:
            self.on_attempt(attempt)

    def _relay(self, reports: list[Attempt], tries: int, delay: float | None) -> None:
        """A try's reports, numbered as tries of the one request; the last one says when
        the next try comes."""
        if self.on_attempt is None:
            return
        for i, attempt in enumerate(reports):
            last = i == len(reports) - 1
            retry_in = attempt.retry_in if not last else delay
            self.on_attempt(dataclasses.replace(attempt, number=tries, retry_in=retry_in))


def open_client(
    settings: GenerationSettings,
    *,
    api_key: str | None = None,
    on_attempt: Callable[[Attempt], None] | None = None,
) -> ChatClient | ServerPool:
    """The client for ``settings``: one server's ``ChatClient``, or a pool of several."""
    kind = ServerPool if len(settings.servers()) > 1 else ChatClient
    return kind(settings, api_key=api_key, on_attempt=on_attempt)
