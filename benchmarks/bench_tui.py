"""TUI: responsiveness while files are processed, start-up and scrolling with 10,000 documents.

    python benchmarks/bench_tui.py [--quick] [--files N] [--docs D]

The app runs headless (``App.run_test``, 120x36) in this process, with its in-process worker
(default worker count) and drop-folder watcher, as a user would run it. Every frame the app
sends to its (headless) driver is also rendered to the escape sequences a terminal would get,
so frames cost what they cost on screen.

1. Ingest: N corpus files (default 1000) are added, the app opens the project and the Files
   (queue) table, and until every document is done:
   - a probe sleeps 20 ms at a time on the event loop and records how late it wakes:
     ``lag_p50_ms``, ``lag_p99_ms`` (target <= 50), ``lag_max_ms``;
   - every 0.25 s a ``down``/``up`` key is sent to the table and the time until the first
     frame showing the moved cursor is recorded: ``key_p50_ms``, ``key_p95_ms`` (<= 100).
2. Start-up: a project holding D documents (default 10,000; rows seeded straight into the
   database in the states a long run leaves, so this measures the app, not ingest): from
   ``LoratuiApp(...)`` to the first frame, ``startup_10k_s`` (target <= 1.0), and to the
   first frame of the project's dashboard, ``startup_dashboard_10k_s``; then the Files
   table opened until all D rows are in it (``queue_open_10k_s``) and scrolled from the
   first to the last row with ``pagedown`` (``scroll_10k_s``, ``scroll_page_ms``), each page
   also timed from the key to the frame that shows it (``page_key_p50_ms``, ``_p95_ms``).
3. Screen switches (``--switch-files`` files, default 400): Files -> Dashboard -> Files …,
   each timed from the key to the first frame that shows the new screen, while the worker
   processes the files (``switch_busy_p50_ms``, ``switch_busy_p95_ms``, target <= 150) and
   once it is idle (``switch_idle_p50_ms``, ``switch_idle_p95_ms``).
4. Preview of a one-page text of ``--page-mb`` MB (default 300; seeded by a separate
   process): from opening the preview to the frame with its text (``preview_big_s``) and
   how much this process grew (``preview_rss_growth_mb``, peak sampled); then, as the
   baseline in the same process, reading that page whole the way the preview used to
   (``whole_page_read_s``, ``whole_page_rss_growth_mb``).
With ``--quick`` the sizes are smaller (the ``files`` and ``docs`` fields say which); the
README figures come from a full run. ``import_s`` is the time a fresh Python takes to import
the app (paid before the first frame too, outside the in-process figure).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

import benchlib

SIZE = (120, 36)
PROBE_S = 0.02
KEY_EVERY_S = 0.25
MIN_KEYS = 4  # key samples taken even when the files are done sooner (quick runs)


def _app_class():  # noqa: ANN202 - a LoratuiApp subclass
    from textual._compositor import CompositorUpdate

    from loratui.tui import app as app_mod
    from loratui.tui.app import LoratuiApp

    class BenchApp(LoratuiApp):
        """The real app, recording when each frame is ready for the terminal."""

        CSS_PATH = str(Path(app_mod.__file__).with_name(LoratuiApp.CSS_PATH))
        frames: list[float]
        on_frame = None

        def _display(self, screen, renderable) -> None:  # noqa: ANN001
            super()._display(screen, renderable)
            if renderable is None or self._batch_count:
                return
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(self.console)  # what a terminal would be sent
            now = time.perf_counter()
            self.frames.append(now)
            if self.on_frame is not None:
                self.on_frame(now)

    return BenchApp


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


async def wait_for(predicate, timeout: float, step: float = 0.05) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(step)
    return predicate()


def _table(app):  # noqa: ANN001, ANN202
    from textual.widgets import DataTable

    try:
        return app.screen.query_one(DataTable)
    except Exception:  # noqa: BLE001 - not on the queue screen yet
        return None


async def key_latency(app, table, key: str, expect_row: int | None, timeout: float = 10.0) -> float:  # noqa: ANN001
    """Send ``key`` the way the terminal driver does; time to the first frame with the cursor
    on ``expect_row`` (``None``: anywhere but where it was)."""
    from textual import events

    done = asyncio.get_running_loop().create_future()
    before = table.cursor_row

    def on_frame(t: float) -> None:
        row = table.cursor_row
        if (row == expect_row or (expect_row is None and row != before)) and not done.done():
            done.set_result(t)

    app.on_frame = on_frame
    start = time.perf_counter()
    event = events.Key(key, None)
    event.set_sender(app)
    app._driver.send_message(event)
    try:
        end = await asyncio.wait_for(done, timeout)
    except TimeoutError:
        end = time.perf_counter()
    finally:
        app.on_frame = None
    return (end - start) * 1000


async def ingest_run(home: Path, files_expected: int, workers: int | None) -> dict:
    from loratui.core.store.models import Document

    BenchApp = _app_class()
    app = BenchApp(home=home, project="bench", workers=workers)
    app.frames = []
    lags: list[float] = []
    keys: list[float] = []
    finished: dict[str, float] = {"n": 0}

    def settled() -> int:
        return (
            Document.select()
            .where(Document.state.in_(("done", "failed", "duplicate", "cancelled")))
            .count()
        )

    async with app.run_test(size=SIZE) as pilot:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()

        async def probe() -> None:
            while not stop.is_set():
                t0 = loop.time()
                await asyncio.sleep(PROBE_S)
                lags.append((loop.time() - t0 - PROBE_S) * 1000)

        async def counter() -> None:
            while not stop.is_set():
                finished["n"] = await asyncio.to_thread(settled)
                if finished["n"] >= files_expected:
                    finished["t"] = time.perf_counter()
                    stop.set()
                    return
                await asyncio.sleep(0.5)

        # the worker starts with the app: measure from the first moment
        started = time.perf_counter()
        probe_task = loop.create_task(probe())
        count_task = loop.create_task(counter())
        await wait_for(lambda: len(app.screen_stack) >= 2, 30)
        await pilot.press("f")
        await wait_for(lambda: _table(app) is not None and _table(app).row_count > 0, 60)
        table = _table(app)
        down = True
        deadline = started + 3600
        while (not stop.is_set() or len(keys) < MIN_KEYS) and time.perf_counter() < deadline:
            row = table.cursor_row
            if down and row + 1 < table.row_count:
                keys.append(await key_latency(app, table, "down", row + 1))
            elif row > 0:
                keys.append(await key_latency(app, table, "up", row - 1))
            down = not down
            await asyncio.sleep(KEY_EVERY_S)
        stop.set()
        elapsed = finished.get("t", time.perf_counter()) - started
        await probe_task
        await count_task
        frames = len(app.frames)
    return {
        "seconds": elapsed,
        "settled": finished["n"],
        "frames": frames,
        "lags": lags,
        "keys": keys,
    }


def seed_documents(home: Path, n: int) -> None:
    """``n`` documents in the states a long run leaves: mostly done, some failed, a few
    duplicates, warnings on some; bulk-inserted. None is queued: there are no stored files
    behind these rows, and the app's worker would otherwise spend the run failing them."""
    import random

    from loratui.core.projects import workspace
    from loratui.core.store import home as home_mod
    from loratui.core.store.db import write_txn
    from loratui.core.store.models import Document

    rng = random.Random(5)
    home_mod.open_home(home)
    try:
        project = workspace.create_project("big")
        docs = []
        for i in range(n):
            r = rng.random()
            kind = rng.choice(("pdf", "pdf", "docx", "text"))
            pages = rng.randint(1, 200) if kind == "pdf" else 1
            state = "done" if r < 0.9 else "failed" if r < 0.95 else "duplicate"
            chars = pages * rng.randint(800, 3000) if state == "done" else 0
            docs.append(
                {
                    "project": project.id,
                    "name": f"document-{i:05d}.{ {'text': 'txt'}.get(kind, kind) }",
                    "sha256": f"{i:064x}",
                    "size": rng.randint(1_000, 5_000_000),
                    "kind": kind,
                    "state": state,
                    "pages": pages if state == "done" else None,
                    "pages_done": pages if state == "done" else 0,
                    "chars": chars,
                    "tokens": chars // 4,
                    "error_code": "corrupt" if state == "failed" else None,
                    "error_message": "the file is damaged" if state == "failed" else None,
                    "warnings": [{"code": "little_text", "level": "warning"}]
                    if state == "done" and r < 0.05
                    else [],
                }
            )
        with write_txn():
            for start in range(0, n, 500):
                Document.insert_many(docs[start : start + 500]).execute()
    finally:
        home_mod.close_home()


