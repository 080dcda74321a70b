"""The export's ASCII fast paths give exactly what their general definitions give."""

from __future__ import annotations

import random
import re

import pytest

from loratui.core.export import clean
from loratui.core.export.chunking import _PARA, _SENTENCE, sentence_estimates
from loratui.core.export.dedup import normalise, text_hash
from loratui.core.tokens import approx_pieces, approx_tokens

ALPHABET = "ab Z9_ .,;-'\"()\n\n\t\r\f\x0b\x00\x1c\x1f\x7f  \u00e9\u2019\u00a0"


def _texts(seed: int, n: int = 20_000) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        alphabet = ALPHABET if rng.random() < 0.2 else ALPHABET[:-3]  # mostly ASCII
        out.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40))))
    return out


def _fix_whitespace_by_regex(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = clean._SPACES.sub(" ", clean._CONTROL.sub("", text))
    text = "\n".join([ln.strip() for ln in text.split("\n")])
    text = clean._MANY_BLANKS.sub("\n\n", text)
    return text.strip()


def test_fix_whitespace_matches_the_regex_definition() -> None:
    for t in _texts(1):
        assert clean.fix_whitespace(t) == _fix_whitespace_by_regex(t), repr(t)


def test_approx_pieces_matches_the_regex() -> None:
    pieces = re.compile(r"\w+|[^\w\s]")
    for t in _texts(2):
        assert approx_pieces(t) == len(pieces.findall(t)), repr(t)


def test_sentence_regex_matches_the_lazy_definition() -> None:
    lazy = re.compile(r"\S.*?(?:[.!?\u2026][\"')\]\u201d\u2019]*(?=\s)|$)", re.DOTALL)
    rng = random.Random(6)
    alphabet = "ab .!?\u2026\"')]\u201d\u2019\n\t x"
    for _ in range(30_000):
        t = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30))).rstrip()
        want = [(m.start(), m.group()) for m in lazy.finditer(t)]
        assert [(m.start(), m.group()) for m in _SENTENCE.finditer(t)] == want, repr(t)


def test_paragraph_regex_matches_the_plain_definition() -> None:
    plain = re.compile(r"\S(?:.|\n(?!\s*\n))*")
    rng = random.Random(7)
    for _ in range(30_000):
        t = "".join(rng.choice("ab \n\n\t\r\x0b\x0c\x1c.x") for _ in range(rng.randrange(0, 30)))
        want = [(m.start(), m.group()) for m in plain.finditer(t)]
        assert [(m.start(), m.group()) for m in _PARA.finditer(t)] == want, repr(t)


def test_sentence_estimates_match_approx_per_sentence() -> None:
    rng = random.Random(3)
    texts = _texts(3, 3_000)
    for _ in range(300):  # pages of several paragraphs
        page = "\n\n".join(rng.choice(texts) for _ in range(rng.randrange(1, 6)))
        paras = [(m.start(), m.group().rstrip()) for m in _PARA.finditer(page)]
        sents = [
            [(m.start(), s) for m in _SENTENCE.finditer(p) if (s := m.group().rstrip())]
            for _, p in paras
        ]
        got = sentence_estimates(page, paras, sents)
        for spans, (pieces, counts) in zip(sents, got, strict=True):
            assert pieces == [approx_pieces(t) for _, t in spans], repr(page)
            assert counts == [approx_tokens(t) for _, t in spans], repr(page)


@pytest.mark.parametrize("seed", [4, 5])
def test_exact_dedup_key_matches_normalise(seed: int) -> None:
    import hashlib

    for t in _texts(seed, 5_000):
        want = hashlib.blake2b(normalise(t).encode("utf-8"), digest_size=16).digest()
        assert text_hash(t) == want, repr(t)
