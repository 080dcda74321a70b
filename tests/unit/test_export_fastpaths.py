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


def _long_page(rng: random.Random, paragraphs: int) -> str:
    words = "data model river Delta report, value; (note) 2024 système".split()
    paras = []
    for _ in range(paragraphs):
        sentences = [
            " ".join(rng.choice(words) for _ in range(rng.randrange(1, 30))).capitalize()
            + rng.choice([".", "!", "?", "", "…"])
            for _ in range(rng.randrange(1, 12))
        ]
        para = rng.choice([" ", "\n"]).join(sentences)
        if rng.random() < 0.05:
            para = "## " + para[:40]
        paras.append(para)
    return "".join(p + rng.choice(["\n\n", "\n \n", "\n\n\n  ", "\n\t\n"]) for p in paras)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_long_page_is_chunked_in_slices_exactly_as_whole(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages past SLICE_CHARS are chunked a part at a time (a 40 MB text file took 1.1 GB as
    one page); cut where paragraphs start, the chunks are the ones the whole page gives."""
    from loratui.core.export import chunking
    from loratui.core.export.tokenizer import ApproxCounter

    page = _long_page(random.Random(seed), 400)
    slices = list(chunking.page_slices(page, 2_000))
    assert "".join(slices) == page and len(slices) > 10
    for part in slices[:-1]:
        assert part[-1].isspace()
        assert len(part) <= 4_000  # paragraph cuts within twice the size here

    def chunks(slice_chars: int) -> list[tuple]:
        monkeypatch.setattr(chunking, "SLICE_CHARS", slice_chars)
        c = chunking.Chunker(ApproxCounter(), 96, 16)
        out = [*c.add_page(1, page[:5_000]), *c.add_page(2, page), *c.finish()]
        return [(k.text, k.pages, k.start, k.end, k.heading, k.index, k.tokens) for k in out]

    whole = chunks(10**9)
    assert len(whole) > 50
    assert chunks(2_000) == whole


def test_one_huge_paragraph_is_cut_at_whitespace() -> None:
    from loratui.core.export.chunking import page_slices

    text = "word " * 3_000 + "end"
    parts = list(page_slices(text, 1_000))
    assert "".join(parts) == text
    assert all(p.endswith(" ") for p in parts[:-1]) and all(len(p) <= 2_000 for p in parts)
    assert list(page_slices("x" * 2_500, 1_000)) == ["x" * 1_000, "x" * 1_000, "x" * 500]