async def startup_run(home: Path, docs: int) -> dict:
    from textual.widgets import DataTable

    BenchApp = _app_class()
    t0 = time.perf_counter()
    app = BenchApp(home=home, project="big")
    app.frames = []
    first_frame: dict[str, float] = {}

    def on_frame(t: float) -> None:
        first_frame.setdefault("any", t)
        if len(app.screen_stack) >= 2:  # the project's dashboard is on top
            first_frame.setdefault("dashboard", t)

    app.on_frame = on_frame
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: "dashboard" in first_frame, 60, step=0.005)
        startup = first_frame.get("any", time.perf_counter()) - t0
        dashboard = first_frame.get("dashboard", time.perf_counter()) - t0
        app.on_frame = None
        await pilot.pause()
        t1 = time.perf_counter()
        await pilot.press("f")
        await wait_for(lambda: _table(app) is not None and _table(app).row_count >= docs, 120, 0.01)
        await pilot.pause()
        queue_open = time.perf_counter() - t1
        table: DataTable = _table(app)
        rows = table.row_count
        page_ms: list[float] = []
        t2 = time.perf_counter()
        while table.cursor_row < rows - 1 and len(page_ms) < rows:
            # each page as a terminal sends it, timed to the frame that shows it; the next
            # key goes once the app is idle again (as a user's next press would find it)
            page_ms.append(await key_latency(app, table, "pagedown", None))
            await pilot.pause()
        scroll = time.perf_counter() - t2
        at_end = table.cursor_row
    return {
        "startup_s": startup,
        "dashboard_s": dashboard,
        "queue_open_s": queue_open,
        "rows": rows,
        "scroll_s": scroll,
        "scroll_presses": len(page_ms),
        "page_ms": page_ms,
        "cursor_at_end": at_end,
    }


