"""Database connections of TUI worker threads.

Peewee opens one SQLite connection per thread on first use; a Textual thread worker
runs in a fresh thread, so each must close its connection when it ends or it leaks
until garbage collection.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from loratui.core.store import db


@contextmanager
def thread_connection() -> Iterator[None]:
    """Close this worker thread's database connection on exit (never the main thread's)."""
    try:
        yield
    finally:
        if threading.current_thread() is not threading.main_thread():
            db.close()
