"""The export's estimate counts what the chosen format and template make (issue 13, item 8:
the form showed about 1,339 records for a sharegpt export that wrote 534, and 7 for a demo
that wrote 1) and says before running when most chunks would be dropped, and why."""

from __future__ import annotations

import json
import random
from pathlib import Path

from loratui.core.export import preview
from loratui.core.export.config import ExportConfig
from loratui.core.export.preview import preview_records
from loratui.core.export.version import run_export
from loratui.core.projects import workspace
from loratui.core.store.models import DatasetVersion, Job
from tests.conftest import CLI
from tests.export_support import add_doc, corpus_project, page_text, paragraph


def short_docs_project(name: str = "notes"):  # noqa: ANN201
    """Many one-chunk documents: a template that needs {previous} drops every one."""
    project = workspace.create_project(name)
    rng = random.Random(11)
    for i in range(12):
        add_doc(project, f"note-{i:02d}.pdf", [paragraph(rng, 3)])
    return project


def test_the_estimate_is_per_format_and_template_and_exact_on_a_small_project(
    home: Path,
) -> None:
    project = short_docs_project()
    base = ExportConfig(chunk_tokens=128, chunk_overlap=16, validation_fraction=0.25)
    cases = [
        base,
        base.with_changes(format="sharegpt"),
        base.with_changes(format="sharegpt", first_user_template=""),
        base.with_changes(format="alpaca", min_chars=300),
    ]
    for cfg in cases:
        _, est = preview_records(project, cfg)
        assert est["exact"] is True
        if est["records"] == 0:
            assert est["warnings"][0].startswith("no records would be written: no_previous 12")
            continue
        v = run_export(project, cfg)
        assert (est["records"], est["train"], est["validation"], est["tokens"]) == (
            v.records_train + v.records_validation,
            v.records_train,
            v.records_validation,
            v.tokens,
        ), cfg.format
        assert est["dropped"] == v.dropped
    # every first chunk dropped: said before running, with the reason in words
    _, est = preview_records(project, cases[2])
    assert est["records"] == 0 and est["dropped"] == {"no_previous": 12}
    assert "first_user_template is empty" in est["warnings"][0]


def test_most_chunks_dropped_is_a_warning_with_the_reason(home: Path) -> None:
    project = corpus_project(docs=4, pages=2, seed=12)
    cfg = ExportConfig(chunk_tokens=128, chunk_overlap=16, min_chars=420)
    _, est = preview_records(project, cfg)
    lost = est["dropped"]["min_chars"]
    assert lost > est["records"] > 0
    assert est["warnings"][0] == (
        f"most chunks and rows would be dropped ({lost} of {lost + est['records']}): "
        f"min_chars {lost}: shorter than min_chars"
    )


def test_a_large_project_is_estimated_from_a_sample(home: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(preview, "EXACT_CHARS", 10_000)  # this project counts as large
    monkeypatch.setattr(preview, "SAMPLE_CHARS", 20_000)
    project = corpus_project(docs=24, pages=3, seed=13)
    for fmt in ("text", "messages"):
        cfg = ExportConfig(format=fmt, chunk_tokens=128, chunk_overlap=16)
        sample, est = preview_records(project, cfg, limit=3)
        assert est["exact"] is False and len(sample) == 3
        v = run_export(project, cfg)
        written = v.records_train + v.records_validation
        assert abs(est["records"] - written) <= 0.2 * written, (fmt, est["records"], written)
        assert json.loads((Path(v.path) / "train.jsonl").read_text().splitlines()[0]) == sample[0]


def test_dry_run_says_what_would_be_written_and_writes_nothing(cli: CLI, tmp_path: Path) -> None:
    cli.run("new", "dry", check=True)
    folder = tmp_path / "in"
    folder.mkdir()
    rng = random.Random(4)
    for i in range(5):
        (folder / f"memo-{i}.txt").write_text(page_text(rng, 1))
    cli.run("add", "dry", str(folder), check=True)
    cli.run("process", "dry", check=True)
    dropping = ["--format", "messages", "--set", "first_user_template="]
    proc = cli.run("export", "dry", "--dry-run", *dropping)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("dry run, nothing written (messages; exact):")
    assert "warning: no records would be written: no_previous 5" in proc.stdout
    out = cli.json("export", "dry", "--dry-run", "--format", "messages")
    assert out["dry_run"] is True and out["records"] == 5 and out["dropped"] == {}
    written = cli.json("export", "dry", "--format", "messages")
    assert written["records"]["train"] + written["records"]["validation"] == out["records"]
    # the dry runs wrote no version and ran no export job
    again = cli.json("export", "dry", "--dry-run", "--format", "messages")
    assert again["identical_to"] == 1
    assert any("exporting would reuse it" in w for w in again["warnings"])
    from loratui.core.store import home as home_mod

    home_mod.open_home(cli.home)
    try:
        assert (
            DatasetVersion.select().count() == 1
            and Job.select().where(Job.kind == "export").count() == 1
        )
    finally:
        home_mod.close_home()
