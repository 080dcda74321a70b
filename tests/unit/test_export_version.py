"""Export versions end to end, in process, on documents inserted as Document + Page rows."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from loratui.core.errors import LoratuiError
from loratui.core.export.config import ExportConfig
from loratui.core.export.diff import diff_versions
from loratui.core.export.preview import preview_records
from loratui.core.export.version import run_export
from loratui.core.export.versions import list_versions
from loratui.core.projects import workspace
from loratui.core.store import folders
from loratui.core.store.models import FAILED, DatasetVersion, Event, Job
from tests.export_support import add_doc, corpus_project, page_text, paragraph, train_bpe


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def all_records(folder: Path) -> list[str]:
    out = []
    for split in ("train", "validation"):
        p = folder / f"{split}.jsonl"
        if p.exists():
            out += p.read_text().splitlines()
    return out


def test_version_folder_files_rows_job_and_events(home: Path) -> None:
    project = corpus_project(docs=5, pages=3)
    seen: list[tuple[int, int, str]] = []
    v = run_export(
        project,
        ExportConfig(chunk_tokens=128, chunk_overlap=16, validation_fraction=0.3),
        on_progress=lambda d, t, m: seen.append((d, t, m)),
    )
    folder = Path(v.path)
    assert folder == folders.exports_dir(project) / "v1" and v.number == 1
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "README.md",
        "axolotl.yaml",
        "dataset_info.json",
        "lineage.jsonl",
        "manifest.json",
        "train.jsonl",
        "validation.jsonl",
    ]
    assert (folder.stat().st_mode & 0o777) == 0o700
    assert all((p.stat().st_mode & 0o777) == 0o600 for p in folder.iterdir())
    assert [p.name for p in folders.exports_dir(project).iterdir()] == ["v1"]  # no temp left
    train, val = read_lines(folder / "train.jsonl"), read_lines(folder / "validation.jsonl")
    assert v.records_train == len(train) > 0 and v.records_validation == len(val) > 0
    m = json.loads((folder / "manifest.json").read_text())
    assert m["records"] == {"train": len(train), "validation": len(val)}
    assert m["config"] == v.config and m["config_hash"] == v.config_hash
    assert len(m["documents"]) == 5 and all(len(d["sha256"]) == 64 for d in m["documents"])
    assert set(m["tokens"]) == {"total", "records", "min", "mean", "p50", "p95", "max"}
    assert m["tokens"]["total"] == v.tokens and m["tokens"]["min"] <= m["tokens"]["p50"]
    assert m["tokens"]["p95"] <= m["tokens"]["max"] <= 128
    import hashlib

    for name, info in m["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == info["sha256"]
    job = Job.get(Job.kind == "export")
    assert job.state == "done" and job.progress_done == job.progress_total == 15
    assert seen[-1][:2] == (15, 15) and [s[0] for s in seen] == sorted(s[0] for s in seen)
    kinds = [e.kind for e in Event.select().where(Event.project_id == project.id)]
    assert "export.started" in kinds and "export.done" in kinds
    done = Event.get(Event.kind == "export.done")
    assert done.data["version"] == 1 and done.data["config_hash"] == v.config_hash
    assert sorted(done.data["documents"]) == sorted(d["id"] for d in m["documents"])
    v2 = run_export(project, ExportConfig(format="messages", chunk_tokens=128))
    assert v2.number == 2 and [x.number for x in list_versions(project)] == [1, 2]


def test_reexport_is_byte_identical_and_seed_moves_documents(home: Path) -> None:
    project = corpus_project(docs=8, pages=2)
    cfg = ExportConfig(chunk_tokens=96, chunk_overlap=16, validation_fraction=0.3, seed=1)
    a = Path(run_export(project, cfg).path)
    b = Path(run_export(project, cfg, force=True).path)
    for name in ("train.jsonl", "validation.jsonl", "lineage.jsonl"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    c = Path(run_export(project, cfg.with_changes(seed=2)).path)

    def val_docs(folder: Path) -> set[int]:
        return {
            x["document_id"]
            for x in read_lines(folder / "lineage.jsonl")
            if x["split"] == "validation"
        }

    def train_docs(folder: Path) -> set[int]:
        return {
            x["document_id"] for x in read_lines(folder / "lineage.jsonl") if x["split"] == "train"
        }

    def cut(folder: Path) -> set[int]:  # documents split by chunk range to reach the share
        manifest = json.loads((folder / "manifest.json").read_text())
        assert abs(manifest["split"]["achieved"] - 0.3) <= 0.03
        return {d["id"] for d in manifest["split"]["split_documents"]}

    assert val_docs(a) - cut(a) != val_docs(c) - cut(c), "another seed, another split"
    assert val_docs(a) & train_docs(a) == cut(a) and val_docs(c) & train_docs(c) == cut(c)
    assert len(cut(a)) <= 1 and len(cut(c)) <= 1
    assert sorted(all_records(a)) == sorted(all_records(c)), "same records either way"
    d = diff_versions(project, 1, 3)
    assert d["added"] == d["removed"] == 0 and d["moved"] > 0
    assert d["config"] == {"seed": [1, 2]}


def test_local_tokenizer_counts_and_max_seq_len(home: Path, tmp_path: Path) -> None:
    tok_path = train_bpe(tmp_path / "tokenizer.json")
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tok_path))
    project = workspace.create_project("bpe")
    rng = random.Random(2)
    add_doc(project, "long.pdf", [page_text(rng, 5) for _ in range(3)])
    add_doc(project, "wall.pdf", [" ".join(paragraph(rng, 30).split())])  # one huge paragraph
    base = ExportConfig(tokenizer=str(tok_path), chunk_tokens=200, chunk_overlap=20)
    base = base.with_changes(max_seq_len=200, validation_fraction=0.0, dedup_near=False)
    v = run_export(project, base)
    lineage = read_lines(Path(v.path) / "lineage.jsonl")
    records = read_lines(Path(v.path) / "train.jsonl")
    assert len(records) == len(lineage) > 5
    for rec, lin in zip(records, lineage, strict=True):
        n = len(tok.encode(rec["text"]).ids)
        assert n == lin["tokens"] <= 200
    assert v.tokens == sum(len(tok.encode(r["text"]).ids) for r in records)
    # chat records carry the template and the previous chunk: longer than max_seq_len unless
    # handled; each strategy keeps every record within it
    chat = base.with_changes(format="messages", max_seq_len=360)
    by_strategy = {}
    for strategy in ("split", "truncate", "drop"):
        vv = run_export(project, chat.with_changes(overlength=strategy))
        recs = read_lines(Path(vv.path) / "train.jsonl")
        for r in recs:
            text = "\n".join(m["content"] for m in r["messages"])
            assert len(tok.encode(text).ids) <= 360
        by_strategy[strategy] = (len(recs), vv.dropped.get("too_long", 0))
    assert by_strategy["drop"][1] > 0
    assert by_strategy["split"][0] > by_strategy["drop"][0]
    assert by_strategy["truncate"][0] > by_strategy["drop"][0]
    assert by_strategy["truncate"][1] == by_strategy["split"][1] == 0


def test_duplicates_and_running_headers_removed_and_counted(home: Path) -> None:
    project = workspace.create_project("dups")
    rng = random.Random(4)
    bodies = [page_text(rng, 3) for _ in range(4)]

    def framed(texts: list[str]) -> list[str]:
        return [
            f"Globex Quarterly Review\n{t}\nInternal use only — page {n}"
            for n, t in enumerate(texts, start=1)
        ]

    add_doc(project, "original.pdf", framed(bodies))
    add_doc(project, "copy.pdf", framed(bodies))  # same text, another file
    near = []
    for t in bodies:
        words = t.split(" ")
        for i in range(0, len(words), 80):
            words[i] = "tweaked"
        near.append(" ".join(words))
    add_doc(project, "edited.pdf", framed(near))
    add_doc(project, "other.pdf", framed([page_text(rng, 3) for _ in range(4)]))
    cfg = ExportConfig(chunk_tokens=512, chunk_overlap=0, validation_fraction=0.0)
    v = run_export(project, cfg)
    m = json.loads((Path(v.path) / "manifest.json").read_text())
    lineage = read_lines(Path(v.path) / "lineage.jsonl")
    per_doc = Counter(x["document"] for x in lineage)
    assert per_doc["copy.pdf"] == 0 and per_doc["edited.pdf"] == 0
    assert per_doc["original.pdf"] > 0 and per_doc["other.pdf"] > 0
    assert m["dropped"]["duplicate"] == per_doc["original.pdf"]
    assert m["dropped"]["near_duplicate"] >= per_doc["original.pdf"] - 1
    assert m["cleaning"]["repeated_lines_removed"] == 4 * 4 * 2
    assert m["cleaning"]["documents_with_repeated_lines"] == 4
    text = (Path(v.path) / "train.jsonl").read_text()
    assert "Globex" not in text and "Internal use only" not in text
    off = run_export(project, cfg.with_changes(dedup_exact=False, dedup_near=False))
    assert off.records_train == v.records_train + sum(m["dropped"].values())
    card = (Path(v.path) / "README.md").read_text()
    assert "duplicate" in card and "Repeated header/footer lines removed: 32" in card


def test_lineage_points_back_to_documents_and_pages(home: Path) -> None:
    project = corpus_project(docs=4, pages=5, seed=21)
    v = run_export(project, ExportConfig(chunk_tokens=150, chunk_overlap=30))
    folder = Path(v.path)
    lineage = read_lines(folder / "lineage.jsonl")
    from loratui.core.store.models import Document, Page

    for split in ("train", "validation"):
        recs = read_lines(folder / f"{split}.jsonl")
        entries = [x for x in lineage if x["split"] == split]
        assert [x["line"] for x in entries] == list(range(1, len(recs) + 1))
        for rec, lin in zip(recs, entries, strict=True):
            doc = Document.get_by_id(lin["document_id"])
            assert doc.sha256 == lin["document_sha256"] and doc.name == lin["document"]
            pages = {
                p.number: p.text
                for p in Page.select().where(
                    (Page.document == doc) & (Page.number.in_(lin["pages"]))
                )
            }
            assert sorted(pages) == lin["pages"]
            text = rec["text"]
            assert text[:60] in pages[lin["pages"][0]]
            assert text[-60:] in pages[lin["pages"][-1]]
            assert lin["chars"][1] - lin["chars"][0] == len(text)
    chunks = Counter((x["document_id"], x["chunk"]) for x in lineage)
    assert max(chunks.values()) == 1


def test_records_files_with_column_mapping(home: Path) -> None:
    from tests.export_support import add_records_file

    project = workspace.create_project("rec")
    qa = "\n".join(
        json.dumps({"question": f"What is item {i}?", "answer": f"Item {i} is a sample answer."})
        for i in range(30)
    )
    add_records_file(project, "qa.jsonl", qa + '\n{"question": "orphan"}\n')
    csv_text = "instruction,input,output\nTranslate to French,cat,le chat\nTranslate,dog,le chien\n"
    add_records_file(project, "pairs.csv", csv_text)
    chats = [
        {
            "messages": [
                {"role": "system", "content": "Be terse."},
                {"role": "user", "content": f"Say {i}"},
                {"role": "assistant", "content": f"{i} said."},
            ]
        }
        for i in range(5)
    ]
    add_records_file(project, "chats.json", json.dumps(chats))
    cfg = ExportConfig(format="alpaca", validation_fraction=0.0, min_chars=0)
    v = run_export(project, cfg)
    recs = read_lines(Path(v.path) / "train.jsonl")
    assert all(list(r) == ["instruction", "input", "output", "system"] for r in recs)
    assert {
        "instruction": "What is item 3?",
        "input": "",
        "output": "Item 3 is a sample answer.",
        "system": "",
    } in recs
    assert {
        "instruction": "Translate to French",
        "input": "cat",
        "output": "le chat",
        "system": "",
    } in recs
    assert {"instruction": "Say 2", "input": "", "output": "2 said.", "system": "Be terse."} in recs
    assert len(recs) == 30 + 2 + 5 and v.dropped == {"empty": 1}
    lineage = read_lines(Path(v.path) / "lineage.jsonl")
    assert {x["row"] for x in lineage if x["document"] == "qa.jsonl"} == set(range(1, 31))
    msgs = run_export(project, cfg.with_changes(format="messages", validation_fraction=0.3))
    train = read_lines(Path(msgs.path) / "train.jsonl")
    val = read_lines(Path(msgs.path) / "validation.jsonl")
    assert len(train) + len(val) == 37 and len(val) > 0  # rows of a records file split one by one
    sys_chat = [r for r in train + val if r["messages"][0]["role"] == "system"]
    assert len(sys_chat) == 5
    mapped = cfg.with_changes(columns={"instruction": "answer", "output": "question"})
    v3 = run_export(project, mapped.with_changes(sources="records", tags=[]))
    first = read_lines(Path(v3.path) / "train.jsonl")[0]
    assert first["instruction"].startswith("Item 0") and first["output"] == "What is item 0?"


def test_selection_excluded_tags_and_nothing_to_export(home: Path) -> None:
    project = workspace.create_project("sel")
    rng = random.Random(8)
    add_doc(project, "keep.pdf", [page_text(rng)], tags=["legal"])
    add_doc(project, "other.pdf", [page_text(rng)], tags=["misc"])
    add_doc(project, "excluded.pdf", [page_text(rng)], tags=["legal"], excluded=True)
    add_doc(project, "failed.pdf", [page_text(rng)], state=FAILED)
    v = run_export(project, ExportConfig(validation_fraction=0.0))
    assert sorted(d["id"] for d in v.documents) == [1, 2]
    v = run_export(project, ExportConfig(validation_fraction=0.0, tags=["legal"]))
    assert [d["id"] for d in v.documents] == [1]
    with pytest.raises(LoratuiError, match="no processed documents tagged nope"):
        run_export(project, ExportConfig(tags=["nope"]))
    with pytest.raises(LoratuiError, match="not valid"):
        run_export(project, ExportConfig(format="csv"))
    assert DatasetVersion.select().count() == 2


def test_preview_matches_the_export_and_estimates(home: Path) -> None:
    project = corpus_project(docs=3, pages=4, seed=5)
    cfg = ExportConfig(format="sharegpt", chunk_tokens=100, chunk_overlap=10)
    sample, est = preview_records(project, cfg, limit=3)
    assert len(sample) == 3 and all(set(r) == {"conversations"} for r in sample)
    v = run_export(project, cfg.with_changes(validation_fraction=0.0))
    first = read_lines(Path(v.path) / "train.jsonl")[:3]
    assert sample == first
    # a small project: the estimate ran the whole pipeline, so it is the export's count
    assert est["documents"] == 3 and est["exact"] is True
    assert est["records"] == v.records_train and est["tokens"] == v.tokens


def test_cancel_from_progress_leaves_nothing(home: Path) -> None:
    project = corpus_project(docs=3, pages=3, seed=6)

    def stop(done: int, total: int, message: str) -> None:
        raise LoratuiError("cancelled", "stopped by the user")

    with pytest.raises(LoratuiError) as exc:
        run_export(project, ExportConfig(), on_progress=stop)
    assert exc.value.code == "cancelled"
    assert list(folders.exports_dir(project).iterdir()) == []
    assert Job.get(Job.kind == "export").state == "cancelled"
    assert Event.get(Event.kind == "export.cancelled").level == "warning"
    assert DatasetVersion.select().count() == 0
    assert run_export(project, ExportConfig()).number == 1
    assert Job.get(Job.kind == "export", Job.state == "cancelled")  # not rewritten as failed


def test_first_chunks_have_a_prompt_and_previous_skips_the_overlap(home: Path) -> None:
    project = corpus_project(docs=2, pages=3, seed=21)
    cfg = ExportConfig(
        format="prompt-completion", chunk_tokens=96, chunk_overlap=32, validation_fraction=0
    )
    folder = Path(run_export(project, cfg).path)
    recs = read_lines(folder / "train.jsonl")
    lineage = read_lines(folder / "lineage.jsonl")
    firsts = [r for r, lin in zip(recs, lineage, strict=True) if lin["chunk"] == 0]
    assert [r["prompt"] for r in firsts] == [
        "Write the opening passage of report-00.\n",
        "Write the opening passage of report-01.\n",
    ]
    overlapping = 0
    for (a, la), (b, lb) in zip(
        zip(recs, lineage, strict=True), zip(recs[1:], lineage[1:], strict=True), strict=False
    ):
        if la["document_id"] != lb["document_id"]:
            continue
        assert b["prompt"].startswith("Continue this passage from")
        previous = b["prompt"].split(":\n\n", 1)[1].rstrip("\n")
        # the prompt's passage is the text before this chunk: it ends where the answer starts
        assert a["completion"].startswith(previous)
        if lb["chars"][0] < la["chars"][1]:  # the chunks overlap in the document...
            overlapping += 1
            # ... but the prompt does not repeat what the answer says
            assert not b["completion"].startswith(previous[-40:])
            assert previous == a["completion"][: lb["chars"][0] - la["chars"][0]].rstrip()
    assert overlapping >= 3
    assert ExportConfig(first_user_template="Begin {previous}").validate() == {
        "first_user_template": "must not use {previous}: a first chunk has none"
    }
    no_first = cfg.with_changes(first_user_template="")
    v = run_export(project, no_first)
    assert v.dropped["no_previous"] == 2 and v.records_train == len(recs) - 2


def test_the_same_inputs_reuse_the_version_unless_forced(home: Path) -> None:
    from loratui.core.export.versions import export_summary
    from loratui.core.store.models import Document

    project = corpus_project(docs=3, pages=2, seed=31)
    cfg = ExportConfig(chunk_tokens=96, chunk_overlap=16)
    v1 = run_export(project, cfg)
    assert v1.reused is False
    again = run_export(project, cfg)
    assert again.reused is True and again.number == 1 and export_summary(again)["reused"]
    assert [x.number for x in list_versions(project)] == [1]
    assert [p.name for p in folders.exports_dir(project).iterdir()] == ["v1"]
    reused = Event.get(Event.kind == "export.reused")
    assert reused.data["version"] == 1 and "nothing written" in reused.message
    # forced: a new version with the same bytes, and the audit trail says which it repeats
    v2 = run_export(project, cfg, force=True)
    assert v2.reused is False and v2.number == 2
    assert (Path(v2.path) / "train.jsonl").read_bytes() == (
        Path(v1.path) / "train.jsonl"
    ).read_bytes()
    done = list(Event.select().where(Event.kind == "export.done").order_by(Event.id))[-1]
    assert done.data["identical_to"] == 1 and "forced" in done.message
    assert json.loads((Path(v2.path) / "manifest.json").read_text())["identical_to"] == 1
    assert export_summary(v2)["identical_to"] == 1
    # anything that changes the output is a new version: the configuration...
    assert run_export(project, cfg.with_changes(seed=5)).reused is False
    # ... a document's text ...
    doc = Document.get(Document.project == project)
    Document.update(text_sha256="0" * 64).where(Document.id == doc.id).execute()
    v4 = run_export(project, cfg)
    assert v4.reused is False and v4.number == 4
    # ... a document more or fewer ...
    add_doc(project, "late.pdf", [paragraph(random.Random(3))])
    assert run_export(project, cfg).number == 5
    # ... or a version whose files are gone or changed on disk
    (Path(run_export(project, cfg).path) / "train.jsonl").write_text("edited\n")
    assert run_export(project, cfg).reused is False
