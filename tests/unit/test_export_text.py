"""Text handling of the export: cleaning, chunking, tokenizers, dedup, redaction."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from loratui.core.errors import LoratuiError
from loratui.core.export import clean
from loratui.core.export.chunking import PAGE_JOINER, chunk_pages, split_chunk
from loratui.core.export.dedup import ExactDedup, NearDedup
from loratui.core.export.redact import Redactor
from loratui.core.export.tokenizer import ApproxCounter, get_counter
from loratui.core.tokens import approx_tokens
from tests.export_support import page_text, paragraph, train_bpe


def test_cleaning_normalises_and_dehyphenates() -> None:
    raw = "ﬁne  café\u00a0bar\x00\x07 \r\nan exam-\nple of hyphen-\nation\n\n\n\nNew Para-\nGraph"
    text = clean.pre_clean(raw, "NFKC", True)
    text = clean.post_clean(text, dehyphen=True, unwrap=False, whitespace=True)
    assert text == "fine café bar\nan example of hyphenation\n\nNew Para-\nGraph"
    assert clean.normalize_unicode("ﬁ", "NFC") == "ﬁ"
    unwrapped = clean.unwrap_lines("a line that was\nwrapped by the pdf\n- item one\n- item two")
    assert unwrapped == "a line that was wrapped by the pdf\n- item one\n- item two"


def test_running_headers_footers_and_page_numbers_removed() -> None:
    rng = random.Random(3)
    pages = []
    for n in range(1, 7):
        pages.append(
            f"ACME Corp — Annual Report 2024\n{page_text(rng, 2)}\n"
            f"Confidential draft\nPage {n} of 6"
        )
    pages[2] = pages[2].replace("Confidential draft\n", "")  # on most pages, not all
    finder = clean.RepeatedLines(fraction=0.5, min_pages=3)
    for p in pages:
        finder.add_page(clean.pre_clean(p, "NFKC", True))
    rep = finder.repeated()
    assert clean.line_key("Page 4 of 6") in rep and clean.line_key("Confidential draft") in rep
    total = 0
    for p in pages:
        out, removed = clean.drop_repeated(clean.pre_clean(p, "NFKC", True), rep)
        total += removed
        assert "ACME Corp" not in out and "Page " not in out and "Confidential" not in out
        assert len(out) > 200
    assert total == 6 + 5 + 6
    # two pages are too few to call anything repeated
    few = clean.RepeatedLines(0.5, 3)
    few.add_page("Header\nbody one")
    few.add_page("Header\nbody two")
    assert few.repeated() == frozenset()


def test_chunks_respect_size_overlap_and_boundaries() -> None:
    rng = random.Random(5)
    pages = [(n, f"{n}. Chapter {n}\n\n" + page_text(rng, 4)) for n in range(1, 5)]
    doc = PAGE_JOINER.join(t for _, t in pages)
    counter = ApproxCounter()
    chunks = list(chunk_pages(pages, counter, 120, 40))  # a sentence is < 40 tokens
    assert len(chunks) > 6
    for prev, ch in zip(chunks, chunks[1:], strict=False):
        assert ch.index == prev.index + 1
        assert ch.start < prev.end, "consecutive chunks overlap"
        assert ch.start > prev.start
    for ch in chunks:
        assert doc[ch.start : ch.end] == ch.text  # lineage spans point at the exact text
        assert ch.tokens == approx_tokens(ch.text) <= 120
        assert ch.text.rstrip()[-1] in ".", "cut at a sentence end"
        first_page = max(n for n, t in pages if doc.index(t) <= ch.start)
        assert ch.pages[0] == first_page
        assert ch.heading and ch.heading.startswith(f"{ch.pages[0]}. Chapter")
    covered = set()
    for ch in chunks:
        covered.update(range(ch.start, ch.end))
    assert all(i in covered for i, c in enumerate(doc) if not c.isspace())
    # a cut prefers a paragraph end when the chunk is at least half full
    para_ends = sum(doc[c.end : c.end + 2] in ("\n\n", "") for c in chunks)
    assert para_ends >= len(chunks) // 2
    pieces = split_chunk(chunks[1], counter, 40)
    assert len(pieces) >= 3 and all(p.tokens <= 40 for p in pieces)
    assert all(doc[p.start : p.end] == p.text for p in pieces)


def test_a_sentence_longer_than_a_chunk_is_cut_at_words() -> None:
    long = " ".join(["word"] * 600) + "."
    chunks = list(chunk_pages([(1, long)], ApproxCounter(), 64, 0))
    assert len(chunks) > 5
    assert all(c.tokens <= 64 for c in chunks)
    assert " ".join(c.text for c in chunks) == long


def test_counts_include_the_special_tokens_a_trainer_sees(tmp_path: Path) -> None:
    from tokenizers import Tokenizer, processors

    tok = Tokenizer.from_file(str(train_bpe(tmp_path / "plain.json")))
    plain = len(tok.encode("Ledger river beacon.").ids)
    tok.add_special_tokens(["<s>", "</s>"])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
    )
    tok.save(str(tmp_path / "tokenizer.json"))
    counter = get_counter(str(tmp_path / "tokenizer.json"))
    assert counter.count("Ledger river beacon.") == plain + 2
    assert counter.count("Ledger river beacon.") == len(tok.encode("Ledger river beacon.").ids)


def test_bpe_chunks_are_counted_exactly_and_fit(tmp_path: Path) -> None:
    """With a real tokenizer sentences are estimated but every chunk is counted: none is
    over the size, each count is the tokenizer's, and the chunks cover the document."""
    from tokenizers import Tokenizer

    path = train_bpe(tmp_path / "tokenizer.json")
    tok = Tokenizer.from_file(str(path))
    rng = random.Random(12)
    pages = [(n, page_text(rng, 5)) for n in range(1, 7)]
    doc = PAGE_JOINER.join(t for _, t in pages)
    chunks = list(chunk_pages(pages, get_counter(str(path)), 400, 100))
    assert len(chunks) > 8
    for ch in chunks:
        assert ch.tokens == len(tok.encode(ch.text).ids) <= 400
        assert doc[ch.start : ch.end] == ch.text
    assert sum(c.tokens for c in chunks) / len(chunks) > 400 * 0.6, "chunks are well filled"
    covered = set()
    for ch in chunks:
        covered.update(range(ch.start, ch.end))
    assert all(i in covered for i, c in enumerate(doc) if not c.isspace())
    for prev, ch in zip(chunks, chunks[1:], strict=False):
        assert ch.start < prev.end and ch.start > prev.start  # overlap, and progress


