"""The two examples in README's "Extending loratui" work as written.

Each code block becomes a module, is registered by name, and is used the way loratui uses
it (detection, extraction, the export's writing process), so the README cannot drift from
the protocols it shows.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from loratui.core import extract
from loratui.core.errors import LoratuiError
from loratui.core.export import formats
from loratui.core.export.config import ExportConfig
from loratui.core.export.version import run_export
from loratui.core.extract import kinds
from loratui.core.ingest.detect import detect_kind
from loratui.core.projects.workspace import create_project
from tests.conftest import REPO
from tests.export_support import add_doc

PAGE = """<!DOCTYPE html>
<html><head><title>Tides</title><style>p { color: red }</style>
<script>var hidden = "not text";</script></head>
<body>
<h1>Tides</h1>
<p>The moon pulls the <b>sea</b>.</p>
</body></html>
"""


def _readme_blocks() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Extending loratui") :]
    blocks = section.split("```python\n")[1:]
    return [block.split("```", 1)[0] for block in blocks]


@pytest.fixture
def readme_extensions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    kind_code, format_code = _readme_blocks()
    package = tmp_path / "readme_ext"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "html.py").write_text(kind_code)
    (package / "qa.py").write_text(format_code)
    monkeypatch.syspath_prepend(str(tmp_path))
    kinds.REGISTRY.add("readme_ext.html")
    formats.REGISTRY.add("readme_ext.qa")
    yield
    kinds.REGISTRY.remove("readme_ext.html")
    formats.REGISTRY.remove("readme_ext.qa")
    for name in ("readme_ext", "readme_ext.html", "readme_ext.qa"):
        sys.modules.pop(name, None)


def test_the_readme_kind_detects_and_extracts_html(tmp_path: Path, readme_extensions: None) -> None:
    page = tmp_path / "tides.html"
    page.write_text(PAGE)
    assert detect_kind(page) == "html"
    unnamed = tmp_path / "download"
    unnamed.write_text(PAGE)
    assert detect_kind(unnamed) == "html"
    as_text = tmp_path / "tides.txt"
    as_text.write_text(PAGE)
    assert detect_kind(as_text) == "text"
    png = tmp_path / "photo.html"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    with pytest.raises(LoratuiError) as mismatch:
        detect_kind(png)
    assert (
        mismatch.value.message == "photo.html is named like an HTML page but contains a PNG image"
    )
    assert extract.count_pages(str(page), "html") == 1
    assert extract.extract_pages(str(page), "html", 1, 1) == [(1, "Tides\nThe moon pulls the sea.")]


def test_the_readme_format_writes_and_configures_qa(home: Path, readme_extensions: None) -> None:
    project = create_project("readme")
    add_doc(project, "tides.pdf", ["The moon pulls the sea twice a day, and the shore answers."])
    cfg = ExportConfig(
        format="qa",
        user_template="What does {title} say?",
        validation_fraction=0.0,
    )
    version = run_export(project, cfg, workers=1)
    out = Path(version.path)
    records = [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]
    assert records == [
        {
            "question": "What does tides say?",
            "answer": "The moon pulls the sea twice a day, and the shore answers.",
        }
    ]
    info = json.loads((out / "dataset_info.json").read_text())
    assert info["readme"]["columns"] == {"prompt": "question", "response": "answer"}
    assert "type:\n    field_instruction: question" in (out / "axolotl.yaml").read_text()
