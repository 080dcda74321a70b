"""The files beside the data: the dataset card and the trainer configuration entries.

``README.md`` carries the YAML front matter ``datasets.load_dataset(EXPORT_DIR)`` reads
(configs and data_files, nothing else listed), ``axolotl.yaml`` the ``datasets:`` entries
with the right ``type``, and ``dataset_info.json`` the LLaMA-Factory entries (FORMATS.md);
each format declares its own note and entries (``formats/``).

The card's one config is named after the dataset, the version and a hash of the data files
(``config_name``): ``datasets`` keys its cache on the folder's name and the config, so with
the plain ``default`` every project's ``v1`` shared one cache entry, and loading the second
returned the first one's rows.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import yaml

from loratui.core.export import formats
from loratui.core.export.split import TOLERANCE, describe

CONTENT_ID_CHARS = 12
TRAINERS = {"axolotl": "axolotl", "llamafactory": "LLaMA-Factory"}


def content_id(files: dict[str, dict[str, Any]]) -> str:
    """A short hash of the data files (their names and sha256): the same records, the same id."""
    body = "\n".join(f"{name}:{info['sha256']}" for name, info in sorted(files.items()))
    return hashlib.sha256(body.encode()).hexdigest()[:CONTENT_ID_CHARS]


def config_name(manifest: dict[str, Any]) -> str:
    """``NAME-vN-HASH``: unique per project, version and content, safe as a cache folder name."""
    slug = re.sub(r"[^A-Za-z0-9_.]+", "-", manifest["dataset_name"]).strip("-.")[:40] or "dataset"
    return f"{slug}-v{manifest['version']}-{manifest['content_id']}"


def front_matter(splits: list[str], name: str = "default") -> dict[str, Any]:
    return {
        "configs": [
            {
                "config_name": name,
                "data_files": [{"split": s, "path": f"{s}.jsonl"} for s in splits],
                "default": True,
            }
        ]
    }


def dataset_card(manifest: dict[str, Any], splits: list[str]) -> str:
    fm = yaml.safe_dump(
        front_matter(splits, config_name(manifest)), sort_keys=False, allow_unicode=True
    )
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
        "`manifest.json`). Split: " + describe(manifest["split"]) + ". Text documents go "
        "whole to one split unless that cannot reach the share within "
        f"{TOLERANCE * 100:.0f} points; then the tail of one document (a chunk range) goes to "
        "validation. Rows of records files are split one by one. `lineage.jsonl` maps every "
        "record (split and line) back to its document, pages, chunk and character span.",
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
        f"The card's config is `{config_name(manifest)}`: its hash is of the data files, so "
        "the Hugging Face cache keeps this version apart from any other folder named "
        f"`v{manifest['version']}` (another project's) and from a changed copy.",
        "",
        "`axolotl.yaml` holds the axolotl `datasets:` entries (paths are relative to this "
        "folder: run from here or make them absolute); `dataset_info.json` is the "
        f"LLaMA-Factory entry (`dataset: {manifest['dataset_name']}`"
        + (
            f", `eval_dataset: {manifest['dataset_name']}_validation`"
            if eval_for(manifest, splits, "llamafactory")
            else ""
        )
        + ", `dataset_dir:` this folder).",
        "",
        *[
            f"Validation left out of the {TRAINERS.get(t, t)} configuration: {why}."
            for t, why in (manifest.get("eval_left_out") or {}).items()
        ],
        "",
        *trl_lines(manifest, splits),
    ]
    return "\n".join(lines)


def trl_lines(manifest: dict[str, Any], splits: list[str]) -> list[str]:
    """The card's TRL section: a working ``SFTTrainer`` snippet for a layout TRL reads as it
    is; for the others, say to export ``messages`` (TRL renames sharegpt's keys but keeps
    its roles ``human``/``gpt``, which no chat template knows) and show the snippet for it."""
    fmt = manifest["format"]
    ready = formats.get(fmt).trl_ready
    folder = "path/to/this/folder" if ready else "path/to/the/messages/version"
    head = (
        [f"### TRL\n\n`SFTTrainer` reads this `{fmt}` layout as it is:"]
        if ready
        else [
            "### TRL",
            "",
            f"TRL does not read the `{fmt}` layout as it is (it keeps sharegpt's roles "
            "`human`/`gpt`, which chat templates do not know): TRL users export `messages` "
            f"(`loratui export '{manifest['project']}' --format messages`) and load that "
            "version:",
        ]
    )
    eval_line = ['    eval_dataset=ds["validation"],'] if "validation" in splits else []
    return [
        *head,
        "",
        "```python",
        "from datasets import load_dataset",
        "from trl import SFTConfig, SFTTrainer",
        "",
        f'ds = load_dataset("{folder}")',
        "trainer = SFTTrainer(",
        '    model="path/to/your/model",',
        '    train_dataset=ds["train"],',
        *eval_line,
        f"    args=SFTConfig(max_length={manifest['config']['max_seq_len']}),",
        ")",
        "```",
        "",
    ]


def eval_for(manifest: dict[str, Any], splits: list[str], trainer: str) -> bool:
    """Whether ``trainer``'s configuration points at the validation file."""
    return "validation" in splits and trainer not in (manifest.get("eval_left_out") or {})


def axolotl_yaml(manifest: dict[str, Any], splits: list[str]) -> str:
    fmt = manifest["format"]
    layout = formats.get(fmt)
    doc: dict[str, Any] = {"datasets": [layout.axolotl_entry("train.jsonl")]}
    if eval_for(manifest, splits, "axolotl"):
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
    if eval_for(manifest, splits, "llamafactory"):
        out[f"{name}_validation"] = layout.llamafactory_entry("validation.jsonl")
    return out