async def switch_latency(app, key: str, screen: str, timeout: float = 10.0) -> float:  # noqa: ANN001
    """Send ``key``; the time to the first frame with a ``screen`` (class name) on top."""
    from textual import events

    done = asyncio.get_running_loop().create_future()

    def on_frame(t: float) -> None:
        if type(app.screen).__name__ == screen and not done.done():
            done.set_result(t)

    app.on_frame = on_frame
    start = time.perf_counter()
    event = events.Key(key, None)
    event.set_sender(app)
    app._driver.send_message(event)
    try:
        end = await asyncio.wait_for(done, timeout)
    except TimeoutError:
        end = time.perf_counter()
    finally:
        app.on_frame = None
    return (end - start) * 1000


async def switch_run(home: Path, files_expected: int, workers: int | None, idle_n: int) -> dict:
    """Files <-> Dashboard while the worker processes the project, then as many when idle."""
    from loratui.core.store.models import Document

    BenchApp = _app_class()
    app = BenchApp(home=home, project="switch", workers=workers)
    app.frames = []
    busy: list[float] = []
    idle: list[float] = []
    targets = (("f", "QueueScreen"), ("d", "DashboardScreen"))

    def settled() -> int:
        return (
            Document.select()
            .where(Document.state.in_(("done", "failed", "duplicate", "cancelled")))
            .count()
        )

    async with app.run_test(size=SIZE):
        await wait_for(lambda: len(app.screen_stack) >= 2, 30)
        n = 0
        deadline = time.perf_counter() + 3600
        while await asyncio.to_thread(settled) < files_expected:
            if time.perf_counter() > deadline:
                break
            key, screen = targets[n % 2]
            busy.append(await switch_latency(app, key, screen))
            n += 1
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # the last updates land; the worker waits for work
        for i in range(idle_n):
            key, screen = targets[(n + i) % 2]
            idle.append(await switch_latency(app, key, screen))
            await asyncio.sleep(0.2)
    return {"busy": busy, "idle": idle}


