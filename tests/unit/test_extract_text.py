"""Text, Markdown and records files; the validation warnings on extracted text."""

from __future__ import annotations

from pathlib import Path

import pytest

from loratui.core import extract
from loratui.core.errors import LoratuiError
from loratui.core.extract import quality, records
from loratui.core.jobs import validate


def _pages(path: Path, kind: str = "text") -> list[str]:
    total = extract.count_pages(str(path), kind, None, {})
    return [t for _, t in extract.extract_pages(str(path), kind, 1, total, None, {})]


SAMPLE = "Grüße aus Köln — “quoted” naïve café\r\nsecond line\r\n"


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"]
)
def test_unicode_files_decode_exactly(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"{encoding}.txt"
    path.write_bytes(SAMPLE.encode(encoding))
    assert _pages(path) == ["Grüße aus Köln — “quoted” naïve café\nsecond line\n"]


def test_latin1_and_cp1252(tmp_path: Path) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Crème brûlée, naïve façade, Noël à Zürich.\n".encode("latin-1"))
    assert _pages(latin) == ["Crème brûlée, naïve façade, Noël à Zürich.\n"]
    win = tmp_path / "win.txt"
    win.write_bytes("Größe “Straße” – schön\n".encode("cp1252"))
    assert _pages(win) == ["Größe “Straße” – schön\n"]


def test_crlf_and_lone_cr_become_newlines(tmp_path: Path) -> None:
    path = tmp_path / "crlf.md"
    path.write_bytes(b"# Title\r\n\r\nbody\rmore\r\n")
    assert _pages(path) == ["# Title\n\nbody\nmore\n"]


def test_form_feed_is_a_page_break_and_markdown_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "doc.md"
    path.write_text("# One\n\n*emphasis* and `code`\n\f## Two\n\n- item\n", encoding="utf-8")
    assert _pages(path) == ["# One\n\n*emphasis* and `code`\n", "## Two\n\n- item\n"]
    assert extract.extract_pages(str(path), "text", 2, 2, None, {}) == [(2, "## Two\n\n- item\n")]


def test_binary_bytes_are_not_text(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(b"abc\x00def" * 100)
    with pytest.raises(LoratuiError) as info:
        _pages(path)
    assert info.value.code == "corrupt"


def test_records_keep_the_decoded_file_and_parse_fully(tmp_path: Path) -> None:
    jl = tmp_path / "a.jsonl"
    jl.write_text('{"prompt": "hi", "completion": "there"}\r\n\r\n{"prompt": "ü"}\r\n')
    assert _pages(jl, "records") == ['{"prompt": "hi", "completion": "there"}\n\n{"prompt": "ü"}\n']
    assert list(records.iter_records(jl)) == [
        {"prompt": "hi", "completion": "there"},
        {"prompt": "ü"},
    ]
    arr = tmp_path / "b.json"
    arr.write_text('[\n  {"text": "one"},\n  {"text": "two"}\n]\n')
    assert [r["text"] for r in records.iter_records(arr)] == ["one", "two"]
    obj = tmp_path / "c.json"
    obj.write_text('{\n  "text": "only"\n}\n')
    assert list(records.iter_records(obj)) == [{"text": "only"}]
    csv_path = tmp_path / "d.csv"
    csv_path.write_text('question,answer\n"why, though",because\n')
    assert _pages(csv_path, "records") == ['question,answer\n"why, though",because\n']
    assert list(records.iter_records(csv_path)) == [
        {"question": "why, though", "answer": "because"}
    ]


def test_records_broken_late_fail_at_extraction(tmp_path: Path) -> None:
    path = tmp_path / "late.jsonl"
    path.write_text('{"a": 1}\n' * 20_000 + "{broken\n")
    with pytest.raises(LoratuiError) as info:
        _pages(path, "records")
    assert info.value.code == "corrupt"
    assert "line 20001" in info.value.message


def test_warnings_no_text_little_text_mojibake() -> None:
    codes = lambda ws: [w["code"] for w in ws]  # noqa: E731
    assert codes(validate.document_warnings(["", "  \n"])) == ["no_text"]
    no_text = validate.document_warnings([""])[0]
    assert no_text["level"] == "warning" and "OCR" in no_text["hint"]
    assert codes(validate.document_warnings(["Title", "x"], kind="pdf")) == ["little_text"]
    full = "word " * 400
    assert codes(validate.document_warnings([full, "", full], kind="pdf")) == ["little_text"]
    assert validate.document_warnings([full, full], kind="pdf") == []
    # a short note in a text file is fine
    assert validate.document_warnings(["Buy milk."], kind="text") == []
    assert codes(validate.document_warnings(["Caf\u00c3\u00a9 " * 20 + full])) == ["mojibake"]
    assert codes(validate.document_warnings(["ab\ufffd" * 50 + full])) == ["mojibake"]


def test_warning_counts_equal_the_regex_definitions() -> None:
    """The fast counts (bytes.translate, str.count) match the regexes they replace."""
    import re
    import sys

    blank = re.compile(r"\s")
    every_blank = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if blank.match(c))
    assert sorted(quality.UNICODE_BLANKS) == sorted(every_blank)
    assert quality.ASCII_BLANKS == "".join(c for c in every_blank if c.isascii()).encode()

    def slow_visible(text: str) -> int:
        return len(text) - sum(len(m) for m in re.findall(r"\s+", text))

    def slow_bad(text: str) -> int:
        mojibake, private = quality._MOJIBAKE, quality._PRIVATE_USE  # noqa: SLF001
        return text.count("\ufffd") + len(mojibake.findall(text)) + len(private.findall(text))

    texts = [
        "",
        "plain ascii\twith\x0bodd\x1c blanks\r\n and\x0cform feeds ",
        SAMPLE,
        "Caf\u00c3\u00a9 \u00e2\u20ac\u2122 \u00c2\u00a0 x\u3000y\u2028z",
        "\u00a0\u0085\ue001\uf8ff\ufffd",
        "\u00e2 alone, \u00c3 alone, \u00c2" + "\u2003" * 5 + "\U0001f600 emoji",
    ]
    for text in texts:
        assert quality.visible(text) == slow_visible(text), text  # noqa: SLF001
        assert quality.bad_chars(text) == slow_bad(text), text  # noqa: SLF001


def test_tidy_drops_nuls_unifies_line_ends_and_replaces_lone_surrogates() -> None:
    from loratui.core.extract.normalise import tidy

    assert tidy("a\x00b\r\nc\rd\ud800e") == "ab\nc\nd\ufffde"
    plain = "plain ASCII text\nwith lines\n"
    assert tidy(plain) is plain
