"""The ingest commands as scripts use them: add, files, show, status (real subprocesses)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from tests.conftest import CLI
from tests.unit.docmakers import make_docx, make_pdf

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
FILE_FIELDS = {
    "id",
    "name",
    "state",
    "engine",
    "error_code",
    "error",
    "hint",
    "pages",
    "chars",
    "sha256",
    "text_sha256",
    "attempts",
    "warnings",
    "kind",
    "size",
    "excluded",
}


def _inbox(root: Path, real_corpus: Path | None = None) -> Path:
    root.mkdir()
    make_pdf(root / "guide.pdf", ["Chapter one of the guide.", "Chapter two.", "Chapter three."])
    make_docx(root / "memo.docx")
    (root / "notes").mkdir()
    (root / "notes" / "todo.md").write_bytes("# Todo\r\n\r\n- café\r\n".encode("utf-16"))
    (root / "notes" / "again.md").write_bytes((root / "notes" / "todo.md").read_bytes())
    (root / "photo.txt").write_bytes(PNG)
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "upload.part").write_text("half")
    if real_corpus is not None:
        shutil.copy(
            real_corpus / "pdf/005-libreoffice-writer-password__libreoffice-writer-password.pdf",
            root / "locked.pdf",
        )
    return root


def test_add_files_show_status(cli: CLI, tmp_path: Path, real_corpus: Path) -> None:
    cli.run("new", "docs", check=True)
    inbox = _inbox(tmp_path / "inbox", real_corpus)
    added = cli.json("add", "docs", str(inbox))
    states = {Path(r["path"]).name: (r["state"], r["error_code"]) for r in added}
    assert states == {
        "guide.pdf": ("queued", None),
        "memo.docx": ("queued", None),
        "locked.pdf": ("queued", None),
        "again.md": ("queued", None),  # folders are walked in sorted order
        "todo.md": ("duplicate", None),
        "photo.txt": ("failed", "type_mismatch"),
        ".DS_Store": ("skipped", None),
        "upload.part": ("skipped", None),
    }
    assert all(
        set(r) == {"path", "state", "document_id", "reason", "error_code", "kind"} for r in added
    )

    before = cli.json("files", "docs")
    assert all(FILE_FIELDS <= set(row) for row in before)
    photo = next(r for r in before if r["name"] == "photo.txt")
    assert photo["state"] == "failed" and "PNG" in photo["error"] and photo["hint"]

    # nothing extracted yet: show fails with a clear error, exit 1
    proc = cli.run("show", "docs", "guide.pdf")
    assert proc.returncode == 1
    assert "no extracted text yet" in proc.stderr

    cli.run("process", "docs", "--workers", "1", check=True, timeout=600)

    files = {r["name"]: r for r in cli.json("files", "docs")}
    guide = files["guide.pdf"]
    assert (guide["state"], guide["kind"], guide["pages"], guide["attempts"]) == (
        "done",
        "pdf",
        3,
        1,
    )
    assert guide["sha256"] == hashlib.sha256((inbox / "guide.pdf").read_bytes()).hexdigest()
    assert files["memo.docx"]["pages"] == 3
    locked = files["locked.pdf"]
    assert locked["state"] == "failed" and locked["error_code"] == "encrypted"
    assert "unlock" in locked["hint"]
    failed = cli.json("files", "docs", "--state", "failed")
    assert [r["name"] for r in failed] == ["locked.pdf", "photo.txt"]

    # show: all pages joined by form feeds, hashing to text_sha256, and a newline at the end
    # (the PDF's text has none: without it a shell prompt ran on from the last line)
    text = cli.run("show", "docs", "guide.pdf", check=True).stdout
    assert text.split("\f")[1].startswith("Chapter two.") and text.endswith(".\n")
    assert hashlib.sha256(text[:-1].encode()).hexdigest() == guide["text_sha256"]
    page = cli.json("show", "docs", str(guide["id"]), "--page", "3")
    assert page["page"] == 3 and "Chapter three." in page["text"]
    memo = cli.json("show", "docs", "memo.docx")
    assert [p["number"] for p in memo["pages"]] == [1, 2, 3]
    assert "| Name | Role |\n| Ada | Engineer |" in memo["pages"][0]["text"]
    assert "ACME Confidential Header" in memo["pages"][0]["text"]
    notes = next(r for r in files.values() if r["kind"] == "text")
    assert cli.run("show", "docs", str(notes["id"]), check=True).stdout == "# Todo\n\n- café\n"
    out = cli.run("show", "docs", "guide.pdf", "--page", "9", "--json")
    assert out.returncode == 1 and json.loads(out.stdout)["error"]["code"] == "not_found"
    out = cli.run("show", "docs", "locked.pdf")
    assert out.returncode == 1 and "encrypted" in out.stderr

    status = cli.json("status", "docs")
    assert status["states"]["done"] == 3
    assert status["states"]["failed"] == 2
    assert status["states"]["duplicate"] == 1
    assert status["failures"] == {"encrypted": 1, "type_mismatch": 1}
    assert status["pages"] == 3 + 3 + 1
    assert status["chars"] == sum(files[n]["chars"] for n in files if files[n]["state"] == "done")
    assert status["tokens"] > 0
    # the short guide PDF is flagged; the short notes file is not (text has no pages)
    assert [w["code"] for w in guide["warnings"]] == ["little_text"]
    assert notes["warnings"] == []
    assert status["warnings"] == {"little_text": 1}
    human = cli.run("status", "docs", check=True).stdout
    assert "3 done" in human and "encrypted 1" in human


def test_add_missing_path_exits_1_and_text_output(cli: CLI, tmp_path: Path) -> None:
    cli.run("new", "p", check=True)
    (tmp_path / "a.txt").write_text("hello\n")
    proc = cli.run("add", "p", str(tmp_path / "a.txt"), str(tmp_path / "missing.pdf"))
    assert proc.returncode == 1
    assert "queued" in proc.stdout and "[not_found]" in proc.stdout
    again = cli.run("add", "p", str(tmp_path / "a.txt"), check=True)
    assert again.stdout.startswith("duplicate")
    listing = cli.run("files", "p", check=True).stdout
    assert "a.txt" in listing and "duplicate of" in listing
    assert cli.run("show", "p", "nothing-here").returncode == 1


def test_process_stops_with_an_error_when_the_database_cannot_grow(
    cli: CLI, tmp_path: Path
) -> None:
    """A full disk used to look like a busy database: `process` retried every second, for
    ever. Here a file size limit makes the database's writes fail (EFBIG: "disk I/O error")."""
    folder = tmp_path / "texts"
    folder.mkdir()
    for i in range(30):
        (folder / f"notes-{i:02d}.txt").write_text(f"Note {i}. " + "A line of notes. " * 3000)
    cli.run("new", "full", check=True)
    cli.run("add", "full", str(folder), check=True)

    proc = cli.run_with_file_limit(400_000, "process", "full", "--json", timeout=120)
    assert proc.returncode == 1, (proc.stdout[-1000:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["error"]["code"] == "io_error"
    # with room again, the next run carries on and finishes every file
    out = cli.json("process", "full")
    assert cli.json("status", "full")["states"]["done"] == 30, out


def test_add_skips_links_out_of_the_folder_unless_follow_links(cli: CLI, tmp_path: Path) -> None:
    import os

    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    top = tmp_path / "docs"
    top.mkdir()
    (top / "real.txt").write_text("the real document\n")
    os.symlink(secret, top / "link.txt")
    cli.run("new", "l", check=True)
    rows = {Path(r["path"]).name: r for r in cli.json("add", "l", str(top))}
    assert rows["real.txt"]["state"] == "queued"
    assert rows["link.txt"]["state"] == "skipped"
    assert "outside the added folder" in rows["link.txt"]["reason"]
    rows = {Path(r["path"]).name: r for r in cli.json("add", "l", str(top), "--follow-links")}
    assert rows["link.txt"]["state"] == "queued"
