"""What an add took, by kind, in one line: a stray file taken as a document stands out.

Adding a folder takes every file loratui can read: a ``LICENSE`` becomes a text document
beside the ``.md`` notes, a ``manifest.json`` a records document. Counting the new documents
by kind, and within a kind by file extension, naming the files of the rare ones, shows those
at a glance in the CLI and the TUI alike: ``taken: 5 text (4 .md, LICENSE), 1 records
(manifest.json)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

from loratui.core.ingest.add import AddResult
from loratui.core.store.models import QUEUED

NAMED_UP_TO = 3  # an extension with this many files or fewer in a kind lists their names


def taken_by_kind(results: Iterable[AddResult]) -> dict[str, dict[str, list[str]]]:
    """kind -> extension ("" for none) -> names, for the files queued as documents."""
    taken: dict[str, dict[str, list[str]]] = {}
    for r in results:
        if r.state == QUEUED and r.kind:
            name = PurePath(r.path).name
            suffix = PurePath(name).suffix.lower()
            taken.setdefault(r.kind, {}).setdefault(suffix, []).append(name)
    return taken


def _kind_part(kind: str, by_suffix: dict[str, list[str]]) -> str:
    total = sum(len(names) for names in by_suffix.values())
    common = sorted((s for s, names in by_suffix.items() if len(names) > NAMED_UP_TO), key=str)
    if len(by_suffix) == 1 and common:  # one extension, many files: nothing stands out
        return f"{total} {kind}"
    inner = [f"{len(by_suffix[s])} {s}" for s in common]
    for suffix in sorted(set(by_suffix) - set(common)):
        inner += sorted(by_suffix[suffix])
    return f"{total} {kind} ({', '.join(inner)})"


def taken_line(results: Iterable[AddResult]) -> str:
    """``taken: 5 text (4 .md, LICENSE), 1 records (manifest.json)``, most common kind
    first; "" when nothing was queued."""
    taken = taken_by_kind(results)
    order = sorted(taken, key=lambda k: (-sum(map(len, taken[k].values())), k))
    return "taken: " + ", ".join(_kind_part(k, taken[k]) for k in order) if order else ""
