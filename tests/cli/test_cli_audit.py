"""log, audit, history, archive, restore, purge and where through a real ``loratui``
process, on a home whose documents were really added, processed and exported."""

import json
import queue
import shutil
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import CLI

UNIQUE = "OBSIDIAN-KESTREL-5521"


@pytest.fixture(scope="module")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with project ``docs``: three documents processed and exported once."""
    base = tmp_path_factory.mktemp("audit-cli")
    src = base / "src"
    src.mkdir()
    (src / "secret.md").write_text(f"# Secret\n\n{UNIQUE} " + "confidential words. " * 150)
    (src / "one.md").write_text("# One\n\n" + "ordinary words in one. " * 150)
    (src / "two.txt").write_text("ordinary words in two. " * 150)
    cli = CLI(base / "home")
    cli.run("new", "docs", check=True)
    cli.run("add", "docs", str(src), check=True)
    cli.run("process", "docs", "--workers", "2", check=True)
    cli.run("export", "docs", check=True)
    return base / "home"


@pytest.fixture
def work(built_home: Path, tmp_path: Path) -> CLI:
    """A private copy of the built home, so each test can change it."""
    copy = tmp_path / "home"
    shutil.copytree(built_home, copy)
    return CLI(copy)


def _doc_id(cli: CLI, name: str) -> int:
    return next(f["id"] for f in cli.json("files", "docs") if f["name"] == name)


def test_log_text_json_level_and_doc(work: CLI) -> None:
    events = work.json("log", "docs")
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "project.created"
    assert {"document.added", "document.done", "export.done"} <= set(kinds)
    assert all(e["actor"] and e["origin"] and e["hash"] for e in events)
    text = work.run("log", "docs", check=True).stdout.splitlines()
    assert len(text) == len(events) and "project.created" in text[0]
    sid = _doc_id(work, "secret.md")
    mine = work.json("log", "docs", "--doc", "secret.md")
    assert mine and {e["document_id"] for e in mine} == {sid}
    for e in work.json("log", "docs", "--level", "warning"):
        assert e["level"] in ("warning", "error")
    assert work.run("log", "docs", "--level", "loud").returncode == 2


def test_log_follow_prints_new_events_until_ctrl_c(work: CLI) -> None:
    proc = work.popen("log", "docs", "--follow", "--json")
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        work.run("settings", "docs", "watch_poll=true", check=True)
        seen: list[dict] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (seen and seen[-1]["kind"] == "project.settings"):
            try:
                seen.append(json.loads(lines.get(timeout=1)))
            except queue.Empty:
                assert proc.poll() is None, proc.stderr.read()
        assert seen and seen[-1]["kind"] == "project.settings"
        assert seen[-1]["data"] == {"changes": {"watch_poll": True}}
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0


def test_audit_verify_names_the_first_broken_event(work: CLI) -> None:
    ok = work.json("audit", "docs", "--verify")
    assert ok["ok"] and ok["home"]["ok"] and ok["all_ok"] and ok["first_broken_event_id"] is None
    summary = work.json("audit", "docs")
    assert summary["events"] == ok["events"] and summary["kinds"]["document.added"] == 3
    events = work.json("log", "docs")
    victim = events[3]["id"]
    with sqlite3.connect(work.home / "loratui.db") as con:
        con.execute("UPDATE event SET message = 'nothing to see' WHERE id = ?", (victim,))
    bad = work.run("audit", "docs", "--verify")
    assert bad.returncode == 1
    assert f"event #{victim}" in bad.stderr and "error[tampered]" in bad.stderr
    as_json = work.run("audit", "docs", "--verify", "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["first_broken_event_id"] == victim


def test_history_runs_from_arrival_to_the_export(work: CLI) -> None:
    hist = work.json("history", "docs", "secret.md")
    assert hist["document"]["name"] == "secret.md"
    kinds = [e["kind"] for e in hist["events"]]
    assert kinds[0] == "document.added" and "document.done" in kinds
    assert kinds[-1] == "export.done"
    assert work.run("history", "docs", "nope.md").returncode == 1
    text = work.run("history", "docs", "secret.md", check=True).stdout
    assert "document.added" in text and "export.done" in text


def test_archive_delete_restore_round_trip(work: CLI, tmp_path: Path) -> None:
    before = {f["name"]: (f["sha256"], f["text_sha256"]) for f in work.json("files", "docs")}
    out = tmp_path / "docs.tar.gz"
    summary = work.json("archive", "docs", str(out))
    assert summary["path"] == str(out) and summary["rows"]["document"] == 3
    work.run("delete", "docs", "--yes", check=True)
    restored = work.json("restore", str(out))
    assert restored["name"] == "docs" and restored["chain_ok"] and restored["versions"] == 1
    after = {f["name"]: (f["sha256"], f["text_sha256"]) for f in work.json("files", "docs")}
    assert after == before
    assert work.json("audit", "docs", "--verify")["all_ok"]
    assert work.json("log", "docs")[-1]["kind"] == "project.restored"
    assert work.run("show", "docs", "secret.md", check=True).stdout.count(UNIQUE) == 1
    again = work.run("restore", str(out))
    assert again.returncode == 1 and "--as" in again.stderr
    assert work.json("restore", str(out), "--as", "docs copy")["name"] == "docs copy"


def test_purge_asks_first_then_deletes_and_lists_versions(work: CLI) -> None:
    refused = work.run("purge", "docs", "secret.md")
    assert refused.returncode == 1 and "--yes" in refused.stderr
    sid = _doc_id(work, "secret.md")
    result = work.json("purge", "docs", "secret.md", "--yes")
    assert [d["name"] for d in result["purged"]] == ["secret.md"]
    assert result["versions"] and result["versions"][0]["version"] == 1
    assert [f["name"] for f in work.json("files", "docs")] == ["one.md", "two.txt"]
    tomb = work.json("history", "docs", str(sid))
    assert tomb["document"]["state"] == "purged"
    assert work.json("history", "docs", "secret.md") == tomb  # its name finds the tombstone
    assert tomb["events"][-1]["kind"] == "document.purged"
    # nothing of the text is left but in the export the user was told about
    for path in work.home.rglob("*"):
        if path.is_file() and "exports" not in path.parts:
            assert UNIQUE.encode() not in path.read_bytes(), path
    v2 = work.json("export", "docs")
    assert UNIQUE not in Path(v2["path"], "train.jsonl").read_text()


def test_where_lists_the_data(work: CLI) -> None:
    rows = {r["kind"]: r for r in work.json("where", "docs")}
    assert rows["originals"]["count"] == 3
    assert rows["exports"]["count"] == 1 and rows["exports"]["bytes"] > 0
    assert rows["extracted_text"]["count"] >= 3
    text = work.run("where", "docs", check=True).stdout
    assert "stored originals" in text and "drop folder" in text
