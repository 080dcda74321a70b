"""Scale on one box: the speed-up curve over worker counts, and a flat cost per document.

    python benchmarks/bench_scale.py [--quick] [--only ingest,export,bookkeeping]
        [--workers 1,2,4,8,16] [--files N] [--max-pages P] [--export-mb M]
        [--sizes 1000,10000,100000] [--tail N]

Three parts (``--only`` picks some):

``ingest``: ``loratui process --workers W`` on the generated corpus (make_corpus.py), for
each W, each on a fresh home where the files were just added. For each: seconds, speed-up
over W=1, peak RSS of the process tree, that peak divided by W, the largest peak of one
process under the command (a pool worker), and the ``process`` command's own CPU per
document (the orchestrator and its database thread: bookkeeping that does not shrink with
more workers).

``export``: one project of generated Markdown (``--export-mb`` of text, bench_export's
corpus), exported with ``workers=W`` for each W (``force``: the same inputs again), each in
a fresh child process. For each: MB/s, speed-up over W=1, the writing process's CPU share
of the wall time (near 1: the single writer bounds it), peak tree RSS, and whether the
files are byte for byte those of W=1 (``identical``).

``bookkeeping``: for each size N, N tiny text files added and processed with one worker in
this process, as bench_bookkeeping does: ``ms_per_file = (add + process - bare read) / N``;
``process_ms_per_file``; ``orchestrator_cpu_ms_per_file`` (this process's CPU while
processing: the pool workers are other processes); then ``--tail`` more files added to
the project of N and processed: ``tail_ms_per_file``, the cost of a file once N are there.
Flat means the same figures at every N.

The speed-up curve and the per-file figures are printed as a table on stderr; stdout has
the one JSON object (``ingest_speedup_max``, ``export_speedup_max``, ``export_identical``,
``bookkeeping_growth`` = tail ms per file at the largest N over that at the smallest).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import benchlib


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- ingest


def ingest_once(corpus_dir: Path, home: Path, workers: int) -> dict[str, Any]:
    benchlib.run_cli(home, "new", "scale")
    benchlib.run_cli(home, "add", "scale", str(corpus_dir))
    seconds, summary, peak_mb = benchlib.run_cli(
        home, "process", "scale", "--workers", str(workers), measure_rss=True
    )
    main_cpu = benchlib.LAST_CPU_S["root"]
    max_child = benchlib.LAST_CPU_S["max_child_mb"]
    _, status, _ = benchlib.run_cli(home, "status", "scale")
    states = status.get("states", {})
    docs = states.get("done", 0) + states.get("failed", 0)
    return {
        "workers": workers,
        "seconds": seconds,
        "pages": status.get("pages", 0),
        "done": states.get("done", 0),
        "failed": states.get("failed", 0),
        "peak_rss_mb": peak_mb,
        "peak_rss_mb_per_worker": peak_mb / workers,
        "max_process_rss_mb": max_child,
        "orchestrator_cpu_s": main_cpu,
        "orchestrator_cpu_ms_per_doc": main_cpu / max(1, docs) * 1000,
    }


def ingest_curve(workers: list[int], files: int, max_pages: int, seed: int) -> dict[str, Any]:
    corpus_dir = benchlib.corpus(files, seed, max_pages)
    runs = []
    for w in workers:
        with benchlib.scratch(f"scale-w{w}-") as home:
            runs.append(ingest_once(corpus_dir, home, w))
    base = runs[0]["seconds"]
    log(f"ingest ({files} files, {runs[0]['pages']} pages, {os.cpu_count()} CPUs)")
    log("  workers  seconds  speed-up  tree MB  MB/worker  max proc MB  orch ms/doc")
    for r in runs:
        r["speedup"] = base / r["seconds"]
        log(
            f"  {r['workers']:7d}  {r['seconds']:7.2f}  {r['speedup']:7.2f}x"
            f"  {r['peak_rss_mb']:7.0f}  {r['peak_rss_mb_per_worker']:9.0f}"
            f"  {r['max_process_rss_mb']:11.0f}  {r['orchestrator_cpu_ms_per_doc']:11.2f}"
        )
    return {"files": files, "runs": runs}


# ---------------------------------------------------------------- export


def export_child(home: str, project_name: str, workers: str) -> None:
    """In a fresh process: one forced export with ``workers``, timed."""
    from loratui.core.export.config import ExportConfig
    from loratui.core.export.version import read_manifest, run_export
    from loratui.core.projects.workspace import get_project
    from loratui.core.store import home as home_mod

    home_mod.open_home(home)
    project = get_project(project_name)
    start = time.perf_counter()
    cpu0 = time.process_time()
    version = run_export(project, ExportConfig(), workers=int(workers), force=True)
    seconds = time.perf_counter() - start
    files = read_manifest(version).get("files", {})
    print(
        json.dumps(
            {
                "seconds": seconds,
                "writer_cpu_s": time.process_time() - cpu0,
                "records": version.records_train + version.records_validation,
                "sha256": {name: entry["sha256"] for name, entry in sorted(files.items())},
            }
        )
    )


def export_once(home: Path, workers: int) -> dict[str, Any]:
    args = [__file__, "--export-child", str(home), "scale", str(workers)]
    run, tree = benchlib.run_child(args, home, f"export with {workers} workers")
    run.update(workers=workers, peak_rss_mb=tree.peak_mb)
    return run


def export_curve(workers: list[int], mb: float) -> dict[str, Any]:
    from bench_export import fill_project, text_corpus

    docs = text_corpus(mb)
    runs = []
    with benchlib.scratch("scale-export-") as tmp:
        home = tmp / "home"
        text_mb = fill_project(home, "scale", docs)["chars"] / 1e6
        for w in workers:
            runs.append(export_once(home, w))
    base = runs[0]
    log(f"export ({text_mb:.1f} MB of text, approx tokens)")
    log("  workers  seconds  MB/s  speed-up  writer busy  tree MB  identical")
    for r in runs:
        r["mb_per_s"] = text_mb / r["seconds"]
        r["speedup"] = base["seconds"] / r["seconds"]
        r["writer_busy"] = r["writer_cpu_s"] / r["seconds"]
        r["identical"] = r["sha256"] == base["sha256"]
        log(
            f"  {r['workers']:7d}  {r['seconds']:7.2f}  {r['mb_per_s']:4.1f}  {r['speedup']:7.2f}x"
            f"  {r['writer_busy']:11.2f}  {r['peak_rss_mb']:7.0f}  {r['identical']}"
        )
    return {"text_mb": text_mb, "runs": runs}


# ---------------------------------------------------------------- bookkeeping


def add_and_process(project: Any, folder: Path) -> tuple[float, float, float]:
    """(add seconds, process seconds, this process's CPU seconds while processing)."""
    from loratui.core.ingest import add as ingest
    from loratui.core.jobs.worker import Worker

    start = time.perf_counter()
    ingest.add_paths(project, [folder])
    add_s = time.perf_counter() - start
    cpu0 = time.process_time()
    start = time.perf_counter()
    asyncio.run(Worker(project.id, workers=1).run_until_idle())
    return add_s, time.perf_counter() - start, time.process_time() - cpu0


def bookkeeping_at(n: int, tail: int) -> dict[str, Any]:
    from bench_bookkeeping import bare_read, write_tiny_files

    from loratui.core.projects import workspace
    from loratui.core.store import home as home_mod
    from loratui.core.store.models import Document

    with benchlib.scratch(f"scale-bk{n}-") as tmp:
        files = write_tiny_files(tmp / "files", n)
        tail_files = write_tiny_files(tmp / "tail", tail, seed=n + 1)
        bare_read(files)
        bare_s = bare_read(files)
        tail_bare_s = bare_read(tail_files)
        home_mod.open_home(tmp / "home")
        try:
            project = workspace.create_project("bookkeeping")
            add_s, process_s, cpu_s = add_and_process(project, tmp / "files")
            tail_add_s, tail_process_s, tail_cpu_s = add_and_process(project, tmp / "tail")
            done = (
                Document.select()
                .where((Document.project == project) & (Document.state == "done"))
                .count()
            )
        finally:
            home_mod.close_home()
    return {
        "files": n,
        "done": done,
        "add_ms_per_file": add_s / n * 1000,
        "process_ms_per_file": process_s / n * 1000,
        "ms_per_file": (add_s + process_s - bare_s) / n * 1000,
        "orchestrator_cpu_ms_per_file": cpu_s / n * 1000,
        "tail_files": tail,
        "tail_ms_per_file": (tail_add_s + tail_process_s - tail_bare_s) / tail * 1000,
        "tail_process_ms_per_file": tail_process_s / tail * 1000,
        "tail_orchestrator_cpu_ms_per_file": tail_cpu_s / tail * 1000,
    }


def bookkeeping_curve(sizes: list[int], tail: int) -> dict[str, Any]:
    runs = []
    log("bookkeeping (tiny text files, 1 worker, in process)")
    log("    files  ms/file  process ms  orch CPU ms  tail ms/file  tail process ms")
    for n in sizes:
        r = bookkeeping_at(n, tail)
        runs.append(r)
        log(
            f"  {n:7d}  {r['ms_per_file']:7.2f}  {r['process_ms_per_file']:10.2f}"
            f"  {r['orchestrator_cpu_ms_per_file']:11.2f}  {r['tail_ms_per_file']:12.2f}"
            f"  {r['tail_process_ms_per_file']:15.2f}"
        )
    return {"runs": runs}


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--export-child":
        export_child(*argv[1:4])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="CI sizes")
    ap.add_argument("--only", default="ingest,export,bookkeeping")
    ap.add_argument("--workers", default=None, help="worker counts (default 1,2,4,... to CPUs)")
    ap.add_argument("--files", type=int, default=None, help="ingest corpus size (default 1000)")
    ap.add_argument("--max-pages", type=int, default=None, help="PDF page cap (default 200)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--export-mb", type=float, default=None, help="export text MB (default 20)")
    ap.add_argument("--sizes", default=None, help="bookkeeping sizes (default 1000,10000)")
    ap.add_argument("--tail", type=int, default=None, help="files added last (default 1000)")
    args = ap.parse_args(argv)
    parts = set(args.only.split(","))
    cpus = os.cpu_count() or 1
    default_workers = [w for w in (1, 2, 4, 8, 16, 32, 64) if w <= cpus] or [1]
    if cpus not in default_workers:
        default_workers.append(cpus)
    workers = _ints(args.workers) if args.workers else ([1, 2] if args.quick else default_workers)
    sizes = _ints(args.sizes) if args.sizes else ([100, 400] if args.quick else [1000, 10000])
    tail = args.tail or (100 if args.quick else 1000)

    result: dict[str, Any] = {"bench": "scale", "cpus": cpus, "workers": workers}
    ok = True
    if "ingest" in parts:
        files = args.files or (24 if args.quick else 1000)
        max_pages = args.max_pages or (6 if args.quick else 200)
        ingest = ingest_curve(workers, files, max_pages, args.seed)
        result["ingest"] = ingest
        result["ingest_speedup_max"] = max(r["speedup"] for r in ingest["runs"])
        ok &= all(r["failed"] == 0 and r["done"] == files for r in ingest["runs"])
    if "export" in parts:
        export = export_curve(workers, args.export_mb or (0.6 if args.quick else 20))
        result["export"] = export
        result["export_speedup_max"] = max(r["speedup"] for r in export["runs"])
        result["export_identical"] = all(r["identical"] for r in export["runs"])
        ok &= result["export_identical"]
    if "bookkeeping" in parts:
        book = bookkeeping_curve(sizes, tail)
        result["bookkeeping"] = book
        runs = book["runs"]
        result["bookkeeping_ms_per_file_by_size"] = {
            str(r["files"]): r["ms_per_file"] for r in runs
        }
        result["bookkeeping_growth"] = runs[-1]["tail_ms_per_file"] / runs[0]["tail_ms_per_file"]
        ok &= all(r["done"] == r["files"] + r["tail_files"] for r in runs)
    benchlib.emit(result)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
