"""The quality gates of one pair, as pure functions that say why a pair is rejected.

In the order ``check_pair`` applies them (the first that fails is the reason):

1. ``empty``: the question or the answer is empty;
2. ``too_short``: fewer words than ``min_question_words`` / ``min_answer_words``;
3. ``not_a_question`` (Q/A templates only): the question neither ends with a question mark
   (?, ？, ؟, ;) nor starts with a question word (what, how, is, does, ...);
4. ``repeats_question``: the answer adds no content word to the question's ("Yes, it
   does." to "Does the canal connect two seas?");
5. ``refers_to_source``: the question names "the passage", "the text", ... (the settings'
   ``banned_phrases``, matched as whole words, any case): a reader of the dataset never
   sees that passage;
6. ``unsupported``: the answer's support by the chunk (``support``) is below
   ``min_support``.

Duplicates across the project (``question_index``) and the judge's score (``judge``) come
after these, as they need the project's state or another request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from loratui.core.generation.settings import GenerationSettings
from loratui.core.generation.support import ChunkVocabulary, support
from loratui.core.generation.words import content_stems, normalise, words

QUESTION_MARKS = ("?", "？", "؟", ";", "\u037e")  # Latin, full-width, Arabic, Greek (x2)
QUESTION_WORDS = frozenset(
    """
    what which who whom whose when where why how is are was were am do does did can could
    should would will shall may might must has have had isn aren wasn weren don doesn didn
    won wouldn couldn shouldn
    """.split()
)
_TRAILING = "\"'»”’)]} \t\n"


@dataclass(frozen=True)
class Rejection:
    """Why a pair is not kept: a stable code and a sentence a user can read."""

    code: str
    reason: str


@dataclass(frozen=True)
class GateRules:
    """The settings the per-pair gates read."""

    min_question_words: int = 3
    min_answer_words: int = 2
    min_support: float = 0.4
    banned_phrases: tuple[str, ...] = ()
    asks_questions: bool = True  # the template asks for questions (qa), not instructions

    @classmethod
    def from_settings(cls, settings: GenerationSettings) -> GateRules:
        return cls(
            min_question_words=settings.min_question_words,
            min_answer_words=settings.min_answer_words,
            min_support=settings.min_support,
            banned_phrases=tuple(settings.banned_phrases),
            asks_questions=settings.prompt_template().asks_questions,
        )


@dataclass(frozen=True)
class Verdict:
    """A pair's fate under the per-pair gates, with its support score for the record."""

    rejection: Rejection | None
    support: float | None  # None: not computed (an earlier gate rejected the pair)

    @property
    def kept(self) -> bool:
        return self.rejection is None


def trivial(question: str, answer: str, rules: GateRules) -> Rejection | None:
    """Empty, too short, not a question, or an answer that repeats the question."""
    q, a = question.strip(), answer.strip()
    if not q or not a:
        which = "question" if not q else "answer"
        return Rejection("empty", f"the {which} is empty")
    nq, na = len(words(q)), len(words(a))
    if nq < rules.min_question_words:
        return Rejection(
            "too_short",
            f"the question has {nq} word(s); at least {rules.min_question_words} are needed",
        )
    if na < rules.min_answer_words:
        return Rejection(
            "too_short",
            f"the answer has {na} word(s); at least {rules.min_answer_words} are needed",
        )
    if rules.asks_questions and not is_question(q):
        return Rejection(
            "not_a_question",
            "the question is not phrased as a question (no question mark, no question word)",
        )
    if set(content_stems(a)) <= set(content_stems(q)):
        return Rejection("repeats_question", "the answer adds no content word to the question's")
    return None


def is_question(text: str) -> bool:
    """Ends with a question mark, or starts with a question word (English)."""
    stripped = text.rstrip(_TRAILING)
    if stripped.endswith(QUESTION_MARKS) or text.lstrip().startswith("¿"):
        return True
    first = words(text[:40])
    return bool(first) and first[0] in QUESTION_WORDS


def refers_to_source(question: str, phrases: tuple[str, ...] | list[str]) -> Rejection | None:
    """The first banned phrase the question uses, as a rejection."""
    text = " ".join(normalise(question).split())
    for phrase in phrases:
        wanted = " ".join(normalise(phrase).split())
        if wanted and re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", text):
            return Rejection(
                "refers_to_source",
                f"the question refers to {phrase!r}, which a reader of the dataset never sees",
            )
    return None


def unsupported(
    answer: str, chunk: str | ChunkVocabulary, min_support: float
) -> tuple[Rejection | None, float]:
    """A rejection when the answer's support is below ``min_support``; and the support."""
    s = support(answer, chunk)
    if min_support <= 0 or s.score >= min_support:
        return None, s.score
    missing = ", ".join(repr(w) for w in s.missing)
    return (
        Rejection(
            "unsupported",
            f"the answer is not supported by the chunk (support {s.score:.2f} < "
            f"{min_support:.2f})" + (f"; not in the chunk: {missing}" if missing else ""),
        ),
        s.score,
    )


def check_pair(
    question: str, answer: str, chunk: str | ChunkVocabulary, rules: GateRules
) -> Verdict:
    """The per-pair gates in order (see the module docstring); the first failure wins."""
    rejection = trivial(question, answer, rules) or refers_to_source(question, rules.banned_phrases)
    if rejection is not None:
        return Verdict(rejection, None)
    rejection, score = unsupported(answer, chunk, rules.min_support)
    return Verdict(rejection, score)
