"""The Ray engine (``--engine ray``) on a local Ray runtime of 2 CPUs, started once for
the module: the same texts and export files as the local engine, a Ray worker killed
mid-run, the command killed mid-run, the store check."""

from __future__ import annotations

import contextlib
import json
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from loratui.core.errors import LoratuiError  # noqa: E402
from loratui.core.export.config import ExportConfig  # noqa: E402
from loratui.core.export.version import run_export  # noqa: E402
from loratui.core.extract import kinds  # noqa: E402
from loratui.core.ingest import add as ingest  # noqa: E402
from loratui.core.jobs.worker import Worker  # noqa: E402
from loratui.core.projects import overview, workspace  # noqa: E402
from loratui.core.scale.engine import RayEngine  # noqa: E402
from loratui.core.scale.runtime import check_store  # noqa: E402
from loratui.core.store.models import Document, Event, Job, Project  # noqa: E402
from tests.conftest import CLI, REPO  # noqa: E402
from tests.export_support import add_doc, add_records_file, page_text  # noqa: E402
from tests.unit.queue_docs import SLOW_ENGINE, numbered_pdf, slow_pdf, text_files  # noqa: E402

CRASH_KIND = "tests.ray.crashing_kind"


@pytest.fixture(scope="module", autouse=True)
def ray_runtime() -> Iterator[None]:
    """One local Ray runtime for the module (starting one takes seconds on 2 cores)."""
    ray.init(
        address="local",  # a new runtime, never a cluster another `ray start` left running
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        # the workers import the test kind by name, wherever pytest was started from
        runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}},
    )
    yield
    ray.shutdown()


def _corpus(folder: Path) -> list[Path]:
    text_files(folder, 8)
    for i in range(2):
        numbered_pdf(folder / f"report-{i}.pdf", 12, tag=f"report {i}")
    return [folder]


def _texts(project: Project) -> dict[str, tuple[str, int | None, str | None]]:
    docs = Document.select().where(Document.project == project)
    return {d.name: (d.state, d.pages, d.text_sha256) for d in docs}


async def _process(project: Project, engine: RayEngine | None) -> Worker:
    if engine is None:
        worker = Worker(project.id, workers=2)
    else:
        worker = Worker(project.id, workers=engine.workers, pool_factory=engine.pool_factory())
    await worker.run_until_idle()
    return worker


