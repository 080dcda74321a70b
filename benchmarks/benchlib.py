"""What every benchmark script shares: the cached corpus, timing, process-tree RSS, the CLI.

Why ratios: these machines are shared and noisy, so each script runs its baseline (a bare
loop of the same library calls) in the same process and reports our time over it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
for _p in (REPO, BENCH_DIR):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import make_corpus  # noqa: E402

MB = 1024 * 1024


def emit(result: dict[str, Any]) -> None:
    """Print the script's one JSON object (numbers rounded for reading)."""

    def tidy(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, 4)
        if isinstance(value, dict):
            return {k: tidy(v) for k, v in value.items()}
        if isinstance(value, list):
            return [tidy(v) for v in value]
        return value

    print(json.dumps(tidy(result)), flush=True)


def cache_dir() -> Path:
    """Where generated corpora are kept between runs ($LORATUI_BENCH_CACHE to change it)."""
    root = os.environ.get("LORATUI_BENCH_CACHE")
    path = Path(root) if root else Path(tempfile.gettempdir()) / f"loratui-bench-{os.getuid()}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def generator_hash() -> str:
    """Short digest of the corpus generator's source: a cached corpus is rebuilt when it changes."""
    h = hashlib.sha256()
    for name in ("make_corpus.py", "textgen.py"):
        h.update((BENCH_DIR / name).read_bytes())
    return h.hexdigest()[:12]


def corpus(n: int, seed: int = 0, max_pages: int = 200) -> Path:
    """A generated corpus of ``n`` files, made once per generator version and reused."""
    out = cache_dir() / f"corpus-{n}-s{seed}-p{max_pages}-{generator_hash()}"
    if not (out / make_corpus.MANIFEST).exists():
        tmp = out.with_name(out.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        make_corpus.make_corpus(n, tmp, seed=seed, max_pages=max_pages)
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    return out


def manifest(path: Path) -> dict[str, Any]:
    return json.loads((path / make_corpus.MANIFEST).read_text())


def corpus_files(path: Path, kinds: tuple[str, ...] | None = None) -> list[Path]:
    rows = manifest(path)["files"]
    return [path / r["file"] for r in rows if kinds is None or r["kind"] in kinds]


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A temporary folder (a loratui home, say) under the cache dir, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=cache_dir()))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class TreeRSS:
    """Sample the summed RSS of a process and all its descendants; keep the peak.

    RSS counts pages shared between forked workers once per process, so this is an upper
    bound on the real footprint, the same bound ``ps`` and ``top`` users see.
    """

    def __init__(self, pid: int | None = None, interval: float = 0.05) -> None:
        import psutil

        self._psutil = psutil
        self.pid = pid or os.getpid()
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self._cpu: dict[int, float] = {}  # last CPU seconds seen per process
        self.peaks: dict[int, int] = {}  # peak RSS of each process (bytes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def sample(self) -> int:
        psutil = self._psutil
        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0
        total = 0
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                with proc.oneshot():
                    rss = proc.memory_info().rss
                    total += rss
                    self.peaks[proc.pid] = max(rss, self.peaks.get(proc.pid, 0))
                    cpu = proc.cpu_times()
                    self._cpu[proc.pid] = cpu.user + cpu.system
        if total > self.peak:
            self.peak = total
        self.samples += 1
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak / MB

    @property
    def cpu_s(self) -> float:
        """CPU seconds of the tree, as last sampled (a process's final moments are missed)."""
        return sum(self._cpu.values())

    @property
    def max_child_mb(self) -> float:
        """The largest peak RSS of one descendant (a worker, for loratui)."""
        return max((v for k, v in self.peaks.items() if k != self.pid), default=0) / MB

    @property
    def cpu_root_s(self) -> float:
        """CPU seconds of the root process alone (for loratui: orchestrator and database)."""
        return self._cpu.get(self.pid, 0.0)


def loratui_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["LORATUI_HOME"] = str(home)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


# CPU seconds of the last ``run_cli(measure_rss=True)``: the whole tree and its root alone;
# and the largest peak RSS (MB) of one process under the root (a pool worker)
LAST_CPU_S = {"value": 0.0, "root": 0.0, "max_child_mb": 0.0}


def run_cli(
    home: Path, *args: str, measure_rss: bool = False, timeout: float = 3600
) -> tuple[float, Any, float]:
    """Run ``loratui --home HOME ARGS --json``; return (seconds, parsed JSON, peak tree RSS MB).

    With ``measure_rss`` the tree's CPU seconds are left in ``LAST_CPU_S["value"]``.
    Raises RuntimeError with the output when the command fails.
    """
    cmd = [sys.executable, "-m", "loratui", "--home", str(home), *args, "--json"]
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=loratui_env(home),
        cwd=REPO,
    )
    rss = TreeRSS(proc.pid) if measure_rss else None
    if rss:
        rss.__enter__()
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if rss:
            rss.__exit__()
            LAST_CPU_S["value"] = rss.cpu_s
            LAST_CPU_S["root"] = rss.cpu_root_s
            LAST_CPU_S["max_child_mb"] = rss.max_child_mb
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(
            f"loratui {' '.join(args)} exited {proc.returncode}\nstdout: {out[-2000:]}\n"
            f"stderr: {err[-4000:]}"
        )
    try:
        parsed = json.loads(out) if out.strip() else None
    except json.JSONDecodeError:
        parsed = [json.loads(line) for line in out.splitlines() if line.strip()]
    return seconds, parsed, rss.peak_mb if rss else 0.0


# ---------------------------------------------------------------- the bare floor


def bare_pdf(path: Path) -> tuple[int, int]:
    from pypdf import PdfReader

    reader = PdfReader(path)
    chars = 0
    for page in reader.pages:
        chars += len(page.extract_text() or "")
    return len(reader.pages), chars


def bare_docx(path: Path) -> tuple[int, int]:
    import docx

    doc = docx.Document(str(path))
    chars = 0
    for item in doc.iter_inner_content():
        if hasattr(item, "rows"):
            for row in item.rows:
                for cell in row.cells:
                    chars += len(cell.text)
        else:
            chars += len(item.text)
    for section in doc.sections:
        for part in (section.header, section.footer):
            chars += sum(len(p.text) for p in part.paragraphs)
    return 1, chars


def bare_text(path: Path) -> tuple[int, int]:
    return 1, len(path.read_bytes().decode("utf-8"))


def bare_extract(paths: list[Path]) -> dict[str, float]:
    """Extract every file with the plain library calls, one after another, in this process.

    The libraries are imported before the clock starts (``loratui process`` pays its imports
    inside its own time, but a warm floor is the stricter comparison).
    """
    import docx  # noqa: F401
    import pypdf  # noqa: F401

    pages = chars = 0
    cpu = time.process_time()
    start = time.perf_counter()
    for path in paths:
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            p, c = bare_pdf(path)
        elif suffix == ".docx":
            p, c = bare_docx(path)
        else:
            p, c = bare_text(path)
        pages += p
        chars += c
    return {
        "seconds": time.perf_counter() - start,
        "cpu_s": time.process_time() - cpu,
        "pages": pages,
        "chars": chars,
    }


def run_child(args: list[str], home: Path, what: str) -> tuple[dict[str, Any], TreeRSS]:
    """``python ARGS`` in a child process with ``home`` as its loratui home, its process
    tree's RSS sampled from here; the JSON object it prints last, and the sampler."""
    proc = subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=loratui_env(home),
    )
    with TreeRSS(pid=proc.pid, interval=0.05) as tree:
        out, err = proc.communicate(timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{err[-4000:]}")
    return json.loads(out.strip().splitlines()[-1]), tree
