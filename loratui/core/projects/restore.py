"""Bring back a project archived by ``archive.py``, trusting nothing in the archive.

Restore refuses unsafe entries (tar-slip), checks every hash against the manifest and
the texts and audit chain against the rows, then inserts all rows under new ids in one
transaction and moves the folder into place, so a refused archive leaves nothing behind.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import time
import zlib
from pathlib import Path, PurePosixPath
from typing import Any

import peewee

from loratui.core.audit import HASHED_AS_KEYS, compute_hash, event_payload, log_event
from loratui.core.errors import LoratuiError
from loratui.core.ingest.hashing import sha256_file
from loratui.core.projects import privacy, workspace
from loratui.core.projects import rows as project_rows
from loratui.core.projects.archive import (
    FILES_PREFIX,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    ROWS_PREFIX,
    TEXT_PREFIX,
)
from loratui.core.store import folders
from loratui.core.store import home as home_mod
from loratui.core.store.db import write_txn
from loratui.core.store.models import (
    DatasetVersion,
    Document,
    DropFile,
    Event,
    Job,
    Page,
    Project,
    now,
)


def _unsafe(message: str) -> LoratuiError:
    return LoratuiError("archive_unsafe", f"refused the archive: {message}")


def _corrupt(message: str) -> LoratuiError:
    return LoratuiError("archive_corrupt", f"refused the archive: {message}")


def check_members(members: list[tarfile.TarInfo]) -> list[tarfile.TarInfo]:
    """Refuse absolute paths, ``..``, links, devices and duplicate names (tar-slip)."""
    seen: set[str] = set()
    for m in members:
        name = m.name
        if not name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
            raise _unsafe(f"entry {name!r} has an absolute path")
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if ".." in parts:
            raise _unsafe(f"entry {name!r} climbs out of its folder with '..'")
        if m.issym() or m.islnk():
            raise _unsafe(f"entry {name!r} is a link (to {m.linkname!r})")
        if not (m.isfile() or m.isdir()):
            raise _unsafe(f"entry {name!r} is a device, pipe or other special file")
        key = "/".join(p for p in parts if p not in ("", "."))
        if m.isfile() and key in seen:
            raise _unsafe(f"entry {name!r} appears twice")
        seen.add(key)
    return members


def _extract(path: Path, dest: Path) -> None:
    try:
        with tarfile.open(path, mode="r:*") as tar:
            members = check_members(tar.getmembers())
            needed = sum(m.size for m in members if m.isfile())
            free = shutil.disk_usage(dest).free
            if needed > free:
                raise LoratuiError(
                    "io_error",
                    f"the archive unpacks to {needed:,} bytes but only {free:,} are free",
                    "free some disk space, or restore into another --home",
                )
            tar.extractall(dest, members=members, filter="data")
    except tarfile.FilterError as exc:
        raise _unsafe(str(exc)) from exc
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise _corrupt(f"it cannot be read as a .tar.gz ({exc})") from exc
    except OSError as exc:
        raise LoratuiError("io_error", f"could not unpack the archive: {exc}") from exc


def _verify_files(root: Path) -> dict[str, Any]:
    """Check the manifest against every extracted file; return the manifest."""
    mpath = root / MANIFEST
    if not mpath.is_file():
        raise _corrupt("it has no manifest.json (not written by `loratui archive`?)")
    try:
        manifest = json.loads(mpath.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _corrupt(f"manifest.json is not valid JSON ({exc})") from exc
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise _corrupt("manifest.json is not a loratui archive manifest")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise _corrupt(
            f"archive format {manifest.get('format_version')} is newer than this loratui reads"
        )
    listed: dict[str, Any] = manifest["files"]
    present = {
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p != mpath
    }
    extra = sorted(present - set(listed))
    if extra:
        raise _corrupt(f"{extra[0]!r} is in the archive but not in its manifest")
    missing = sorted(set(listed) - present)
    if missing:
        raise _corrupt(f"{missing[0]!r} is listed in the manifest but missing")
    for name in sorted(listed):
        if sha256_file(root / name) != listed[name].get("sha256"):
            raise _corrupt(f"the sha256 of {name!r} does not match the manifest")
    return manifest


def _read_rows(root: Path, model: Any) -> list[dict[str, Any]]:
    path = root / ROWS_PREFIX / f"{project_rows.table_name(model)}.jsonl"
    if not path.exists():
        return []
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError as exc:
                    raise _corrupt(f"{path.name} line {n} is not valid JSON") from exc
    return rows


def _check_contents(root: Path, rows: dict[Any, list[dict]], manifest: dict) -> None:
    """Originals match their sha256, texts their text_sha256, the audit chain verifies."""
    files = manifest["files"]
    for name, meta in files.items():
        parts = name.split("/")
        if name.startswith(f"{FILES_PREFIX}/store/") and len(parts[-1]) == 64:
            if meta["sha256"] != parts[-1]:
                raise _corrupt(f"stored original {name!r} does not hash to its name")
    pages: dict[int, list[tuple[int, str]]] = {}
    for row in rows.get(Page, []):
        pages.setdefault(row["document"], []).append((row["number"], row["text"]))
    for doc in rows.get(Document, []):
        text_file = f"{TEXT_PREFIX}/{doc['id']}.txt"
        doc_pages = [t for _, t in sorted(pages.get(doc["id"], []))]
        if doc_pages:
            joined = "\f".join(doc_pages).encode("utf-8")
            digest = hashlib.sha256(joined).hexdigest()
            if text_file in files and files[text_file]["sha256"] != digest:
                raise _corrupt(f"the extracted text of {doc['name']!r} does not match its pages")
            if doc.get("state") == "done" and doc.get("text_sha256") not in (None, "", digest):
                raise _corrupt(f"the text of {doc['name']!r} does not match its text_sha256")
    prev = ""
    for row in rows.get(Event, []):
        ev = Event(**{k: v for k, v in row.items() if k in Event._meta.fields})
        if ev.prev_hash != prev or compute_hash(prev, event_payload(ev)) != ev.hash:
            raise _corrupt(
                f"its audit trail does not verify at event #{row['id']} "
                "(it was edited before or after archiving)"
            )
        prev = ev.hash


def _fix_permissions(folder: Path) -> None:
    for root, dirs, files in os.walk(folder):
        os.chmod(root, home_mod.DIR_MODE)
        for name in files:
            os.chmod(Path(root) / name, home_mod.FILE_MODE)
        for d in dirs:
            os.chmod(Path(root) / d, home_mod.DIR_MODE)


STAGING_PREFIX = ".restore-"
STALE_STAGING_S = 6 * 3600


def _remove_stale_staging(root: Path) -> None:
    """Unpacked archives a killed restore left behind (private, but not to be kept)."""
    for old in root.glob(STAGING_PREFIX + "*"):
        try:
            if time.time() - old.stat().st_mtime > STALE_STAGING_S:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue


def restore_archive(path: str | os.PathLike[str], as_name: str | None = None) -> Project:
    """Recreate the project in ``path``'s archive under new ids; nothing half-written.

    Refuses (``archive_unsafe``/``archive_corrupt``) before touching the database or
    the projects folder. The restored events keep their hash chain (``hashed_as``
    records the ids they were hashed with) and ``project.restored`` is appended to it.
    """
    src = Path(path).expanduser().resolve()
    if not src.is_file():
        raise LoratuiError("not_found", f"no archive at {src}")
    projects_root = home_mod.current() / home_mod.PROJECTS_DIR
    _remove_stale_staging(projects_root)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=projects_root))
    moved_to: Path | None = None
    try:
        os.chmod(staging, home_mod.DIR_MODE)
        _extract(src, staging)
        manifest = _verify_files(staging)
        tables = project_rows.all_tables()
        rows = {model: _read_rows(staging, model) for model in tables}
        if len(rows[Project]) != 1:
            raise _corrupt("it does not hold exactly one project row")
        _check_contents(staging, rows, manifest)
        old_project = rows[Project][0]
        name = workspace.validate_name(as_name or old_project["name"])
        with write_txn():
            if Project.get_or_none(Project.name == name):
                raise LoratuiError(
                    "exists",
                    f"a project named {name!r} already exists",
                    "restore under another name with --as NAME",
                )
            ids = project_rows.IdMap()
            project = _insert_project(old_project, name, ids)
            counts = _insert_rows(tables, rows, ids, project, old_project)
            _remap_versions(project, ids, manifest)
            folder = folders.project_dir(project)
            source_folder = staging / FILES_PREFIX
            if not source_folder.exists():
                source_folder.mkdir(mode=home_mod.DIR_MODE)
            os.rename(source_folder, folder)
            moved_to = folder
            _fix_permissions(folder)
            for sub in (folders.store_dir(project), folders.exports_dir(project)):
                home_mod.ensure_private_dir(sub)
            log_event(
                project,
                "project.restored",
                f"project restored from {src}"
                + (f" as {name!r}" if name != old_project["name"] else ""),
                data={
                    "archive": str(src),
                    "archive_sha256": sha256_file(src),
                    "original_id": old_project["id"],
                    "original_name": old_project["name"],
                    "archived_at": manifest.get("created_at"),
                    "rows": counts,
                    "document_ids": {
                        str(old): new for old, new in ids.maps.get(Document, {}).items()
                    },
                },
            )
    except (KeyError, TypeError, ValueError, AttributeError, peewee.IntegrityError) as exc:
        if moved_to is not None:
            shutil.rmtree(moved_to, ignore_errors=True)
        raise _corrupt(f"its database rows are malformed ({type(exc).__name__}: {exc})") from exc
    except BaseException:
        if moved_to is not None:
            shutil.rmtree(moved_to, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    privacy.apply_drop_mode(project)
    return Project.get_by_id(project.id)


def _insert_project(old: dict[str, Any], name: str, ids: project_rows.IdMap) -> Project:
    drop = old.get("drop_folder")
    if drop and Project.get_or_none(Project.drop_folder == drop):
        drop = None  # the original project still watches it; don't share a drop folder
    project = Project.create(
        name=name,
        folder=f"tmp-restore-{now()}",
        drop_folder=drop,
        settings=old.get("settings") or {},
        paused=bool(old.get("paused")),
        created_at=old.get("created_at") or now(),
        updated_at=now(),
    )
    project.folder = f"{project.id:04d}-{workspace._slug(name)}"
    project.save()
    ids.add(Project, old["id"], project.id)
    return project


def _insert_rows(
    tables: list[Any],
    rows: dict[Any, list[dict]],
    ids: project_rows.IdMap,
    project: Project,
    old_project: dict[str, Any],
) -> dict[str, int]:
    counts: dict[str, int] = {}
    # Drop-folder claims describe the files of one folder: they come along only when the
    # copy watches that same folder. Otherwise (the default inbox, which archives leave
    # out, or a folder the original still watches) the copy's dashboard named, as "last
    # taken", a file its own folder never saw.
    same_drop = bool(old_project.get("drop_folder")) and (
        project.drop_folder == old_project.get("drop_folder")
    )
    for model in tables:
        if model is Project:
            continue
        if model is Event:
            counts["event"] = _insert_events(rows[Event], ids, project)
            continue
        if model is DropFile and not same_drop:
            counts[project_rows.table_name(model)] = 0
            continue
        pending = []
        for row in rows[model]:
            row = dict(row)
            if model is Job and row.get("state") == "running":
                row.update(state="queued", lease_owner=None, lease_expires=None)
            if model is Document and row.get("state") == "processing":
                row["state"] = "queued"
            try:
                pending.append(project_rows.insert_row(model, row, ids))
            except KeyError as exc:
                raise _corrupt(str(exc)) from exc
        project_rows.apply_deferred(model, pending, ids)
        counts[project_rows.table_name(model)] = len(rows[model])
    return counts


def _insert_events(rows: list[dict], ids: project_rows.IdMap, project: Project) -> int:
    for row in rows:
        hashed_as = dict(row.get("hashed_as") or {})
        new_doc = ids.get(Document, row.get("document_id"))
        current = {
            "project_id": project.id,
            "project_name": project.name,
            "document_id": new_doc,
        }
        for key in HASHED_AS_KEYS:
            if key not in hashed_as and row.get(key) != current[key]:
                hashed_as[key] = row.get(key)
        Event.insert(
            project_id=project.id,
            project_name=project.name,
            document_id=new_doc,
            time=row["time"],
            level=row["level"],
            kind=row["kind"],
            message=row.get("message") or "",
            data=row.get("data") or {},
            actor=row.get("actor"),
            origin=row.get("origin"),
            prev_hash=row.get("prev_hash") or "",
            hash=row.get("hash") or "",
            hashed_as=hashed_as or None,
        ).execute()
    return len(rows)


def _remap_versions(project: Project, ids: project_rows.IdMap, manifest: dict) -> None:
    """Point versions at the new folder and the new document ids."""
    old_dir = manifest.get("project_dir") or ""
    new_dir = str(folders.project_dir(project))
    for version in DatasetVersion.select().where(DatasetVersion.project == project):
        path = version.path or ""
        if old_dir and (path == old_dir or path.startswith(old_dir + os.sep)):
            version.path = new_dir + path[len(old_dir) :]
        version.documents = [_remap_doc_ref(item, ids) for item in version.documents or []]
        version.save()


def _remap_doc_ref(item: Any, ids: project_rows.IdMap) -> Any:
    if isinstance(item, int):
        return ids.get(Document, item) or item
    if isinstance(item, dict):
        item = dict(item)
        for key in ("id", "document_id"):
            if isinstance(item.get(key), int):
                item[key] = ids.get(Document, item[key]) or item[key]
        return item
    return item
