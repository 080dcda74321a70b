"""``loratui watch`` as real processes: real uploads (slow, rsync-style, junk), signals,
restarts and two watchers on one project. Checked in the database and the store.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CLI

SETTLE = "1.0"


def wait_for(cond: Callable[[], object], timeout: float = 60.0, what: str = "") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Watch:
    """A running ``loratui watch --json``; its output lines are collected as they come."""

    def __init__(self, cli: CLI, project: str, *extra: str) -> None:
        self.proc = cli.popen("watch", project, "--json", "--settle", SETTLE, *extra)
        self.lines: list[dict] = []
        self.stderr: list[str] = []
        self._threads = [
            threading.Thread(target=self._read_out, daemon=True),
            threading.Thread(target=self._read_err, daemon=True),
        ]
        for t in self._threads:
            t.start()
        wait_for(lambda: self.of("watching") or self.proc.poll() is not None, 60, "start")
        assert self.of("watching"), self.output()

    def _read_out(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(json.loads(line))

    def _read_err(self) -> None:
        for line in self.proc.stderr:
            self.stderr.append(line)

    def of(self, event: str) -> list[dict]:
        return [x for x in list(self.lines) if x["event"] == event]

    def output(self) -> str:
        return "\n".join(map(json.dumps, self.lines)) + "\n" + "".join(self.stderr)

    def terminate(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        rc = self.proc.wait(60)
        for t in self._threads:
            t.join(10)
        return rc


def db_rows(cli: CLI, sql: str, *params: object) -> list[tuple]:
    con = sqlite3.connect(f"file:{cli.home / 'loratui.db'}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def documents(cli: CLI) -> list[tuple[str, str, str]]:
    """(source_path, sha256, state) of every document."""
    return db_rows(cli, "SELECT source_path, sha256, state FROM document ORDER BY id")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def new_project(cli: CLI, name: str = "p") -> Path:
    return Path(cli.json("new", name)["drop_folder"]).resolve()


def make_sources(src: Path, n: int, tag: str) -> list[Path]:
    """``n`` small, distinct text files (some Markdown) to upload."""
    src.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        ext = "md" if i % 5 == 0 else "txt"
        p = src / f"{tag}-{i:03d}.{ext}"
        body = "".join(
            f"{tag} file {i} line {j}: some words to extract.\n" for j in range(i % 7 + 3)
        )
        p.write_text(body)
        out.append(p)
    return out


def store_file(cli: CLI, digest: str) -> Path:
    matches = list((cli.home / "projects").glob(f"*/store/{digest[:2]}/{digest}"))
    assert len(matches) == 1, digest
    return matches[0]


def test_acceptance_300_real_files_junk_deletions_and_a_symlink(cli: CLI, tmp_path: Path) -> None:
    drop = new_project(cli)
    sources = make_sources(tmp_path / "src", 300, "doc")
    secret = tmp_path / "src" / "outside-secret.txt"
    secret.write_text("this file is outside the drop folder\n")
    w = Watch(cli, "p", "--workers", "2")

    slow, rsync, plain = sources[:20], sources[20:40], sources[40:]
    expected: dict[str, Path] = {}  # path in the drop folder -> source

    def dest_for(i: int, src: Path) -> Path:
        sub = drop / f"batch{i % 4}" if i % 3 == 0 else drop
        sub.mkdir(exist_ok=True)
        return sub / src.name

    def slow_write(src: Path, dest: Path) -> None:
        data = src.read_bytes() * 20  # bigger, so it trickles in over ~5.5 s
        step = max(1, len(data) // 22)
        with open(dest, "wb") as fh:
            for k in range(0, len(data), step):
                fh.write(data[k : k + step])
                fh.flush()
                time.sleep(0.25)
        src.write_bytes(data)  # the source of truth for the sha check

    writers = []
    for i, src in enumerate(slow):
        dest = dest_for(i, src)
        expected[str(dest)] = src
        t = threading.Thread(target=slow_write, args=(src, dest))
        t.start()
        writers.append(t)
    for i, src in enumerate(rsync, start=20):
        dest = dest_for(i, src)
        tmp = dest.with_name(f".{src.name}.Xa{i:04d}")
        shutil.copyfile(src, tmp)
        os.rename(tmp, dest)
        expected[str(dest)] = src
    junk = [
        "~$report.docx",
        "a.part",
        "b.tmp",
        "c.crdownload",
        "d.swp",
        ".DS_Store",
        "Thumbs.db",
        "desktop.ini",
        ".hidden.txt",
        ".never-renamed.txt.Qx12ab",
        "__MACOSX/e.txt",
        ".stfolder/f.txt",
        "batch1/g.tmp",
        "batch2/~$h.docx",
        "batch0/.i.txt.swp",
        "j.txt.part",
        "k.pdf.crdownload",
        "batch3/.l.md.AbC123",
        "m.txt~",
        "__MACOSX/batch/n.txt",
    ]
    assert len(junk) == 20
    for name in junk:
        p = drop / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"junk {name}\n")
    for i in range(5):  # gone before they settle
        p = drop / f"deleted-{i}.txt"
        p.write_text(f"deleted quickly {i}\n")
        time.sleep(0.05)
        p.unlink()
    os.symlink(secret, drop / "link-to-outside.txt")
    for i, src in enumerate(plain, start=40):
        dest = dest_for(i, src)
        shutil.copyfile(src, dest)
        expected[str(dest)] = src
    for t in writers:
        t.join()

    wait_for(lambda: len(w.of("taken")) >= 300, 120, "300 files taken")
    wait_for(lambda: len(w.of("finished")) >= 300, 120, "300 files extracted")
    time.sleep(3 * float(SETTLE))  # anything extra would be taken by now
    assert w.terminate() == 0, w.output()

    docs = documents(cli)
    assert len(docs) == 300, [d for d in docs if d[0] not in expected]
    assert {d[0] for d in docs} == set(expected)  # exactly the real files, none twice
    for source_path, digest, state in docs:
        src = expected[source_path]
        assert digest == sha(src), f"{source_path} truncated or changed"
        assert sha(store_file(cli, digest)) == digest
        assert state == "done", (source_path, state)
    taken = w.of("taken")
    assert len(taken) == 300 and all(t["state"] == "queued" for t in taken)
    assert w.of("stopped")[0]["taken"] == 300
    skipped = db_rows(cli, "SELECT message, level FROM event WHERE kind = 'drop.skipped'")
    assert len(skipped) == 1 and "link-to-outside.txt" in skipped[0][0]
    assert skipped[0][1] == "warning"
    notices = w.of("notice")
    assert any("link-to-outside.txt" in n["message"] and n["level"] == "warning" for n in notices)


def test_sigterm_in_the_middle_then_restart_loses_and_repeats_nothing(
    cli: CLI, tmp_path: Path
) -> None:
    drop = new_project(cli)
    sources = make_sources(tmp_path / "src", 80, "restart")
    (drop / "before.txt").write_text("present before the first start\n")
    w = Watch(cli, "p", "--workers", "1")
    copied: list[Path] = []

    def copy_all() -> None:
        for src in sources:
            shutil.copyfile(src, drop / src.name)
            copied.append(src)
            time.sleep(0.04)

    copier = threading.Thread(target=copy_all)
    copier.start()
    wait_for(lambda: len(w.of("taken")) >= 15, 60, "some files taken")
    assert w.terminate() == 0, w.output()  # in the middle of the uploads
    first = len(w.of("taken"))
    assert 15 <= first < 81
    # Stopped cleanly: no job is left leased to the stopped process.
    assert db_rows(cli, "SELECT COUNT(*) FROM job WHERE state = 'running'") == [(0,)]
    copier.join()
    w2 = Watch(cli, "p", "--workers", "2")
    wait_for(lambda: len(documents(cli)) >= 81, 90, "all files taken after restart")
    wait_for(lambda: all(d[2] == "done" for d in documents(cli)), 90, "all extracted after restart")
    time.sleep(3 * float(SETTLE))
    assert w2.terminate() == 0, w2.output()
    docs = documents(cli)
    names = sorted(Path(d[0]).name for d in docs)
    assert names == sorted(["before.txt"] + [s.name for s in sources])  # none lost, none twice
    assert first + len(w2.of("taken")) == 81
    jobs = db_rows(cli, "SELECT state, COUNT(*) FROM job GROUP BY state")
    assert jobs == [("done", 81)]
    for source_path, digest, _ in docs:
        assert digest == sha(Path(source_path))


def test_two_watchers_on_one_project_never_ingest_a_file_twice(cli: CLI, tmp_path: Path) -> None:
    drop = new_project(cli)
    sources = make_sources(tmp_path / "src", 120, "pair")
    a = Watch(cli, "p", "--workers", "1")
    b = Watch(cli, "p", "--workers", "1")  # both on inotify: they race for every file
    for i, src in enumerate(sources):
        sub = drop / f"d{i % 3}"
        sub.mkdir(exist_ok=True)
        shutil.copyfile(src, sub / src.name)
    wait_for(lambda: len(documents(cli)) >= 120, 90, "120 documents")
    time.sleep(4 * float(SETTLE))
    assert a.terminate() == 0 and b.terminate() == 0
    docs = documents(cli)
    assert len(docs) == 120
    assert len({d[0] for d in docs}) == 120 and len({d[1] for d in docs}) == 120
    assert len(a.of("taken")) + len(b.of("taken")) == 120
    claims = db_rows(cli, "SELECT COUNT(*), COUNT(DISTINCT rel_path) FROM dropfile")
    assert claims == [(120, 120)]


def test_watch_reports_the_number_of_extraction_processes_it_runs(cli: CLI, tmp_path: Path) -> None:
    """``watch --json`` said ``"workers": 1`` whatever it ran: the line was printed before
    the worker had read how many to start."""
    new_project(cli)
    w = Watch(cli, "p", "--workers", "2")
    assert w.of("watching")[0]["workers"] == 2, w.output()
    assert w.terminate() == 0, w.output()
    # without --workers, the project's setting
    cli.run("settings", "p", "workers=3", check=True)
    w = Watch(cli, "p")
    assert w.of("watching")[0]["workers"] == 3, w.output()
    assert w.terminate() == 0, w.output()
    # the number is checked as `process` checks it
    bad = cli.run("watch", "p", "--workers", "0", "--json")
    assert bad.returncode == 1 and json.loads(bad.stdout)["error"]["code"] == "invalid"


def test_watch_all_takes_files_of_every_project_and_of_new_ones(cli: CLI, tmp_path: Path) -> None:
    """``watch --all``: one process watches and processes every project, also one created
    while it runs; each line names its project."""
    drops = {name: new_project(cli, name) for name in ("alpha", "beta")}
    w = Watch(cli, "--all", "--workers", "1")
    wait_for(lambda: len(w.of("watching")) == 2, 30, "both projects watched")
    assert {x["project"] for x in w.of("watching")} == {"alpha", "beta"}
    assert all(x["workers"] == 1 for x in w.of("watching"))
    for name, drop in drops.items():
        for src in make_sources(tmp_path / name, 3, name):
            shutil.copyfile(src, drop / src.name)
    finished = lambda: [x for x in w.of("finished") if x["state"] == "done"]  # noqa: E731
    wait_for(lambda: len(finished()) == 6, 90, "six documents done")
    assert sorted(x["project"] for x in finished()) == ["alpha"] * 3 + ["beta"] * 3
    assert {x["project"] for x in w.of("taken")} == {"alpha", "beta"}
    assert all(x["name"].startswith(x["project"]) for x in finished())

    late = new_project(cli, "gamma")  # created from another shell while watch runs
    wait_for(lambda: any(x["project"] == "gamma" for x in w.of("watching")), 30, "gamma")
    (late / "late.txt").write_text("Dropped into a project created later.\n")
    wait_for(lambda: any(x["project"] == "gamma" for x in finished()), 60, "gamma's file")
    assert w.terminate() == 0, w.output()
    assert w.of("stopped")[0]["done"] == 7
    states = db_rows(cli, "SELECT state, COUNT(*) FROM document GROUP BY state")
    assert states == [("done", 7)]


def test_watch_needs_a_project_or_all(cli: CLI) -> None:
    new_project(cli)
    for args in (("watch", "--json"), ("watch", "p", "--all", "--json")):
        bad = cli.run(*args)
        assert bad.returncode == 1 and json.loads(bad.stdout)["error"]["code"] == "invalid"
    bad = cli.run("watch", "--all", "--workers", "0", "--json")
    assert bad.returncode == 1 and json.loads(bad.stdout)["error"]["code"] == "invalid"
