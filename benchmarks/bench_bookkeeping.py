"""Bookkeeping: what loratui adds per file beyond reading it, on 1,000 tiny text files.

    python benchmarks/bench_bookkeeping.py [--quick] [--files N]

Adding and processing a tiny file is almost all bookkeeping: hashing and copying it into
the store, detecting its kind, the document and job rows, claiming the job, the round trip
to a pool process, committing the pages, the audit events. We time ``ingest.add_paths`` and
``Worker(workers=1).run_until_idle()`` in this process, subtract a bare loop that reads and
decodes the same files, and divide by the file count:
``bookkeeping_ms_per_file = (add + process - bare) / N`` (target <= 2 ms). The same through
the CLI (two commands, each starting Python) is reported as ``cli_ms_per_file``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from pathlib import Path

import benchlib
from textgen import TextGen


def write_tiny_files(folder: Path, n: int, seed: int = 7) -> list[Path]:
    """``n`` distinct text files of one to a few sentences (about 60-600 bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    tg = TextGen(random.Random(seed))
    paths = []
    for i in range(n):
        path = folder / f"note-{i:05d}.txt"
        path.write_text(f"Note {i}. {tg.paragraph((1, 6))}\n", encoding="utf-8")
        paths.append(path)
    return paths


def bare_read(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        path.read_bytes().decode("utf-8")
    return time.perf_counter() - start


def in_process(files_dir: Path, home: Path, n: int) -> dict[str, float]:
    from loratui.core.ingest import add as ingest
    from loratui.core.jobs.worker import Worker
    from loratui.core.projects import workspace
    from loratui.core.store import home as home_mod
    from loratui.core.store.models import Document

    home_mod.open_home(home)
    try:
        project = workspace.create_project("bookkeeping")
        start = time.perf_counter()
        results = ingest.add_paths(project, [files_dir])
        add_s = time.perf_counter() - start
        queued = sum(1 for r in results if r.state == "queued")
        start = time.perf_counter()
        worker = Worker(project.id, workers=1)
        asyncio.run(worker.run_until_idle())
        process_s = time.perf_counter() - start
        done = (
            Document.select()
            .where((Document.project == project) & (Document.state == "done"))
            .count()
        )
    finally:
        home_mod.close_home()
    return {"add_s": add_s, "process_s": process_s, "queued": queued, "done": done}


def via_cli(files_dir: Path, home: Path) -> float:
    benchlib.run_cli(home, "new", "bookkeeping")
    add_s, _, _ = benchlib.run_cli(home, "add", "bookkeeping", str(files_dir))
    process_s, _, _ = benchlib.run_cli(home, "process", "bookkeeping", "--workers", "1")
    return add_s + process_s


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="CI size (200 files)")
    ap.add_argument("--files", type=int, default=None, help="number of files (default 1000)")
    args = ap.parse_args(argv)
    n = args.files or (200 if args.quick else 1000)
    with benchlib.scratch("bookkeeping-") as tmp:
        files = write_tiny_files(tmp / "files", n)
        bare_read(files)  # warm the page cache for both sides
        bare_s = bare_read(files)
        measured = in_process(tmp / "files", tmp / "home", n)
        total = measured["add_s"] + measured["process_s"]
        try:
            cli_s: float | None = via_cli(tmp / "files", tmp / "clihome")
        except RuntimeError as exc:  # the CLI is optional here; say why it is missing
            cli_s = None
            cli_error = str(exc).splitlines()[0]
        else:
            cli_error = None
    result = {
        "bench": "bookkeeping",
        "files": n,
        "bare_s": bare_s,
        "add_s": measured["add_s"],
        "process_s": measured["process_s"],
        "done": measured["done"],
        "add_ms_per_file": measured["add_s"] / n * 1000,
        "process_ms_per_file": measured["process_s"] / n * 1000,
        "bookkeeping_ms_per_file": (total - bare_s) / n * 1000,
        "cli_ms_per_file": (cli_s - bare_s) / n * 1000 if cli_s is not None else None,
    }
    if cli_error:
        result["cli_error"] = cli_error
    benchlib.emit(result)
    return 0 if measured["done"] == n else 1


if __name__ == "__main__":
    raise SystemExit(main())
