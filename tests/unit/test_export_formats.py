"""Each format loads with Hugging Face ``datasets`` with the exact field layout of FORMATS.md,
and the dataset card's front matter makes ``load_dataset(EXPORT_DIR)`` give both splits."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from loratui.core.export.config import ExportConfig
from loratui.core.export.version import run_export
from tests.export_support import corpus_project

LAYOUT = {
    "text": ["text"],
    "prompt-completion": ["prompt", "completion"],
    "messages": ["messages"],
    "sharegpt": ["conversations"],
    "alpaca": ["instruction", "input", "output", "system"],
}
AXOLOTL_TYPE = {
    "text": "completion",
    "messages": "chat_template",
    "sharegpt": "chat_template",
    "alpaca": "alpaca",
}


@pytest.fixture
def hf_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``datasets`` with no network and a private cache."""
    cache = tmp_path / "hf"
    for var, value in {
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(cache),
        "HF_DATASETS_CACHE": str(cache / "datasets"),
    }.items():
        monkeypatch.setenv(var, value)
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True, raising=False)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True, raising=False)
    datasets.disable_progress_bars()
    return cache / "datasets"


def check_layout(ds, fmt: str) -> None:  # noqa: ANN001 - a datasets.Dataset
    assert ds.column_names == LAYOUT[fmt]
    row = ds[0]
    if fmt == "messages":
        roles = [m["role"] for m in row["messages"]]
        assert roles == ["system", "user", "assistant"]
        assert row["messages"][0]["content"] == "You summarise reports."
        assert all(set(m) == {"role", "content"} and m["content"] for m in row["messages"])
    elif fmt == "sharegpt":
        assert [m["from"] for m in row["conversations"]] == ["system", "human", "gpt"]
        assert all(set(m) == {"from", "value"} and m["value"] for m in row["conversations"])
        assert row["conversations"][0]["value"] == "You summarise reports."
    elif fmt == "alpaca":
        assert row["instruction"] and row["output"] and row["input"] == ""
        assert row["system"] == "You summarise reports."
    else:
        assert all(isinstance(row[k], str) and row[k] for k in LAYOUT[fmt])


def test_five_formats_load_with_datasets(home: Path, hf_offline: Path) -> None:
    from datasets import load_dataset

    project = corpus_project(docs=5, pages=3, seed=13)
    base = ExportConfig(
        chunk_tokens=128,
        chunk_overlap=16,
        validation_fraction=0.3,
        system_prompt="You summarise reports.",
    )
    for fmt in LAYOUT:
        v = run_export(project, base.with_changes(format=fmt))
        folder = Path(v.path)
        train = load_dataset(
            "json", data_files=str(folder / "train.jsonl"), split="train", cache_dir=str(hf_offline)
        )
        assert train.num_rows == v.records_train
        check_layout(train, fmt)
        val = load_dataset(
            "json",
            data_files=str(folder / "validation.jsonl"),
            split="train",
            cache_dir=str(hf_offline),
        )
        assert val.num_rows == v.records_validation > 0
        check_layout(val, fmt)
        # the trainer configs name the right types and columns
        ax = yaml.safe_load((folder / "axolotl.yaml").read_text())
        entry = ax["datasets"][0]
        assert entry["path"] == "train.jsonl" and ax["sequence_len"] == 2048
        assert ax["test_datasets"][0]["path"] == "validation.jsonl" and ax["val_set_size"] == 0
        if fmt in AXOLOTL_TYPE:
            assert entry["type"] == AXOLOTL_TYPE[fmt]
        else:
            assert entry["type"]["field_instruction"] == "prompt"
            assert entry["type"]["field_output"] == "completion"
        if fmt == "sharegpt":
            assert entry["field_messages"] == "conversations"
            assert entry["message_property_mappings"] == {"role": "from", "content": "value"}
        info = json.loads((folder / "dataset_info.json").read_text())
        main = info["corpus"]
        assert main["file_name"] == "train.jsonl"
        if fmt == "text":  # a few hundred tokens: less than one LLaMA-Factory pt block
            assert "corpus_validation" not in info
        else:
            assert info["corpus_validation"]["file_name"] == "validation.jsonl"
        if fmt == "alpaca":
            assert main["columns"] == {
                "prompt": "instruction",
                "query": "input",
                "response": "output",
                "system": "system",
            }
        elif fmt == "sharegpt":
            assert main["formatting"] == "sharegpt"
            assert main["columns"] == {"messages": "conversations"}
        elif fmt == "messages":
            assert main["tags"]["role_tag"] == "role" and main["columns"] == {
                "messages": "messages"
            }
        elif fmt == "text":
            assert main["columns"] == {"prompt": "text"}


def test_dataset_card_loads_both_splits(home: Path, hf_offline: Path) -> None:
    from datasets import load_dataset

    project = corpus_project(docs=5, pages=2, seed=17)
    v = run_export(
        project, ExportConfig(format="messages", chunk_tokens=128, validation_fraction=0.3)
    )
    folder = Path(v.path)
    card = (folder / "README.md").read_text()
    front = yaml.safe_load(card.split("---\n")[1])
    manifest = json.loads((folder / "manifest.json").read_text())
    content = hashlib.sha256(
        "\n".join(
            f"{name}:{manifest['files'][name]['sha256']}"
            for name in ("train.jsonl", "validation.jsonl")
        ).encode()
    ).hexdigest()[:12]
    assert manifest["content_id"] == content
    assert front == {
        "configs": [
            {
                "config_name": f"corpus-v1-{content}",
                "data_files": [
                    {"split": "train", "path": "train.jsonl"},
                    {"split": "validation", "path": "validation.jsonl"},
                ],
                "default": True,
            }
        ]
    }
    ds = load_dataset(str(folder), cache_dir=str(hf_offline))
    assert set(ds) == {"train", "validation"}
    assert ds["train"].num_rows == v.records_train
    assert ds["validation"].num_rows == v.records_validation
    assert ds["train"].column_names == ["messages"]


def test_two_projects_v1_each_load_their_own_rows(home: Path, private_hf_cache: Path) -> None:
    """Two projects both export ``v1``; with one empty cache, ``load_dataset`` on each folder
    returns that folder's rows (the cache key once was the folder name and file names)."""
    from datasets import load_dataset

    cfg = ExportConfig(chunk_tokens=128, validation_fraction=0.3)
    a = run_export(corpus_project("alpha", docs=4, pages=2, seed=1), cfg)
    b = run_export(corpus_project("beta", docs=6, pages=3, seed=2), cfg)
    assert Path(a.path).name == Path(b.path).name == "v1"
    seen = {}
    for v in (a, b):
        ds = load_dataset(str(v.path))
        seen[v.path] = ds
        assert ds["train"].num_rows == v.records_train
        assert ds["validation"].num_rows == v.records_validation
        lines = (Path(v.path) / "train.jsonl").read_text().splitlines()
        assert ds["train"]["text"] == [json.loads(x)["text"] for x in lines]
    assert seen[a.path]["train"]["text"] != seen[b.path]["train"]["text"]
    # nothing went to the user's cache: the test's own cache holds both
    assert private_hf_cache.exists() and any(private_hf_cache.iterdir())
