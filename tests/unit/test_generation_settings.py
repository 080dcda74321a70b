"""Generation settings: defaults, validation messages, TOML, command-line assignments."""

from __future__ import annotations

from pathlib import Path

import pytest

from loratui.core.errors import LoratuiError
from loratui.core.generation import settings as setmod
from loratui.core.generation.settings import GenerationSettings, normalise_base_url
from loratui.core.generation.templates import BUILTIN


def test_defaults_are_valid_and_every_bad_field_says_why() -> None:
    cfg = GenerationSettings()
    assert cfg.validate() == {}
    assert (cfg.concurrency, cfg.pairs_per_chunk, cfg.response_format) == (4, 3, "auto")
    assert "the passage" in cfg.banned_phrases and "the document" in cfg.banned_phrases
    bad = GenerationSettings(
        base_url="localhost:8000",
        concurrency=0,
        response_format="xml",
        template="poems",
        pairs_per_chunk=0,
        temperature=3.0,
        max_tokens=4,
        seed=-2,
        min_support=1.5,
        banned_phrases=["the text", " "],
        near_duplicate_threshold=0.0,
        min_judge_score=11,
        max_attempts=0,
    )
    problems = bad.validate()
    assert set(problems) == {
        "base_url",
        "concurrency",
        "response_format",
        "template",
        "pairs_per_chunk",
        "temperature",
        "max_tokens",
        "seed",
        "min_support",
        "banned_phrases",
        "near_duplicate_threshold",
        "min_judge_score",
        "max_attempts",
    }
    assert problems["base_url"].startswith("must be an http:// or https:// URL")
    assert problems["response_format"] == "must be one of auto, json_schema, json_object, none"
    with pytest.raises(LoratuiError) as exc:
        bad.check()
    assert exc.value.code == "invalid" and "concurrency: must be between 1" in exc.value.message
    prompts = GenerationSettings(user_prompt="Make pairs from {chunk}").validate()
    assert prompts["user_prompt"].startswith("unknown placeholder(s) {chunk}")


def test_toml_round_trip_writes_the_prompts_in_force(tmp_path: Path) -> None:
    cfg = GenerationSettings(
        base_url="http://gpu-box:8080/v1",
        model="qwen2.5-7b-instruct",
        concurrency=16,
        template="instruction",
        seed=-1,
        banned_phrases=["the passage", "the author"],
        judge=True,
    )
    path = setmod.write_toml(cfg, tmp_path / "generation.toml")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# loratui generation settings.")
    assert "LORATUI_API_KEY" in text  # the header says where the key comes from
    # the prompts as literal strings: the file reads like the prompt, quotes unescaped
    assert "user_prompt = '''\nDocument: {title}\n" in text
    assert '{{"pairs": [{{"instruction": "...", "response": "..."}}]}}' in text
    odd = cfg.with_changes(system_prompt="It's '''odd'''\x07", user_prompt="{text} end'")
    again = setmod.from_toml(setmod.to_toml(odd))
    assert (again.system_prompt, again.user_prompt) == (odd.system_prompt, odd.user_prompt)
    back = setmod.read_toml(path)
    assert back.prompt_template().version() == cfg.prompt_template().version()
    assert back.with_changes(system_prompt="", user_prompt="") == cfg
    assert back.sampling().seed is None and "seed" not in back.sampling().as_dict()
    assert path.stat().st_mode & 0o077 == 0  # written private, like the export config


def test_unknown_keys_and_wrong_types_are_invalid() -> None:
    with pytest.raises(LoratuiError) as exc:
        setmod.from_toml('model = "m"\napi_key = "sk-123"\n')
    assert exc.value.code == "invalid" and "unknown generation setting(s): api_key" in (
        exc.value.message
    )
    assert "base_url" in exc.value.hint
    with pytest.raises(LoratuiError) as exc:
        setmod.from_toml('concurrency = "many"\n')
    assert "concurrency must be a whole number" in exc.value.message
    with pytest.raises(LoratuiError) as exc:
        setmod.from_toml("concurrency = \n")
    assert exc.value.code == "invalid" and "TOML file is not valid" in exc.value.message
    assert setmod.from_toml("temperature = 1\n").temperature == 1.0  # an int is a number


def test_command_line_assignments_are_typed_by_the_default() -> None:
    assert setmod.parse_assignment("concurrency=32") == ("concurrency", 32)
    assert setmod.parse_assignment("judge=yes") == ("judge", True)
    assert setmod.parse_assignment("min-support=0.3") == ("min_support", 0.3)
    assert setmod.parse_assignment("banned_phrases=the text, the passage") == (
        "banned_phrases",
        ["the text", "the passage"],
    )
    assert setmod.parse_assignment("system_prompt=Line one\\nLine two") == (
        "system_prompt",
        "Line one\nLine two",
    )
    with pytest.raises(LoratuiError) as exc:
        setmod.parse_assignment("concurrency=lots")
    assert "must be a whole number" in exc.value.message
    with pytest.raises(LoratuiError):
        setmod.parse_assignment("api_key=sk-1")


def test_base_url_is_read_as_the_api_root() -> None:
    assert normalise_base_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000/v1"
    assert normalise_base_url("http://h:11434/v1/") == "http://h:11434/v1"
    assert normalise_base_url("http://h:8080/v1/chat/completions") == "http://h:8080/v1"
    assert normalise_base_url("https://api.example.com/openai/v1") == (
        "https://api.example.com/openai/v1"
    )
    assert GenerationSettings(base_url="http://h:1234").api_base() == "http://h:1234/v1"


def test_prompt_template_follows_the_settings() -> None:
    assert GenerationSettings().prompt_template() == BUILTIN["qa"]
    mine = GenerationSettings(system_prompt="Only facts.").prompt_template()
    assert mine.system == "Only facts." and mine.user == BUILTIN["qa"].user
    assert mine.version() != BUILTIN["qa"].version()
