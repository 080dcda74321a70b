"""Run every benchmark and print one JSON object per line.

    python benchmarks/run.py [--quick] [--only ingest,export,...]

Each script runs in its own process (so one's memory and imports never colour another's).
Across the lines these keys appear with numbers: ratio_1_worker, ratio_all,
bookkeeping_ms_per_file, process_peak_rss_mb, export_mb_per_s_approx, export_mb_per_s_bpe,
export_rss_ratio, lag_p99_ms, key_p95_ms, startup_10k_s, pdfium_speedup,
fidelity_similarity_<engine> (with word recall, precision and artefacts per engine) and
fidelity_clean_similarity, generate_requests_per_s, generate_bookkeeping_ms_per_request,
generate_rss_ratio, ocr_s_per_page and ocr_word_recall (skipped without the ocr extra),
sessions_idle_cpu_ratio (every project's worker and watcher at rest, N projects over one). A
script that fails prints ``{"bench": NAME, "error": ...}``
and the run exits 1. ``--quick`` is the CI size: the figures are at small sizes and only
show the machinery works; the README's table comes from a full run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
SCRIPTS = {
    "ingest": "bench_ingest.py",
    "bookkeeping": "bench_bookkeeping.py",
    "export": "bench_export.py",
    "tui": "bench_tui.py",
    "pdfium": "bench_pdfium.py",
    "fidelity": "bench_fidelity.py",
    "generate": "bench_generate.py",
    "ocr": "bench_ocr.py",
    "sessions": "bench_sessions.py",
    "scale": "bench_scale.py",
}
KEYS = {
    "ingest": ("ratio_1_worker", "ratio_all", "process_peak_rss_mb"),
    "bookkeeping": ("bookkeeping_ms_per_file",),
    "export": ("export_mb_per_s_approx", "export_mb_per_s_bpe", "export_rss_ratio"),
    "tui": (
        "lag_p99_ms",
        "key_p95_ms",
        "startup_10k_s",
        "switch_busy_p95_ms",
        "preview_rss_growth_mb",
    ),
    "pdfium": ("pdfium_speedup",),
    "fidelity": ("fidelity_similarity_loratui_pypdf", "fidelity_clean_similarity"),
    "generate": (
        "generate_requests_per_s",
        "generate_bookkeeping_ms_per_request",
        "generate_rss_ratio",
    ),
    "ocr": ("ocr_s_per_page", "ocr_word_recall"),
    "sessions": ("sessions_idle_cpu_ratio",),
    "scale": ("ingest_speedup_max", "export_speedup_max", "bookkeeping_growth"),
}


def run_one(name: str, quick: bool, timeout: float) -> dict:
    cmd = [sys.executable, str(BENCH_DIR / SCRIPTS[name])] + (["--quick"] if quick else [])
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"bench": name, "error": f"timed out after {timeout:.0f} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        return {"bench": name, "error": f"exit {proc.returncode}: " + " | ".join(tail)}
    result = json.loads(lines[-1])
    result["wall_s"] = round(time.perf_counter() - start, 2)
    if proc.returncode != 0:
        result["exit_code"] = proc.returncode
    if "skipped" not in result:
        missing = [k for k in KEYS[name] if not isinstance(result.get(k), int | float)]
        if missing:
            result["error"] = "missing keys: " + ", ".join(missing)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="CI size: seconds, not minutes")
    ap.add_argument("--only", default="", help="comma-separated subset of " + ",".join(SCRIPTS))
    ap.add_argument("--timeout", type=float, default=None, help="per script, seconds")
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(SCRIPTS)
    unknown = [n for n in names if n not in SCRIPTS]
    if unknown:
        ap.error("unknown benchmark(s): " + ", ".join(unknown))
    timeout = args.timeout or (600 if args.quick else 7200)
    failed = False
    for name in names:
        result = run_one(name, args.quick, timeout)
        failed |= "error" in result or "exit_code" in result
        print(json.dumps(result), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