def seed_big_page(home: str, megabytes: int) -> None:
    """A project "page" with one text document of one page of ``megabytes`` MB (in its own
    process: building the text must not count in the preview's memory)."""
    from loratui.core.projects import workspace
    from loratui.core.store import home as home_mod
    from loratui.core.store.db import write_txn
    from loratui.core.store.models import Document, Page

    line = "2026-01-01 00:00:00 pump C-4 pressure 4.1 bar, valve checked and logged\n"
    text = line * (megabytes * 1_000_000 // len(line))
    home_mod.open_home(home)
    try:
        project = workspace.create_project("page")
        with write_txn():
            doc = Document.create(
                project=project,
                name="huge-log.txt",
                sha256="0" * 64,
                size=len(text),
                kind="text",
                state="done",
                pages=1,
                pages_done=1,
                chars=len(text),
                tokens=len(text) // 4,
            )
            Page.create(document=doc, number=1, text=text, chars=len(text))
    finally:
        home_mod.close_home()


class PeakRss:
    """This process's resident memory, sampled every 20 ms in a thread; keeps the peak."""

    def __init__(self) -> None:
        import threading

        import psutil

        self._proc = psutil.Process()
        self.start = self.peak = self._proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def stop(self) -> float:
        """The growth over the start, in MB."""
        self._stop.set()
        self._thread.join()
        return (self.peak - self.start) / 1e6


async def preview_run(home: Path) -> dict:
    from loratui.core.projects import documents
    from loratui.core.store.models import Document
    from loratui.tui.widgets.text_view import TextView

    BenchApp = _app_class()
    app = BenchApp(home=home, project="page", start_worker=False)
    app.frames = []
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: len(app.screen_stack) >= 2, 30)
        await pilot.pause()
        doc_id = Document.get(Document.name == "huge-log.txt").id
        rss = PeakRss()
        t0 = time.perf_counter()
        app.open_preview(doc_id)
        await wait_for(lambda: bool(app.screen.query(TextView)) and _shown(app), 120, 0.01)
        await pilot.pause()
        shown_s = time.perf_counter() - t0
        growth = rss.stop()
        shown_chars = len(app.screen.query_one(TextView).text)
    # the baseline, after the app: the whole page read as the preview used to
    rss = PeakRss()
    t1 = time.perf_counter()
    whole = await asyncio.to_thread(_read_whole, documents, doc_id)
    whole_s = time.perf_counter() - t1
    whole_growth = rss.stop()
    return {
        "preview_s": shown_s,
        "rss_growth_mb": growth,
        "shown_chars": shown_chars,
        "whole_s": whole_s,
        "whole_rss_growth_mb": whole_growth,
        "page_chars": whole,
    }


def _shown(app) -> bool:  # noqa: ANN001
    """The preview shows text (a page, or a part of one)."""
    from loratui.tui.widgets.text_view import TextView

    return type(app.screen).__name__ == "PreviewScreen" and bool(
        app.screen.query_one(TextView).text
    )


def _read_whole(documents, doc_id: int) -> int:  # noqa: ANN001
    from loratui.core.store.threads import thread_connection

    with thread_connection():
        return len(documents.page_text(doc_id, 1) or "")


