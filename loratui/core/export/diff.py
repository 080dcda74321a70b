"""Comparing two versions: which records were added or removed, and what config changed.

Records are compared by the sha256 of their JSON line, so the memory used is one digest
per record, not the records themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from loratui.core.export.config import diff_configs
from loratui.core.export.versions import get_version
from loratui.core.store.models import Project

SAMPLE = 5


def _lines(folder: Path) -> Iterator[tuple[str, bytes, bytes]]:
    """``(split, line, digest)`` for every non-empty record line of a version's split files."""
    for split in ("train", "validation"):
        path = folder / f"{split}.jsonl"
        if not path.exists():
            continue
        with path.open("rb") as fh:
            for line in fh:
                line = line.rstrip(b"\n")
                if line:
                    yield split, line, hashlib.sha256(line).digest()[:16]


def _line_hashes(folder: Path) -> dict[bytes, str]:
    return {digest: split for split, _, digest in _lines(folder)}


def _sample_lines(folder: Path, wanted: set[bytes]) -> list[str]:
    found: list[str] = []
    for _, line, digest in _lines(folder):
        if digest in wanted:
            found.append(line.decode("utf-8"))
            if len(found) >= SAMPLE:
                break
    return found


def diff_versions(project: Project, a: int | str, b: int | str) -> dict[str, Any]:
    """``{"a", "b", "added", "removed", "unchanged", "moved", "config", "documents"}``."""
    va, vb = get_version(project, a), get_version(project, b)
    ha, hb = _line_hashes(Path(va.path)), _line_hashes(Path(vb.path))
    added = set(hb) - set(ha)
    removed = set(ha) - set(hb)
    common = set(ha) & set(hb)
    moved = sum(1 for h in common if ha[h] != hb[h])
    docs_a = {d["sha256"] for d in va.documents or []}
    docs_b = {d["sha256"] for d in vb.documents or []}
    return {
        "a": va.number,
        "b": vb.number,
        "added": len(added),
        "removed": len(removed),
        "unchanged": len(common),
        "moved": moved,
        "added_sample": _sample_lines(Path(vb.path), added),
        "removed_sample": _sample_lines(Path(va.path), removed),
        "config": diff_configs(va.config or {}, vb.config or {}),
        "documents": {
            "added": sorted(docs_b - docs_a),
            "removed": sorted(docs_a - docs_b),
        },
    }
