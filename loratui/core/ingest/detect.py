"""What kind of document a file is, decided by its content rather than its name.

``%PDF-`` near the start is a PDF; a zip holding ``word/document.xml`` is a DOCX; bytes
that decode as text without NULs are text (``records`` when named ``.jsonl``, ``.json``
or ``.csv`` and parseable). A name that promises one thing while the bytes are another
(a PNG called ``notes.txt``) fails with ``type_mismatch`` and says what the bytes are.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from loratui.core.errors import LoratuiError
from loratui.core.extract import docx as docx_mod
from loratui.core.extract import records as records_mod
from loratui.core.extract import text as text_mod
from loratui.core.store import settings as settings_mod

KINDS = ("pdf", "docx", "text", "records")
TEXT_EXTENSIONS = {".txt", ".md", ".markdown", ".text", ".rst", ".log"}
RECORDS_EXTENSIONS = records_mod.EXTENSIONS
HEAD_BYTES = 64 * 1024

# Magic numbers of common binary formats we do not read, to name them in messages.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"BM", "a BMP image"),
    (b"RIFF", "a RIFF media file (WebP, WAV or AVI)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.doc/.xls/.ppt)"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"MZ", "a Windows program"),
    (b"ID3", "an MP3 audio file"),
    (b"OggS", "an Ogg media file"),
    (b"\x00\x00\x00\x18ftyp", "an MP4 video"),
    (b"\x00\x00\x00\x20ftyp", "an MP4 video"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_EXPECTED = {
    ".pdf": "a PDF",
    ".docx": "a DOCX document",
    **{ext: "text" for ext in TEXT_EXTENSIONS},
    **{ext: "a records file" for ext in RECORDS_EXTENSIONS},
}


def _mismatch(name: str, ext: str, found: str) -> LoratuiError:
    return LoratuiError(
        "type_mismatch",
        f"{name} is named like {_EXPECTED.get(ext, ext)} but contains {found}",
        "check the file: it may be mis-named or damaged; rename it to its real type",
    )


def _unsupported(name: str, found: str) -> LoratuiError:
    return LoratuiError(
        "unsupported",
        f"{name} is {found}, which loratui does not read",
        "loratui reads PDF, DOCX, plain text, Markdown and JSONL/JSON/CSV records; "
        "convert the file to one of these",
    )


def _docx_or_zip(path: Path, label: str, ext: str, limits: dict[str, Any]) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        if ext == ".docx":
            raise LoratuiError(
                "corrupt",
                f"{label} is a damaged DOCX (its zip structure cannot be read)",
            ) from exc
        raise _unsupported(label, "a damaged zip archive") from exc
    if "word/document.xml" in names:
        if ext in _EXPECTED and ext != ".docx":
            raise _mismatch(label, ext, "a DOCX document")
        docx_mod.check_zip(str(path), limits)
        return "docx"
    if "xl/workbook.xml" in names:
        found = "an Excel workbook"
    elif "ppt/presentation.xml" in names:
        found = "a PowerPoint presentation"
    elif "content.xml" in names:
        found = "an OpenDocument file"
    else:
        found = "a zip archive"
    if ext in _EXPECTED:
        raise _mismatch(label, ext, found)
    raise _unsupported(label, found)


def _pdf(name: str, ext: str) -> str:
    if ext in _EXPECTED and ext != ".pdf":
        raise _mismatch(name, ext, "a PDF")
    return "pdf"


def detect_kind(
    path: str | Path, limits: dict[str, Any] | None = None, name: str | None = None
) -> str:
    """Return ``pdf``, ``docx``, ``text`` or ``records`` for the file at ``path``.

    Raises ``LoratuiError`` with code ``empty``, ``too_large``, ``unsupported``,
    ``type_mismatch`` or ``corrupt`` (a records file that does not parse).
    ``limits`` is ``settings.effective(project.settings)`` (defaults when omitted);
    ``name`` is the original file name when ``path`` is a stored copy (which has none).
    """
    path = Path(path)
    limits = limits or settings_mod.DEFAULTS
    label = name or path.name
    ext = Path(label).suffix.lower()
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise LoratuiError("io_error", f"could not read {label}: {exc.strerror}") from exc
    if size == 0:
        raise LoratuiError("empty", f"{label} is empty (0 bytes)")
    max_mb = float(limits.get("max_file_mb") or 0)
    if max_mb and size > max_mb * 1024 * 1024:
        raise LoratuiError(
            "too_large",
            f"{label} is {size / 1048576:.1f} MB, over the {max_mb:g} MB limit",
        )
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"%PDF-"):
        return _pdf(label, ext)
    if head.startswith(_ZIP):
        return _docx_or_zip(path, label, ext, limits)
    try:
        text_mod.decode(head, partial=size > len(head))
    except text_mod.NotText as exc:
        if b"%PDF-" in head[:1024]:  # junk before the header is allowed by readers
            return _pdf(label, ext)
        found = next((f for magic, f in _MAGIC if head.startswith(magic)), None)
        if ext in _EXPECTED:
            raise _mismatch(label, ext, found or "binary data, not text") from exc
        raise _unsupported(label, found or "binary data of an unknown kind") from exc
    if ext in (".pdf", ".docx"):
        raise _mismatch(label, ext, "plain text")
    if ext in RECORDS_EXTENSIONS:
        records_mod.check_head(label, head, complete=size <= len(head))
        return "records"
    return "text"
