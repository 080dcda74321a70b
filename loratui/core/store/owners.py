"""Who holds a lease or a claim: owner ids that let a restart spot a dead holder.

An owner id is ``host:pid:token``. The host and pid say where the holder runs, so a
process on the same host can tell that a holder died (its pid is gone or a zombie);
the token keeps two holders in one process apart. Queue leases, export jobs and
drop-folder claims all use these ids.
"""

from __future__ import annotations

import os
import socket
import uuid


def new_owner(token: str | None = None) -> str:
    """A fresh owner id ``host:pid:token`` (a random token unless one is given)."""
    return f"{socket.gethostname()}:{os.getpid()}:{token or uuid.uuid4().hex[:8]}"


def parse_owner(owner: str | None) -> tuple[str, int | None]:
    """The (host, pid) of an owner id; pid None when the id names no pid."""
    parts = (owner or "").split(":")
    if len(parts) < 2 or not parts[1].isdigit():
        return parts[0], None
    return parts[0], int(parts[1])


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host; a zombie (killed, not yet reaped)
    counts as dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def owner_is_dead(owner: str | None) -> bool:
    """True when ``owner`` is empty, or ran on this host and its process no longer exists.

    An owner on another host (or without a pid) is never presumed dead here: callers
    decide by lease expiry or age instead.
    """
    if not owner:
        return True
    host, pid = parse_owner(owner)
    if host != socket.gethostname() or pid is None:
        return False
    return not pid_alive(pid)
