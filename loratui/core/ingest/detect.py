"""What kind of document a file is, decided by its content rather than its name.

Every registered kind (``extract/kinds``) is shown the file's first bytes in turn and the
first to claim them wins: ``%PDF-`` near the start is a PDF, a zip holding
``word/document.xml`` a DOCX, bytes that decode as text without NULs are text (``records``
when named ``.jsonl``, ``.json`` or ``.csv``, and then they must parse). A name that
promises one kind while the bytes are another (a PNG called ``notes.txt``) fails with
``type_mismatch`` and says what the bytes are; bytes no kind claims fail ``unsupported``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loratui.core.errors import LoratuiError
from loratui.core.extract import kinds
from loratui.core.extract.kinds.base import DocumentKind, Probe
from loratui.core.store import settings as settings_mod

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
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.doc/.xls/.ppt)"),  # OLE_MAGIC
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
# Members that name zips we do not read, to name them in messages.
_ZIP_MEMBERS: tuple[tuple[str, str], ...] = (
    ("xl/workbook.xml", "an Excel workbook"),
    ("ppt/presentation.xml", "a PowerPoint presentation"),
    ("content.xml", "an OpenDocument file"),
)


def _mismatch(probe: Probe, found: str) -> LoratuiError:
    promised = kinds.get(probe.promised) if probe.promised else None
    return LoratuiError(
        "type_mismatch",
        f"{probe.label} is named like {promised.label if promised else probe.ext} "
        f"but contains {found}",
        "check the file: it may be mis-named or damaged; rename it to its real type",
    )


def _unsupported(name: str, found: str) -> LoratuiError:
    described = [k.described for k in kinds.REGISTRY.all()]
    listed = ", ".join(described[:-1]) + " and " + described[-1] if described else "nothing"
    return LoratuiError(
        "unsupported",
        f"{name} is {found}, which loratui does not read",
        f"loratui reads {listed}; convert the file to one of these",
    )


def _claimed(kind: DocumentKind, probe: Probe) -> str:
    if probe.promised is not None and probe.promised != kind.name:
        raise _mismatch(probe, kind.content_name)
    kind.check(probe)
    return kind.name


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Office keeps a password-protected DOCX/XLSX/PPTX in an OLE container whose stream
# ``EncryptedPackage`` holds the encrypted zip (MS-OFFCRYPTO); OLE names are UTF-16LE.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_SCAN_CHUNK = 1024 * 1024


def _office_encrypted(path: Path, head: bytes) -> bool:
    """Whether an OLE file is a password-protected Office document (it names the
    ``EncryptedPackage`` stream in its directory, which may lie anywhere in the file)."""
    if not head.startswith(OLE_MAGIC):
        return False
    keep = len(_ENCRYPTED_STREAM) - 1
    tail = b""
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_SCAN_CHUNK):
                if _ENCRYPTED_STREAM in tail + chunk:
                    return True
                tail = chunk[-keep:]
    except OSError:
        return False
    return False


def _unclaimed(probe: Probe) -> LoratuiError:
    """The error for bytes no kind reads: a mismatch when the name promised a kind."""
    if _office_encrypted(probe.path, probe.head):
        return LoratuiError(
            "encrypted",
            f"{probe.label} is a password-protected Office document",
            "loratui cannot open password-protected Office files: open it in its program, "
            "remove the password (save without it), and add the file again",
        )
    if probe.is_zip:
        names = probe.zip_names
        if names is None:
            return _unsupported(probe.label, "a damaged zip archive")
        found = next((f for member, f in _ZIP_MEMBERS if member in names), "a zip archive")
    elif probe.text is not None:
        found = "text"
    else:
        found = next((f for magic, f in _MAGIC if probe.head.startswith(magic)), "")
        if not found:
            found = "binary data, not text" if probe.promised else "binary data of an unknown kind"
    if probe.promised:
        return _mismatch(probe, found)
    return _unsupported(probe.label, found)


def detect_kind(
    path: str | Path, limits: dict[str, Any] | None = None, name: str | None = None
) -> str:
    """The kind of the file at ``path`` (``pdf``, ``docx``, ``text``, ``records``, ...).

    Raises ``LoratuiError`` with code ``empty``, ``too_large``, ``unsupported``,
    ``type_mismatch``, ``corrupt`` (a damaged DOCX, a records file that does not parse) or
    ``zip_bomb``. ``limits`` is ``settings.effective(project.settings)`` (defaults when
    omitted); ``name`` is the original file name when ``path`` is a stored copy (which has
    none).
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
    promised = kinds.by_extension(ext) if ext else None
    probe = Probe(path, label, ext, size, head, limits, promised.name if promised else None)
    for kind in kinds.detection_order():
        if kind.detect(probe):
            return _claimed(kind, probe)
    raise _unclaimed(probe)
