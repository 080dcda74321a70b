"""Generated pairs as a record source: ``sources = "pairs"`` in the export configuration.

Each kept or edited pair (``loratui generate``, ``loratui pairs``) becomes one example: the
question is the user turn (``user`` / ``prompt`` / ``instruction``), the answer the
assistant turn (``assistant`` / ``completion`` / ``output``), the system prompt comes from
the export configuration; the ``text`` format joins them with a blank line. Everything
after that is the export's as for any other source: redaction, lengths, filters,
duplicates, the split by document. Pairs are read in id order, so the same pairs and
configuration give the same bytes.

A record's lineage names the pair, the model, the request that produced it and the chunk
it was asked about (document, chunk number, character span in the cleaned text, pages).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from loratui.core.export.docref import DocRef
from loratui.core.export.formats import Example
from loratui.core.export.records import page_label, title_of
from loratui.core.store.models import PAIR_EDITED, PAIR_KEPT, GeneratedPair, Project

SOURCE = "pairs"
EXPORTED_STATES = (PAIR_KEPT, PAIR_EDITED)
_BATCH = 500


def documents_with_pairs(project: Project | int) -> set[int]:
    """Ids of the project's documents that have at least one pair to export."""
    q = (
        GeneratedPair.select(GeneratedPair.document)
        .where((GeneratedPair.project == project) & GeneratedPair.state.in_(EXPORTED_STATES))
        .distinct()
        .tuples()
    )
    return {doc_id for (doc_id,) in q}


def pair_examples(doc: DocRef, system_prompt: str) -> Iterator[tuple[Example, dict[str, Any]]]:
    """The examples of ``doc``'s exported pairs, with their lineage, in pair id order (read
    a batch at a time)."""
    last = 0
    while True:
        rows = list(
            GeneratedPair.select()
            .where(
                (GeneratedPair.document == doc.id)
                & GeneratedPair.state.in_(EXPORTED_STATES)
                & (GeneratedPair.id > last)
            )
            .order_by(GeneratedPair.id)
            .limit(_BATCH)
        )
        if not rows:
            return
        for pair in rows:
            title = title_of(doc)
            values = {
                "title": title,
                "heading": pair.heading or title,
                "text": "",
                "previous": "",
                "page": page_label(list(pair.pages or [])),
                "source": doc.name,
            }
            example = Example(
                system=system_prompt.format_map(values),
                turns=[("user", pair.question), ("assistant", pair.answer)],
            )
            yield example, lineage(doc, pair)
        last = rows[-1].id


def lineage(doc: DocRef, pair: GeneratedPair) -> dict[str, Any]:
    """Where a pair's record came from: the chunk's fields as for any chunk record, then
    the pair, its state, model, template version and request key."""
    return {
        "document_id": doc.id,
        "document_sha256": pair.document_sha256,
        "document": doc.name,
        "pages": list(pair.pages or []),
        "chunk": pair.chunk,
        "chars": [pair.span_start, pair.span_end],
        "heading": pair.heading,
        "row": None,
        "pair": pair.id,
        "state": pair.state,
        "model": pair.model,
        "template_version": pair.template_version,
        "request_key": pair.request_key,
    }
