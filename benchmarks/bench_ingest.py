"""Ingest: ``loratui process`` against a bare loop of the same library calls.

    python benchmarks/bench_ingest.py [--quick] [--files N] [--max-pages P] [--seed S]

On the generated corpus (make_corpus.py) we time, in this order:
1. ``bare``: one process reading every file with plain pypdf / python-docx / ``decode`` calls,
   no database, no pool (the floor for our extractors);
2. ``loratui process --workers 1`` on a fresh home where the files were just added;
3. ``loratui process`` with the default worker count (one per CPU);
4. ``bare`` again (the floor is the mean of both runs, so a noisy neighbour hurts both sides).
``ratio_1_worker = process_w1 / bare`` (target <= 1.15) and ``ratio_all = process_default /
bare`` (target <= 0.65 on 2 cores). ``process_peak_rss_mb`` is the peak summed RSS of the
``process`` command and all its worker processes (target <= 400 MB for 1,000 files). The
``add`` time is reported apart (``add_s``): it hashes and copies files, not extraction.
CPU seconds of each (``*_cpu_s``, the process tree's as last sampled; ``*_main_cpu_s`` the
``process`` command's own: orchestrator and database) tell overhead from waiting on a busy
machine. With pypdfium2 installed, a third run uses
``pdf_engine=pypdfium2`` (``ratio_all_pdfium``, still over the pypdf floor: what switching the
engine buys end to end).
"""

from __future__ import annotations

import argparse
import importlib.util
import os

import benchlib


def run_loratui(corpus_dir, home, workers: int | None, engine: str | None = None) -> dict:  # noqa: ANN001
    benchlib.run_cli(home, "new", "bench")
    if engine:
        benchlib.run_cli(home, "settings", "bench", f"pdf_engine={engine}")
    add_s, added, _ = benchlib.run_cli(home, "add", "bench", str(corpus_dir))
    args = ["process", "bench"] + (["--workers", str(workers)] if workers else [])
    seconds, summary, peak_mb = benchlib.run_cli(home, *args, measure_rss=True)
    cpu_s = benchlib.LAST_CPU_S["value"]
    cpu_main_s = benchlib.LAST_CPU_S["root"]
    _, status, _ = benchlib.run_cli(home, "status", "bench")
    states = status.get("states", {})
    return {
        "add_s": add_s,
        "seconds": seconds,
        "cpu_s": cpu_s,
        "cpu_main_s": cpu_main_s,
        "peak_rss_mb": peak_mb,
        "workers": summary.get("workers"),
        "pages": status.get("pages", 0),
        "chars": status.get("chars", 0),
        "done": states.get("done", 0),
        "failed": states.get("failed", 0),
        "added": len(added) if isinstance(added, list) else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="CI size (24 files, PDFs <= 6 pages)")
    ap.add_argument("--files", type=int, default=None, help="corpus size (default 1000)")
    ap.add_argument("--max-pages", type=int, default=None, help="PDF page cap (default 200)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    n = args.files or (24 if args.quick else 1000)
    max_pages = args.max_pages or (6 if args.quick else 200)
    corpus_dir = benchlib.corpus(n, args.seed, max_pages)
    files = benchlib.corpus_files(corpus_dir)

    bare1 = benchlib.bare_extract(files)
    with benchlib.scratch("ingest-w1-") as home:
        w1 = run_loratui(corpus_dir, home, workers=1)
    with benchlib.scratch("ingest-all-") as home:
        full = run_loratui(corpus_dir, home, workers=None)
    pdfium = None
    if importlib.util.find_spec("pypdfium2") is not None:
        with benchlib.scratch("ingest-pdfium-") as home:
            pdfium = run_loratui(corpus_dir, home, workers=None, engine="pypdfium2")
    bare2 = benchlib.bare_extract(files)
    bare_s = (bare1["seconds"] + bare2["seconds"]) / 2
    pages = w1["pages"] or bare1["pages"]

    result = {
        "bench": "ingest",
        "files": len(files),
        "cpus": os.cpu_count(),
        "pages": pages,
        "bare_pages": bare1["pages"],
        "bare_s": bare_s,
        "bare_s_runs": [bare1["seconds"], bare2["seconds"]],
        "bare_pages_per_s": bare1["pages"] / bare_s,
        "process_w1_s": w1["seconds"],
        "process_w1_pages_per_s": pages / w1["seconds"],
        "bare_cpu_s": bare1["cpu_s"],
        "process_w1_cpu_s": w1["cpu_s"],
        "process_default_cpu_s": full["cpu_s"],
        "process_w1_main_cpu_s": w1["cpu_main_s"],
        "process_default_main_cpu_s": full["cpu_main_s"],
        "process_default_s": full["seconds"],
        "process_default_pages_per_s": pages / full["seconds"],
        "default_workers": full["workers"],
        "add_s": w1["add_s"],
        "ratio_1_worker": w1["seconds"] / bare_s,
        "ratio_all": full["seconds"] / bare_s,
        "process_peak_rss_mb": max(w1["peak_rss_mb"], full["peak_rss_mb"]),
        "process_w1_peak_rss_mb": w1["peak_rss_mb"],
        "process_default_peak_rss_mb": full["peak_rss_mb"],
        "process_pdfium_s": pdfium["seconds"] if pdfium else None,
        "ratio_all_pdfium": pdfium["seconds"] / bare_s if pdfium else None,
        "done": full["done"],
        "failed": full["failed"] + w1["failed"],
    }
    benchlib.emit(result)
    return 0 if result["done"] == len(files) and not result["failed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
