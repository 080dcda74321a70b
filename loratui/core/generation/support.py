"""The support score: how much of an answer's wording comes from its chunk, from 0 to 1.

A cheap stand-in for "is this answer grounded in the text?", computed on word stems
(``words``: normalised, lightly stemmed):

- **unigram support** U = the share of the answer's distinct content stems (stop words
  left out) that occur anywhere in the chunk;
- **bigram support** B = the share of the answer's distinct stem bigrams (adjacent words,
  stop words included, at least one of the two a content word) that occur in the chunk;
- **support** = (U + B) / 2; an answer with a single content word has no bigram to check,
  so its support is U.

U catches answers about things the chunk never names; B catches answers that reuse the
chunk's vocabulary in claims it does not make (a model's general knowledge on the same
topic). The question's words get no credit: a made-up question and its made-up answer
would otherwise support each other. A faithful paraphrase scores lower than a quote but,
on the examples measured (``tests/unit/generation_examples.py``), still well above
answers that are not in the chunk: the default threshold sits between the two.
"""

from __future__ import annotations

from dataclasses import dataclass

from loratui.core.generation.words import is_content, stem, words


@dataclass(frozen=True)
class Support:
    """The score and its two parts, for a reason a user can read."""

    score: float
    unigram: float
    bigram: float | None  # None: the answer has no bigram with a content word
    missing: tuple[str, ...]  # content words of the answer that the chunk lacks (a few)


class ChunkVocabulary:
    """The stems and stem bigrams of one chunk, computed once for all its pairs."""

    def __init__(self, chunk: str) -> None:
        chunk_stems = [stem(w) for w in words(chunk)]
        self.unigrams = frozenset(chunk_stems)
        self.bigrams = frozenset(zip(chunk_stems, chunk_stems[1:], strict=False))


def support(answer: str, chunk: str | ChunkVocabulary) -> Support:
    """The support of ``answer`` by ``chunk`` (see the module docstring for the formula)."""
    vocab = chunk if isinstance(chunk, ChunkVocabulary) else ChunkVocabulary(chunk)
    answer_words = words(answer)
    tokens = [(stem(w), is_content(w), w) for w in answer_words]
    content = {s for s, c, _ in tokens if c}
    if not content:
        return Support(0.0, 0.0, None, ())
    found = content & vocab.unigrams
    unigram = len(found) / len(content)
    grams = {(a[0], b[0]) for a, b in zip(tokens, tokens[1:], strict=False) if a[1] or b[1]}
    bigram = len(grams & vocab.bigrams) / len(grams) if grams and len(content) > 1 else None
    score = unigram if bigram is None else (unigram + bigram) / 2
    missing: list[str] = []
    for s, c, w in tokens:
        if c and s not in vocab.unigrams and w not in missing:
            missing.append(w)
    return Support(round(score, 4), round(unigram, 4), bigram, tuple(missing[:5]))


def support_score(answer: str, chunk: str) -> float:
    """``support(answer, chunk).score``."""
    return support(answer, chunk).score
