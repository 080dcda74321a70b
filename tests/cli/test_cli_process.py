"""``loratui process`` and the queue commands through real ``loratui`` processes."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path

from tests.conftest import CLI
from tests.unit.queue_docs import numbered_pdf, slow_pdf, text_files


def files(cli: CLI, project: str) -> dict[str, dict]:
    return {r["name"]: r for r in cli.json("files", project)}


def test_real_corpus_reaches_done_or_failed_and_unlock(cli: CLI, real_corpus: Path) -> None:
    manifest = json.loads((real_corpus / "manifest.json").read_text())["files"]
    cli.run("new", "real", check=True)
    cli.run("add", "real", str(real_corpus / "pdf"), str(real_corpus / "docx"), check=True)
    summary = cli.json("process", "real", "--workers", "2")
    assert summary["counts"]["states"]["queued"] == 0
    assert summary["counts"]["states"]["processing"] == 0
    rows = files(cli, "real")
    assert len(rows) == len({Path(m["file"]).name for m in manifest})
    assert {r["state"] for r in rows.values()} <= {"done", "failed", "duplicate"}
    assert summary["done"] == sum(r["state"] == "done" for r in rows.values())
    assert summary["failed"] == sum(r["state"] == "failed" for r in rows.values())
    for r in rows.values():
        if r["state"] == "failed":
            assert r["error_code"] and r["error"] and r["hint"]
            assert r["error_code"] not in ("internal", "crashed", "timeout", "memory")
    pdfs = {Path(m["file"]).name: m for m in manifest if m["file"].startswith("pdf/")}
    for name, m in pdfs.items():
        if rows[name]["state"] == "done":
            assert rows[name]["pages"] == m["pages"], name
    (locked,) = [m for m in manifest if m.get("encrypted") and m.get("password")]
    name = Path(locked["file"]).name
    assert rows[name]["state"] == "failed" and rows[name]["error_code"] == "encrypted"
    assert "unlock" in rows[name]["hint"]
    failed_names = {f["name"] for f in summary["failures"]}
    assert name in failed_names
    # the password goes in on stdin, is stored, and the file is extracted
    unlocked = cli.json("unlock", "real", name, "--password-stdin", input=locked["password"] + "\n")
    assert unlocked["state"] == "queued"
    again = cli.json("process", "real")
    assert (again["processed"], again["done"]) == (1, 1)
    row = files(cli, "real")[name]
    assert row["state"] == "done" and row["pages"] == locked["pages"] and row["chars"] > 0
    assert cli.run("show", "real", name, check=True).stdout.strip()
    log = cli.run("log", "real", "--json").stdout
    assert locked["password"] not in log


def test_process_summary_and_queue_commands(cli: CLI, tmp_path: Path) -> None:
    cli.run("new", "q", check=True)
    paths = text_files(tmp_path / "in", 4)
    cli.run("add", "q", *map(str, paths), check=True)
    names = [p.name for p in paths]
    assert cli.json("exclude", "q", names[0])["changed"] == 1
    assert cli.json("cancel", "q", names[1]) == {"project": "q", "cancelled": 1}
    assert cli.json("pause", "q")["paused"] is True
    paused = cli.run("process", "q")
    assert paused.returncode == 0 and "paused" in paused.stdout
    assert cli.json("resume", "q")["paused"] is False
    text = cli.run("process", "q", "--workers", "1", check=True).stdout
    assert "processed 2 document(s)" in text and "2 done, 0 failed" in text
    rows = files(cli, "q")
    assert [rows[n]["state"] for n in names] == ["queued", "cancelled", "done", "done"]
    assert rows[names[0]]["excluded"] is True
    assert cli.json("include", "q", names[0])["changed"] == 1
    assert cli.json("retry", "q", names[1])["requeued"] == 1  # a cancelled one, by name
    done = cli.json("process", "q")
    assert done["done"] == 2 and done["counts"]["states"]["done"] == 4
    assert cli.json("retry", "q", "--failed")["requeued"] == 0
    assert cli.run("cancel", "q", "no-such-doc").returncode == 1
    assert cli.run("unlock", "q", names[2]).returncode == 1  # a text file has no password
    assert cli.run("process", "q", "--workers", "0").returncode == 1


def test_hostile_files_end_in_clear_states(cli: CLI, tmp_path: Path) -> None:
    cli.run("new", "h", check=True)
    # pdf_engine=pypdf: never-ends.pdf is slow for pypdf (PDFium reads it in a second)
    cli.run("settings", "h", "task_timeout_s=2", "max_attempts=1", "pdf_engine=pypdf", check=True)
    d = tmp_path / "hostile"
    d.mkdir()
    (d / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    good = numbered_pdf(d / "good.pdf", 3)
    (d / "truncated.pdf").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    slow_pdf(d / "never-ends.pdf")
    (d / "latin1.txt").write_bytes("caf\xe9 cr\xe8me br\xfbl\xe9e\n".encode("latin-1") * 20)
    (d / "utf16.txt").write_text("héllo wörld\n" * 20, encoding="utf-16")
    cli.run("add", "h", str(d), check=True)
    summary = cli.json("process", "h")
    rows = files(cli, "h")
    assert rows["good.pdf"]["state"] == "done" and rows["good.pdf"]["pages"] == 3
    assert rows["never-ends.pdf"]["error_code"] == "timeout"
    assert rows["garbage.pdf"]["state"] == "failed"
    assert rows["truncated.pdf"]["state"] in ("done", "failed")
    assert "café crème" in cli.run("show", "h", "latin1.txt", check=True).stdout
    assert "héllo wörld" in cli.run("show", "h", "utf16.txt", check=True).stdout
    assert summary["counts"]["states"]["queued"] == 0


def test_two_process_commands_share_a_project(cli: CLI, tmp_path: Path) -> None:
    cli.run("new", "two", check=True)
    cli.run("settings", "two", "pdf_pages_per_task=5", check=True)
    src = tmp_path / "src"
    text_files(src, 24)
    for i in range(3):
        numbered_pdf(src / f"book-{i}.pdf", 20, tag=f"book {i}")
    cli.run("add", "two", str(src), check=True)
    a = cli.popen("process", "two", "--workers", "2", "--json")
    b = cli.popen("process", "two", "--workers", "2", "--json")
    out_a, err_a = a.communicate(timeout=300)
    out_b, err_b = b.communicate(timeout=300)
    assert a.returncode == 0, err_a
    assert b.returncode == 0, err_b
    sa, sb = json.loads(out_a), json.loads(out_b)
    assert sa["done"] + sb["done"] == 27 and sa["failed"] + sb["failed"] == 0
    rows = files(cli, "two")
    assert all(r["state"] == "done" and r["attempts"] == 1 for r in rows.values())
    assert rows["book-1.pdf"]["pages"] == 20
    events = cli.json("log", "two")
    ids = sorted(r["id"] for r in rows.values())
    done_docs = [e["document_id"] for e in events if e["kind"] == "document.done"]
    assert sorted(done_docs) == ids  # each exactly once
    claims = [e for e in events if e["kind"] == "document.processing"]
    assert sorted(e["document_id"] for e in claims) == ids  # each claimed by one command once
    assert not [e for e in events if e["kind"] in ("document.reclaimed", "document.released")]
    # both commands appended to one hash chain at once: it is still one unbroken chain
    report = cli.json("audit", "two", "--verify")
    assert report["ok"] is True and report["events"] == len(events)


def test_sigterm_stops_cleanly_and_hands_jobs_back(cli: CLI, tmp_path: Path) -> None:
    cli.run("new", "sig", check=True)
    cli.run("settings", "sig", "pdf_engine=pypdf", check=True)  # slow for pypdf only
    cli.run("add", "sig", str(slow_pdf(tmp_path / "slow.pdf")), check=True)
    proc = cli.popen("process", "sig", "--workers", "1")
    db = sqlite3.connect(cli.home / "loratui.db", timeout=30)
    try:
        deadline = time.monotonic() + 60
        while db.execute("SELECT COUNT(*) FROM job WHERE state = 'running'").fetchone()[0] == 0:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)  # the extraction is under way in the pool
        proc.send_signal(signal.SIGTERM)
        out, _err = proc.communicate(timeout=60)
        assert proc.returncode == 130 and "back in the queue" in out
        state, attempts, owner = db.execute(
            "SELECT state, attempts, lease_owner FROM job"
        ).fetchone()
    finally:
        db.close()
    assert (state, attempts, owner) == ("queued", 0, None)
    assert files(cli, "sig")["slow.pdf"]["state"] == "queued"


def test_library_warnings_go_to_the_log_not_the_terminal(cli: CLI, tmp_path: Path) -> None:
    """pypdf's "Advanced encoding … not implemented" came out of the extraction processes
    onto stderr (and over the TUI); it is a warning event on the document instead."""
    from tests.unit.docmakers import make_odd_encoding_pdf

    pdf = make_odd_encoding_pdf(tmp_path / "odd-font.pdf")
    cli.run("new", "w", check=True)
    cli.run("settings", "w", "pdf_engine=pypdf", check=True)  # pypdf is the one that logs
    cli.run("add", "w", str(pdf), check=True)
    proc = cli.run("process", "w", "--json", check=True)
    assert "Advanced encoding" not in proc.stderr and "Winng" not in proc.stderr
    assert json.loads(proc.stdout)["done"] == 1
    (row,) = cli.json("files", "w")
    events = [e for e in cli.json("log", "w") if e["kind"] == "extract.warning"]
    assert events, "the library's warning was not recorded"
    (event,) = events
    assert event["level"] == "warning" and event["document_id"] == row["id"]
    assert event["message"].startswith("odd-font.pdf: Advanced encoding /Winng")
    assert len(event["message"]) < 500  # the encoding table is cut, not stored whole


def test_unlock_refuses_a_wrong_password_and_hints_name_commands(cli: CLI, tmp_path: Path) -> None:
    from tests.unit.docmakers import make_pdf

    pdf = make_pdf(tmp_path / "locked.pdf", ["The valve log for March."], password="s3cret")
    cli.run("new", "p", check=True)
    cli.run("add", "p", str(pdf), check=True)
    cli.json("process", "p")
    (row,) = cli.json("files", "p")
    assert row["error_code"] == "encrypted"
    assert "loratui unlock" in row["hint"] and "press" not in row["hint"]
    wrong = cli.run("unlock", "p", "locked.pdf", "--password-stdin", input="nope\n")
    assert wrong.returncode == 1 and "wrong_password" in wrong.stderr
    assert "press" not in wrong.stderr
    (row,) = cli.json("files", "p")
    assert row["state"] == "failed"  # nothing stored, nothing re-queued
    right = cli.json("unlock", "p", "locked.pdf", "--password-stdin", input="s3cret\n")
    assert right["state"] == "queued"
