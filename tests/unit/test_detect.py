"""Type detection by content: what each kind of file is, and clear refusals."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from loratui.core.errors import LoratuiError
from loratui.core.ingest.detect import detect_kind
from tests.unit.docmakers import make_docx, make_pdf, make_zip_bomb_docx

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"


def _refused(path: Path, **kw: object) -> LoratuiError:
    with pytest.raises(LoratuiError) as info:
        detect_kind(path, **kw)
    return info.value


def test_pdf_docx_text_by_content(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", ["hello"])
    assert detect_kind(pdf) == "pdf"
    # content wins over a missing or unknown extension
    renamed = tmp_path / "report"
    renamed.write_bytes(pdf.read_bytes())
    assert detect_kind(renamed) == "pdf"
    assert detect_kind(make_docx(tmp_path / "b.docx")) == "docx"
    for name in ("notes.txt", "readme.md", "post.markdown", "NOTES"):
        (tmp_path / name).write_text("# Title\n\nSome *markdown* text.\n")
        assert detect_kind(tmp_path / name) == "text"


def test_name_is_taken_from_the_original_for_stored_copies(tmp_path: Path) -> None:
    stored = tmp_path / "3f9a0c"  # the store keeps files under their hash, no extension
    stored.write_bytes(PNG)
    err = _refused(stored, name="holiday.txt")
    assert err.code == "type_mismatch"
    assert "holiday.txt" in err.message


def test_png_named_txt_is_a_type_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(PNG + bytes(range(256)))
    err = _refused(path)
    assert err.code == "type_mismatch"
    assert "photo.txt" in err.message and "PNG image" in err.message
    assert err.hint


def test_binary_named_pdf_and_text_named_pdf(tmp_path: Path) -> None:
    fake = tmp_path / "scan.pdf"
    fake.write_text("this is just text\n")
    assert _refused(fake).code == "type_mismatch"
    # a supported kind under another supported kind's name is a mismatch too
    docx_as_md = tmp_path / "memo.md"
    docx_as_md.write_bytes(make_docx(tmp_path / "memo.docx").read_bytes())
    err = _refused(docx_as_md)
    assert err.code == "type_mismatch" and "DOCX" in err.message
    pdf_as_txt = tmp_path / "paper.txt"
    pdf_as_txt.write_bytes(make_pdf(tmp_path / "paper.pdf", ["x"]).read_bytes())
    assert _refused(pdf_as_txt).code == "type_mismatch"
    blob = tmp_path / "data.bin"
    blob.write_bytes(bytes(range(256)) * 20)
    err = _refused(blob)
    assert err.code == "unsupported" and "data.bin" in err.message


def test_empty_and_too_large(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert _refused(empty).code == "empty"
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (2 * 1024 * 1024 + 1))
    err = _refused(big, limits={"max_file_mb": 2})
    assert err.code == "too_large" and "2 MB" in err.message
    assert detect_kind(big, limits={"max_file_mb": 3}) == "text"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_unicode_encodings_are_text(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "u.txt"
    path.write_bytes("Grüße aus Köln — 東京\r\n".encode(encoding) * 50)
    assert detect_kind(path) == "text"


def test_latin1_is_text(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Crème brûlée à la façon de Noël.\n".encode("latin-1"))
    assert detect_kind(path) == "text"


def test_utf16_bom_file_is_not_refused_for_its_nuls(tmp_path: Path) -> None:
    path = tmp_path / "w.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "plain ascii".encode("utf-16-le"))
    assert detect_kind(path) == "text"


def test_other_zips_and_office_files(tmp_path: Path) -> None:
    import zipfile

    xlsx = tmp_path / "sheet.docx"
    with zipfile.ZipFile(xlsx, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    err = _refused(xlsx)
    assert err.code == "type_mismatch" and "Excel" in err.message
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    assert _refused(broken).code == "corrupt"
    doc = tmp_path / "old.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    err = _refused(doc)
    assert err.code == "unsupported" and "old Office" in err.message


def test_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    bomb = make_zip_bomb_docx(tmp_path / "bomb.docx", declared_mb=12)
    assert bomb.stat().st_size < 200_000
    err = _refused(bomb, limits={"max_docx_inflated_mb": 5, "max_file_mb": 200})
    assert err.code == "zip_bomb"
    assert "12 MB" in err.message


def test_records_files(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"prompt": "a", "completion": "b"}\n{"prompt": "c"}\n')
    (tmp_path / "b.json").write_text('[{"text": "one"}, {"text": "two"}]')
    (tmp_path / "c.csv").write_text("question,answer\nwhy,because\n")
    for name in ("a.jsonl", "b.json", "c.csv"):
        assert detect_kind(tmp_path / name) == "records"
    (tmp_path / "bad.jsonl").write_text('{"ok": 1}\nnot json\n')
    err = _refused(tmp_path / "bad.jsonl")
    assert err.code == "corrupt" and "line 2" in err.message
