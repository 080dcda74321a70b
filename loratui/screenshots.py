"""Write SVG screenshots of every screen into screenshots/ from a demo project.

Run ``python -m loratui.screenshots [--out DIR] [--size 100x30]``. The demo home is built in a
fixed temporary folder (the paths shown on screen stay the same from run to run): the sample
documents are added and processed by the real worker, then the app is driven headless and each
screen is saved with ``app.save_screenshot``. The snapshot tests build their data the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import sys
from pathlib import Path
from typing import Any

FIXED_HOME = Path("/tmp/loratui-screenshots/home")
FIXED_TIME = 1_767_225_600.0  # 2026-01-01 00:00 UTC: the clock the screenshots are taken at


def build_demo_home(home: Path = FIXED_HOME, workers: int = 1, export: bool = False) -> int:
    """A fresh home at ``home`` with the demo project processed (and exported once if
    ``export``) and its clock fixed (see ``freeze_times``); return the project id."""
    from loratui.core.jobs.worker import Worker
    from loratui.core.projects import demo
    from loratui.core.store import db
    from loratui.core.store import home as home_mod

    if home.exists():
        shutil.rmtree(home)
    home_mod.open_home(home)
    project, _ = demo.create_demo()
    asyncio.run(Worker(project.id, workers=workers).run_until_idle())
    if export:
        from loratui.core.export.config import load_config
        from loratui.core.export.version import run_export

        run_export(project, load_config(project))
    freeze_times()
    # compact it: the database's size is on screen, and free pages left by the run's
    # timing would make the pictures differ from run to run
    db.database.execute_sql("VACUUM")
    db.close()
    return project.id


def freeze_times(base: float = FIXED_TIME) -> None:
    """Set every timestamp and duration of the open home to fixed values, then re-chain
    the audit log, so pictures of the screens are the same from run to run."""
    from loratui.core import audit
    from loratui.core.store.db import write_txn
    from loratui.core.store.models import DatasetVersion, Document, Event, Job, Project

    with write_txn():
        Project.update(created_at=base, updated_at=base).execute()
        for doc in Document.select():
            doc.created_at = base + doc.id
            doc.updated_at = base + 60 + doc.id
            doc.started_at = base + 30 + doc.id if doc.started_at else None
            doc.finished_at = base + 60 + doc.id if doc.finished_at else None
            doc.extract_seconds = 0.5 if doc.extract_seconds else 0.0
            doc.save()
        Job.update(created_at=base, updated_at=base + 60).execute()
        DatasetVersion.update(created_at=base + 120).execute()
        # with several worker tasks in flight, the debug "processing started" events
        # interleave differently from run to run; the pictures leave them out
        Event.delete().where(Event.level == "debug").execute()
        _canonical_event_order()
        chains: dict[int | None, str] = {}
        for n, ev in enumerate(Event.select().order_by(Event.id), start=1):
            ev.time = base + n
            ev.message = _SECONDS.sub(r"\1 0.5 s", ev.message)
            ev.data = _fixed_durations(_checkout_free(ev.data))
            ev.prev_hash = chains.get(ev.project_id, "")
            ev.hash = audit.compute_hash(ev.prev_hash, audit.event_payload(ev))
            chains[ev.project_id] = ev.hash
            ev.save()


_EVENT_FIELDS = ("project_id", "project_name", "document_id", "level", "kind", "message", "data")
_PHASES = {"project": 0, "document.added": 1, "export": 3}


def _canonical_event_order() -> None:
    """Outcomes of the demo's processing in document order, whatever order they finished in.

    Small files share worker tasks and the encrypted PDF fails at once, so which outcome
    is logged first depends on timing; the pictures show them by document."""
    from loratui.core.store.models import Event

    rows = list(Event.select().order_by(Event.id))

    def key(ev: Event) -> tuple[int, int, int]:
        phase = _PHASES.get(ev.kind, _PHASES.get(ev.kind.split(".")[0], 2))
        return (phase, ev.document_id or 0 if phase == 2 else 0, ev.id)

    contents = [{f: getattr(ev, f) for f in _EVENT_FIELDS} for ev in sorted(rows, key=key)]
    for ev, content in zip(rows, contents, strict=True):
        for f, value in content.items():
            setattr(ev, f, value)
        ev.save()


_SECONDS = re.compile(r"\b(in|after|took) \d+(?:\.\d+)? ?s\b")


def _checkout_free(data: Any) -> Any:
    """Event data without what names this checkout's files (a failure's remote traceback,
    the samples' source paths): the pictures are the same wherever the code lives."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    if isinstance(out.get("traceback"), str):
        out["traceback"] = "(traceback)"
    if isinstance(out.get("source_path"), str):
        out["source_path"] = "samples/" + Path(out["source_path"]).name
    return out


def _fixed_durations(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            k: (
                0.5
                if isinstance(v, float) and ("second" in k or k.endswith("_s"))
                else _fixed_value(v, k)
            )
            for k, v in data.items()
        }
    return data


def _fixed_value(value: Any, key: str) -> Any:
    """Fixed values for timestamps inside event data; other values unchanged."""
    if isinstance(value, float) and (key.endswith("_at") or key in ("time", "mtime")):
        return FIXED_TIME
    return _fixed_durations(value)


async def _shoot(out: Path, size: tuple[int, int], project_id: int) -> list[Path]:
    from textual.widgets import Input

    from loratui.tui.app import LoratuiApp

    app = LoratuiApp(home=FIXED_HOME, start_worker=False, clock=lambda: FIXED_TIME)
    written: list[Path] = []
    async with app.run_test(size=size) as pilot:

        async def settle(seconds: float = 0.6) -> None:
            await pilot.pause(seconds)
            for box in app.screen.query(Input):
                box.cursor_blink = False
            await pilot.pause(0.1)

        async def shot(name: str) -> None:
            await settle()
            written.append(Path(app.save_screenshot(f"{name}.svg", path=str(out))))

        await shot("01-projects")
        await pilot.press("n")
        await pilot.press(*"support-manuals")
        await shot("02-new-project")
        await pilot.press("escape")
        app.open_project(project_id)
        await shot("03-dashboard")
        await pilot.press("f")
        await shot("04-files")
        await pilot.press("question_mark")
        await shot("05-help")
        await pilot.press("escape", "a")
        await shot("06-add-files")
        await pilot.press("escape", "ctrl+p")
        await shot("07-command-palette")
        await pilot.press("escape")
        for name, key in (("08-export", "e"), ("09-versions", "v"), ("10-log", "l")):
            await pilot.press(key)
            if app.screen.__class__.__name__ in ("QueueScreen", "DashboardScreen"):
                continue  # that screen is not part of this build
            await shot(name)
        await pilot.press("f")
        await settle()
        await pilot.press("enter")
        await shot("11-preview")
        await pilot.press("escape", "d", "ctrl+l")
        await shot("12-dashboard-log-panel")
        await pilot.press("ctrl+l", "comma")
        await shot("13-settings")
        await pilot.press("escape", "g")  # no model server in the demo: it says so, and how
        await settle(1.5)
        await shot("14-generate")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loratui.screenshots")
    parser.add_argument("--out", default="screenshots", help="folder for the SVGs")
    parser.add_argument("--size", default="100x30", help="terminal size, COLSxROWS")
    args = parser.parse_args(argv)
    cols, rows = (int(x) for x in args.size.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    project_id = build_demo_home(export=True)
    written = asyncio.run(_shoot(out, (cols, rows), project_id))
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
