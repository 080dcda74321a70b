"""Take a whole project out as one ``.tar.gz`` (``restore.py`` brings it back).

An archive holds the project folder (stored originals, export versions, anything else
in it but the drop folder), the extracted text of each document, every database row of
the project as JSON lines (events included), the audit trail, and ``manifest.json``
with the sha256 of every other file. The names below are the archive format both
modules share.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from loratui import __version__
from loratui.core.audit import event_dict, log_event
from loratui.core.errors import LoratuiError
from loratui.core.ingest.hashing import sha256_file
from loratui.core.projects import rows as project_rows
from loratui.core.store import folders
from loratui.core.store import home as home_mod
from loratui.core.store.db import database
from loratui.core.store.migrations import user_version
from loratui.core.store.models import Document, Event, Page, Project, now

FORMAT = "loratui-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES_PREFIX = "project"  # the project folder
ROWS_PREFIX = "rows"  # one JSON-lines file per table
TEXT_PREFIX = "text"  # extracted text per document, pages joined by form feeds
AUDIT_NAME = "audit.jsonl"  # the trail as `loratui log --json` prints it


class _HashingReader:
    """A file object that hashes what ``tarfile`` reads through it."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.sha = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(n)
        self.sha.update(data)
        return data


def _tarinfo(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = home_mod.FILE_MODE
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


class _Writer:
    """Adds files to the tar and records each one's sha256 and size for the manifest."""

    def __init__(self, tar: tarfile.TarFile, scratch: Path) -> None:
        self.tar = tar
        self.scratch = scratch
        self.files: dict[str, dict[str, Any]] = {}

    def add_path(self, arcname: str, path: Path) -> None:
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            return  # removed since the folder was listed (a purge, a finished temp file)
        with fh:
            st = os.fstat(fh.fileno())
            reader = _HashingReader(fh)
            try:
                self.tar.addfile(_tarinfo(arcname, st.st_size, st.st_mtime), reader)
            except OSError as exc:
                raise LoratuiError(
                    "io_error",
                    f"{path} changed while it was being archived ({exc})",
                    "run the archive again (wait for running exports to finish)",
                ) from exc
        self.files[arcname] = {"sha256": reader.sha.hexdigest(), "size": st.st_size}

    def add_stream(self, arcname: str, fh: IO[bytes]) -> None:
        """Add a scratch file (an unnamed temp file, gone when closed)."""
        fh.flush()
        size = fh.seek(0, os.SEEK_END)
        fh.seek(0)
        reader = _HashingReader(fh)
        self.tar.addfile(_tarinfo(arcname, size, time.time()), reader)
        self.files[arcname] = {"sha256": reader.sha.hexdigest(), "size": size}

    def scratch_file(self) -> IO[bytes]:
        return tempfile.TemporaryFile(dir=self.scratch)


def _project_files(project: Project) -> list[tuple[str, Path]]:
    """Regular files of the project folder: not the drop folder, not links, and no
    dot-names (exports and additions in progress, ``.tmp-export-*``, ``.incoming-*``)."""
    base = folders.project_dir(project)
    drop = folders.drop_dir(project).resolve()
    found: list[tuple[str, Path]] = []
    for root, dirs, files in os.walk(base):
        root_path = Path(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and not (root_path / d).is_symlink()
            and (root_path / d).resolve() != drop
        )
        for name in sorted(files):
            path = root_path / name
            if name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            found.append((path.relative_to(base).as_posix(), path))
    return found


def archive_project(project: Project, out_path: str | os.PathLike[str]) -> dict[str, Any]:
    """Write the whole project to ``out_path`` (.tar.gz, mode 0600, atomically).

    Returns a summary: path, bytes, sha256 of the archive, files, rows per table.
    """
    out = Path(out_path).expanduser().resolve()
    if out.is_dir():
        raise LoratuiError("invalid", f"{out} is a folder", "give a file name, e.g. PROJECT.tar.gz")
    if not out.parent.is_dir():
        raise LoratuiError("not_found", f"folder {out.parent} does not exist")
    project = Project.get_by_id(project.id)
    if out.is_relative_to(folders.project_dir(project).resolve()):
        raise LoratuiError(
            "invalid",
            "the archive cannot be written inside the project folder it archives",
            "write it somewhere else, e.g. your home directory",
        )
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    rows_count: dict[str, int] = {}
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, home_mod.FILE_MODE)
    os.chmod(tmp, home_mod.FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as raw:
            tar = tarfile.open(fileobj=raw, mode="w:gz")  # noqa: SIM115 - closed below
            writer = _Writer(tar, home_mod.current())
            # One read transaction: the rows are a consistent snapshot (WAL).
            with database.atomic():
                for model in project_rows.all_tables():
                    rows_count[project_rows.table_name(model)] = _add_rows(
                        writer, model, project.id
                    )
                _add_texts(writer, project)
                _add_audit(writer, project)
            for rel, path in _project_files(project):
                writer.add_path(f"{FILES_PREFIX}/{rel}", path)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "loratui_version": __version__,
                "schema_version": user_version(database.obj),
                "created_at": now(),
                "project": {"id": project.id, "name": project.name, "folder": project.folder},
                "project_dir": str(folders.project_dir(project)),
                "rows": rows_count,
                "files": writer.files,
            }
            body = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
            info = _tarinfo(MANIFEST, len(body), time.time())
            tar.addfile(info, _BytesReader(body))
            tar.close()  # writes the end-of-archive blocks and the gzip trailer
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    summary = {
        "path": str(out),
        "bytes": out.stat().st_size,
        "sha256": sha256_file(out),
        "files": len(manifest["files"]) + 1,
        "rows": rows_count,
    }
    log_event(
        project,
        "project.archived",
        f"project archived to {out}",
        data={k: summary[k] for k in ("path", "bytes", "sha256", "rows")},
    )
    return summary


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n < 0 else self.pos + n
        chunk = self.data[self.pos : end]
        self.pos += len(chunk)
        return chunk


SECRET_FIELDS = ("password",)  # PDF passwords never leave the database, not even here


def _add_rows(writer: _Writer, model: Any, project_id: int) -> int:
    count = 0
    with writer.scratch_file() as fh:
        for row in project_rows.dump_rows(model, project_id):
            for field in SECRET_FIELDS:
                if row.get(field) is not None:
                    row[field] = None
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True).encode("utf-8"))
            fh.write(b"\n")
            count += 1
        writer.add_stream(f"{ROWS_PREFIX}/{project_rows.table_name(model)}.jsonl", fh)
    return count


def _add_texts(writer: _Writer, project: Project) -> None:
    """``text/<id>.txt``: the document's pages joined by form feeds (as text_sha256 is)."""
    docs = Document.select(Document.id).where(Document.project == project).order_by(Document.id)
    for doc in docs:
        pages = Page.select(Page.text).where(Page.document == doc.id).order_by(Page.number)
        texts = [p.text for p in pages]
        if not texts:
            continue
        with writer.scratch_file() as fh:
            fh.write("\f".join(texts).encode("utf-8"))
            writer.add_stream(f"{TEXT_PREFIX}/{doc.id}.txt", fh)


def _add_audit(writer: _Writer, project: Project) -> None:
    with writer.scratch_file() as fh:
        query = Event.select().where(Event.project_id == project.id).order_by(Event.id)
        for ev in query.iterator():
            fh.write(json.dumps(event_dict(ev), ensure_ascii=False).encode("utf-8") + b"\n")
        writer.add_stream(AUDIT_NAME, fh)