def import_seconds() -> float:
    code = (
        "import time; t=time.perf_counter(); import loratui.tui.app; print(time.perf_counter()-t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=benchlib.REPO
    )
    return float(out.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="CI size (24 files, 1,000 documents)")
    ap.add_argument("--files", type=int, default=None, help="files processed (default 1000)")
    ap.add_argument("--docs", type=int, default=None, help="documents (default 10,000)")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--switch-files", type=int, default=None, help="files (default 400)")
    ap.add_argument("--page-mb", type=int, default=None, help="one-page text (default 300)")
    ap.add_argument(
        "--only",
        default="ingest,startup,switch,preview",
        help="the parts to run, comma-separated (default: all)",
    )
    args = ap.parse_args(argv)
    parts = set(args.only.split(","))
    if parts != {"ingest", "startup", "switch", "preview"}:
        return _some(args, parts)
    n = args.files or (24 if args.quick else 1000)
    docs = args.docs or (1000 if args.quick else 10_000)
    max_pages = 6 if args.quick else 200
    corpus_dir = benchlib.corpus(n, 0, max_pages)

    with benchlib.scratch("tui-") as tmp:
        home = tmp / "home"
        benchlib.run_cli(home, "new", "bench")
        benchlib.run_cli(home, "add", "bench", str(corpus_dir))
        ingest = asyncio.run(ingest_run(home, n, args.workers))
        seed_documents(home, docs)
        start = asyncio.run(startup_run(home, docs))
        more = _switch_and_preview(args, {"switch", "preview"}, tmp)
    lags, keys = ingest["lags"], ingest["keys"]
    result = {
        "bench": "tui",
        "files": n,
        "ingest_s": ingest["seconds"],
        "settled": ingest["settled"],
        "frames": ingest["frames"],
        "lag_samples": len(lags),
        "lag_p50_ms": percentile(lags, 50),
        "lag_p99_ms": percentile(lags, 99),
        "lag_max_ms": max(lags) if lags else 0.0,
        "key_samples": len(keys),
        "key_p50_ms": percentile(keys, 50),
        "key_p95_ms": percentile(keys, 95),
        "key_max_ms": max(keys) if keys else 0.0,
        "docs": docs,
        "startup_10k_s": start["startup_s"],
        "startup_dashboard_10k_s": start["dashboard_s"],
        "queue_open_10k_s": start["queue_open_s"],
        "scroll_10k_s": start["scroll_s"],
        "scroll_page_ms": start["scroll_s"] / max(1, start["scroll_presses"]) * 1000,
        "page_key_p50_ms": percentile(start["page_ms"], 50),
        "page_key_p95_ms": percentile(start["page_ms"], 95),
        "scroll_rows": start["rows"],
        "import_s": import_seconds(),
        "lag_mean_ms": statistics.fmean(lags) if lags else 0.0,
        **more,
    }
    benchlib.emit(result)
    return 0 if ingest["settled"] >= n else 1


def _switch_and_preview(args: argparse.Namespace, parts: set[str], tmp: Path) -> dict:
    """Parts 3 and 4 (see the module doc), in ``tmp``."""
    import multiprocessing

    result: dict = {}
    if "switch" in parts:
        n = args.switch_files or (40 if args.quick else 400)
        home = tmp / "switch-home"
        benchlib.run_cli(home, "new", "switch")
        benchlib.run_cli(home, "add", "switch", str(benchlib.corpus(n, 1, 6 if args.quick else 40)))
        sw = asyncio.run(switch_run(home, n, args.workers, 10 if args.quick else 30))
        result |= {
            "switch_files": n,
            "switch_busy_samples": len(sw["busy"]),
            "switch_busy_p50_ms": percentile(sw["busy"], 50),
            "switch_busy_p95_ms": percentile(sw["busy"], 95),
            "switch_busy_max_ms": max(sw["busy"], default=0.0),
            "switch_idle_samples": len(sw["idle"]),
            "switch_idle_p50_ms": percentile(sw["idle"], 50),
            "switch_idle_p95_ms": percentile(sw["idle"], 95),
        }
    if "preview" in parts:
        mb = args.page_mb or (20 if args.quick else 300)
        home = tmp / "page-home"
        seeder = multiprocessing.get_context("spawn").Process(
            target=seed_big_page, args=(str(home), mb)
        )
        seeder.start()
        seeder.join()
        pv = asyncio.run(preview_run(home))
        result |= {
            "page_mb": mb,
            "page_chars": pv["page_chars"],
            "preview_big_s": pv["preview_s"],
            "preview_shown_chars": pv["shown_chars"],
            "preview_rss_growth_mb": pv["rss_growth_mb"],
            "whole_page_read_s": pv["whole_s"],
            "whole_page_rss_growth_mb": pv["whole_rss_growth_mb"],
            "preview_time_ratio": pv["preview_s"] / max(pv["whole_s"], 1e-9),
        }
    return result


def _some(args: argparse.Namespace, parts: set[str]) -> int:
    """``--only switch,preview`` (parts 1 and 2 are left out)."""
    unknown = parts - {"ingest", "startup", "switch", "preview"}
    if unknown or parts & {"ingest", "startup"}:
        raise SystemExit(f"--only takes switch and/or preview alone, not {sorted(parts)}")
    with benchlib.scratch("tui-") as tmp:
        result = {"bench": "tui", **_switch_and_preview(args, parts, tmp)}
    benchlib.emit(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
