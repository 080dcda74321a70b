"""The request key: the same request always has the same key, any change a new one."""

from __future__ import annotations

import hashlib
import json

from loratui.core.generation.request_key import chunk_request_key, request_key, text_sha256
from loratui.core.generation.settings import GenerationSettings, Sampling

SAMPLING = Sampling(temperature=0.7, top_p=1.0, max_tokens=2048, seed=42)
BASE = {
    "template_version": "t" * 64,
    "text_hash": text_sha256("The canal opened in 1869."),
    "model": "qwen2.5-7b-instruct",
    "sampling": SAMPLING,
    "response_format": "auto",
    "variables": {"title": "Suez", "heading": "", "pairs_per_chunk": 3},
}


def test_the_key_is_the_sha256_of_the_documented_json() -> None:
    body = {
        "key": 1,
        "model": "qwen2.5-7b-instruct",
        "response_format": "auto",
        "sampling": {"max_tokens": 2048, "seed": 42, "temperature": 0.7, "top_p": 1.0},
        "template": "t" * 64,
        "text": hashlib.sha256(b"The canal opened in 1869.").hexdigest(),
        "variables": {"heading": "", "pairs_per_chunk": "3", "title": "Suez"},
    }
    expected = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    assert request_key(**BASE) == expected


def test_every_part_changes_the_key() -> None:
    key = request_key(**BASE)
    changes = [
        {"template_version": "u" * 64},
        {"text_hash": text_sha256("The canal opened in 1870.")},
        {"model": "llama3.1:8b"},
        {"sampling": Sampling(0.2, 1.0, 2048, 42)},
        {"sampling": Sampling(0.7, 0.9, 2048, 42)},
        {"sampling": Sampling(0.7, 1.0, 1024, 42)},
        {"sampling": Sampling(0.7, 1.0, 2048, 7)},
        {"sampling": Sampling(0.7, 1.0, 2048, None)},
        {"response_format": "json_object"},
        {"variables": {"title": "Suez", "heading": "", "pairs_per_chunk": 5}},
        {"variables": {"title": "Suez Canal", "heading": "", "pairs_per_chunk": 3}},
    ]
    keys = {request_key(**{**BASE, **change}) for change in changes}
    assert key not in keys and len(keys) == len(changes)


def test_chunk_key_ignores_what_does_not_change_the_answer() -> None:
    cfg = GenerationSettings(model="m")
    key = chunk_request_key(cfg, "m", "Some chunk text.", title="Doc")
    same = cfg.with_changes(
        base_url="http://other-host:9000/v1",
        concurrency=64,
        request_timeout_s=10.0,
        max_attempts=9,
        min_support=0.9,
        judge=True,
    )
    assert chunk_request_key(same, "m", "Some chunk text.", title="Doc") == key
    edited = cfg.with_changes(user_prompt=cfg.prompt_template().user + "\nBe concise.")
    assert chunk_request_key(edited, "m", "Some chunk text.", title="Doc") != key
    assert chunk_request_key(cfg, "m", "Some chunk text.", title="Doc", heading="H") != key
    assert chunk_request_key(cfg.with_changes(pairs_per_chunk=4), "m", "Some chunk text.") != (
        chunk_request_key(cfg, "m", "Some chunk text.")
    )
    assert chunk_request_key(cfg, "m", "Some chunk text. ", title="Doc") != key
