"""Reviewing pairs: list them, accept, reject or edit them (the CLI's ``pairs``, the TUI's
pairs browser).

Accepting keeps a pair whatever a gate said (``reason_code`` ``accepted``); rejecting keeps
the reason given; editing keeps the first original words (``original_question`` /
``original_answer``) and marks the pair ``edited``, which the export takes like ``kept``.
Each change is an audit event naming the pairs by id (never their text).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from loratui.core.audit import log_event
from loratui.core.errors import LoratuiError
from loratui.core.store.db import write_txn
from loratui.core.store.models import (
    PAIR_EDITED,
    PAIR_KEPT,
    PAIR_REJECTED,
    PAIR_STATES,
    GeneratedPair,
    Project,
    now,
)


def pair_row(p: GeneratedPair) -> dict[str, Any]:
    """A pair as ``loratui pairs --json`` prints it."""
    return {
        "id": p.id,
        "document_id": p.document_id,
        "chunk": p.chunk,
        "question": p.question,
        "answer": p.answer,
        "state": p.state,
        "reason": p.reason,
        "reason_code": p.reason_code,
        "model": p.model,
        "template": p.template_version,
        "created_at": p.created_at,
        "chars": [p.span_start, p.span_end],
        "pages": list(p.pages or []),
        "support": p.support,
        "judge_score": p.judge_score,
        "request_key": p.request_key,
    }


def list_pairs(
    project: Project, state: str | None = None, document_id: int | None = None
) -> list[GeneratedPair]:
    """The project's pairs in id order, of one state and one document if given."""
    if state is not None and state not in PAIR_STATES:
        raise LoratuiError("invalid", f"no pair state {state!r}", f"use {', '.join(PAIR_STATES)}")
    q = GeneratedPair.select().where(GeneratedPair.project == project)
    if state is not None:
        q = q.where(GeneratedPair.state == state)
    if document_id is not None:
        q = q.where(GeneratedPair.document == document_id)
    return list(q.order_by(GeneratedPair.id))


def pair_counts(project: Project | int) -> dict[str, int]:
    """Pairs per state (every state present, 0 when none)."""
    from peewee import fn

    out = dict.fromkeys(PAIR_STATES, 0)
    q = (
        GeneratedPair.select(GeneratedPair.state, fn.COUNT(GeneratedPair.id))
        .where(GeneratedPair.project == project)
        .group_by(GeneratedPair.state)
        .tuples()
    )
    out.update(dict(q))
    return out


def _pairs(project: Project, ids: Iterable[int]) -> list[GeneratedPair]:
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        raise LoratuiError("invalid", "name at least one pair id")
    found = {
        p.id: p
        for p in GeneratedPair.select().where(
            (GeneratedPair.project == project) & GeneratedPair.id.in_(wanted)
        )
    }
    missing = [i for i in wanted if i not in found]
    if missing:
        raise LoratuiError(
            "not_found",
            f"no pair {', '.join(map(str, missing))} in {project.name!r}",
            f"list them with `loratui pairs {project.name!r}`",
        )
    return [found[i] for i in wanted]


def accept(project: Project, ids: Iterable[int]) -> list[int]:
    """Keep these pairs (an edited pair stays ``edited``)."""
    with write_txn():
        pairs = _pairs(project, ids)
        t = now()
        for p in pairs:
            if p.state == PAIR_EDITED:
                continue
            GeneratedPair.update(
                state=PAIR_KEPT,
                reason_code="accepted" if p.state == PAIR_REJECTED else p.reason_code,
                reason=(
                    f"accepted by the user (was: {p.reason})"
                    if p.state == PAIR_REJECTED and p.reason
                    else p.reason
                ),
                updated_at=t,
            ).where(GeneratedPair.id == p.id).execute()
        got = [p.id for p in pairs]
        log_event(project, "pair.accepted", f"{len(got)} pair(s) accepted", data={"pairs": got})
    return got


def reject(project: Project, ids: Iterable[int], reason: str | None = None) -> list[int]:
    """Reject these pairs with ``reason`` (default: rejected by the user)."""
    text = (reason or "").strip() or "rejected by the user"
    with write_txn():
        pairs = _pairs(project, ids)
        GeneratedPair.update(
            state=PAIR_REJECTED, reason_code="user", reason=text, updated_at=now()
        ).where(GeneratedPair.id.in_([p.id for p in pairs])).execute()
        got = [p.id for p in pairs]
        log_event(project, "pair.rejected", f"{len(got)} pair(s) rejected", data={"pairs": got})
    return got


def edit(
    project: Project, pair_id: int, question: str | None = None, answer: str | None = None
) -> GeneratedPair:
    """Change a pair's words; it becomes ``edited`` (exported like ``kept``)."""
    q = None if question is None else question.strip()
    a = None if answer is None else answer.strip()
    if q is None and a is None:
        raise LoratuiError("invalid", "give the new question, the new answer, or both")
    if q == "" or a == "":
        raise LoratuiError("invalid", "a pair's question and answer must not be empty")
    with write_txn():
        [p] = _pairs(project, [pair_id])
        GeneratedPair.update(
            question=q if q is not None else p.question,
            answer=a if a is not None else p.answer,
            original_question=p.original_question or p.question,
            original_answer=p.original_answer or p.answer,
            state=PAIR_EDITED,
            reason_code="edited",
            reason="edited by the user",
            updated_at=now(),
        ).where(GeneratedPair.id == p.id).execute()
        log_event(project, "pair.edited", f"pair {p.id} edited", data={"pairs": [p.id]})
    return GeneratedPair.get_by_id(pair_id)
