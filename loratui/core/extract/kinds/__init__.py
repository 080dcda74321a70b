"""The document kinds loratui reads: one module per kind, each holding its ``KIND``.

Adding a kind (HTML, EPUB) is a new module (see ``base.DocumentKind``; ``text.py`` is the
shortest example) plus its name below. The order is the order detection asks the kinds
in, catch-all kinds (plain text) last whatever their place; it is also the order the
"loratui reads ..." hint lists them in. A module added at run time (``REGISTRY.add``)
reaches the extraction processes by name: ``jobs.pool`` starts each worker with
``REGISTRY.extensions()``, and the worker imports them again.
"""

from __future__ import annotations

from loratui.core.errors import LoratuiError
from loratui.core.extract.kinds.base import DocumentKind
from loratui.core.extract.registry import ModuleRegistry

MODULES = [
    "loratui.core.extract.kinds.pdf",
    "loratui.core.extract.kinds.docx",
    "loratui.core.extract.kinds.text",
    "loratui.core.extract.kinds.records",
]


def _unknown(name: str) -> LoratuiError:
    return LoratuiError("unsupported", f"no extractor for documents of kind {name!r}")


REGISTRY: ModuleRegistry[DocumentKind] = ModuleRegistry(MODULES, "KIND", DocumentKind, _unknown)
get = REGISTRY.get
find = REGISTRY.find


def _detection_order(all_kinds: tuple[DocumentKind, ...]) -> tuple[DocumentKind, ...]:
    return tuple(sorted(all_kinds, key=lambda k: k.catch_all))


def _extension_map(all_kinds: tuple[DocumentKind, ...]) -> dict[str, DocumentKind]:
    out: dict[str, DocumentKind] = {}
    for kind in all_kinds:
        for ext in kind.extensions:
            out.setdefault(ext, kind)
    return out


def detection_order() -> tuple[DocumentKind, ...]:
    """The kinds in the order detection asks them: catch-all ones last."""
    return REGISTRY.derived(_detection_order)


def by_extension(ext: str) -> DocumentKind | None:
    """The kind a file name ending in ``ext`` (lower case, with the dot) promises."""
    return REGISTRY.derived(_extension_map).get(ext)
