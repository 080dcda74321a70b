"""The record formats an export writes: one module per format, each holding its ``FORMAT``.

Adding a format is a new module (see ``base.RecordFormat``; ``text.py`` is the shortest)
plus its name below; the order is the order the CLI and the TUI offer them in. A module
added at run time (``REGISTRY.add``) reaches the export's worker processes by name: their
initializer gets ``REGISTRY.extensions()`` and imports them again.
"""

from __future__ import annotations

from loratui.core.errors import LoratuiError
from loratui.core.export.formats.base import Example, RecordFormat
from loratui.core.extract.registry import ModuleRegistry

__all__ = ["MODULES", "REGISTRY", "Example", "RecordFormat", "find", "get", "names"]

MODULES = [
    "loratui.core.export.formats.text",
    "loratui.core.export.formats.prompt_completion",
    "loratui.core.export.formats.messages",
    "loratui.core.export.formats.sharegpt",
    "loratui.core.export.formats.alpaca",
]


def _unknown(name: str) -> LoratuiError:
    return LoratuiError("invalid", f"unknown format {name!r}", f"use one of {', '.join(names())}")


REGISTRY: ModuleRegistry[RecordFormat] = ModuleRegistry(MODULES, "FORMAT", RecordFormat, _unknown)
get = REGISTRY.get
find = REGISTRY.find
names = REGISTRY.names
