"""The trainer-style check flags what makes trainers fail, and passes good files."""

from __future__ import annotations

import json
from pathlib import Path

from loratui.core.export.check import check_file, check_report
from tests.export_support import train_bpe


def write(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def codes(problems: list[dict]) -> list[tuple[int, str]]:
    return [(p["line"], p["code"]) for p in problems]


def test_good_files_pass(tmp_path: Path) -> None:
    good = {
        "text": [{"text": "Some text."}],
        "prompt-completion": [{"prompt": "Q?\n", "completion": "A."}],
        "messages": [
            {
                "messages": [
                    {"role": "system", "content": "S"},
                    {"role": "user", "content": "U"},
                    {"role": "assistant", "content": "A"},
                    {"role": "user", "content": "U2"},
                    {"role": "assistant", "content": "A2"},
                ]
            }
        ],
        "sharegpt": [
            {
                "conversations": [
                    {"from": "system", "value": "S"},
                    {"from": "human", "value": "U"},
                    {"from": "gpt", "value": "A"},
                ]
            },
            {
                "conversations": [{"from": "human", "value": "U"}, {"from": "gpt", "value": "A"}],
                "system": "S",
            },
        ],
        "alpaca": [{"instruction": "I", "input": "", "output": "O", "system": ""}],
    }
    for fmt, rows in good.items():
        assert check_file(write(tmp_path / f"{fmt}.jsonl", rows), fmt) == [], fmt


def test_bad_files_are_flagged(tmp_path: Path) -> None:
    msgs = write(
        tmp_path / "m.jsonl",
        [
            {"messages": [{"role": "user", "content": "hi"}]},  # user turn last
            {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": ""}]},
            {
                "messages": [
                    {"role": "assistant", "content": "a"},
                    {"role": "user", "content": "u"},
                    {"role": "assistant", "content": "b"},
                ]
            },
            {
                "messages": [
                    {"role": "user", "content": "u"},
                    {"role": "user", "content": "u"},
                    {"role": "assistant", "content": "a"},
                ]
            },
            {
                "messages": [
                    {"role": "human", "content": "u"},
                    {"role": "assistant", "content": "a"},
                ]
            },
            {"message": []},  # wrong key
        ],
    )
    got = codes(check_file(msgs, "messages"))
    assert got == [
        (1, "last_not_assistant"),
        (2, "empty"),
        (3, "first_not_user"),
        (4, "not_alternating"),
        (5, "bad_role"),
        (6, "missing_key"),
        (6, "unexpected_key"),
    ]
    alp = write(
        tmp_path / "a.jsonl",
        [
            {"instructions": "I", "input": "", "output": "O"},
            {"instruction": None, "input": "", "output": "O"},
        ],
    )
    problems = check_file(alp, "alpaca")
    assert codes(problems)[:2] == [(1, "missing_key"), (1, "unexpected_key")]
    assert "'instructions'" in problems[0]["message"]
    assert (2, "not_string") in codes(problems)
    arr = tmp_path / "array.jsonl"
    arr.write_text(json.dumps([{"text": "a"}, {"text": "b"}], indent=1))
    assert codes(check_file(arr, "text")) == [(0, "json_array")]
    cut = tmp_path / "cut.jsonl"
    cut.write_text('{"text": "a"}\n{"text": "b"}\n{"text": "par')
    assert codes(check_file(cut, "text")) == [(3, "partial_line")]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert codes(check_file(empty, "text")) == [(0, "empty_file")]
    sg = write(tmp_path / "s.jsonl", [{"conversations": [{"from": "gpt", "value": "x"}]}])
    assert {c for _, c in codes(check_file(sg, "sharegpt"))} == {"first_not_user"}


def test_too_long_for_the_tokenizer(tmp_path: Path) -> None:
    tok = train_bpe(tmp_path / "tokenizer.json")
    from tokenizers import Tokenizer

    t = Tokenizer.from_file(str(tok))
    short, long = "garden river.", " ".join(["garden river harbor"] * 40)
    path = write(tmp_path / "t.jsonl", [{"text": short}, {"text": long}])
    n = len(t.encode(long).ids)
    report = check_report(path, "text", max_seq_len=n - 1, tokenizer=str(tok))
    assert codes(report["problems"]) == [(2, "too_long")]
    assert f"{n} tokens" in report["problems"][0]["message"] and report["max_tokens"] == n
    assert check_file(path, "text", max_seq_len=n, tokenizer=str(tok)) == []
