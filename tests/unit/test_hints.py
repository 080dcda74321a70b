"""Hints worded for where they are shown, and the errors whose hints sent users astray
(issue 13, item 3)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from loratui.core.errors import CATALOGUE, LoratuiError, worded_hint
from loratui.core.extract import kinds
from loratui.core.ingest.detect import detect_kind
from loratui.core.jobs import validate
from tests.unit.docmakers import make_encrypted_docx

TUI_ONLY = ("press ", "enter on Files", "in its preview")


def _entries():  # noqa: ANN202
    yield from CATALOGUE.values()
    for kind in kinds.REGISTRY.all():
        yield from kind.errors


@pytest.mark.parametrize("entry", list(_entries()), ids=lambda e: e.code)
def test_command_line_hints_name_no_key_and_tui_hints_no_command(entry) -> None:  # noqa: ANN001
    assert not any(word in entry.hint for word in TUI_ONLY), entry.hint
    if entry.tui_hint:
        assert "loratui " not in entry.tui_hint, entry.tui_hint


def test_each_shell_gets_its_own_wording() -> None:
    err = kinds.get("pdf").error("encrypted")
    assert "loratui unlock" in err.hint_for("cli") and "press" not in err.hint_for("cli")
    assert "`p` in its preview" in err.hint_for("tui")
    assert "loratui" not in err.hint_for("tui")
    again = pickle.loads(pickle.dumps(err))  # crosses from the worker processes
    assert (again.hint, again.tui_hint) == (err.hint, err.tui_hint)
    # a caller's own hint is shown as it is in both
    own = LoratuiError("encrypted", "x", "ask the sender")
    assert own.hint_for("tui") == own.hint_for("cli") == "ask the sender"


def test_a_model_server_that_is_down_is_worded_for_the_generate_screen() -> None:
    from loratui.core.generation.failures import GenerationError

    err = GenerationError("server_unreachable", "cannot connect to http://127.0.0.1:9/v1")
    assert "--base-url" in err.hint_for("cli")
    assert "--" not in err.hint_for("tui") and "the endpoint" in err.hint_for("tui")


def test_stored_hints_are_reworded_for_the_tui_only_when_they_are_the_standard_one() -> None:
    pdf = kinds.get("pdf").errors
    stored = kinds.get("pdf").error("encrypted").hint
    assert "`p` in its preview" in worded_hint("encrypted", stored, "tui", pdf)
    assert worded_hint("encrypted", stored, "cli", pdf) == stored
    assert worded_hint("encrypted", "ask the sender", "tui", pdf) == "ask the sender"
    assert worded_hint(None, None, "tui") is None


def test_a_password_protected_docx_is_encrypted_not_an_old_office_file(tmp_path: Path) -> None:
    path = make_encrypted_docx(tmp_path / "report.docx")
    with pytest.raises(LoratuiError) as found:
        detect_kind(path)
    assert found.value.code == "encrypted"
    assert "password-protected" in found.value.message
    assert "rename" not in found.value.hint and "remove the password" in found.value.hint
    # an old .doc (OLE without the encrypted package) is still named as one
    plain = tmp_path / "old.docx"
    plain.write_bytes(path.read_bytes().replace("EncryptedPackage".encode("utf-16-le"), b"x" * 32))
    with pytest.raises(LoratuiError) as old:
        detect_kind(plain)
    assert old.value.code == "type_mismatch" and "old Office file" in old.value.message


def test_an_empty_docx_gets_no_ocr_hint(tmp_path: Path) -> None:
    import docx

    path = tmp_path / "empty.docx"
    docx.Document().save(str(path))
    assert detect_kind(path) == "docx"
    (finding,) = validate.document_warnings([""], "docx")
    assert finding["code"] == "no_text"
    assert "OCR" not in finding["hint"] and "scanned" not in finding["message"]
    (scan,) = validate.document_warnings([""], "pdf")  # a PDF may be scans: OCR advice
    assert "OCR" in scan["hint"]
