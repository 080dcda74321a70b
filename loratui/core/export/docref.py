"""What the export pipeline needs of a document: small and picklable, for worker processes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DocRef:
    """A document's id, content hash, name and kind (a ``Document`` row has the same)."""

    id: int
    sha256: str
    name: str
    kind: str | None

    @staticmethod
    def of(doc: Any) -> DocRef:
        """The ``DocRef`` of a ``Document`` (or of another ``DocRef``)."""
        return DocRef(doc.id, doc.sha256, doc.name, doc.kind)
