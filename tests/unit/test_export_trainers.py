"""What the trainers' own loaders showed (issue 11, items 8-10): records that TRL, axolotl
and LLaMA-Factory read the way we mean them, checked on real exports."""

from __future__ import annotations

import json
import random
from pathlib import Path

import yaml

from loratui.core.export.check import check_file
from loratui.core.export.config import ExportConfig
from loratui.core.export.version import run_export
from loratui.core.projects import workspace
from tests.export_support import WORDS, add_doc, corpus_project, train_bpe


def rows(folder: Path, split: str = "train") -> list[dict]:
    return [json.loads(x) for x in (folder / f"{split}.jsonl").read_text().splitlines()]


def unpunctuated_project(name: str = "runon"):  # noqa: ANN201
    """Documents of one long run-on sentence each: every chunk ends and starts mid-sentence
    (cut at a word), where a glued prompt and completion merge two words into one."""
    project = workspace.create_project(name)
    rng = random.Random(5)
    for i in range(3):
        pages = [" ".join(rng.choice(WORDS) for _ in range(700)) for _ in range(2)]
        add_doc(project, f"log-{i}.pdf", pages)
    return project


def test_prompt_ends_with_one_newline_and_its_tokens_are_a_prefix(
    home: Path, tmp_path: Path
) -> None:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(train_bpe(tmp_path / "tokenizer.json")))
    project = unpunctuated_project()
    v = run_export(
        project,
        ExportConfig(
            format="prompt-completion", chunk_tokens=96, chunk_overlap=16, validation_fraction=0
        ),
    )
    recs = rows(Path(v.path))
    continued = [r for r in recs if r["prompt"].startswith("Continue")]
    assert len(continued) >= 20
    for r in recs:
        prompt, completion = r["prompt"], r["completion"]
        # one newline: the word boundary TRL and axolotl keep when they join the two
        assert prompt.endswith("\n") and not prompt.endswith("\n\n"), prompt[-20:]
        assert not completion[0].isspace()
        # TRL's check: the prompt's tokens are a prefix of the tokens of prompt + completion
        p_ids = tok.encode(prompt).ids
        assert tok.encode(prompt + completion).ids[: len(p_ids)] == p_ids
        # axolotl's custom type, format "{instruction}", puts the output right after it
        ax = yaml.safe_load((Path(v.path) / "axolotl.yaml").read_text())
        joined = ax["datasets"][0]["type"]["format"].format(instruction=prompt) + completion
        last_word = prompt.split()[-1]
        assert f"{last_word}\n{completion.split()[0]}" in joined
    assert check_file(Path(v.path) / "train.jsonl", "prompt-completion") == []


def test_check_warns_about_a_glued_prompt_and_an_empty_sharegpt_system(tmp_path: Path) -> None:
    pc = tmp_path / "pc.jsonl"
    pc.write_text(
        json.dumps({"prompt": "Continue: at this place", "completion": "There is"})
        + "\n"
        + json.dumps({"prompt": "Q:\n", "completion": "A."})
        + "\n"
    )
    got = check_file(pc, "prompt-completion")
    assert [(p["line"], p["code"], p["level"]) for p in got] == [(1, "no_separator", "warning")]
    sg = tmp_path / "sg.jsonl"
    turns = [{"from": "human", "value": "U"}, {"from": "gpt", "value": "A"}]
    sg.write_text(
        json.dumps({"conversations": turns, "system": ""})
        + "\n"
        + json.dumps({"conversations": turns, "system": "Be brief."})
        + "\n"
        + json.dumps({"conversations": turns})
        + "\n"
    )
    got = check_file(sg, "sharegpt")
    assert [(p["line"], p["code"], p["level"]) for p in got] == [(1, "empty_system", "warning")]