def test_local_tokenizer_counts_and_cache_lookup(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    path = train_bpe(tmp_path / "tokenizer.json")
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    counter = get_counter(str(path))
    text = paragraph(random.Random(9), 6)
    assert counter.count(text) == len(tok.encode(text).ids)
    assert counter.count(text) != approx_tokens(text)
    cut = counter.prefix_chars(text, 20)
    assert counter.count(text[:cut]) <= 20 < counter.count(text[: cut + 8])
    # a model folder, and a model in the Hugging Face cache found by name, offline
    assert get_counter(str(tmp_path)).fingerprint == counter.fingerprint
    cache = tmp_path / "hub"
    snap = cache / "models--acme--tiny-bpe" / "snapshots" / "abc123"
    snap.mkdir(parents=True)
    (snap / "tokenizer.json").write_bytes(path.read_bytes())
    (cache / "models--acme--tiny-bpe" / "refs").mkdir()
    (cache / "models--acme--tiny-bpe" / "refs" / "main").write_text("abc123")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    assert get_counter("acme/tiny-bpe").count(text) == len(tok.encode(text).ids)
    with pytest.raises(LoratuiError, match="no tokenizer 'acme/other'") as exc:
        get_counter("acme/other")
    assert "never downloads" in exc.value.hint
    (tmp_path / "junk.json").write_text(json.dumps({"not": "a tokenizer"}))
    with pytest.raises(LoratuiError, match="not a tokenizer.json"):
        get_counter(str(tmp_path / "junk.json"))


def test_exact_and_near_duplicates() -> None:
    rng = random.Random(11)
    base = paragraph(rng, 8)
    exact = ExactDedup()
    assert not exact.is_duplicate(base)
    assert exact.is_duplicate("  " + base.upper().replace(" ", "   ") + " ")
    near = NearDedup(threshold=0.8)
    assert not near.is_duplicate(base)
    words = base.split()
    words[10] = "CHANGED"
    assert near.is_duplicate(" ".join(words)), "one word changed is a near-duplicate"
    assert not near.is_duplicate(paragraph(rng, 8)), "different prose is kept"
    strict = NearDedup(threshold=0.99)
    strict.is_duplicate(base)
    assert not strict.is_duplicate(" ".join(words))


def test_redaction_replaces_and_counts() -> None:
    r = Redactor(["email", "phone", "ip", "secret"])
    text = (
        "Write to jane.doe@example.org or call +44 20 7946 0958 / (415) 555-0134. "
        "Hosts 192.168.1.20 and 2001:db8::8a2e:370:7334. api_key = 9f8e7d6c5b4a "
        "token AKIAIOSFODNN7EXAMPLE and ghp_" + "a" * 36 + ". In 2024 we sold 1,250 units "
        "at version 3.2.1 on 2024-05-01 at 10:30:00."
    )
    out = r(text)
    for secret in ("jane.doe", "7946", "555-0134", "192.168", "2001:db8", "9f8e7d", "AKIA", "ghp_"):
        assert secret not in out
    assert "api_key = [SECRET]" in out
    assert "In 2024 we sold 1,250 units at version 3.2.1 on 2024-05-01 at 10:30:00." in out
    assert r.counts == {"email": 1, "phone": 2, "ip": 2, "secret": 3}
    only_mail = Redactor(["email"], placeholder="<{kind}>")
    assert only_mail("a@b.co 10.0.0.1") == "<email> 10.0.0.1"


def test_near_dedup_in_batches_decides_as_a_plain_scan(tmp_path: Path) -> None:
    """Prefetched batches and flushes (as the writer drives them) drop exactly the records
    a plain scan drops: a record is a near duplicate when an earlier kept one shares a band
    with it and its estimated similarity reaches the threshold. Many records share bands
    within one batch and across flushes (the slow path), most share none (the fast path)."""
    from loratui.core.export import minhash
    from loratui.core.export.keyed import batches

    rng = random.Random(3)
    bases = [paragraph(rng, 6) for _ in range(12)]
    texts = []
    for i in range(300):
        if i % 3:
            texts.append(paragraph(rng, 6))
            continue
        words = rng.choice(bases).split()
        for _ in range(rng.randrange(0, 6)):
            words[rng.randrange(len(words))] = "edit"
        texts.append(" ".join(words))
    near = NearDedup(threshold=0.8, folder=tmp_path)
    keys = near.keys.sign(texts)
    got = []
    for batch in batches(list(enumerate(keys)), 37):
        near.prefetch([k[1] for _, k in batch if k is not None])
        got += [i for i, k in batch if k is not None and near.seen(*k)]
        near.flush()
    near.close()

    kept: list[tuple[object, set[int]]] = []
    want = []
    for i, k in enumerate(keys):
        assert k is not None
        sig = np.frombuffer(k[0], dtype=np.uint64)
        bands = set(k[1])
        if any(
            bands & other_bands and minhash.similarity(o, sig) >= 0.8 for o, other_bands in kept
        ):
            want.append(i)
        else:
            kept.append((sig, bands))
    assert got == want
    assert 40 < len(want) < 100, len(want)  # both paths ran: duplicates and new records
