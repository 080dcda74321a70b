"""A new document kind and a new export format are one module each plus one registration.

This module is that one module for both: it defines a toy markup kind (``KIND``) and a toy
question/answer format (``FORMAT``), and the fixture registers it with the two registries
by name. Processing and exporting then run in real worker processes (forkserver children
that never saw this test's objects), which import this module by name from the list each
pool's initializer gets: if they did not, the toy documents and records would fail there.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from loratui.core.errors import ErrorInfo, LoratuiError
from loratui.core.export import check, formats, workers
from loratui.core.export import config as cfgmod
from loratui.core.export.config import ExportConfig
from loratui.core.export.formats.base import Example, Record, RecordFormat
from loratui.core.export.version import run_export
from loratui.core.extract import kinds
from loratui.core.extract.kinds.base import DocumentKind, Limits, Pages, Probe
from loratui.core.ingest import add as ingest
from loratui.core.ingest.detect import detect_kind
from loratui.core.jobs import control as queue_control
from loratui.core.jobs.worker import Worker
from loratui.core.projects.documents import page_texts
from loratui.core.projects.workspace import create_project, update_settings
from loratui.core.store.models import Document

# ---- the toy kind: "<toyml>" then pages in <page>...</page> --------------------------------

_PAGE = re.compile(r"<page>(.*?)</page>", re.S)


class ToyKind(DocumentKind):
    """Read range by range like a PDF (so big files spread over processes), and small
    files batched like text."""

    name = "toyml"
    label = "a toyml file"
    described = "toyml"
    extensions = frozenset({".toyml"})
    batch_small_files = True
    ranged = True
    errors = (ErrorInfo("corrupt", "the toyml file is damaged", "close every <page> with </page>"),)

    def detect(self, probe: Probe) -> bool:
        if probe.text is None or probe.promised not in (None, self.name):
            return False
        return probe.text.startswith("<toyml>")

    def _pages(self, path: str) -> list[str]:
        text = Path(path).read_text(encoding="utf-8")
        pages = [p.strip() for p in _PAGE.findall(text)]
        if text.count("<page>") != len(pages):
            raise self.error("corrupt", f"{text.count('<page>') - len(pages)} <page> not closed")
        return pages

    def count_pages(self, path: str, password: str | None, limits: Limits) -> int:
        return len(self._pages(path))

    def extract_pages(
        self, path: str, start: int, end: int, password: str | None, limits: Limits
    ) -> Pages:
        pages = self._pages(path)
        return [(n, pages[n - 1]) for n in range(start, min(end, len(pages)) + 1)]

    def warnings(self, pages: list[str]) -> list[dict[str, Any]]:
        blank = sum(1 for p in pages if not p.strip())
        if not blank:
            return []
        return [
            {
                "code": "toy_blank_page",
                "level": "warning",
                "message": f"{blank} blank page(s)",
                "hint": "fill them or drop them",
            }
        ]


KIND = ToyKind()

# ---- the toy format: {"question", "answer"}, and answers must not repeat the question -------

TOY_AXOLOTL_TYPE = {
    "field_instruction": "question",
    "field_output": "answer",
    "format": "{instruction}",
    "no_input_format": "{instruction}",
}


class ToyQaFormat(RecordFormat):
    name = "toy-qa"
    note = 'toy question/answer pairs (`{"question", "answer"}`)'
    keys = ("question", "answer")
    axolotl = {"type": TOY_AXOLOTL_TYPE}
    llamafactory = {"columns": {"prompt": "question", "response": "answer"}}

    def write(self, ex: Example) -> Record:
        return {"question": ex.user_with_input(ex.turns[-2][1]), "answer": ex.turns[-1][1]}

    def record_text(self, rec: Record) -> str:
        return f"{rec.get('question') or ''}\n{rec.get('answer') or ''}"

    def main_field(self, rec: Record) -> tuple[Any, str]:
        return rec, "answer"

    def problems(self, rec: Any) -> list[tuple[str, str]]:
        out = super().problems(rec)
        if isinstance(rec, dict) and rec.get("answer") and rec.get("answer") == rec.get("question"):
            out.append(("echo", "the answer repeats the question"))
        return out


FORMAT = ToyQaFormat()

# ---- tests -------------------------------------------------------------------------------


@pytest.fixture
def toys() -> Iterator[None]:
    """The one line of registration for each (here at run time, so it reaches workers by
    name); undone afterwards so no other test sees the toys."""
    kinds.REGISTRY.add(__name__)
    formats.REGISTRY.add(__name__)
    yield
    kinds.REGISTRY.remove(__name__)
    formats.REGISTRY.remove(__name__)


def _toyml(path: Path, *pages: str, close_last: bool = True) -> Path:
    body = "".join(f"<page>{p}</page>\n" for p in pages)
    if not close_last:
        body = body[: -len("</page>\n")]
    path.write_text(f"<toyml>\n{body}", encoding="utf-8")
    return path


BIG_PAGES = [
    "The keeper climbs the stairs at dusk.",
    "Fog rolls in from the western banks.",
    "A trawler sounds its horn twice.",
    "Oil for the lamp arrives by rowing boat.",
    "Morning finds the gulls on the gallery rail.",
]


def _toy_files(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    return {
        "small": _toyml(folder / "harbour.toyml", "Gulls over the harbour.", "Boats at rest."),
        "big": _toyml(folder / "lighthouse.toyml", *BIG_PAGES),
        "no_name": _toyml(folder / "untitled", "A page with words.", "  "),
        "broken": _toyml(folder / "broken.toyml", "one", "two", close_last=False),
        "text": _toyml(folder / "notes.txt", "named as text, so it stays text"),
        "fake": folder / "fake.toyml",
    }


async def test_a_toy_kind_and_format_go_through_add_process_and_export(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toys: None
) -> None:
    files = _toy_files(tmp_path / "in")
    files["fake"].write_text("just plain words, no markup\n")
    project = create_project("toys")
    # two pages a task: the 5-page file is read in three ranges by the pool's processes
    update_settings(project, {"pdf_pages_per_task": 2, "max_attempts": 1})

    results = {Path(r.path).name: r for r in ingest.add_paths(project, list(files.values()))}
    fake = results["fake.toyml"]
    assert (fake.state, fake.error_code) == ("failed", "type_mismatch")
    assert "named like a toyml file but contains plain text" in (
        Document.get_by_id(fake.document_id).error_message
    )
    docs = {name: Document.get_by_id(r.document_id) for name, r in results.items()}
    assert {n: d.kind for n, d in docs.items() if n != "fake.toyml"} == {
        "harbour.toyml": "toyml",
        "lighthouse.toyml": "toyml",
        "untitled": "toyml",  # no extension: recognised by its content
        "broken.toyml": "toyml",
        "notes.txt": "text",  # a name that promises text keeps it text
    }

    worker = Worker(project.id, workers=2)
    await worker.run_until_idle()
    assert (worker.done, worker.failed) == (4, 1)
    docs = {n: Document.get_by_id(d.id) for n, d in docs.items()}
    assert page_texts(docs["harbour.toyml"]) == ["Gulls over the harbour.", "Boats at rest."]
    assert page_texts(docs["lighthouse.toyml"]) == BIG_PAGES
    assert docs["lighthouse.toyml"].pages == 5
    assert page_texts(docs["untitled"]) == ["A page with words.", ""]
    assert [w["code"] for w in docs["untitled"].warnings] == ["toy_blank_page"]
    assert docs["harbour.toyml"].warnings == []
    broken = docs["broken.toyml"]
    assert (broken.state, broken.error_code) == ("failed", "corrupt")
    assert (broken.error_message, broken.hint) == (
        "1 <page> not closed",
        "close every <page> with </page>",
    )
    with pytest.raises(LoratuiError) as locked:
        queue_control.unlock(project, docs["harbour.toyml"], "secret")
    assert locked.value.message == "'harbour.toyml' is not a PDF; only PDFs take a password"

    assert "toy-qa" in cfgmod.FORMATS
    cfg = ExportConfig(
        format="toy-qa",
        user_template="What does page {page} of {title} say?",
        assistant_template="{text}",
        validation_fraction=0.0,
        min_chars=1,
    )
    one = run_export(project, cfg, workers=1)
    monkeypatch.setattr(workers, "POOL_MIN_CHARS", 0)
    pooled_with: list[int] = []
    real_items = workers.DocumentFeed.items

    def spy(self: workers.DocumentFeed, on_page):  # type: ignore[no-untyped-def]
        pooled_with.append(self.workers)
        return real_items(self, on_page)

    monkeypatch.setattr(workers.DocumentFeed, "items", spy)
    pooled = run_export(project, cfg, workers=2, force=True)
    assert pooled_with == [2], "the records were made in a pool of 2 worker processes"
    out = Path(pooled.path)
    train = (out / "train.jsonl").read_bytes()
    assert train == (Path(one.path) / "train.jsonl").read_bytes()
    records = [json.loads(line) for line in train.decode().splitlines()]
    assert len(records) == 4 and all(set(r) == {"question", "answer"} for r in records)
    by_question = {r["question"]: r["answer"] for r in records}
    assert by_question["What does page 1-2 of harbour say?"] == (
        "Gulls over the harbour.\n\nBoats at rest."
    )
    big = by_question["What does page 1-5 of lighthouse say?"]
    assert all(page in big for page in BIG_PAGES)
    assert set(by_question) >= {
        "What does page 1 of untitled say?",
        "What does page 1 of notes say?",
    }

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "toy-qa" and manifest["records"]["train"] == 4
    assert ExportConfig.from_dict(manifest["config"]).format == "toy-qa"
    axolotl = yaml.safe_load((out / "axolotl.yaml").read_text())
    assert axolotl["datasets"] == [
        {"path": "train.jsonl", "ds_type": "json", "type": TOY_AXOLOTL_TYPE}
    ]
    info = json.loads((out / "dataset_info.json").read_text())
    assert info == {
        "toys": {
            "file_name": "train.jsonl",
            "columns": {"prompt": "question", "response": "answer"},
        }
    }
    assert 'toy question/answer pairs (`{"question", "answer"}`)' in (out / "README.md").read_text()


def test_check_runs_the_formats_own_rules(tmp_path: Path, toys: None) -> None:
    path = tmp_path / "qa.jsonl"
    rows = [
        {"question": "Why?", "answer": "Because."},
        {"question": "Same", "answer": "Same"},
        {"question": "Where?"},
        {"question": "Who?", "answer": "Me.", "extra": 1},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    problems = check.check_file(path, "toy-qa")
    assert [(p["line"], p["code"]) for p in problems] == [
        (2, "echo"),
        (3, "missing_key"),
        (4, "unexpected_key"),
    ]


async def test_a_kind_the_workers_are_not_told_about_fails_there(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toys: None
) -> None:
    """The control: workers know only what their initializer imports."""
    monkeypatch.setattr(kinds.REGISTRY, "extensions", lambda: ())
    project = create_project("untold")
    update_settings(project, {"max_attempts": 1})
    path = _toyml(tmp_path / "harbour.toyml", "Gulls over the harbour.")
    (added,) = ingest.add_paths(project, [path])
    worker = Worker(project.id, workers=1)
    await worker.run_until_idle()
    doc = Document.get_by_id(added.document_id)
    assert (doc.kind, doc.state, doc.error_code) == ("toyml", "failed", "unsupported")
    assert doc.error_message == "no extractor for documents of kind 'toyml'"


def test_registration_is_by_module_name_and_can_be_undone(toys: None) -> None:
    assert kinds.REGISTRY.add(__name__) is KIND  # a second add changes nothing
    assert kinds.REGISTRY.extensions() == (__name__,)
    assert formats.names()[-2:] == ["alpaca", "toy-qa"]
    # asked before the text catch-all, listed in the "loratui reads" hint
    order = [k.name for k in kinds.detection_order()]
    assert order.index("toyml") < order.index("text") == len(order) - 1
    kinds.REGISTRY.remove(__name__)
    formats.REGISTRY.remove(__name__)
    assert kinds.find("toyml") is None and formats.find("toy-qa") is None
    with pytest.raises(LoratuiError) as no_kind:
        kinds.get("toyml")
    assert no_kind.value.code == "unsupported"
    with pytest.raises(LoratuiError) as no_format:
        formats.get("toy-qa")
    assert no_format.value.code == "invalid"
    assert no_format.value.hint == "use one of text, prompt-completion, messages, sharegpt, alpaca"
    assert ExportConfig(format="toy-qa").validate() == {
        "format": "must be one of text, prompt-completion, messages, sharegpt, alpaca"
    }


def test_unsupported_hint_lists_registered_kinds(tmp_path: Path, toys: None) -> None:
    blob = tmp_path / "data.bin"
    blob.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(LoratuiError) as refused:
        detect_kind(blob)
    assert refused.value.hint == (
        "loratui reads PDF, DOCX, plain text, Markdown, JSONL/JSON/CSV records and toyml; "
        "convert the file to one of these"
    )


def test_a_bad_module_leaves_the_registry_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "second_text_kind.py").write_text(
        "from loratui.core.extract.kinds.text import TextKind\nKIND = TextKind()\n"
    )
    (tmp_path / "no_kind_here.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(ValueError, match="registers 'text' a second time"):
            kinds.REGISTRY.add("second_text_kind")
        with pytest.raises(TypeError, match="no_kind_here has no KIND"):
            kinds.REGISTRY.add("no_kind_here")
        assert kinds.REGISTRY.extensions() == ()
        assert [k.name for k in kinds.REGISTRY.all()] == ["pdf", "docx", "text", "records"]
    finally:
        sys.modules.pop("second_text_kind", None)
        sys.modules.pop("no_kind_here", None)
