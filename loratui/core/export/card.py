"""The files beside the data: the dataset card and the trainer configuration entries.

``README.md`` carries the YAML front matter ``datasets.load_dataset(EXPORT_DIR)`` reads
(configs and data_files, nothing else listed), ``axolotl.yaml`` the ``datasets:`` entries
with the right ``type``, and ``dataset_info.json`` the LLaMA-Factory entries (FORMATS.md);
each format declares its own note and entries (``formats/``).
"""

from __future__ import annotations

from typing import Any

import yaml

from loratui.core.export import formats


def front_matter(splits: list[str]) -> dict[str, Any]:
    return {
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": s, "path": f"{s}.jsonl"} for s in splits],
            }
        ]
    }


def dataset_card(manifest: dict[str, Any], splits: list[str]) -> str:
    fm = yaml.safe_dump(front_matter(splits), sort_keys=False, allow_unicode=True)
    fmt = manifest["format"]
    tok = manifest["tokens"]
    dropped = manifest["dropped"]
    lines = [
        "---",
        fm.rstrip("\n"),
        "---",
        "",
        f"# {manifest['dataset_name']} — v{manifest['version']}",
        "",
        f"Made by loratui {manifest['loratui_version']} from project "
        f"`{manifest['project']}`: {formats.get(fmt).note}.",
        "",
        "| split | records |",
        "|---|---|",
        *[f"| {s} | {manifest['records'][s]} |" for s in splits],
        "",
        f"Tokens ({manifest['tokenizer']['name']}): total {tok['total']}, min {tok['min']}, "
        f"mean {tok['mean']}, p50 {tok['p50']}, p95 {tok['p95']}, max {tok['max']} "
        f"(max_seq_len {manifest['config']['max_seq_len']}).",
        "",
        f"Source documents: {len(manifest['documents'])} (listed with sha256 in "
        "`manifest.json`). Validation is split by document (rows of records files one by "
        "one), so no text document is in both splits. `lineage.jsonl` maps every record "
        "(split and line) back to its document, pages, chunk and character span.",
        "",
        "Dropped records: "
        + (", ".join(f"{k} {v}" for k, v in dropped.items()) if dropped else "none")
        + f". Repeated header/footer lines removed: "
        f"{manifest['cleaning']['repeated_lines_removed']}.",
        "",
        "## Use",
        "",
        "```python",
        "from datasets import load_dataset",
        'ds = load_dataset("path/to/this/folder")',
        "```",
        "",
        "`axolotl.yaml` holds the axolotl `datasets:` entries (paths are relative to this "
        "folder: run from here or make them absolute); `dataset_info.json` is the "
        f"LLaMA-Factory entry (`dataset: {manifest['dataset_name']}`, "
        "`dataset_dir:` this folder).",
        "",
    ]
    return "\n".join(lines)


def axolotl_yaml(manifest: dict[str, Any], splits: list[str]) -> str:
    fmt = manifest["format"]
    layout = formats.get(fmt)
    doc: dict[str, Any] = {"datasets": [layout.axolotl_entry("train.jsonl")]}
    if "validation" in splits:
        test = layout.axolotl_entry("validation.jsonl")
        test["split"] = "train"  # a single JSON file loads as the "train" split
        doc["test_datasets"] = [test]
        doc["val_set_size"] = 0
    else:
        doc["val_set_size"] = 0.0
    doc["sequence_len"] = manifest["config"]["max_seq_len"]
    doc["dataset_prepared_path"] = "last_run_prepared"
    doc["sample_packing"] = False
    head = (
        f"# axolotl dataset settings for {manifest['dataset_name']} v{manifest['version']} "
        f"({fmt}), written by loratui.\n"
        "# Merge into your axolotl config (base_model, adapter: lora, ...). Paths are\n"
        "# relative to this folder; run axolotl from here or make them absolute.\n"
    )
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def dataset_info(manifest: dict[str, Any], splits: list[str]) -> dict[str, Any]:
    name = manifest["dataset_name"]
    layout = formats.get(manifest["format"])
    out = {name: layout.llamafactory_entry("train.jsonl")}
    if "validation" in splits:
        out[f"{name}_validation"] = layout.llamafactory_entry("validation.jsonl")
    return out
