"""A generation run: every chunk of a project asked for pairs, durably, on one asyncio loop.

The steps (``GenerationRunner.run``):

1. **Preflight**: the server's model list (one try). A server that cannot be reached, a
   model it does not serve, or a 401 ends the run here, within seconds, with nothing
   stored changed.
2. **Plan** (``chunks``, ``ledger.plan``): the export's chunks, each with its request key;
   one generate job per new key; failed jobs queued again; finished ones left alone.
3. **Work**: about twice ``concurrency`` jobs held at once (per server), leased and
   renewed by a heartbeat; the client keeps at most ``concurrency`` requests in flight
   (several servers: ``server_pool`` spreads them, ``concurrency`` on each). Per job: the
   ledger's answer if it has one (no request), else the request committed ``in_flight``,
   sent, and its answer, pairs and the job's end written in one transaction. An answer
   that cannot be read is asked once more under a repair key, then the chunk is
   quarantined with the raw text and the reason.
4. **End**: the run row and a ``generation.*`` event with the counts.

Errors: one that stops the run (``failures.RUN_STOPPING``: unreachable, 401, no such
model) gives every held job back without counting an attempt and ends the run with that
error; a permanent one (a prompt over the context) fails its chunk; the others were
retried by the client up to ``max_attempts`` and then fail the chunk, with the last error
kept. ``stop()`` (SIGINT/SIGTERM in the CLI) ends the run the same way: requests in flight
are dropped and their jobs go back to the queue, to be asked again by the next run.
``pause()`` (the TUI's pause) ends it gently: no new chunk is claimed, the chunks in hand
finish, and the run ends ``stopped``; the next run carries on with the chunks left.

The database is only touched from ``db_thread`` (group commit), never from the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable
from typing import Any

from loratui.core.errors import LoratuiError
from loratui.core.export.config import load_config as load_export_config
from loratui.core.generation import ledger
from loratui.core.generation.chunks import iter_chunks
from loratui.core.generation.client import Attempt, ChatClient, Completion
from loratui.core.generation.config_store import settings_hash
from loratui.core.generation.db_thread import DBThread
from loratui.core.generation.failures import GenerationError, display_url
from loratui.core.generation.gates import GateRules, check_pair
from loratui.core.generation.judge import JUDGE, judge_rejection, parse_judge, subject_sha256
from loratui.core.generation.judge import SCHEMA as JUDGE_SCHEMA
from loratui.core.generation.pair_schema import response_schema
from loratui.core.generation.parsing import ParsedPairs, parse_pairs
from loratui.core.generation.progress import Progress
from loratui.core.generation.request_key import (
    chunk_request_key,
    judge_request_key,
    judge_sampling,
    repair_sampling,
)
from loratui.core.generation.server_pool import ServerPool, open_client
from loratui.core.generation.settings import GenerationSettings
from loratui.core.generation.support import ChunkVocabulary
from loratui.core.jobs.queue import renew_many
from loratui.core.store.models import Project
from loratui.core.store.owners import new_owner

LEASE_S = 60.0
HEARTBEAT_S = 10.0
FLUSH_S = 0.25  # attempts and progress are written at most this often
HOLD_FACTOR = 2  # jobs held per request slot: the next chunk is ready when a slot frees


class _StopRun(Exception):
    """A request failed in a way that every other request would too."""

    def __init__(self, error: GenerationError) -> None:
        super().__init__(error.message)
        self.error = error


class GenerationRunner:
    """Generate pairs for one project's chunks; ``await run()`` once."""

    def __init__(
        self,
        project: Project,
        settings: GenerationSettings,
        *,
        api_key: str | None = None,
        limit: int | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        before_start: Callable[[str], None] | None = None,
        origin: str | None = None,
        lease_s: float = LEASE_S,
    ) -> None:
        """``before_start(model)`` runs on the database thread once the preflight passed
        (the CLI saves the settings it was given there)."""
        self.project_id = project.id
        self.settings = settings.check()
        self.api_key = api_key
        self.limit = limit
        self.on_progress = on_progress
        self.before_start = before_start
        self.origin = origin
        self.lease_s = lease_s
        self.owner = new_owner("generate")
        self.template = settings.prompt_template()
        self.template_version = self.template.version()
        self.schema = response_schema(self.template.question_key, self.template.answer_key)
        self.rules = GateRules.from_settings(settings)
        self.progress = Progress(state="idle")
        self.model = ""
        self.judge_model = ""
        self.run_id: int | None = None
        self.db: DBThread | None = None
        self._client: ChatClient | ServerPool | None = None
        self.servers: list[dict[str, Any]] = []  # per server, when there were several
        self._index: Any = None
        self._stop = asyncio.Event()
        self._draining = False
        self._fatal: GenerationError | LoratuiError | None = None
        self._held: dict[int, asyncio.Task[None]] = {}
        self._unfinished: list[int] = []
        self.plan_s = 0.0  # chunking and writing the plan's jobs
        self.plan_cpu_s = 0.0
        self._request_ids: dict[str, int] = {}
        self._attempts: list[tuple[int, Attempt]] = []
        self._last_progress = 0.0

    # ---- control ------------------------------------------------------------------------

    def stop(self) -> None:
        """End the run soon: requests in flight are dropped, their jobs go back."""
        self._stop.set()

    def pause(self) -> None:
        """End the run once the chunks in hand are finished; claim no new ones."""
        self._draining = True
        if self.progress.state == "running":
            self.progress.state = "pausing"

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def pausing(self) -> bool:
        return self._draining

    # ---- the run ------------------------------------------------------------------------

    async def run(self) -> Progress:
        """Run until every chunk is done, failed or quarantined, or until stopped. Raises
        ``LoratuiError`` when the preflight fails (nothing changed) or a request stops the
        run (the run is recorded as stopped, with the error)."""
        started = time.monotonic()
        self.progress.state = "preflight"
        async with open_client(
            self.settings, api_key=self.api_key, on_attempt=self._on_attempt
        ) as client:
            self._client = client
            self.model, self.judge_model = await self._preflight(client)
            self.db = DBThread(on_rollback=self._reload_index)
            try:
                await self._prepare()
                self.progress.state = "pausing" if self._draining else "running"
                self.progress.started_at = time.time()
                self._emit(force=True)
                await self._work()
            finally:
                await self._finish(started)
                self.db.close()
                if isinstance(client, ServerPool):
                    self.servers = client.summary()
        if self._fatal is not None:
            raise self._fatal
        return self.progress

    async def _preflight(self, client: ChatClient | ServerPool) -> tuple[str, str]:
        """The model (and judge model) to ask; ``GenerationError`` when a server cannot be
        reached, refuses us, or does not serve them (each server is asked)."""
        servers = client.clients if isinstance(client, ServerPool) else [client]
        served = [(c.base_url, await c.list_models(attempts=1)) for c in servers]
        model = self.settings.model or await client.resolve_model()
        judge = (self.settings.judge_model or model) if self.settings.judge else ""
        for url, models in served:
            _check_served(model, models, url)
            if judge:
                _check_served(judge, models, url)
        return model, judge

    async def _prepare(self) -> None:
        db = self.db
        assert db is not None
        if self.before_start is not None:
            await db.call(self.before_start, self.model)
        self.run_id = await db.call(
            ledger.start_run,
            self.project_id,
            self.owner,
            endpoint=", ".join(display_url(u) for u in self.settings.servers()),
            model=self.model,
            template=self.settings.template,
            template_version=self.template_version,
            settings_hash=settings_hash(self.settings),
            origin=self.origin,
        )
        self.progress.run_id = self.run_id
        self.progress.state = "planning"
        await db.call(ledger.reclaim, self.project_id)
        self._index = await db.call(
            ledger.load_index, self.project_id, self.settings.near_duplicate_threshold
        )
        t, cpu = time.perf_counter(), db.cpu_s
        planned = await db.call(self._plan, txn=False)
        self.plan_s = time.perf_counter() - t
        self.plan_cpu_s = db.cpu_s - cpu
        self.progress.chunks = planned.chunks
        self.progress.finished_before = planned.finished
        self.progress.done = planned.finished  # refined from the jobs at the end

    def _reload_index(self) -> None:
        """On the database thread, after a rolled-back batch: the duplicate index as the
        database has it."""
        self._index = ledger.load_index(self.project_id, self.settings.near_duplicate_threshold)

    def _plan(self) -> ledger.PlanResult:
        """On the database thread: chunk the documents, key each chunk, sync the jobs."""
        from loratui.core.store.models import Project as ProjectRow

        project = ProjectRow.get_by_id(self.project_id)
        chunks = iter_chunks(project, load_export_config(project))
        if self.limit is not None:
            chunks = itertools.islice(chunks, self.limit)
        keyed = (
            (
                c,
                chunk_request_key(
                    self.settings, self.model, c.text, title=c.title, heading=c.heading
                ),
            )
            for c in chunks
        )
        assert self.run_id is not None
        return ledger.plan(self.project_id, self.run_id, keyed)

    async def _work(self) -> None:
        db = self.db
        assert db is not None and self.run_id is not None
        slots = self.settings.concurrency * len(self.settings.servers())
        hold = max(2, HOLD_FACTOR * slots)
        next_beat = time.monotonic() + HEARTBEAT_S
        stop_wait = asyncio.ensure_future(self._stop.wait())
        try:
            while not self._stop.is_set():
                if not self._draining and (len(self._held) <= hold // 2 or not self._held):
                    claimed = await db.call(
                        ledger.claim,
                        self.project_id,
                        self.run_id,
                        self.owner,
                        self.lease_s,
                        hold - len(self._held),
                    )
                    for job in claimed:
                        self._held[job.id] = asyncio.ensure_future(self._job(job))
                if not self._held:
                    break  # nothing left to claim (or pausing), nothing in hand: the run is over
                await asyncio.wait(
                    [*self._held.values(), stop_wait],
                    timeout=FLUSH_S,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for job_id, task in list(self._held.items()):
                    if task.done():
                        del self._held[job_id]
                        if not self._task_result(task):
                            self._unfinished.append(job_id)
                if time.monotonic() >= next_beat and self._held:
                    await db.call(renew_many, list(self._held), self.owner, self.lease_s)
                    next_beat = time.monotonic() + HEARTBEAT_S
                await self._flush()
        finally:
            stop_wait.cancel()
            await self._give_back()

    def _task_result(self, task: asyncio.Task[None]) -> bool:
        """Whether the task finished its job; an error that ends it stops the run."""
        if task.cancelled():
            return False
        exc = task.exception()
        if exc is None:
            return True
        if isinstance(exc, _StopRun):
            if self._fatal is None:
                self._fatal = exc.error
        elif isinstance(exc, LoratuiError):
            self._fatal = self._fatal or exc
        else:
            self._fatal = self._fatal or LoratuiError(
                "internal", f"generation failed: {type(exc).__name__}: {exc}"
            )
        self._stop.set()
        return False

    async def _give_back(self) -> None:
        """Cancel what is still running and give its jobs back to the queue."""
        db = self.db
        assert db is not None
        tasks = dict(self._held)
        for task in tasks.values():
            task.cancel()
        for task in tasks.values():
            with contextlib.suppress(BaseException):
                await task
            if task.done() and not task.cancelled():
                self._task_result(task)
        self._held.clear()
        # a job whose task ended without finishing it (cancelled, or an error that stopped
        # the run) goes back; release() leaves the jobs that did finish alone
        back = [*tasks, *self._unfinished]
        self._unfinished = []
        if back:
            await db.call(ledger.release, back, self.owner)

    async def _finish(self, started: float) -> None:
        from loratui.core.generation.progress import run_progress

        db = self.db
        assert db is not None
        await self._flush(force=True)
        if self.run_id is None:
            return
        if self._fatal is not None:
            state = ledger.RUN_FAILED if self._fatal.code == "internal" else ledger.RUN_STOPPED
        else:
            state = ledger.RUN_STOPPED if self._stop.is_set() else ledger.RUN_DONE
        final = await db.call(run_progress, self.project_id, self.run_id, txn=False)
        if state == ledger.RUN_DONE and self._draining and final.remaining:
            state = ledger.RUN_STOPPED  # paused with chunks left: the next run goes on
        p = self.progress
        for name in ("chunks", "done", "failed", "quarantined", "pairs", "kept", "rejected"):
            setattr(p, name, getattr(final, name))
        p.seconds = time.monotonic() - started
        p.state = state
        err = self._fatal if isinstance(self._fatal, LoratuiError) else None
        await db.call(ledger.end_run, self.run_id, state, p.as_dict(), err, self.origin)
        self._emit(force=True)

    # ---- one chunk ----------------------------------------------------------------------

    async def _job(self, job: ledger.ClaimedJob) -> None:
        db = self.db
        assert db is not None and self.run_id is not None
        payload = job.payload
        text = payload["text"]
        tries = [(payload["key"], False), (self._repair_key(payload), True)]
        parsed: ParsedPairs | None = None
        for key, repair in tries:
            stored, request_id = await db.call(
                ledger.take, self.project_id, self.run_id, payload, key, "pairs", self.model
            )
            if stored is not None:
                self.progress.reused += 1
                parsed = parse_pairs(stored.content or "", finish_reason=stored.finish_reason)
                if parsed.ok:
                    break
                continue
            completion = await self._ask(request_id, key, payload, repair, job.id)
            if completion is None:
                return  # the chunk failed; the ledger and the job say why
            parsed = parse_pairs(completion.content, finish_reason=completion.finish_reason)
            if parsed.ok and not self.settings.judge:
                drafts = self._gate(parsed, text)
                result = await db.call(
                    self._answer_and_complete, job.id, payload, request_id, key, completion, drafts
                )
                self._count(result)
                return
            await db.call(ledger.answer, request_id, completion, parsed.ok, parsed.message)
            if parsed.ok:
                break
        if parsed is None or not parsed.ok:
            why = parsed.message if parsed is not None else "no answer"
            await db.call(
                ledger.quarantine_job,
                job.id,
                self.owner,
                f"{parsed.error if parsed else 'no_json'}: {why}",
            )
            self.progress.quarantined += 1
            return
        drafts = self._gate(parsed, text)
        if self.settings.judge:
            await self._judge(drafts, payload)
        result = await db.call(self._complete, job.id, payload, request_id, key, drafts)
        self._count(result)

    def _count(self, result: ledger.Completed) -> None:
        p = self.progress
        p.done += 1
        p.pairs += result.pairs
        p.kept += result.kept
        p.rejected += result.rejected

    def _repair_key(self, payload: dict[str, Any]) -> str:
        return chunk_request_key(
            self.settings,
            self.model,
            payload["text"],
            title=payload["title"],
            heading=payload["heading"],
            repair=True,
        )

    async def _ask(
        self,
        request_id: int,
        key: str,
        payload: dict[str, Any],
        repair: bool,
        job_id: int,
    ) -> Completion | None:
        """Send a pair request; ``None`` when it failed for good (recorded)."""
        assert self._client is not None and self.db is not None
        messages = self.template.render(
            text=payload["text"],
            title=payload["title"],
            heading=payload["heading"],
            pairs_per_chunk=self.settings.pairs_per_chunk,
        )
        sampling = self.settings.sampling()
        if repair:
            sampling = repair_sampling(sampling)
        self._request_ids[key] = request_id
        try:
            return await self._client.chat(
                messages, schema=self.schema, key=key, sampling=sampling, model=self.model
            )
        except GenerationError as err:
            if err.stops_run:
                await self.db.call(ledger.fail, request_id, None, self.owner, err.code, err.message)
                raise _StopRun(err) from err
            await self.db.call(ledger.fail, request_id, job_id, self.owner, err.code, err.message)
            self.progress.failed += 1
            return None
        finally:
            self._request_ids.pop(key, None)

    def _gate(self, parsed: ParsedPairs, text: str) -> list[ledger.PairDraft]:
        vocab = ChunkVocabulary(text)
        drafts = []
        for pair in parsed.pairs:
            verdict = check_pair(pair.question, pair.answer, vocab, self.rules)
            rej = verdict.rejection
            drafts.append(
                ledger.PairDraft(
                    question=pair.question,
                    answer=pair.answer,
                    reason_code=rej.code if rej else None,
                    reason=rej.reason if rej else None,
                    support=verdict.support,
                )
            )
        return drafts

    async def _judge(self, drafts: list[ledger.PairDraft], payload: dict[str, Any]) -> None:
        """Score each pair the gates kept; a low score rejects it with the judge's reason.
        A judge that fails or gives no score leaves the pair unjudged (kept)."""
        assert self._client is not None and self.db is not None and self.run_id is not None
        for d in drafts:
            if d.reason_code is not None:
                continue
            subject = subject_sha256(payload["text"], d.question, d.answer)
            key = judge_request_key(self.settings, self.judge_model, JUDGE.version(), subject)
            stored, request_id = await self.db.call(
                ledger.take, self.project_id, self.run_id, payload, key, "judge", self.judge_model
            )
            if stored is not None:
                content = stored.content or ""
            else:
                self._request_ids[key] = request_id
                try:
                    completion = await self._client.chat(
                        JUDGE.render(text=payload["text"], question=d.question, answer=d.answer),
                        schema=JUDGE_SCHEMA,
                        schema_name="score",
                        key=key,
                        sampling=judge_sampling(self.settings),
                        model=self.judge_model,
                    )
                except GenerationError as err:
                    await self.db.call(
                        ledger.fail, request_id, None, self.owner, err.code, err.message
                    )
                    if err.stops_run:
                        raise _StopRun(err) from err
                    continue
                finally:
                    self._request_ids.pop(key, None)
                verdict = parse_judge(completion.content)
                await self.db.call(ledger.answer, request_id, completion, verdict.ok, verdict.error)
                content = completion.content
            verdict = parse_judge(content)
            d.judge_score = verdict.score if verdict.ok else None
            rej = judge_rejection(verdict, self.settings.min_judge_score)
            if rej is not None:
                d.reason_code, d.reason = rej.code, rej.reason

    # ---- on the database thread ---------------------------------------------------------

    def _answer_and_complete(
        self,
        job_id: int,
        payload: dict[str, Any],
        request_id: int,
        key: str,
        completion: Completion,
        drafts: list[ledger.PairDraft],
    ) -> ledger.Completed:
        """The answer, its pairs and the job's end: one transaction."""
        ledger.answer(request_id, completion, True, None)
        return self._complete(job_id, payload, request_id, key, drafts)

    def _complete(
        self,
        job_id: int,
        payload: dict[str, Any],
        request_id: int,
        key: str,
        drafts: list[ledger.PairDraft],
    ) -> ledger.Completed:
        return ledger.complete(
            project_id=self.project_id,
            job_id=job_id,
            owner=self.owner,
            payload=payload,
            request_id=request_id,
            request_key=key,
            model=self.model,
            template_version=self.template_version,
            drafts=drafts,
            index=self._index,
        )

    # ---- attempts and progress ----------------------------------------------------------

    def _on_attempt(self, attempt: Attempt) -> None:
        if attempt.endpoint != "chat" or attempt.key is None:
            return
        request_id = self._request_ids.get(attempt.key)
        if request_id is None:
            return
        self._attempts.append((request_id, attempt))
        p = self.progress
        p.requests += 1
        if attempt.error and attempt.error != "format_refused":
            p.retries += 1
            p.errors[attempt.error] = p.errors.get(attempt.error, 0) + 1
        p.tokens_in += attempt.tokens_in or 0
        p.tokens_out += attempt.tokens_out or 0

    async def _flush(self, force: bool = False) -> None:
        if self._attempts and self.db is not None and self.run_id is not None:
            batch, self._attempts = self._attempts, []
            await self.db.call(ledger.record_attempts, self.run_id, batch)
        self._emit(force)

    def _emit(self, force: bool = False) -> None:
        if self.on_progress is None:
            return
        t = time.monotonic()
        if not force and t - self._last_progress < FLUSH_S:
            return
        self._last_progress = t
        if self.progress.started_at:
            self.progress.seconds = time.time() - self.progress.started_at
        self.on_progress(self.progress)


def _check_served(model: str, models: list[str], base_url: str) -> None:
    """``model_not_found`` unless the server lists ``model`` (Ollama's ``name:latest``
    counts as ``name``)."""
    if model in models or f"{model}:latest" in models:
        return
    listed = ", ".join(models) if models else "no models"
    raise GenerationError(
        "model_not_found",
        f"the model server at {display_url(base_url)} does not serve {model!r}",
        f"check --model; the server lists: {listed}",
    )
