"""The figures of a generation run, computed once for the CLI and the TUI.

``Progress`` holds the counts (chunks done/total, failed, quarantined, pairs kept and
rejected, requests, retries, tokens, errors by kind) and derives the rates and the ETA
from them. The runner reports one as it goes (``GenerationRunner.progress``);
``run_progress`` reads the same figures back from the database for any run, so a screen
opened later, or another process, shows the same numbers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from loratui.core.store.db import database
from loratui.core.store.models import JOB_GENERATE, GenerationRun


@dataclass
class Progress:
    run_id: int | None = None
    state: str = "idle"  # planning, running, stopping, done, stopped, failed
    chunks: int = 0  # in the run's plan
    done: int = 0  # chunks with their pairs stored (this run or an earlier one)
    failed: int = 0
    quarantined: int = 0
    pairs: int = 0
    kept: int = 0
    rejected: int = 0
    requests: int = 0  # HTTP requests sent by this run (every try)
    retries: int = 0
    reused: int = 0  # answers taken from the ledger instead of asked
    tokens_in: int = 0
    tokens_out: int = 0
    errors: dict[str, int] = field(default_factory=dict)  # failed tries by error code
    started_at: float = 0.0  # time.time()
    seconds: float = 0.0  # since the run started (up to its end when it ended)
    finished_before: int = 0  # chunks already finished when the run started

    @property
    def finished(self) -> int:
        return self.done + self.failed + self.quarantined

    @property
    def remaining(self) -> int:
        return max(0, self.chunks - self.finished)

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def chunks_per_s(self) -> float:
        """Chunks finished by this run per second (the ETA's rate)."""
        worked = self.finished - self.finished_before
        return worked / self.seconds if self.seconds > 0 and worked > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds until every chunk is finished at the rate so far; None before a rate."""
        if not self.remaining:
            return 0.0
        rate = self.chunks_per_s
        return self.remaining / rate if rate > 0 else None

    def as_dict(self) -> dict[str, object]:
        """The ``generate --json`` figures (and a few more)."""
        return {
            "chunks": self.chunks,
            "done": self.done,
            "failed": self.failed,
            "quarantined": self.quarantined,
            "pairs": self.pairs,
            "kept": self.kept,
            "rejected": self.rejected,
            "requests": self.requests,
            "retries": self.retries,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "seconds": round(self.seconds, 3),
            "reused": self.reused,
            "errors": dict(sorted(self.errors.items())),
            "requests_per_s": round(self.requests_per_s, 2),
            "eta_s": None if self.eta_s is None else round(self.eta_s, 1),
            "run": self.run_id,
            "state": self.state,
        }

    def line(self) -> str:
        """One line for people (a progress bar's description, a status line)."""
        eta = self.eta_s
        eta_text = "" if eta is None or not self.remaining else f", ETA {_duration(eta)}"
        errors = ", ".join(f"{k} {n}" for k, n in sorted(self.errors.items()))
        return (
            f"{self.finished}/{self.chunks} chunks, {self.kept} kept / {self.rejected} rejected"
            f", {self.requests} requests ({self.requests_per_s:.1f}/s), tokens "
            f"{self.tokens_in}/{self.tokens_out}"
            + (f", {self.failed} failed" if self.failed else "")
            + (f", {self.quarantined} quarantined" if self.quarantined else "")
            + (f", errors: {errors}" if errors else "")
            + eta_text
        )


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def latest_run(project_id: int) -> GenerationRun | None:
    return (
        GenerationRun.select()
        .where(GenerationRun.project == project_id)
        .order_by(GenerationRun.id.desc())
        .first()
    )


def run_progress(project_id: int, run_id: int | None = None) -> Progress:
    """The figures of run ``run_id`` (the project's latest when None) from the database."""
    run = GenerationRun.get_or_none(GenerationRun.id == run_id) if run_id else None
    run = run or latest_run(project_id)
    if run is None:
        return Progress()
    out = Progress(
        run_id=run.id,
        state=run.state,
        requests=run.requests,
        retries=run.retries,
        reused=run.reused,
        tokens_in=run.tokens_in,
        tokens_out=run.tokens_out,
        started_at=run.started_at,
    )
    end = run.finished_at or (time.time() if run.state == "running" else run.updated_at)
    out.seconds = max(0.0, end - run.started_at)
    rows = database.execute_sql(
        "SELECT state, COUNT(*), SUM(COALESCE(json_extract(payload, '$.pairs'), 0)),"
        " SUM(COALESCE(json_extract(payload, '$.kept'), 0)),"
        " SUM(COALESCE(json_extract(payload, '$.rejected'), 0))"
        " FROM job WHERE project_id = ? AND kind = ? AND json_extract(payload, '$.run') = ?"
        " GROUP BY state",
        (project_id, JOB_GENERATE, run.id),
    ).fetchall()
    for state, n, pairs, kept, rejected in rows:
        out.chunks += n
        if state == "done":
            out.done += n
        elif state == "failed":
            out.failed += n
        elif state == "quarantined":
            out.quarantined += n
        out.pairs += int(pairs or 0)
        out.kept += int(kept or 0)
        out.rejected += int(rejected or 0)
    out.chunks = max(out.chunks, run.chunks)
    errors = database.execute_sql(
        "SELECT error, COUNT(*) FROM generationattempt WHERE run_id = ? AND error IS NOT NULL"
        " GROUP BY error",
        (run.id,),
    ).fetchall()
    out.errors = {code: n for code, n in errors}
    return out