def test_sharegpt_carries_no_empty_system(home: Path) -> None:
    from datasets import load_dataset

    project = corpus_project(docs=4, pages=2, seed=3)
    base = ExportConfig(format="sharegpt", chunk_tokens=128, validation_fraction=0.3)
    plain = Path(run_export(project, base).path)
    for split in ("train", "validation"):
        for r in rows(plain, split):
            assert list(r) == ["conversations"]  # no "system": "" for axolotl to turn into a turn
            assert [t["from"] for t in r["conversations"]] == ["human", "gpt"]
    info = json.loads((plain / "dataset_info.json").read_text())
    assert info["corpus"]["columns"] == {"messages": "conversations"}
    assert info["corpus"]["formatting"] == "sharegpt"
    assert load_dataset(str(plain))["train"].column_names == ["conversations"]

    with_system = Path(run_export(project, base.with_changes(system_prompt="Be brief.")).path)
    for r in rows(with_system):
        assert list(r) == ["conversations"]
        first = r["conversations"][0]
        # LLaMA-Factory and axolotl both take a leading system turn as the system prompt
        assert first == {"from": "system", "value": "Be brief."}
        assert [t["from"] for t in r["conversations"][1:]] == ["human", "gpt"]
    for folder in (plain, with_system):
        assert check_file(folder / "train.jsonl", "sharegpt") == []


def test_card_sends_trl_users_to_messages(home: Path) -> None:
    project = corpus_project(docs=3, pages=2, seed=4)
    cfg = ExportConfig(chunk_tokens=128, validation_fraction=0.3)
    sharegpt = Path(run_export(project, cfg.with_changes(format="sharegpt")).path) / "README.md"
    card = sharegpt.read_text()
    trl = card[card.index("### TRL") :]
    assert "TRL users export `messages`" in trl
    assert "--format messages" in trl and "human" in trl
    assert 'load_dataset("path/to/the/messages/version")' in trl and "SFTTrainer(" in trl
    messages = Path(run_export(project, cfg.with_changes(format="messages")).path) / "README.md"
    trl = messages.read_text()[messages.read_text().index("### TRL") :]
    assert "reads this `messages` layout as it is" in trl
    assert 'load_dataset("path/to/this/folder")' in trl
    assert 'eval_dataset=ds["validation"]' in trl and "max_length=2048" in trl


def test_an_eval_set_shorter_than_one_block_is_left_out_of_llamafactory(home: Path) -> None:
    """LLaMA-Factory pre-training packs text into cutoff_len blocks and drops the remainder:
    a validation text under one block gives 'Cannot find sufficient samples'."""
    from loratui.core.export.versions import export_summary

    project = corpus_project(docs=6, pages=2, seed=8)
    cfg = ExportConfig(chunk_tokens=128, chunk_overlap=16, validation_fraction=0.2)
    v = run_export(project, cfg)  # max_seq_len 2048: validation is a few hundred tokens
    folder = Path(v.path)
    m = json.loads((folder / "manifest.json").read_text())
    val_tokens = sum(
        x["tokens"]
        for x in map(json.loads, (folder / "lineage.jsonl").open())
        if x["split"] == "validation"
    )
    assert 0 < val_tokens < 2048 / 1.25
    info = json.loads((folder / "dataset_info.json").read_text())
    assert list(info) == ["corpus"]  # no corpus_validation for LLaMA-Factory to fail on
    why = m["eval_left_out"]["llamafactory"]
    assert "less than one cutoff_len block (2048" in why
    ax = yaml.safe_load((folder / "axolotl.yaml").read_text())
    assert ax["test_datasets"][0]["path"] == "validation.jsonl"  # axolotl keeps short texts
    card = (folder / "README.md").read_text()
    assert "Validation left out of the LLaMA-Factory configuration" in card
    assert "eval_dataset: corpus_validation" not in card
    summary = export_summary(v)
    assert summary["eval_left_out"] == {"llamafactory": why}
    assert any(w.startswith("validation left out of the llamafactory") for w in summary["warnings"])

    # a block that fits: the entry is there
    small = run_export(project, cfg.with_changes(max_seq_len=128))
    info = json.loads((Path(small.path) / "dataset_info.json").read_text())
    assert list(info) == ["corpus", "corpus_validation"]
    assert json.loads((Path(small.path) / "manifest.json").read_text())["eval_left_out"] == {}
    # chat and instruction data are not packed: nothing is left out
    chat = run_export(project, cfg.with_changes(format="messages"))
    assert list(json.loads((Path(chat.path) / "dataset_info.json").read_text())) == [
        "corpus",
        "corpus_validation",
    ]
