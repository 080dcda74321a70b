"""Export configuration: defaults, validation messages, TOML, saved per project by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from loratui.core.errors import LoratuiError
from loratui.core.export import config as cfgmod
from loratui.core.export.config import ExportConfig
from loratui.core.projects import workspace
from loratui.core.store.models import ExportConfig as ExportConfigRow


def test_defaults_are_valid_and_every_bad_field_says_why() -> None:
    assert ExportConfig().validate() == {}
    bad = ExportConfig(
        format="csv",
        chunk_tokens=4,
        chunk_overlap=-1,
        max_seq_len=8,
        overlength="wrap",
        near_threshold=1.5,
        redact=["email", "ssn"],
        user_template="{nope}",
        validation_fraction=1.0,
        columns={"question": "q"},
    )
    problems = bad.validate()
    assert set(problems) >= {
        "format",
        "chunk_tokens",
        "chunk_overlap",
        "max_seq_len",
        "overlength",
        "near_threshold",
        "redact",
        "user_template",
        "validation_fraction",
        "columns",
    }
    assert "text, prompt-completion, messages, sharegpt, alpaca" in problems["format"]
    assert "ssn" in problems["redact"] and "unknown field(s) nope" in problems["user_template"]
    with pytest.raises(LoratuiError) as exc:
        bad.check()
    assert exc.value.code == "invalid" and "format: must be one of" in exc.value.message
    over = ExportConfig(chunk_tokens=1024, max_seq_len=512).validate()
    assert over == {"chunk_tokens": "must not exceed max_seq_len"}


def test_toml_round_trip_and_unknown_keys(tmp_path: Path) -> None:
    cfg = ExportConfig(
        format="alpaca",
        tags=["legal", "2024"],
        columns={"instruction": "question", "output": "answer"},
        system_prompt="You are helpful.\nBe brief.",
        near_threshold=0.7,
    )
    path = cfgmod.write_toml(cfg, tmp_path / "export.toml")
    assert (path.stat().st_mode & 0o777) == 0o600
    text = path.read_text()
    assert 'format = "alpaca"' in text and "[columns]" in text
    back = cfgmod.read_toml(path)
    assert back == cfg and back.config_hash() == cfg.config_hash()
    (tmp_path / "bad.toml").write_text('format = "text"\nchunk_size = 3\n')
    with pytest.raises(LoratuiError, match="unknown export setting.*chunk_size"):
        cfgmod.read_toml(tmp_path / "bad.toml")
    (tmp_path / "typed.toml").write_text('chunk_tokens = "many"\n')
    with pytest.raises(LoratuiError, match="chunk_tokens must be a whole number"):
        cfgmod.read_toml(tmp_path / "typed.toml")
    (tmp_path / "broken.toml").write_text("format = \n")
    with pytest.raises(LoratuiError, match="TOML file is not valid"):
        cfgmod.read_toml(tmp_path / "broken.toml")


def test_assignments_are_typed() -> None:
    assert cfgmod.parse_assignment("chunk_tokens=256") == ("chunk_tokens", 256)
    assert cfgmod.parse_assignment("dedup_near=off") == ("dedup_near", False)
    assert cfgmod.parse_assignment("near_threshold=0.9") == ("near_threshold", 0.9)
    assert cfgmod.parse_assignment("tags=a, b") == ("tags", ["a", "b"])
    assert cfgmod.parse_assignment("columns=instruction:q,output:a") == (
        "columns",
        {"instruction": "q", "output": "a"},
    )
    assert cfgmod.parse_assignment("system_prompt=Hi\\nthere") == ("system_prompt", "Hi\nthere")
    with pytest.raises(LoratuiError, match="unknown export setting 'size'"):
        cfgmod.parse_assignment("size=3")
    with pytest.raises(LoratuiError, match="must be a whole number"):
        cfgmod.parse_assignment("seed=x")


def test_saved_per_project_by_name(home: Path) -> None:
    a = workspace.create_project("a")
    b = workspace.create_project("b")
    assert cfgmod.load_config(a) == ExportConfig()
    cfgmod.save_config(a, ExportConfig(format="messages", seed=7))
    cfgmod.save_config(a, ExportConfig(format="text", chunk_tokens=128), name="small")
    assert cfgmod.load_config(a).format == "messages" and cfgmod.load_config(a).seed == 7
    assert cfgmod.load_config(a, "small").chunk_tokens == 128
    assert cfgmod.load_config(b) == ExportConfig()
    assert cfgmod.config_names(a) == ["default", "small"]
    cfgmod.save_config(a, ExportConfig(format="alpaca"))
    assert ExportConfigRow.select().where(ExportConfigRow.project == a).count() == 2
    with pytest.raises(LoratuiError):
        cfgmod.save_config(a, ExportConfig(format="nope"))
    assert cfgmod.load_config(a).format == "alpaca"
