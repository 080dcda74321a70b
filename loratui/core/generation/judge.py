"""The optional judge: a second request that scores a pair from 1 to 10 against its chunk.

Lexical support (``support``) cannot see a wrong claim made of the chunk's own words; a
model reading the chunk can. The judge is asked for ``{"score": 1-10, "reason": "..."}``;
its reply is parsed like the pairs (reasoning stripped, fences, repair), and a reply
without JSON still yields a score when it says "score: 7" or "7/10". A pair scoring below
``min_judge_score`` is rejected with the judge's reason.

A judge request has its own ledger key: ``request_key`` with ``JUDGE.version()`` and
``subject_sha256`` (the chunk and the pair), so a judged pair is never judged twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from loratui.core.generation.gates import Rejection
from loratui.core.generation.json_answer import find_json, strip_reasoning
from loratui.core.generation.templates import fill

_SYSTEM = """\
You check question-and-answer pairs written for training an assistant. You are given an \
excerpt of a document and one pair. Score the pair from 1 to 10:
10: the question is clear on its own and the answer is fully supported by the excerpt.
7: supported and useful, with small flaws.
4: partly supported, vague, or the question needs the excerpt to make sense.
1: the answer is wrong, or not in the excerpt.
Reply with JSON only: {"score": <1-10>, "reason": "<one sentence>"}"""

_USER = """\
Excerpt:
\"\"\"
{text}
\"\"\"

Question: {question}
Answer: {answer}"""

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "score": {"type": "integer", "minimum": 1, "maximum": 10},
        "reason": {"type": "string"},
    },
    "required": ["score", "reason"],
    "additionalProperties": False,
}
_SCORE_KEYS = ("score", "rating", "grade")
_SCORE_TEXT = (
    re.compile(r"(?i)\b(?:score|rating|grade)\b\W{0,3}(\d+(?:\.\d+)?)"),
    re.compile(r"\b(\d+(?:\.\d+)?)\s*/\s*10\b"),
)


@dataclass(frozen=True)
class JudgeTemplate:
    system: str = _SYSTEM
    user: str = _USER

    def version(self) -> str:
        body = {"kind": "judge", "system": self.system.strip(), "user": self.user.strip()}
        data = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(data.encode("utf-8")).hexdigest()

    def render(self, *, text: str, question: str, answer: str) -> list[dict[str, str]]:
        values = {"text": text, "question": question, "answer": answer}
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": fill(self.user, values)},
        ]


JUDGE = JudgeTemplate()


@dataclass(frozen=True)
class JudgeVerdict:
    """The judge's score (1-10) and reason, or why its reply could not be read."""

    raw: str
    score: float | None = None
    reason: str = ""
    error: str | None = None  # no_score, out_of_range

    @property
    def ok(self) -> bool:
        return self.error is None


def subject_sha256(chunk: str, question: str, answer: str) -> str:
    """What a judge request is about, for its request key."""
    data = json.dumps([chunk, question, answer], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def parse_judge(content: str) -> JudgeVerdict:
    """The score and reason in a judge's reply."""
    found = find_json(content, accept=lambda v: _score_of(v) is not None)
    score: float | None = None
    reason = ""
    if found.value is not None:
        score = _score_of(found.value)
        reason = str(_get(found.value, ("reason", "explanation", "rationale")) or "").strip()
    else:
        body, _ = strip_reasoning(content or "")
        for pattern in _SCORE_TEXT:
            m = pattern.search(body)
            if m:
                score = float(m.group(1))
                reason = " ".join(body.split())[:200]
                break
    if score is None:
        return JudgeVerdict(raw=content, error="no_score")
    if not 1 <= score <= 10:
        return JudgeVerdict(raw=content, score=score, reason=reason, error="out_of_range")
    return JudgeVerdict(raw=content, score=score, reason=reason)


def judge_rejection(verdict: JudgeVerdict, min_score: float) -> Rejection | None:
    """A rejection when the judge scored the pair below ``min_score``. A verdict without a
    score rejects nothing: the caller records the pair as not judged, with the raw reply."""
    if verdict.score is None or not verdict.ok or verdict.score >= min_score:
        return None
    why = f": {verdict.reason}" if verdict.reason else ""
    return Rejection(
        "judge_low", f"the judge scored the pair {verdict.score:g}/10 (< {min_score:g}){why}"
    )


def _get(value: Any, keys: tuple[str, ...]) -> Any:
    if not isinstance(value, dict):
        return None
    low = {str(k).strip().lower(): v for k, v in value.items()}
    for key in keys:
        if key in low:
            return low[key]
    return None


def _score_of(value: Any) -> float | None:
    raw = _get(value, _SCORE_KEYS)
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        m = re.match(r"\s*(\d+(?:\.\d+)?)", raw)
        return float(m.group(1)) if m else None
    return None