async def test_ray_extracts_the_same_texts_as_the_local_pool(home: Path, tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    projects = {}
    for name in ("local", "ray"):
        projects[name] = workspace.create_project(name)
        # 12-page PDFs in 4-page ranges: checkpoints committed range by range
        workspace.update_settings(projects[name], {"pdf_pages_per_task": 4})
        ingest.add_paths(projects[name], corpus)
    await _process(projects["local"], None)
    engine = RayEngine.open(projects["ray"], "process")
    assert not engine.cluster.started_here and engine.workers == 2
    runs = overview.active_runs(projects["ray"])
    assert [(r.engine, r.cpus, r.command) for r in runs] == [("ray", 2, "process")]
    with engine:
        worker = await _process(projects["ray"], engine)
    assert overview.active_runs(projects["ray"]) == ()
    assert (worker.done, worker.failed) == (10, 0)
    local, remote = _texts(projects["local"]), _texts(projects["ray"])
    assert remote == local and all(state == "done" for state, _, _ in remote.values())
    ranges = Event.select().where(
        (Event.project_id == projects["ray"].id) & (Event.kind == "document.pages")
    )
    assert ranges.count() == 2 * 3  # two PDFs, three ranges each
    run = Job.get((Job.project == projects["ray"]) & (Job.kind == "run"))
    assert (run.state, run.lease_owner, run.payload["cpus"]) == ("done", None, 2)


def test_ray_export_writes_the_same_files(home: Path) -> None:
    project = workspace.create_project("export")
    rng = random.Random(7)
    bodies = [page_text(rng, 3) for _ in range(3)]
    add_doc(project, "a.pdf", bodies)
    add_doc(project, "copy-of-a.pdf", bodies)  # exact duplicates across documents
    edited = [t.replace(" river ", " tweaked ") for t in bodies]
    add_doc(project, "edited-a.pdf", edited)  # near duplicates
    rows = "".join(json.dumps({"text": f"Row {i}: " + page_text(rng, 1)}) + "\n" for i in range(4))
    add_records_file(project, "qa.jsonl", rows)  # done where the command runs
    for i in range(4):
        add_doc(project, f"doc-{i}.pdf", [page_text(rng, 4) for _ in range(3)])
    cfg = ExportConfig(chunk_tokens=96, chunk_overlap=16, validation_fraction=0.3, redact=["email"])
    local = run_export(project, cfg, workers=1)
    with RayEngine.open(project, "export") as engine:
        remote = run_export(project, cfg, force=True, feed=engine.feed_factory())
    assert remote.number == local.number + 1

    def files(path: str) -> dict[str, bytes]:
        return {
            p.name: p.read_bytes() for p in sorted(Path(path).iterdir()) if p.suffix == ".jsonl"
        }

    assert files(remote.path) == files(local.path)
    assert set(files(local.path)) == {"train.jsonl", "validation.jsonl", "lineage.jsonl"}
    manifests = [json.loads((Path(v.path) / "manifest.json").read_text()) for v in (local, remote)]
    for key in ("records", "dropped", "cleaning", "chunks", "rows", "tokens", "files"):
        assert manifests[0][key] == manifests[1][key], key
    assert manifests[0]["dropped"]["duplicate"] > 0 and manifests[0]["dropped"]["near_duplicate"]


async def test_a_ray_worker_killed_mid_task_is_retried_and_the_run_completes(
    home: Path, tmp_path: Path
) -> None:
    kinds.REGISTRY.add(CRASH_KIND)
    try:
        folder = tmp_path / "crashy"
        folder.mkdir()
        markers = []
        for i in range(3):
            marker = tmp_path / f"marker-{i}"
            markers.append(marker)
            lines = [str(marker), *(f"page {n} of file {i}" for n in range(1, 4))]
            (folder / f"file-{i}.crashonce").write_text("\n".join(lines) + "\n")
        project = workspace.create_project("crashy")
        ingest.add_paths(project, [folder])
        with RayEngine.open(project, "process") as engine:
            worker = await _process(project, engine)
    finally:
        kinds.REGISTRY.remove(CRASH_KIND)
    assert (worker.done, worker.failed, worker.retried) == (3, 0, 0)
    # each file killed the Ray worker reading it once (the pid it wrote), and Ray ran
    # the task again: the queue saw no failure, each job took one attempt
    assert all(m.read_text().isdigit() for m in markers)
    for doc in Document.select().where(Document.project == project):
        assert (doc.state, doc.pages, doc.kind) == ("done", 3, "crashonce")
        assert [j.attempts for j in doc.jobs] == [1]


async def test_a_ray_task_past_its_time_limit_is_stopped_and_the_others_go_on(
    home: Path, tmp_path: Path
) -> None:
    project = workspace.create_project("slow")
    # the slow PDF takes many seconds; the small files, a fresh Ray worker included, less
    limits = {"task_timeout_s": 5, "max_attempts": 1, **SLOW_ENGINE}  # slow in pypdf only
    workspace.update_settings(project, limits)
    ingest.add_paths(project, [slow_pdf(tmp_path / "slow.pdf"), *text_files(tmp_path / "t", 3)])
    with RayEngine.open(project, "process") as engine:
        worker = await _process(project, engine)
    assert (worker.done, worker.failed) == (3, 1)
    slow = Document.get(Document.name == "slow.pdf")
    assert (slow.state, slow.error_code) == ("failed", "timeout")
    assert slow.error_message == "extraction took longer than the 5 s limit and was stopped"


def test_the_store_check_names_a_folder_the_nodes_cannot_read(tmp_path: Path) -> None:
    check_store(tmp_path)  # readable on the one node
    with pytest.raises(LoratuiError) as caught:
        check_store(tmp_path / "not-mounted")
    err = caught.value
    assert err.code == "store_unreachable"
    assert "1 of 1 Ray node(s) cannot read the project store" in err.message
    assert "not-mounted is not a folder there" in err.message
    assert "same path" in err.hint


@pytest.mark.slow
def test_process_and_export_join_the_cluster_at_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cluster started apart (``ray start --head``, 1 CPU): the commands join it, run on
    it, and leave it running."""
    psutil = pytest.importorskip("psutil")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # for the head and the commands alike
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "head.log"
    # its own temporary folder (short: socket paths have a length limit), so it does not
    # leave /tmp/ray/ray_current_cluster naming it for any later `ray.init()` here
    temp = Path(tempfile.mkdtemp(prefix="loratui-ray-"))
    ray_cli = Path(sys.executable).with_name("ray")
    with log.open("w") as out:
        head = subprocess.Popen(
            [str(ray_cli), "start", "--head", f"--port={port}", "--num-cpus=1"]
            + ["--include-dashboard=false", f"--temp-dir={temp}", "--block"],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    try:
        deadline = time.monotonic() + 120
        while "Ray runtime started" not in log.read_text():
            assert head.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        cli = CLI(tmp_path / "home")
        cli.run("new", "p", check=True)
        text_files(tmp_path / "in", 4)
        cli.run("add", "p", str(tmp_path / "in"), check=True)
        address = f"127.0.0.1:{port}"
        done = cli.json("process", "p", "--engine", "ray", "--address", address)
        assert done["engine"] == {"engine": "ray", "address": address, "cpus": 1, "nodes": 1}
        assert (done["done"], done["workers"]) == (4, 1)
        version = cli.json("export", "p", "--engine", "ray", "--address", address)
        assert version["version"] == 1 and version["records"]["train"] > 0
        assert head.poll() is None, "the commands left the cluster they joined running"
    finally:
        _stop(psutil, {head.pid, *(c.pid for c in psutil.Process(head.pid).children(True))})
        shutil.rmtree(temp, ignore_errors=True)


def _stop(psutil, pids: set[int]) -> None:  # noqa: ANN001 - the module
    procs = []
    for pid in pids:
        try:
            procs.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            continue
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.terminate()
    _gone, alive = psutil.wait_procs(procs, timeout=3)
    for p in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()


def _stored_pages(db_path: Path) -> int:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute("SELECT COUNT(*) FROM page").fetchone()[0]
    finally:
        db.close()


@pytest.mark.slow
def test_process_on_ray_killed_then_run_again_does_every_document_once(tmp_path: Path) -> None:
    """SIGKILL ``loratui process --engine ray`` (its own local runtime) mid-run; the
    next run resumes as the local engine's does."""
    psutil = pytest.importorskip("psutil")
    folder = tmp_path / "corpus"
    text_files(folder, 10)
    for i in range(4):
        numbered_pdf(folder / f"big-{i}.pdf", 40, tag=f"big {i}")
    cli = CLI(tmp_path / "home")
    cli.run("new", "p", check=True)
    cli.run("settings", "p", "pdf_pages_per_task=2", check=True)
    cli.run("add", "p", str(folder), check=True)
    db_path = tmp_path / "home" / "loratui.db"
    proc = cli.popen("process", "p", "--engine", "ray")
    started: set[int] = set()  # the Ray processes it started: stopped below if orphaned
    deadline = time.monotonic() + 180
    while proc.poll() is None and _stored_pages(db_path) < 20:
        assert time.monotonic() < deadline, "process made no progress"
        started |= {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
        time.sleep(0.05)
    killed = proc.poll() is None
    started |= {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
    proc.kill()
    proc.communicate(timeout=60)
    try:
        assert killed, "the run ended before it could be killed; make the corpus bigger"
        status = cli.json("status", "p")
        assert status["runs"] == []  # the killed command's run record is not shown
        final = cli.json("process", "p", "--engine", "ray")
    finally:  # Ray's agents may outlive a SIGKILLed driver (and hang on SIGTERM)
        _stop(psutil, started)
    assert final["counts"]["states"]["done"] == 14
    assert final["engine"] == {"engine": "ray", "address": "local", "cpus": 2, "nodes": 1}
    db = sqlite3.connect(db_path)
    try:
        done = db.execute(
            "SELECT document_id, COUNT(*) FROM event WHERE kind = 'document.done' "
            "GROUP BY document_id"
        ).fetchall()
        assert len(done) == 14 and all(n == 1 for _d, n in done)
        assert (
            db.execute("SELECT COUNT(*) FROM event WHERE kind = 'document.reclaimed'").fetchone()[0]
            > 0
        )
        per_doc = db.execute(
            "SELECT d.pages, COUNT(p.id) FROM document d "
            "LEFT JOIN page p ON p.document_id = d.id GROUP BY d.id"
        ).fetchall()
        assert all(pages == stored for pages, stored in per_doc), per_doc
        runs = db.execute("SELECT state FROM job WHERE kind = 'run' ORDER BY id").fetchall()
        assert runs == [("failed",), ("done",)]  # the killed run's record closed by the next
        leftover = db.execute(
            "SELECT COUNT(*) FROM job WHERE kind = 'extract' "
            "AND (state != 'done' OR lease_owner IS NOT NULL)"
        ).fetchone()[0]
        assert leftover == 0
    finally:
        db.close()


async def test_library_warnings_in_ray_tasks_reach_the_documents_log(
    home: Path, tmp_path: Path
) -> None:
    """As with the local pool: what a library logs in a task is a warning event on the
    document, not a line on the driver's terminal."""
    from tests.unit.docmakers import make_odd_encoding_pdf

    project = workspace.create_project("noted")
    workspace.update_settings(project, {"pdf_engine": "pypdf"})  # pypdf logs the warning
    ingest.add_paths(project, [make_odd_encoding_pdf(tmp_path / "odd-font.pdf")])
    with RayEngine.open(project, "process") as engine:
        worker = await _process(project, engine)
    assert worker.done == 1
    (event,) = Event.select().where(
        (Event.project_id == project.id) & (Event.kind == "extract.warning")
    )
    assert event.message.startswith("odd-font.pdf: Advanced encoding /Winng")
