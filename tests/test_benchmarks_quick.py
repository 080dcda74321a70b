"""``benchmarks/run.py --quick`` runs every benchmark end to end and reports every figure.

The quick sizes only prove the machinery works (corpus generation, the CLI runs, the export
child processes, the headless app); the speed targets are checked by hand at full size.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
KEYS = [
    "ratio_1_worker",
    "ratio_all",
    "bookkeeping_ms_per_file",
    "process_peak_rss_mb",
    "export_mb_per_s_approx",
    "export_mb_per_s_bpe",
    "export_rss_ratio",
    "lag_p99_ms",
    "key_p95_ms",
    "startup_10k_s",
    "generate_requests_per_s",
    "generate_bookkeeping_ms_per_request",
    "generate_rss_ratio",
    "ingest_speedup_max",
    "export_speedup_max",
    "bookkeeping_growth",
    "sessions_idle_cpu_ratio",
]


@pytest.mark.slow
def test_quick_benchmarks_report_every_key(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=REPO,
        env={**os.environ, "LORATUI_BENCH_CACHE": str(tmp_path / "cache")},
    )
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    by_bench = {r["bench"]: r for r in results}
    assert set(by_bench) == {
        "ingest",
        "bookkeeping",
        "export",
        "tui",
        "pdfium",
        "fidelity",
        "generate",
        "ocr",
        "scale",
        "sessions",
    }, proc.stderr
    for result in results:
        assert "error" not in result, result
    assert proc.returncode == 0, proc.stdout + proc.stderr

    merged: dict[str, object] = {}
    for result in results:
        merged.update(result)
    keys = list(KEYS)
    if "skipped" not in by_bench["pdfium"]:
        keys.append("pdfium_speedup")
    if "skipped" not in by_bench["ocr"]:
        keys += ["ocr_s_per_page", "ocr_word_recall"]
    for key in keys:
        value = merged.get(key)
        assert isinstance(value, int | float) and math.isfinite(value), (key, value)
        assert value > 0, (key, value)

    ingest = by_bench["ingest"]
    assert ingest["done"] == ingest["files"] and ingest["failed"] == 0
    assert ingest["pages"] == ingest["bare_pages"]  # loratui found every page the floor did
    assert by_bench["bookkeeping"]["done"] == by_bench["bookkeeping"]["files"]
    export = by_bench["export"]
    assert export["large_text_mb"] > export["small_text_mb"] > 0
    assert export["runs"]["large_bpe"]["tokens"] > 0
    assert by_bench["scale"]["export_identical"] is True  # same bytes at every worker count
    tui = by_bench["tui"]
    assert tui["settled"] == tui["files"]
    assert tui["scroll_rows"] == tui["docs"]
    assert tui["switch_busy_samples"] > 0 and tui["switch_idle_samples"] > 0
    assert tui["preview_shown_chars"] <= 100_000 < tui["page_chars"]  # a slice, not the page
    if "skipped" not in by_bench["pdfium"]:
        quality = by_bench["pdfium"]["generated_quality"]
        assert quality["pypdf"]["recall"] > 0.99 and quality["pypdfium2"]["recall"] > 0.99
