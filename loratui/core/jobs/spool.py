"""Large results of extraction tasks come back through private files, not the pipe.

Why: a worker sends its result down a pipe in many writes when it is large (a range of
page texts); if the worker is killed in the middle (the out-of-memory killer, a kill -9),
the pool's reader is left blocked on the rest of a message that never comes, and every
later result waits behind it. A message up to ``PIPE_BUF`` (4 KB on Linux) is written in
one atomic write, so a result bigger than ``SPOOL_OVER`` is pickled to a file in a private
folder under the home and only its path is sent. The folder is per pool; files of a
process that died are removed when the next pool starts.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loratui.core.jobs import worker_notes
from loratui.core.store.owners import pid_alive

SPOOL_OVER = 2048  # bytes of pickled result sent through the pipe as they are
_PREFIX = "pool-"


def spooled_call(
    fn: Callable[..., Any], args: tuple[Any, ...], folder: str
) -> tuple[bool, Any, list[worker_notes.Note]]:
    """In a worker: run ``fn(*args)``; return (False, pickled result) or (True, its file),
    with what libraries logged or warned meanwhile (``worker_notes``; on failure they ride
    on the exception as ``library_notes``)."""
    try:
        with worker_notes.capture() as notes:
            value = fn(*args)
    except Exception as exc:
        with contextlib.suppress(AttributeError):  # (a frozen exception keeps none)
            exc.library_notes = notes  # type: ignore[attr-defined]
        raise
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    if len(data) <= SPOOL_OVER:
        return False, data, notes
    path = None
    try:
        fd, path = tempfile.mkstemp(dir=folder, suffix=".pickle")  # mode 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except OSError:  # a full disk: the pipe still works, and the result must not be lost
        if path is not None:
            Path(path).unlink(missing_ok=True)
        return False, data, notes
    return True, path, notes


def result_of(message: tuple[bool, Any, Any]) -> Any:
    """In the orchestrator: the result ``spooled_call`` sent (its file is removed)."""
    spooled, value, _notes = message
    if not spooled:
        return pickle.loads(value)
    try:
        with open(value, "rb") as fh:
            return pickle.load(fh)
    finally:
        Path(value).unlink(missing_ok=True)


def new_folder() -> Path:
    """A private folder for this pool's spool files (under the open home, else /tmp);
    leftovers of processes that are gone are removed first."""
    from loratui.core.store import home as home_mod

    try:
        base = home_mod.ensure_private_dir(home_mod.current() / "tmp")
    except RuntimeError:  # no home open (a bare library use): a private temporary folder
        return Path(tempfile.mkdtemp(prefix=_PREFIX))
    for old in base.glob(f"{_PREFIX}*"):
        pid = old.name[len(_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=base))
