"""Generation bookkeeping: loratui's side of Q/A generation against an instant local server.

    python benchmarks/bench_generate.py [--quick] [--chunks N] [--concurrency C]

A project of N chunks (default 2,000: 200 documents of 10 chunks) is generated against
the fake OpenAI server (tests/support/openai_server.py) run as its own process, answering
at once, with ``concurrency`` 32. Reported:

- ``generate_requests_per_s``: requests answered per second, end to end (preflight,
  planning and the final summary included);
- ``generate_bookkeeping_ms_per_request``: the CPU time the run's database thread spent
  on the ledger, jobs, attempts and pairs (duplicate checks included), planning excluded,
  per request (target <= 2 ms: our side must never be what limits a GPU server answering
  100+ requests/s); ``generate_bookkeeping_wall_ms_per_request`` is the same in wall
  time, which on 2 shared cores includes waiting for the GIL and the CPU;
- ``generate_plan_s``: chunking the documents and writing the plan's jobs;
- ``generate_cpu_ms_per_request``: all of this process's CPU (HTTP client, parsing,
  gates, database) per request;
- ``generate_rss_ratio``: peak RSS of a run of N chunks over one of N/4, each in a fresh
  process (flat is 1.0; the duplicate-question index grows by about 1.7 kB a kept pair).

On 2 cores the server process and this one share the CPU, so requests/s is a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import benchlib
from textgen import TextGen


def make_project(home: Path, docs: int, chunks_per_doc: int) -> None:
    from loratui.core.projects import workspace
    from loratui.core.store import home as home_mod
    from loratui.core.store.db import write_txn
    from loratui.core.store.models import DONE, Document, Page

    home_mod.open_home(home)
    project = workspace.create_project("bench")
    tg = TextGen(random.Random(3))
    with write_txn():
        for d in range(docs):
            # a page of about 1,500 characters is one 512-token chunk with the approx count
            pages = [tg.paragraph((14, 16)) + "\n\n" + tg.paragraph((14, 16))]
            pages = [p for p in pages for _ in range(chunks_per_doc)]
            pages = [f"Part {i}. " + p for i, p in enumerate(pages)]
            doc = Document.create(
                project=project,
                name=f"doc-{d:04d}.pdf",
                sha256=f"{d:064x}",
                kind="pdf",
                state=DONE,
                pages=len(pages),
                pages_done=len(pages),
            )
            for n, text in enumerate(pages, start=1):
                Page.create(document=doc, number=n, text=text, chars=len(text))
    home_mod.close_home()


def one_run(home: Path, url: str, concurrency: int) -> dict:
    from loratui.core.generation.runner import GenerationRunner
    from loratui.core.generation.settings import GenerationSettings
    from loratui.core.projects import workspace
    from loratui.core.store import home as home_mod

    home_mod.open_home(home)
    project = workspace.get_project("bench")
    settings = GenerationSettings(base_url=url, concurrency=concurrency, min_support=0.0)
    runner = GenerationRunner(project, settings)
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    progress = asyncio.run(runner.run())
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    assert runner.db is not None
    requests = max(1, progress.requests)
    return {
        "chunks": progress.chunks,
        "done": progress.done,
        "requests": progress.requests,
        "wall_s": wall,
        "plan_s": runner.plan_s,
        "requests_per_s": progress.requests / wall,
        "bookkeeping_ms": (runner.db.cpu_s - runner.plan_cpu_s) * 1000 / requests,
        "bookkeeping_wall_ms": (runner.db.busy_s - runner.plan_s) * 1000 / requests,
        "transactions": runner.db.transactions,
        "cpu_ms": cpu * 1000 / requests,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(chunks: int, concurrency: int) -> dict:
    """Make a project of ``chunks`` chunks and generate it, in a child process."""
    with benchlib.scratch("gen-") as tmp:
        home = tmp / "home"
        per_doc = 10 if chunks >= 100 else 1
        make_project(home, chunks // per_doc, per_doc)
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.support.openai_server", "--plan", "{}"],
            cwd=benchlib.REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            line = server.stdout.readline() if server.stdout else ""
            url = line.split()[-1]
            child = subprocess.run(
                [sys.executable, __file__, "--child", str(home), url, str(concurrency)],
                capture_output=True,
                text=True,
                timeout=3600,
            )
            if child.returncode != 0:
                raise RuntimeError(child.stderr[-2000:])
            return json.loads(child.stdout.strip().splitlines()[-1])
        finally:
            server.terminate()
            server.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--chunks", type=int, default=None)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--child", nargs=3, metavar=("HOME", "URL", "CONCURRENCY"))
    args = ap.parse_args()
    if args.child:
        home, url, conc = args.child
        print(json.dumps(one_run(Path(home), url, int(conc))))
        return
    n = args.chunks or (200 if args.quick else 2000)
    big = measure(n, args.concurrency)
    small = measure(max(10, n // 4), args.concurrency)
    assert big["done"] == big["chunks"] >= n, big
    benchlib.emit(
        {
            "bench": "generate",
            "chunks": n,
            "concurrency": args.concurrency,
            "generate_requests_per_s": big["requests_per_s"],
            "generate_bookkeeping_ms_per_request": big["bookkeeping_ms"],
            "generate_bookkeeping_wall_ms_per_request": big["bookkeeping_wall_ms"],
            "generate_cpu_ms_per_request": big["cpu_ms"],
            "generate_plan_s": big["plan_s"],
            "generate_transactions": big["transactions"],
            "generate_peak_rss_mb": big["peak_rss_mb"],
            "generate_rss_small_mb": small["peak_rss_mb"],
            "generate_rss_ratio": big["peak_rss_mb"] / small["peak_rss_mb"],
            "wall_s_run": big["wall_s"],
        }
    )


if __name__ == "__main__":
    main()
