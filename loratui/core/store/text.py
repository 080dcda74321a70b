"""Text the database and a terminal take: file names with any bytes in them, made safe.

A name written on another system can hold bytes that are not UTF-8; Python keeps them as
lone surrogates, which SQLite (and a terminal) refuse. Everything that stores or logs a
name (ingest, the watcher, the audit log) passes it through here first.
"""

from __future__ import annotations

import os


def storable(text: str) -> str:
    """``text`` with lone surrogates (bytes of a name that are not UTF-8) as ``\\xNN``
    escapes: the database and the terminal refuse them; other text is returned as is."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    return text


def path_text(path: str | os.PathLike[str]) -> str:
    """``path`` as text that can be stored and shown on one line.

    Bytes that are not UTF-8 become ``\\xNN`` escapes (``storable``), and control
    characters (a newline in a name breaks every listing) ``\\n``, ``\\t`` or ``\\xNN``.
    Ordinary names come back unchanged, so this is safe to apply twice.
    """
    text = storable(os.fspath(path))
    if text.isprintable():
        return text
    return text.translate(_CONTROL_ESCAPES)


_CONTROL_ESCAPES = {
    c: {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(chr(c), f"\\x{c:02x}") for c in [*range(32), 127]
}
