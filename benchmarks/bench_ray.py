"""Ray engine against the local pool: ``process`` and ``export`` on the same corpus.

    python benchmarks/bench_ray.py [--quick] [--files N] [--max-pages P] [--seed S]

On the generated corpus (make_corpus.py; default 200 files of up to 20 pages) two fresh
homes get the same files; we time, in this order:
1. ``loratui process`` (the local pool, one process per CPU) on the first home;
2. ``loratui process --engine ray`` on the second: a local Ray runtime with one CPU per
   core starts, the store is checked from its node, the extraction runs as Ray tasks;
3. ``loratui export`` of the second home's project (the local export);
4. ``loratui export --engine ray --force`` of the same project (a second version, the
   records made by Ray tasks).
Each is a fresh ``loratui`` process (imports, and Ray's start and stop, included in the
wall times). ``*_work_s`` is the command's own time for the work (``process``'s
``elapsed_s``: the queue from first claim to idle, without Ray's start and stop).

Reported: ``ray_vs_local_process`` = Ray's work time / the local pool's (on one machine
Ray's per-task costs are pure overhead: it pays off past one machine's cores),
``ray_vs_local_process_wall`` (with Ray's start and stop), ``ray_vs_local_export``
(wall), ``ray_start_stop_s`` (what a Ray command pays before and after its work here).
The texts (``text_sha256`` of every file) and the two versions' files are checked equal:
``same_texts`` and ``same_export_files`` must be true.
"""

from __future__ import annotations

import argparse
import filecmp
import os
from pathlib import Path

import benchlib


def texts(home: Path) -> dict[str, str | None]:
    _, rows, _ = benchlib.run_cli(home, "files", "bench")
    return {r["name"]: r["text_sha256"] for r in rows}


def add(home: Path, corpus: Path) -> None:
    benchlib.run_cli(home, "new", "bench")
    benchlib.run_cli(home, "add", "bench", str(corpus))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="40 files of up to 5 pages")
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--max-pages", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    try:
        import ray  # noqa: F401 - only to say why not
    except ImportError:
        benchlib.emit({"bench": "ray", "skipped": "Ray is not installed (loratui[ray])"})
        return
    files, max_pages = (40, 5) if args.quick else (args.files, args.max_pages)
    corpus = benchlib.corpus(files, seed=args.seed, max_pages=max_pages)
    with benchlib.scratch("ray-local-") as local_home, benchlib.scratch("ray-ray-") as ray_home:
        add(local_home, corpus)
        add(ray_home, corpus)
        local_s, local, _ = benchlib.run_cli(local_home, "process", "bench")
        ray_s, on_ray, _ = benchlib.run_cli(ray_home, "process", "bench", "--engine", "ray")
        same_texts = texts(local_home) == texts(ray_home)
        export_s, v1, _ = benchlib.run_cli(ray_home, "export", "bench")
        export_ray_s, v2, _ = benchlib.run_cli(
            ray_home, "export", "bench", "--engine", "ray", "--force"
        )
        names = sorted(p.name for p in Path(v1["path"]).iterdir() if p.suffix == ".jsonl")
        match, mismatch, errors = filecmp.cmpfiles(v1["path"], v2["path"], names, shallow=False)
        done = on_ray["counts"]["states"]["done"]
        benchlib.emit(
            {
                "bench": "ray",
                "files": files,
                "pages": on_ray["counts"]["pages"],
                "done": done,
                "cpus": on_ray["engine"]["cpus"],
                "machine_cores": os.cpu_count(),
                "process_local_s": local_s,
                "process_local_work_s": local["elapsed_s"],
                "process_ray_s": ray_s,
                "process_ray_work_s": on_ray["elapsed_s"],
                "ray_start_stop_s": ray_s - on_ray["elapsed_s"] - (local_s - local["elapsed_s"]),
                "ray_vs_local_process": on_ray["elapsed_s"] / local["elapsed_s"],
                "ray_vs_local_process_wall": ray_s / local_s,
                "export_local_s": export_s,
                "export_ray_s": export_ray_s,
                "ray_vs_local_export": export_ray_s / export_s,
                "export_records": v1["records"],
                "same_texts": same_texts and done == local["counts"]["states"]["done"],
                "same_export_files": bool(names) and match == names and not mismatch + errors,
            }
        )


if __name__ == "__main__":
    main()
