"""The export commands through a real ``loratui`` process: export, versions, diff, config,
check; a killed export leaves no version; the real corpus exports in every format."""

from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path

import psutil
import pytest
import yaml

from loratui.core.projects import workspace
from loratui.core.store import home as home_mod
from tests.conftest import CLI
from tests.export_support import add_doc, page_text, paragraph


def write_texts(folder: Path, n: int, seed: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for i in range(n):
        (folder / f"note-{i}.txt").write_text(page_text(rng, 6))
    return folder


def test_export_versions_diff_and_config(cli: CLI, tmp_path: Path) -> None:
    cli.run("new", "p", check=True)
    cli.run("add", "p", str(write_texts(tmp_path / "in", 4)), check=True)
    cli.run("process", "p", check=True)
    out = cli.json(
        "export",
        "p",
        "--set",
        "chunk_tokens=96",
        "--set",
        "chunk_overlap=16",
        "--set",
        "validation_fraction=0.25",
    )
    assert out["version"] == 1 and Path(out["path"]).name == "v1"
    assert out["records"]["train"] > 0 and out["records"]["validation"] > 0
    assert out["tokens"] > 0 and isinstance(out["dropped"], dict)
    assert (Path(out["path"]) / "train.jsonl").exists()
    # a saved configuration, written to TOML, edited, loaded back
    toml = tmp_path / "exp.toml"
    cli.run(
        "config",
        "p",
        "--set",
        "format=alpaca",
        "--set",
        "chunk_tokens=128",
        "--write",
        str(toml),
        check=True,
    )
    text = toml.read_text()
    assert 'format = "alpaca"' in text and "chunk_tokens = 128" in text
    toml.write_text(text.replace('format = "alpaca"', 'format = "sharegpt"'))
    loaded = cli.json("config", "p", "--load", str(toml))
    assert loaded["config"]["format"] == "sharegpt" and loaded["problems"] == {}
    out2 = cli.json("export", "p")
    assert out2["version"] == 2
    first = json.loads((Path(out2["path"]) / "train.jsonl").read_text().splitlines()[0])
    assert list(first) == ["conversations"]
    out3 = cli.json("export", "p", "--config", str(toml), "--format", "text")
    assert out3["version"] == 3
    # the same documents and configuration again: v2 is reused, nothing is written
    same = cli.run("export", "p")
    assert same.returncode == 0, same.stderr
    assert same.stdout.startswith(
        "v2 reused: it was made from the same documents with the same configuration"
    )
    assert "--force" in same.stdout
    assert cli.json("export", "p")["reused"] is True
    # forced, in another process (and worker count): the same bytes in a new version
    again = cli.json("export", "p", "--workers", "2", "--force")
    assert again["reused"] is False and again["identical_to"] == 2
    for name in ("train.jsonl", "validation.jsonl", "lineage.jsonl"):
        assert (Path(again["path"]) / name).read_bytes() == (Path(out2["path"]) / name).read_bytes()
    rows = cli.json("versions", "p")
    assert [r["version"] for r in rows] == [1, 2, 3, 4]
    assert [r["format"] for r in rows] == ["text", "sharegpt", "text", "sharegpt"]
    assert rows[0]["records"] == out["records"]
    d = cli.json("diff", "p", "v1", "v3")
    assert d["a"] == 1 and d["b"] == 3
    assert d["added"] > 0 and d["removed"] > 0  # other chunk sizes, other records
    assert d["config"]["chunk_tokens"] == [96, 128]
    bad = cli.run("export", "p", "--set", "chunk_tokens=5")
    assert bad.returncode == 1 and "chunk_tokens: must be at least 16" in bad.stderr
    zero = cli.run("export", "p", "--workers", "0")
    assert zero.returncode == 2 and "1 or more" in zero.stderr
    missing = cli.run("diff", "p", "v1", "v9")
    assert missing.returncode == 1 and "no version 'v9'" in missing.stderr


def test_check_command(cli: CLI, tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"prompt": "Q", "completion": "A"}) + "\n")
    ok = cli.run("check", str(good), "--format", "prompt-completion", "--json", check=True)
    assert json.loads(ok.stdout)["ok"] is True
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"messages": [{"role": "user", "content": "only me"}]})
        + "\n"
        + json.dumps(
            {"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "x"}]}
        )
        + "\n"
        + json.dumps({"msgs": []})
        + "\n"
    )
    proc = cli.run("check", str(bad), "--format", "messages", "--json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["ok"] is False and report["records"] == 3
    assert {p["code"] for p in report["problems"]} >= {"last_not_assistant", "empty", "missing_key"}
    arr = tmp_path / "array.jsonl"
    arr.write_text(json.dumps([{"text": "x"}]))
    proc = cli.run("check", str(arr), "--format", "text")
    assert proc.returncode == 1 and "json_array" in proc.stdout
    long = tmp_path / "long.jsonl"
    long.write_text(json.dumps({"text": paragraph(random.Random(1), 20)}) + "\n")
    proc = cli.run("check", str(long), "--format", "text", "--max-seq-len", "50")
    assert proc.returncode == 1 and "too_long" in proc.stdout


def _big_project(home: Path) -> None:
    """A project big enough that an export takes a few seconds (rows inserted directly)."""
    home_mod.open_home(home)
    try:
        project = workspace.create_project("big")
        rng = random.Random(3)
        pages = [page_text(rng, 4) for _ in range(40)]
        for i in range(40):
            rng.shuffle(pages)  # the same sentences in another order: no duplicates by text
            add_doc(project, f"big-{i:02d}.pdf", [f"{i} {p}" for p in pages])
    finally:
        home_mod.close_home()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # a spool file read and removed meanwhile
        return 0


def test_killed_export_leaves_no_version(cli: CLI) -> None:
    _big_project(cli.home)
    exports = next((cli.home / "projects").iterdir()) / "exports"
    proc = cli.popen("export", "big", "--set", "dedup_near=false", "--json")
    deadline = time.monotonic() + 120
    tmp_dirs: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None:
        tmp_dirs = [p for p in exports.iterdir() if p.name.startswith(".tmp-export-")]
        # records are being kept (the workers' spools and the kept file the split is
        # planned from) or written
        written = [p / "train.jsonl" for p in tmp_dirs] + [
            f for p in tmp_dirs for f in (p / ".spool").glob("*") if f.is_file()
        ]
        if any(_size(f) for f in written):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the export finished before it could be killed; grow the fixture"
    helpers = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert tmp_dirs, "the export never started writing"
    # its worker processes (and the forkserver and resource tracker they keep alive) end
    # with it instead of waiting for tasks forever
    assert len(helpers) >= 3, helpers  # forkserver, resource tracker, workers
    _gone, alive = psutil.wait_procs(helpers, timeout=15)
    assert not alive, [p.cmdline()[-1][:80] for p in alive]
    assert not [p for p in exports.iterdir() if p.name.startswith("v")], "no half version"
    out = cli.json("export", "big", "--set", "dedup_near=false", timeout=300)
    assert out["version"] == 1 and out["records"]["train"] > 0
    left = sorted(p.name for p in exports.iterdir())
    assert left == ["v1"], left  # the dead export's temporary folder was cleaned up
    home_mod.open_home(cli.home)
    try:
        from loratui.core.store.models import Event, Job

        states = [j.state for j in Job.select().where(Job.kind == "export").order_by(Job.id)]
        assert states == ["failed", "done"]
        kinds = [e.kind for e in Event.select().order_by(Event.id) if e.kind.startswith("export")]
        assert kinds == ["export.started", "export.interrupted", "export.started", "export.done"]
    finally:
        home_mod.close_home()


FORMATS = ("text", "prompt-completion", "messages", "sharegpt", "alpaca")
FIELDS = {
    "text": ["text"],
    "prompt-completion": ["prompt", "completion"],
    "messages": ["messages"],
    "sharegpt": ["conversations"],
    "alpaca": ["instruction", "input", "output", "system"],
}


def test_real_corpus_exports_in_every_format(
    cli: CLI, real_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var, value in {
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf"),
    }.items():
        monkeypatch.setenv(var, value)
    import datasets
    from datasets import load_dataset

    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True, raising=False)
    datasets.disable_progress_bars()
    cache = str(tmp_path / "hf" / "datasets")
    cli.run("new", "real", check=True)
    cli.run("add", "real", str(real_corpus), check=True)
    cli.run("process", "real", timeout=600, check=True)
    status = cli.json("status", "real")
    done = status["states"]["done"]
    assert done > 10
    exported = {"text": cli.json("export", "real", "--set", "validation_fraction=0.2")}
    # the other four in this process (same code path, without four interpreter start-ups)
    from loratui.core.export.config import ExportConfig
    from loratui.core.export.version import run_export
    from loratui.core.export.versions import version_row

    home_mod.open_home(cli.home)
    try:
        project = workspace.get_project("real")
        for fmt in FORMATS[1:]:
            cfg = ExportConfig(format=fmt, validation_fraction=0.2)
            exported[fmt] = version_row(run_export(project, cfg))
    finally:
        home_mod.close_home()
    for fmt, out in exported.items():
        folder = Path(out["path"])
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["format"] == fmt and len(manifest["documents"]) == done
        names = {d["name"] for d in manifest["documents"]}
        assert any(n.endswith(".pdf") for n in names) and any(n.endswith(".docx") for n in names)
        for split in ("train", "validation"):
            n = out["records"][split]
            assert n > 0, (fmt, split)
            ds = load_dataset(
                "json", data_files=str(folder / f"{split}.jsonl"), split="train", cache_dir=cache
            )
            assert ds.column_names == FIELDS[fmt] and ds.num_rows == n
        lineage = [json.loads(x) for x in (folder / "lineage.jsonl").read_text().splitlines()]
        assert len(lineage) == out["records"]["train"] + out["records"]["validation"]
        shas = {d["sha256"] for d in manifest["documents"]}
        assert all(x["document_sha256"] in shas for x in lineage)
        front = yaml.safe_load((folder / "README.md").read_text().split("---\n")[1])
        assert [f["split"] for f in front["configs"][0]["data_files"]] == ["train", "validation"]
    check = cli.run("check", str(folder / "train.jsonl"), "--format", "alpaca", "--json")
    assert check.returncode == 0 and json.loads(check.stdout)["ok"] is True
    ds = load_dataset(str(folder), cache_dir=cache)
    assert set(ds) == {"train", "validation"}
    assert ds["train"].column_names == FIELDS["alpaca"]


def test_an_export_that_cannot_write_is_an_io_error_and_leaves_nothing(cli: CLI) -> None:
    """A full disk (here: a file size limit, so writes fail with EFBIG) used to end the export
    with an OSError traceback."""
    _big_project(cli.home)
    exports = next((cli.home / "projects").iterdir()) / "exports"
    # the database writes go to its small WAL; train.jsonl is bigger
    proc = cli.run_with_file_limit(300_000, "export", "big", "--json")
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    error = json.loads(proc.stdout)["error"]
    assert error["code"] == "io_error" and error["message"].startswith("could not write the export")
    assert not list(exports.iterdir())  # neither a version nor the temporary folder
    home_mod.open_home(cli.home)
    try:
        from loratui.core.store.models import Event

        failed = Event.get(Event.kind == "export.failed")
        assert failed.data["error"]["code"] == "io_error"
    finally:
        home_mod.close_home()


def test_export_summary_shows_the_validation_share(cli: CLI, tmp_path: Path) -> None:
    """One document: it is split by chunk range, and the summary says what share it got."""
    cli.run("new", "solo", check=True)
    cli.run("add", "solo", str(write_texts(tmp_path / "one", 1)), check=True)
    cli.run("process", "solo", check=True)
    proc = cli.run("export", "solo", "--set", "chunk_tokens=64", "--set", "chunk_overlap=8")
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("split: "))
    share = float(line.split("validation ")[1].split("%")[0])
    assert abs(share - 10) <= 3 and "(target 10%)" in line
    assert "note-0.txt split by chunk range (chunks 0-" in line
    out = cli.json("export", "solo", "--set", "chunk_tokens=512", "--set", "chunk_overlap=8")
    assert out["validation_share"] == 0.0 and out["records"]["validation"] == 0
    assert out["warnings"] == [
        f"{out['records']['train']} records cannot be split closer to 10%: "
        "the nearest is 0 in validation (0.0%)"
    ]
